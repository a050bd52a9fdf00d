"""Dialogue engines in worker processes: a turn's CPU on more than one core.

The service is one process (its conversation hub, handoff queue and rebate engine
live in its memory), and one process runs Python on one core at a time.  Most of a
turn's CPU, though, is understanding and answering it (sentence encoding, retrieval,
recommendation): pure work on read-only data.  :class:`EnginePool` runs that part in
worker processes, each with its own engine built from the same settings, while the
serving process stores, sends and runs the skills that need its services: a worker
hands a rebate or handoff turn back as a :class:`TurnPlan` and the serving process's
own engine answers it.

Each worker is a process at the end of a pipe; a turn takes an idle worker, sends the
turn, waits for the answer (the interpreter lock released meanwhile) and gives the
worker back.  If a worker dies, turns are answered in the serving process, as with
``engine_processes = 0``: nothing is lost but speed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from assistant.dialogue.engine import SERVICE_INTENTS, DialogueEngine, TurnPlan
from assistant.dialogue.state import DialogueState
from assistant.dialogue.types import Caller, CustomerProfile, Reply
from assistant.errors import AssistantError
from assistant.logs import bound_request, configure_logging, current_request_id
from assistant.settings import Settings

log = logging.getLogger(__name__)

# text, profile, caller, history, the engine's state, and the request id to log the turn with
# (assistant/logs.py)
_Request = tuple[str, CustomerProfile, Caller, tuple[str, ...], DialogueState | None, str | None]


class EnginePoolError(AssistantError):
    code = "engine_pool_failed"


def _serve(conn: Connection, settings: Settings) -> None:
    """A worker process: build an engine (without skills: they live in the server),
    then answer turns until told to stop (None) or the pipe closes."""
    from assistant.dialogue.factory import build_engine, load_components

    configure_logging(settings.log_level)  # a spawned process: JSON lines on the inherited stderr
    corpus, retriever = load_components(settings)
    engine = build_engine(corpus=corpus, retriever=retriever)
    conn.send(os.getpid())
    while True:
        try:
            request: _Request | None = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        text, profile, caller, history, state, request_id = request
        try:
            with bound_request(request_id):
                plan = engine.understand(text=text, profile=profile, caller=caller, history=history, state=state)
                answer: Reply | TurnPlan = plan if plan.intent in SERVICE_INTENTS else engine.respond(plan)
                log.debug("turn understood in engine process %d: intent=%s", os.getpid(), plan.intent)
        except Exception as exc:  # raised again in the serving process, as it would be in process
            conn.send((False, sendable(exc)))
        else:
            conn.send((True, answer))


def sendable(exc: Exception) -> Exception:
    """The error itself if it survives the pipe (pickled and rebuilt), else a RuntimeError
    with its text: an error that cannot be rebuilt must not take the worker down."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class EnginePool:
    """An engine (the chat service's ``Engine``) that answers in worker processes.

    ``local`` is the serving process's engine, with the skills; ``settings`` are what
    each worker builds its own engine from (the same corpus, index and models)."""

    def __init__(self, *, local: DialogueEngine, settings: Settings, processes: int) -> None:
        if processes < 1:
            raise ValueError("an engine pool needs at least one process")
        self.local = local
        self._settings = settings
        self._processes: list[BaseProcess] = []
        # Idle workers' pipes; None once the pool is broken (each waiter passes it on).
        self._idle: queue.SimpleQueue[Connection | None] = queue.SimpleQueue()
        self._broken = threading.Event()
        self._size = processes
        self.worker_pids: tuple[int, ...] = ()

    def start(self, timeout: float = 300) -> None:
        """Start every worker and wait until each has built its engine."""
        ctx = multiprocessing.get_context("spawn")  # not fork: the server has threads by now
        pipes = []
        for n in range(self._size):
            ours, theirs = ctx.Pipe()
            process = ctx.Process(target=_serve, args=(theirs, self._settings), name=f"engine-{n}", daemon=True)
            process.start()
            theirs.close()
            self._processes.append(process)
            pipes.append(ours)
        pids = []
        for conn in pipes:
            try:
                if not conn.poll(timeout):
                    raise EnginePoolError(f"an engine process did not start within {timeout:.0f} s")
                pids.append(int(conn.recv()))
            except EOFError as exc:
                self.close()
                raise EnginePoolError("an engine process failed to start (see its log)") from exc
            self._idle.put(conn)
        self.worker_pids = tuple(pids)
        log.info("engine pool ready: worker process(es) %s", self.worker_pids)

    @property
    def broken(self) -> bool:
        """True once a worker died: turns are answered in the serving process since."""
        return self._broken.is_set()

    def handle(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> Reply:
        conn = self._idle.get()
        if conn is None:  # broken: wake the next waiter too, and answer here
            self._idle.put(None)
            return self.local.handle(text=text, profile=profile, caller=caller, history=history, state=state)
        try:
            conn.send((text, profile, caller, tuple(history), state, current_request_id()))
            ok, answer = conn.recv()
        except (EOFError, OSError):
            log.error("an engine process died; answering in the serving process from now on")
            self._broken.set()
            self._idle.put(None)
            return self.local.handle(text=text, profile=profile, caller=caller, history=history, state=state)
        self._idle.put(conn)
        if not ok:
            raise answer
        return self.local.respond(answer) if isinstance(answer, TurnPlan) else answer

    def close(self) -> None:
        """Stop the workers; turns still waiting for one are answered in process."""
        self._broken.set()
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.send(None)
                conn.close()
        self._idle.put(None)
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():  # busy with a turn at shutdown
                process.terminate()
