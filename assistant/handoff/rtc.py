"""Remote assist: who may signal a live video call, the call's short log, and stills.

The media of a call goes peer to peer (WebRTC, DTLS-SRTP); the server only relays the
signals (offer, answer, ICE candidates, state, annotations, hangup) between the two
parties of a live handoff and never stores them.  What it stores is the call's log
(started, ended with its length) and the stills the expert sends ("截图标注"), as
entries of the session's own log (``handoff_events``, kinds ``call`` and ``still``) and as
chat events of the requester (``handoff_call``, ``handoff_still``), so both sides show
them and resume replays them.

Who may signal: the session is ``assigned`` (an expert accepted it), and the caller is its
requester or its accepted expert.  Everything else is one refusal,
:class:`RtcNotAllowedError`, whether the session exists or not.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.dialogue.types import Caller
from assistant.handoff.core import RTC_CALL_KEY, Effects, HandoffCore, iso
from assistant.handoff.errors import RtcNotAllowedError, StillNotFoundError, StillTooLargeError, StillTypeInvalidError
from assistant.handoff.experts import EXPERT_ROLE
from assistant.handoff.outbox import ToConversationLive, ToExpert
from assistant.handoff.tables import HandoffAssignment, HandoffSession, HandoffStill
from assistant.handoff.texts import text
from assistant.handoff.types import State

log = logging.getLogger(__name__)

Side = Literal["requester", "expert"]
SignalKind = Literal["offer", "answer", "ice", "hangup", "state", "annotation"]
SIGNAL_KINDS: tuple[str, ...] = ("offer", "answer", "ice", "hangup", "state", "annotation")

# Bounds of a signal (checked at the edge, where the frames are parsed).
MAX_FRAME_BYTES = 32 * 1024
MAX_SDP_CHARS = 20_000
MAX_CANDIDATE_JSON_CHARS = 2_000
MAX_ANNOTATION_JSON_CHARS = 4_000
MAX_STATE_CHARS = 32
MAX_REASON_CHARS = 64

# Stills: PNG or JPEG, told by their first bytes as well as by the declared type.
MAX_STILL_BYTES = 1_500_000
MAX_STILL_NOTE_CHARS = 200
STILL_MAGIC: dict[str, bytes] = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def still_url(still_id: str) -> str:
    return f"/api/handoff/stills/{still_id}"


def rtc_event(
    session_id: str, sender: Literal["requester", "expert", "server"], signal: dict[str, Any]
) -> dict[str, Any]:
    """A relayed signal as the other party's socket receives it."""
    return {"type": "rtc", "session_id": session_id, "from": sender, "signal": signal}


def ended_signal(session_id: str) -> dict[str, Any]:
    """What both parties get when the handoff ends under a call (resolve, cancel, transfer)."""
    return rtc_event(session_id, "server", {"kind": "hangup", "reason": "handoff_ended"})


