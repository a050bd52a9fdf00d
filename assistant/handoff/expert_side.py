"""The expert's side of a handoff: the queue, accepting (the race is decided by one
conditional UPDATE), messages and notes, AR join codes, transfer, resolve, and the
metrics and FAQ candidates for experts and admins.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from assistant.dialogue.types import Caller
from assistant.handoff import metrics as metrics_mod
from assistant.handoff.core import MAX_TEXT_CHARS, Effects, clean_text, hash_code, iso, view_json
from assistant.handoff.errors import (
    AlreadyTakenError,
    AtCapacityError,
    ExpertOnlyError,
    HandoffNotFoundError,
    InvalidStateError,
    TransferTargetError,
)
from assistant.handoff.experts import EXPERT_ROLE
from assistant.handoff.outbox import ToExpert
from assistant.handoff.packet import remote_assist
from assistant.handoff.rtc import RemoteAssistSide
from assistant.handoff.tables import HandoffAssignment, HandoffEvent, HandoffJoinCode, HandoffSession
from assistant.handoff.texts import text
from assistant.handoff.types import (
    ACCEPTABLE_STATES,
    ExpertInfo,
    FaqCandidate,
    JoinCode,
    SessionDetail,
    SessionView,
    State,
)
from assistant.storage.models import User

log = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 2000
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
_CODE_LENGTH = 10
METRICS_ROLES = frozenset({EXPERT_ROLE, "admin"})


class ExpertSide(RemoteAssistSide):
    """What a remote-assist expert does (every method checks the caller is one)."""

    def expert_info(self, *, caller: Caller) -> ExpertInfo:
        with self.db.read() as s:
            return self._expert(s, caller)

    def list_experts(self, *, caller: Caller) -> list[ExpertInfo]:
        with self.db.read() as s:
            self._expert(s, caller)
            return self._experts(s)

    def queue_for(self, *, caller: Caller) -> tuple[list[SessionView], list[SessionView]]:
        """(sessions assigned to the expert, sessions waiting that the expert may take:
        queued oldest first, then tickets)."""
        with self.db.read() as s:
            return self._queue_for(s, self._expert(s, caller))

    def queue_for_expert_id(self, expert_id: str) -> tuple[list[SessionView], list[SessionView]] | None:
        with self.db.read() as s:
            expert = self._expert_by_id(s, expert_id)
            return None if expert is None else self._queue_for(s, expert)

    def expert_detail(self, *, caller: Caller, session_id: str) -> SessionDetail:
        with self.db.read() as s:
            expert = self._expert(s, caller)
            row = self._visible(s, expert, session_id)
            return self._detail(s, row)

    def events_after(self, *, caller: Caller, session_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        with self.db.read() as s:
            expert = self._expert(s, caller)
            row = self._visible(s, expert, session_id)
            return [self._event_json(e) for e in self._events(s, row.id, after_seq)]

    def accept(self, *, caller: Caller, session_id: str) -> SessionDetail:
        fx = Effects()
        now = self.clock()
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = s.get(HandoffSession, session_id)
            # Only sessions that were routed to a queue this expert's skills cover exist
            # for them; one taken meanwhile is "already taken", not "not found".
            if row is None or row.queued_at is None or not expert.has_skill(row.product_line):
                raise HandoffNotFoundError("handoff session not found")
            if row.state not in ACCEPTABLE_STATES:
                raise AlreadyTakenError("session is not waiting")
            if expert.active >= expert.capacity:
                raise AtCapacityError("expert at capacity")
            # The race is decided here: only one UPDATE finds the session still waiting.
            won = s.execute(
                update(HandoffSession)
                .where(HandoffSession.id == row.id, HandoffSession.state.in_(ACCEPTABLE_STATES))
                .values(
                    state=State.ASSIGNED,
                    expert_id=expert.user_id,
                    assigned_at=func.coalesce(HandoffSession.assigned_at, now),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise AlreadyTakenError("another expert accepted first")
            s.refresh(row)
            s.add(HandoffAssignment(session_id=row.id, expert_id=expert.user_id, assigned_at=now))
            self._log(s, row, kind="status", sender="expert", author_id=expert.user_id, text="accepted")
            lang = self._requester_language(s, row)
            fx.say(
                row.conversation_id,
                "expert_joined",
                {
                    "session_id": row.id,
                    "expert": expert.display_name,
                    "text": text(lang, "expert_joined", expert=expert.display_name),
                },
            )
            fx.queue_lines.add(row.product_line)
            self._refresh_positions(s, fx)
            detail = self._detail(s, row)
            fx.experts.append(ToExpert(expert.user_id, {"type": "assigned", "session": view_json(detail.session)}))
        self._apply(fx)
        log.info("handoff %s accepted by %s", session_id, expert.user_id)
        return detail

    def expert_message(
        self, *, caller: Caller, session_id: str, client_msg_id: str, text_said: str
    ) -> tuple[dict[str, Any], bool]:
        """Relay an expert's message to the requester.  Returns (session event, duplicate)."""
        body = clean_text(text_said, MAX_TEXT_CHARS)
        fx = Effects()
        now = self.clock()
        try:
            with self.db.write() as s:
                # The hot path: one conditional UPDATE claims the next seq of a session
                # assigned to this expert; a repeated client_msg_id fails the INSERT
                # (unique) and rolls the whole transaction back.
                claimed = s.execute(
                    update(HandoffSession)
                    .where(
                        HandoffSession.id == session_id,
                        HandoffSession.state == State.ASSIGNED,
                        HandoffSession.expert_id == caller.user_id,
                    )
                    .values(last_seq=HandoffSession.last_seq + 1, updated_at=now)
                    .returning(HandoffSession.last_seq, HandoffSession.conversation_id)
                    .execution_options(synchronize_session=False)
                ).first()
                if claimed is None or caller.role != EXPERT_ROLE:
                    self._owned_by_expert(s, self._expert(s, caller), session_id)  # raises the right error
                    raise InvalidStateError("the session is not assigned to you")
                seq, conversation_id = claimed
                event = self._insert_message(
                    s,
                    session_id=session_id,
                    seq=seq,
                    sender="expert",
                    author=caller,
                    text=body,
                    now=now,
                    client_msg_id=client_msg_id,
                )
                fx.say(
                    conversation_id,
                    "expert_message",
                    {
                        "session_id": session_id,
                        "expert": caller.display_name,
                        "text": body,
                        "client_msg_id": client_msg_id,
                        "session_seq": seq,
                    },
                )
                out = self._event_json(event)
        except IntegrityError:  # this client_msg_id was stored before: it is a repeat
            with self.db.read() as s:
                existing = s.scalars(
                    select(HandoffEvent).where(
                        HandoffEvent.session_id == session_id, HandoffEvent.client_msg_id == client_msg_id
                    )
                ).one()
                return self._event_json(self._session_event(existing, caller.display_name)), True
        self._apply(fx)
        return out, False

    def add_note(self, *, caller: Caller, session_id: str, text_said: str) -> dict[str, Any]:
        """A private note on the session (experts only; never shown to the requester)."""
        body = clean_text(text_said, MAX_TEXT_CHARS)
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            event = self._log(s, row, kind="note", sender="expert", author_id=expert.user_id, text=body)
            return self._event_json(event, expert.display_name)

    def issue_join_code(self, *, caller: Caller, session_id: str) -> JoinCode:
        """A fresh AR join code for the session (earlier unused ones are revoked); the
        requester receives it as an ``ar_join_code`` chat event."""
        now = self.clock()
        fx = Effects()
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        code = f"{code[:5]}-{code[5:]}"
        expires = now + timedelta(seconds=self.config.join_code_ttl_seconds)
        link = f"{self.config.ar_link_base}?code={code}"
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            s.execute(
                update(HandoffJoinCode)
                .where(HandoffJoinCode.session_id == row.id, HandoffJoinCode.used_at.is_(None))
                .values(revoked=True)
                .execution_options(synchronize_session=False)
            )
            s.add(
                HandoffJoinCode(
                    code_hash=hash_code(code),
                    session_id=row.id,
                    expert_id=expert.user_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
            self._log(
                s,
                row,
                kind="join_code",
                sender="expert",
                author_id=expert.user_id,
                text="ar_join_code",
                data={"expires_at": iso(expires), "code_tail": code[-4:]},
            )
            lang = self._requester_language(s, row)
            minutes = max(1, round(self.config.join_code_ttl_seconds / 60))
            fx.say(
                row.conversation_id,
                "ar_join_code",
                {
                    "session_id": row.id,
                    "code": code,
                    "link": link,
                    "expires_at": iso(expires),
                    "expert": expert.display_name,
                    "text": text(lang, "join_code", code=code, minutes=minutes, link=link),
                },
            )
        self._apply(fx)
        return JoinCode(session_id=session_id, code=code, link=link, expires_at=expires)

    def transfer(self, *, caller: Caller, session_id: str, to_username: str, note: str = "") -> SessionView:
        now = self.clock()
        fx = Effects()
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            target_user = s.scalars(select(User).where(User.username == to_username)).first()
            target = self._expert_by_id(s, target_user.id) if target_user is not None and target_user.active else None
            if target is None or target.user_id == expert.user_id or not target.has_skill(row.product_line):
                raise TransferTargetError("not an expert with this skill")
            if target.active >= target.capacity:
                raise AtCapacityError("the other expert is at capacity")
            moved = s.execute(
                update(HandoffSession)
                .where(
                    HandoffSession.id == row.id,
                    HandoffSession.state == State.ASSIGNED,
                    HandoffSession.expert_id == expert.user_id,
                )
                .values(expert_id=target.user_id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidStateError("session is not yours any more")
            s.refresh(row)
            self._end_assignment(s, row.id, expert.user_id, reason="transferred", now=now)
            self._end_call(s, row, fx, expert_id=expert.user_id, now=now)
            s.add(HandoffAssignment(session_id=row.id, expert_id=target.user_id, assigned_at=now))
            self._log(
                s,
                row,
                kind="status",
                sender="expert",
                author_id=expert.user_id,
                text="transferred",
                data={"from": expert.display_name, "to": target.display_name},
            )
            if note.strip():
                self._log(
                    s,
                    row,
                    kind="note",
                    sender="expert",
                    author_id=expert.user_id,
                    text=clean_text(note, MAX_TEXT_CHARS),
                )
            lang = self._requester_language(s, row)
            fx.expert_left(row.conversation_id, session_id=row.id, expert=expert.display_name, lang=lang)
            fx.say(
                row.conversation_id,
                "expert_joined",
                {
                    "session_id": row.id,
                    "expert": target.display_name,
                    "text": text(lang, "transferred", expert=target.display_name),
                },
            )
            view = self._view(s, row)
            fx.experts.append(ToExpert(target.user_id, {"type": "assigned", "session": view_json(view)}))
            fx.experts.append(
                ToExpert(expert.user_id, {"type": "unassigned", "session_id": row.id, "reason": "transferred"})
            )
            self._refresh_positions(s, fx)
        self._apply(fx)
        return view

    def resolve(self, *, caller: Caller, session_id: str, summary: str, resolved: bool = True) -> SessionView:
        """Close the session; the conversation goes back to the bot and the summary
        becomes a candidate FAQ entry (see :meth:`faq_candidates`)."""
        body = clean_text(summary, MAX_SUMMARY_CHARS)
        now = self.clock()
        fx = Effects()
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            closed = s.execute(
                update(HandoffSession)
                .where(
                    HandoffSession.id == row.id,
                    HandoffSession.state == State.ASSIGNED,
                    HandoffSession.expert_id == expert.user_id,
                )
                .values(state=State.RESOLVED, resolution=body, resolved=resolved, closed_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if closed.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidStateError("session is not yours any more")
            s.refresh(row)
            self._end_assignment(s, row.id, expert.user_id, reason="resolved", now=now)
            self._end_call(s, row, fx, expert_id=expert.user_id, now=now)
            self._log(
                s,
                row,
                kind="status",
                sender="expert",
                author_id=expert.user_id,
                text="resolved" if resolved else "closed_unresolved",
                data={"summary": body},
            )
            lang = self._requester_language(s, row)
            fx.expert_left(row.conversation_id, session_id=row.id, expert=expert.display_name, lang=lang)
            view = self._view(s, row)
            key = "resolved" if resolved else "closed_unresolved"
            fx.say(
                row.conversation_id,
                "handoff_status",
                self._status_payload(view, text(lang, key, expert=expert.display_name, summary=body), ()),
            )
            fx.experts.append(ToExpert(expert.user_id, {"type": "closed", "session": view_json(view)}))
            self._refresh_positions(s, fx)  # a slot is free: estimates shrink
            fx.queue_lines.add(row.product_line)
        self._apply(fx)
        log.info("handoff %s resolved=%s by %s", session_id, resolved, expert.user_id)
        return view

    def metrics(self, *, caller: Caller) -> metrics_mod.Metrics:
        if caller.role not in METRICS_ROLES:
            raise ExpertOnlyError("experts and admins only")
        with self.db.read() as s:
            sessions = [
                metrics_mod.SessionRow(
                    id=r.id,
                    product_line=r.product_line,
                    state=r.state,
                    resolved=r.resolved,
                    queued_at=r.queued_at,
                    assigned_at=r.assigned_at,
                    closed_at=r.closed_at,
                )
                for r in s.scalars(select(HandoffSession).where(HandoffSession.queued_at.is_not(None)))
            ]
            assignments = [
                metrics_mod.AssignmentRow(
                    session_id=a.session_id,
                    expert_id=a.expert_id,
                    assigned_at=a.assigned_at,
                    ended_at=a.ended_at,
                    end_reason=a.end_reason,
                )
                for a in s.scalars(select(HandoffAssignment))
            ]
            names = {e.user_id: e.display_name for e in self._experts(s)}
        return metrics_mod.compute(sessions=sessions, assignments=assignments, experts=names, now=self.clock())

    def faq_candidates(self, *, caller: Caller) -> list[FaqCandidate]:
        """Resolutions offered to the knowledge base, newest first.  An editor reviews
        them; nothing here is ever written to the corpus."""
        if caller.role not in METRICS_ROLES:
            raise ExpertOnlyError("experts and admins only")
        with self.db.read() as s:
            rows = s.scalars(
                select(HandoffSession)
                .where(HandoffSession.state == State.RESOLVED, HandoffSession.resolved.is_(True))
                .order_by(HandoffSession.closed_at.desc())
            ).all()
            out: list[FaqCandidate] = []
            for r in rows:
                if not r.resolution:
                    continue
                closer = s.scalars(
                    select(HandoffAssignment.expert_id)
                    .where(HandoffAssignment.session_id == r.id, HandoffAssignment.end_reason == "resolved")
                    .limit(1)
                ).first()
                model = r.product_model if (self.corpus and self.corpus.product(r.product_model)) else ""
                question = f"{r.product_model + ' ' if r.product_model else ''}{r.symptom}".strip()
                assist = remote_assist(
                    [e for e in self._events(s, r.id, 0) if e.kind in ("call", "still")], self._local
                )
                out.append(
                    FaqCandidate(
                        id=f"FAQ-HO-{r.id.replace('-', '')[:8].upper()}",
                        category=faq_category(r.symptom + r.resolution),
                        question=question[:200] or r.product_line,
                        answer=r.resolution,
                        products=(model,) if model else (),
                        product_line=r.product_line,
                        session_id=r.id,
                        expert=self._name(s, closer),
                        resolved_at=r.closed_at,
                        call_log=tuple(assist["calls"]),
                        stills=tuple(
                            {"still_id": x["still_id"], "url": x["url"], "note": x["note"]} for x in assist["stills"]
                        ),
                    )
                )
            return out


def faq_category(words: str) -> str:
    """The FAQ category a resolution most likely belongs to (an editor may change it)."""
    if any(w in words for w in ("固件", "升级", "firmware")):
        return "firmware"
    if any(w in words for w in ("安装", "装不上", "接线", "导轨", "供电")):
        return "installation"
    if any(w in words for w in ("兼容", "对接", "协议")):
        return "compatibility"
    return "configuration"
