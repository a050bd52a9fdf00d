"""Prometheus metrics of one service instance (prometheus-client), served at ``/metrics``
(assistant/api/routes_ops.py decides who may read them).

* ``assistant_turn_seconds{intent}``  chat turn latency (message received to answer stored),
  a histogram per intent (``relayed`` when a human expert has the conversation);
* ``assistant_errors_total{code}``  error responses and error events, by stable code;
* ``assistant_rate_limited_total{rule}``  throttling refusals (``password_hash_slots``: a
  sign-in that found every hash slot busy);
* ``assistant_websockets_open``  open chat sockets;
* ``assistant_handoff_queue_depth``  handoff sessions waiting for an expert;
* ``assistant_engine_workers_alive`` / ``assistant_engine_workers_configured`` /
  ``assistant_engine_pool_broken``  engine worker processes (broken: turns are answered
  in the serving process);
* ``assistant_ready``  1 once index, model and engine are loaded.

Each app has its own registry (tests build many apps in one process); the gauges are read
when scraped, nothing is computed per turn beyond one histogram observation.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import psutil
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from assistant.api.runtime import Runtime

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turn_seconds = Histogram(
            "assistant_turn_seconds", "Chat turn latency by intent", ["intent"], buckets=_TURN_BUCKETS, registry=r
        )
        self.errors = Counter("assistant_errors", "Error responses and events by code", ["code"], registry=r)
        self.rate_limited = Counter("assistant_rate_limited", "Throttling refusals by rule", ["rule"], registry=r)
        self._sockets = Gauge("assistant_websockets_open", "Open chat WebSockets", registry=r)
        self._queue = Gauge("assistant_handoff_queue_depth", "Handoff sessions waiting for an expert", registry=r)
        self._alive = Gauge("assistant_engine_workers_alive", "Engine worker processes alive", registry=r)
        self._configured = Gauge("assistant_engine_workers_configured", "Engine worker processes set", registry=r)
        self._broken = Gauge("assistant_engine_pool_broken", "1 when turns fell back to the server", registry=r)
        self._ready = Gauge("assistant_ready", "1 once the engine is loaded", registry=r)

    def bind(self, runtime: Runtime) -> None:
        """Read the runtime's state when scraped."""
        self._sockets.set_function(lambda: float(runtime.hub.total()))
        self._queue.set_function(lambda: float(_queue_depth(runtime)))
        self._configured.set_function(lambda: float(runtime.settings.engine_processes))
        self._alive.set_function(lambda: float(_workers_alive(runtime)))
        self._broken.set_function(lambda: float(runtime.engine_pool is not None and runtime.engine_pool.broken))
        self._ready.set_function(lambda: float(runtime.ready))

    def refused(self, rule: str) -> None:
        self.rate_limited.labels(rule).inc()

    def error(self, code: str) -> None:
        self.errors.labels(code).inc()

    def turn(self, intent: str, seconds: float) -> None:
        self.turn_seconds.labels(intent).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _workers_alive(runtime: Runtime) -> int:
    pool = runtime.engine_pool
    if pool is None:
        return 0
    return sum(1 for pid in pool.worker_pids if psutil.pid_exists(pid))


def _queue_depth(runtime: Runtime) -> int:
    if runtime.db is None or runtime.handoff is None:
        return 0
    from assistant.handoff.tables import HandoffSession
    from assistant.handoff.types import State

    try:
        with runtime.db.read() as s:
            return int(s.scalar(select(func.count()).where(HandoffSession.state == State.QUEUED)) or 0)
    except SQLAlchemyError as exc:
        log.warning("handoff queue depth not read: %s", exc)
        return 0