def duration_text(seconds: int, language: str) -> str:
    if seconds < 60:
        return text(language, "duration_seconds", seconds=seconds)
    return text(language, "duration_minutes", minutes=seconds // 60, seconds=seconds % 60)


def check_still(mime: str, data: bytes) -> str:
    """The still's media type (``image/png`` | ``image/jpeg``) once its size and first bytes
    agree with it; raises :class:`StillTooLargeError` / :class:`StillTypeInvalidError`."""
    kind = mime.split(";", 1)[0].strip().lower()
    if len(data) > MAX_STILL_BYTES:
        raise StillTooLargeError(f"a still is at most {MAX_STILL_BYTES} bytes")
    magic = STILL_MAGIC.get(kind)
    if magic is None or not data.startswith(magic):
        raise StillTypeInvalidError("a still is a PNG or JPEG image")
    return kind


@dataclass(frozen=True, slots=True)
class RtcRoute:
    """Where a signal of one party goes: the other party's sockets."""

    session_id: str
    conversation_id: str  # the requester's sockets (the conversation hub)
    expert_id: str  # the expert's sockets (the expert hub)
    side: Side  # who sent it


@dataclass(frozen=True, slots=True)
class StillRef:
    """A stored still as the session's log, the packet and the FAQ export name it."""

    still_id: str
    url: str
    note: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StillImage:
    mime: str
    data: bytes


class RemoteAssistSide(HandoffCore):
    """Call signalling rules, the call log and stills (see the module docstring)."""

    def rtc_route(self, *, caller: Caller, session_id: str, side: Side, kind: str) -> RtcRoute:
        """Check that ``caller`` may send a ``kind`` signal on the session as ``side`` and
        say where it goes.  The first ``offer`` of a call and a ``hangup`` during one are
        written to the call log; every other signal is a read."""
        if kind not in ("offer", "hangup"):
            with self.db.read() as s:
                row = s.get(HandoffSession, session_id)
                return self._route(row, caller, side, session_id)
        fx = Effects()
        now = self.clock()
        with self.db.write() as s:
            row = s.get(HandoffSession, session_id, with_for_update=True)
            route = self._route(row, caller, side, session_id)
            assert row is not None  # _route refused otherwise
            call = (row.context or {}).get(RTC_CALL_KEY)
            if kind == "offer" and not isinstance(call, dict):
                self._call_started(s, row, fx, side=side, author_id=caller.user_id, now=now)
            elif kind == "hangup" and isinstance(call, dict):
                self._call_ended(s, row, fx, side=side, author_id=caller.user_id, now=now)
        self._apply(fx)
        return route

    def _route(self, row: HandoffSession | None, caller: Caller, side: Side, session_id: str) -> RtcRoute:
        if row is None or row.state != State.ASSIGNED or not row.expert_id:
            raise RtcNotAllowedError("no live handoff of yours")
        if side == "requester" and row.requester_id != caller.user_id:
            raise RtcNotAllowedError("no live handoff of yours")
        if side == "expert" and (caller.role != EXPERT_ROLE or row.expert_id != caller.user_id):
            raise RtcNotAllowedError("no live handoff of yours")
        return RtcRoute(session_id=session_id, conversation_id=row.conversation_id, expert_id=row.expert_id, side=side)

    def _call_started(
        self, s: Session, row: HandoffSession, fx: Effects, *, side: str, author_id: str | None, now: datetime
    ) -> None:
        row.context = {**(row.context or {}), RTC_CALL_KEY: {"started_at": iso(now), "by": side}}
        self._call_entry(s, row, fx, side=side, author_id=author_id, key="call_started", data={"call": "started"})
        log.info("handoff %s: video call started by the %s", row.id, side)

    def _call_ended(
        self,
        s: Session,
        row: HandoffSession,
        fx: Effects,
        *,
        side: str,
        author_id: str | None,
        now: datetime,
        expert_id: str | None = None,
    ) -> None:
        context = dict(row.context or {})
        call = context.pop(RTC_CALL_KEY, None)
        started = call.get("started_at") if isinstance(call, dict) else None
        seconds = 0
        if isinstance(started, str):
            try:
                seconds = max(0, round((now - datetime.fromisoformat(started.removesuffix("Z"))).total_seconds()))
            except ValueError:
                log.warning("handoff %s: call start %r unreadable", row.id, started)
        row.context = context
        self._call_entry(
            s,
            row,
            fx,
            side=side,
            author_id=author_id,
            key="call_ended",
            data={"call": "ended", "duration_seconds": seconds},
            duration=seconds,
            expert_id=expert_id,
        )
        log.info("handoff %s: video call ended after %ss", row.id, seconds)

    def _call_entry(
        self,
        s: Session,
        row: HandoffSession,
        fx: Effects,
        *,
        side: str,
        author_id: str | None,
        key: str,
        data: dict[str, Any],
        duration: int | None = None,
        expert_id: str | None = None,
    ) -> None:
        """One line of the call log: in the session's log (pushed to ``expert_id``, by
        default the session's expert) and in the requester's chat."""
        lang = self._requester_language(s, row)
        values = {} if duration is None else {"duration": duration_text(duration, lang)}
        words = text(lang, key, **values)
        event = self._log(s, row, kind="call", sender=side, author_id=author_id, text=words, data=data)
        notify = expert_id or row.expert_id
        if notify:
            fx.experts.append(ToExpert(notify, self._event_json(event, self._name(s, author_id))))
        fx.say(row.conversation_id, "handoff_call", {"session_id": row.id, **data, "text": words})

    def _end_call(self, s: Session, row: HandoffSession, fx: Effects, *, expert_id: str, now: datetime) -> None:
        """The handoff ends (resolve, transfer away): a call in progress is logged as ended
        and both parties are told to hang up (sent whether or not a call is up: cheap, and
        a page that just started one stops it)."""
        if isinstance((row.context or {}).get(RTC_CALL_KEY), dict):
            self._call_ended(s, row, fx, side="system", author_id=None, now=now, expert_id=expert_id)
        fx.experts.append(ToExpert(expert_id, ended_signal(row.id)))
        fx.live.append(ToConversationLive(row.conversation_id, ended_signal(row.id)))

    # -- stills --------------------------------------------------------------------------

    def add_still(self, *, caller: Caller, session_id: str, mime: str, data: bytes, note: str = "") -> StillRef:
        """Store a still the session's accepted expert sends; both parties get it as an
        entry of the session's log (the requester as a ``handoff_still`` chat event)."""
        kind = check_still(mime, data)
        note = note.strip()[:MAX_STILL_NOTE_CHARS]
        now = self.clock()
        fx = Effects()
        still_id = str(uuid.uuid4())
        url = still_url(still_id)
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            s.add(
                HandoffStill(
                    id=still_id,
                    session_id=row.id,
                    created_by=caller.user_id,
                    mime=kind,
                    data=data,
                    bytes=len(data),
                    created_at=now,
                )
            )
            lang = self._requester_language(s, row)
            said = ("：" if lang == "zh" else ": ") + note if note else ""
            words = text(lang, "still_sent", note=said)
            details = {"still_id": still_id, "url": url, "note": note}
            event = self._log(s, row, kind="still", sender="expert", author_id=caller.user_id, text=words, data=details)
            fx.experts.append(ToExpert(expert.user_id, self._event_json(event, expert.display_name)))
            fx.say(
                row.conversation_id,
                "handoff_still",
                {"session_id": row.id, **details, "mime": kind, "expert": expert.display_name, "text": words},
            )
        self._apply(fx)
        log.info("handoff %s: still %s (%s bytes) from %s", session_id, still_id, len(data), caller.user_id)
        return StillRef(still_id=still_id, url=url, note=note, created_at=now)

    def still_image(self, *, caller: Caller, still_id: str) -> StillImage:
        """The still, to the session's requester or an expert who handled the session;
        anyone else (and an unknown id) gets :class:`StillNotFoundError`."""
        with self.db.read() as s:
            still = s.get(HandoffStill, still_id) if len(still_id) <= 36 else None
            row = s.get(HandoffSession, still.session_id) if still is not None else None
            if still is None or row is None or not self._party(s, row, caller):
                raise StillNotFoundError("still not found")
            return StillImage(mime=still.mime, data=bytes(still.data))

    @staticmethod
    def _party(s: Session, row: HandoffSession, caller: Caller) -> bool:
        if caller.user_id in (row.requester_id, row.expert_id):
            return True
        handled = s.scalars(
            select(func.count())
            .select_from(HandoffAssignment)
            .where(HandoffAssignment.session_id == row.id, HandoffAssignment.expert_id == caller.user_id)
        ).one()
        return bool(handled)
