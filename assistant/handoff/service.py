"""The handoff service: requests, slot collection, queue, experts, relay, resolve.

Every state change is one short ``BEGIN IMMEDIATE`` transaction (``Database.write``);
what must then reach people happens after the commit:

* the requester's side is stored as chat events (``ChatLog.append_event``), so the
  chat's resume-by-``seq`` covers it, and put in the :class:`Outbox` for live sockets;
* the expert's side is the session's own log (``handoff_events``, its own ``seq``),
  put in the outbox for the expert's console sockets.

Acceptance is a conditional ``UPDATE ... WHERE state IN ('queued', 'ticket')`` in the
same transaction as the skill and capacity checks: of two experts racing, exactly
one row changes and the other gets :class:`AlreadyTakenError`.

The service is one class assembled from its sides: :class:`RequesterSide`
(``requester.py``), :class:`ExpertSide` (``expert_side.py``), both built on
:class:`HandoffCore` (``core.py``); the timers' entry points are here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from assistant.handoff.core import ChatLog, Effects, HandoffConfig, hash_code, iso, ticket_id, view_json
from assistant.handoff.expert_side import ExpertSide
from assistant.handoff.requester import RequesterSide, RequestOutcome, TurnOutcome
from assistant.handoff.tables import HandoffSession
from assistant.handoff.texts import text
from assistant.handoff.types import State

__all__ = [
    "ChatLog",
    "HandoffConfig",
    "HandoffService",
    "RequestOutcome",
    "TurnOutcome",
    "hash_code",
    "iso",
    "ticket_id",
    "view_json",
]


class HandoffService(RequesterSide, ExpertSide):
    """Requests, slot collection, queue, experts, relay and resolve (see the module docstring)."""

    def sweep(self) -> int:
        """Queued too long -> ticket with a callback promise; collecting too long ->
        cancelled.  Returns how many sessions changed."""
        now = self.clock()
        queue_deadline = now - timedelta(seconds=self.config.queue_timeout_seconds)
        collect_deadline = now - timedelta(seconds=self.config.collect_timeout_seconds)
        fx = Effects()
        changed = 0
        with self.db.write() as s:
            stale = s.scalars(
                select(HandoffSession).where(
                    HandoffSession.state == State.QUEUED, HandoffSession.queued_at <= queue_deadline
                )
            ).all()
            for row in stale:
                self._to_ticket(s, row, fx, reason="timeout", now=now)
                changed += 1
            idle = s.scalars(
                select(HandoffSession).where(
                    HandoffSession.state == State.COLLECTING, HandoffSession.updated_at <= collect_deadline
                )
            ).all()
            for row in idle:
                self._close(s, row, State.CANCELLED, now=now)
                lang = self._requester_language(s, row)
                fx.say(
                    row.conversation_id,
                    "handoff_status",
                    self._status_payload(self._view(s, row), text(lang, "cancelled_stale"), ()),
                )
                changed += 1
            if changed:
                self._refresh_positions(s, fx)
        self._apply(fx)
        return changed

    def presence_changed(self) -> None:
        """An expert came online or went offline: estimates change."""
        fx = Effects()
        with self.db.write() as s:
            self._refresh_positions(s, fx)
            fx.queue_lines.update(self._waiting_lines(s))
        self._apply(fx)
