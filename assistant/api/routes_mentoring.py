"""REST routes of channel mentoring (translation only; decisions in
:class:`assistant.training.mentoring.MentoringService`).

Every route is scoped by the verified caller (:data:`CallerDep`): who signs up, who hosts,
who confirms and which sessions are visible come from the token, never from the request.
Errors are the service's codes: ``mentoring_session_not_found`` (404, also for a session
outside the caller's line of the channel tree), ``mentoring_session_full`` (409),
``mentoring_session_started`` (409: sign-up and cancellation close at the start),
``mentoring_session_not_started`` (409: notes and attendance come after it),
``mentoring_host_signup`` (409), ``mentoring_not_mentor`` (403: only confirmed mentors and
admins create sessions), ``mentoring_host_not_mentor`` (422), ``mentoring_mentor_not_found``
(404), ``mentoring_not_candidate`` (409), ``mentoring_invalid_session`` and
``mentoring_invalid_record`` (422: outside the rules' bounds; ``field`` names the input),
``mentoring_not_signed_up`` (422), ``forbidden`` (403: admins decide on mentors; the host
or an admin records a session), ``mentoring_data_invalid`` (503); a malformed query or
body is ``validation_error`` (422).

Example::

    GET  /api/training/mentoring/sessions?when=upcoming&limit=20
    -> 200 {"sessions": [{"id": "MS-3f2a...", "topic": "...", "seats_left": 12, "mine": false, ...}], "total": 1, ...}
    POST /api/training/mentoring/sessions/MS-3f2a.../signup
    -> 200 {"id": "MS-3f2a...", "seats_left": 11, "mine": true, ...}
    POST /api/training/mentoring/sessions  {"topic": "...", "starts_at": "2026-12-20T06:00:00Z",
                                            "duration_minutes": 60, "capacity": 30}
    -> 201 {...}   (confirmed mentors and admins)
    POST /api/training/mentoring/mentors/u-hz_boss1/confirm      (admins)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.training.mentoring import (
    MAX_ATTENDANCE,
    MAX_CAPACITY,
    MAX_DURATION,
    MAX_OFFSET,
    MAX_PAGE,
    MentoringService,
)
from assistant.training.mentoring_tables import MAX_NOTES, MAX_RECORDING_URL, MAX_TOPIC

router = APIRouter(tags=["training"])
PREFIX = "/api/training/mentoring"


def service(runtime: RuntimeDep) -> MentoringService:
    """The runtime's mentoring service (``Runtime.mentoring_service``, shared with the chat)."""
    return runtime.mentoring_service()


SessionId = Annotated[str, Path(max_length=64)]
UserId = Annotated[str, Path(max_length=64)]
Text1 = Annotated[str, StringConstraints(max_length=64)]


# --------------------------------------------------------------------------- payloads


class SessionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: Literal["upcoming", "past"] = "upcoming"
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] | None = None


class SessionIn(BaseModel):
    """A new session; the bounds here are the hard limits, the rules file's are checked by
    the service (``mentoring_invalid_session``)."""

    model_config = ConfigDict(extra="forbid")

    topic: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOPIC)]
    starts_at: datetime
    duration_minutes: Annotated[int, Field(strict=True, ge=1, le=MAX_DURATION)]
    capacity: Annotated[int, Field(strict=True, ge=1, le=MAX_CAPACITY)]
    product_line: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")] | None = None
    host_user_id: Text1 | None = None  # admins: the confirmed mentor who hosts


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: Annotated[str, StringConstraints(max_length=MAX_NOTES)] | None = None
    recording_url: Annotated[str, StringConstraints(max_length=MAX_RECORDING_URL)] | None = None


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attended: Annotated[list[Text1], Field(max_length=MAX_ATTENDANCE)]  # user ids of signed-up people


# --------------------------------------------------------------------------- responses


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SignUpOut(Out):
    user_id: str
    display_name: str
    attended: bool


class SessionOut(Out):
    id: str
    topic: str
    product_line: str | None
    starts_at: datetime
    duration_minutes: int
    capacity: int
    signed_up: int
    seats_left: int
    host_user_id: str
    host_name: str
    host_partner_name: str
    started: bool
    mine: bool
    attended: bool
    can_manage: bool
    notes: str | None
    recording_url: str | None
    recorded_at: datetime | None
    signups: list[SignUpOut]  # the host's and admins' view only


class SessionPageOut(Out):
    sessions: list[SessionOut]
    total: int
    offset: int
    limit: int


class CandidateOut(Out):
    user_id: str
    username: str
    display_name: str
    role: str
    partner_id: str
    partner_name: str
    rank: int
    confirmed: bool
    decided_at: datetime | None


class CandidatesOut(BaseModel):
    top_partners: int
    candidates: list[CandidateOut]


class MentorOut(Out):
    user_id: str
    username: str
    display_name: str
    role: str
    partner_id: str
    partner_name: str
    confirmed: bool
    decided_at: datetime


class MentorsOut(BaseModel):
    mentors: list[MentorOut]


class AttendanceOut(Out):
    sessions: int
    minutes: int


class MeOut(Out):
    attendance: AttendanceOut
    upcoming_signups: int
    is_mentor: bool
    is_admin: bool


class RulesOut(BaseModel):
    topic_min: int
    topic_max: int
    duration_min: int
    duration_max: int
    capacity_min: int
    capacity_max: int
    days_ahead: int
    notes_chars: int
    recording_url_chars: int
    product_lines: list[str]


class MeWithRulesOut(MeOut):
    rules: RulesOut


# --------------------------------------------------------------------------- routes


@router.get(f"{PREFIX}/me", response_model=MeWithRulesOut)
def my_mentoring(caller: CallerDep, runtime: RuntimeDep) -> MeWithRulesOut:
    """The caller's attended sessions and minutes, upcoming sign-ups, whether they host
    (confirmed mentor) or administer, and the bounds of a new session."""
    mentoring = service(runtime)
    me = MeOut.model_validate(mentoring.me(caller), from_attributes=True)
    r = mentoring.rules
    rules = RulesOut(
        topic_min=r.topic_min,
        topic_max=r.topic_max,
        duration_min=r.duration_min,
        duration_max=r.duration_max,
        capacity_min=r.capacity_min,
        capacity_max=r.capacity_max,
        days_ahead=r.days_ahead,
        notes_chars=r.notes_chars,
        recording_url_chars=r.recording_url_chars,
        product_lines=sorted(mentoring.product_lines),
    )
    return MeWithRulesOut(**me.model_dump(), rules=rules)


@router.get(f"{PREFIX}/mentors", response_model=MentorsOut)
def list_mentors(caller: CallerDep, runtime: RuntimeDep) -> MentorsOut:
    """Confirmed mentors on the caller's line of the channel tree (admins: every record)."""
    mentors = service(runtime).mentors(caller)
    return MentorsOut(mentors=[MentorOut.model_validate(m) for m in mentors])


@router.get(f"{PREFIX}/mentors/candidates", response_model=CandidatesOut)
def list_candidates(caller: CallerDep, runtime: RuntimeDep) -> CandidatesOut:
    """Admins: the staff of the top-ranked partners, best rank first, with any decision."""
    mentoring = service(runtime)
    found = mentoring.candidates(caller)
    return CandidatesOut(
        top_partners=mentoring.rules.top_partners, candidates=[CandidateOut.model_validate(c) for c in found]
    )


@router.post(f"{PREFIX}/mentors/{{user_id}}/confirm", response_model=MentorOut)
def confirm_mentor(user_id: UserId, caller: CallerDep, runtime: RuntimeDep) -> MentorOut:
    """Admins: confirm a candidate as mentor (idempotent)."""
    return MentorOut.model_validate(service(runtime).confirm(caller, user_id))


@router.post(f"{PREFIX}/mentors/{{user_id}}/withdraw", response_model=MentorOut)
def withdraw_mentor(user_id: UserId, caller: CallerDep, runtime: RuntimeDep) -> MentorOut:
    """Admins: withdraw a mentor (idempotent; their sessions stay)."""
    return MentorOut.model_validate(service(runtime).withdraw(caller, user_id))


@router.get(f"{PREFIX}/sessions", response_model=SessionPageOut)
def list_sessions(caller: CallerDep, runtime: RuntimeDep, q: Annotated[SessionQuery, Query()]) -> SessionPageOut:
    """The sessions the caller may see: upcoming (soonest first) or past (latest first), paged."""
    page = service(runtime).sessions(caller, when=q.when, offset=q.offset, limit=q.limit)
    return SessionPageOut.model_validate(page)


@router.post(f"{PREFIX}/sessions", response_model=SessionOut, status_code=201)
def create_session(body: SessionIn, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """A new session hosted by the caller (a confirmed mentor), or by ``host_user_id`` for an admin."""
    view = service(runtime).create(
        caller,
        topic=body.topic,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        capacity=body.capacity,
        product_line=body.product_line,
        host_user_id=body.host_user_id,
    )
    return SessionOut.model_validate(view)


@router.get(f"{PREFIX}/sessions/{{session_id}}", response_model=SessionOut)
def get_session(session_id: SessionId, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    return SessionOut.model_validate(service(runtime).get(caller, session_id))


@router.post(f"{PREFIX}/sessions/{{session_id}}/signup", response_model=SessionOut)
def sign_up(session_id: SessionId, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """Take a seat (idempotent) until the session starts."""
    return SessionOut.model_validate(service(runtime).sign_up(caller, session_id))


@router.post(f"{PREFIX}/sessions/{{session_id}}/cancel", response_model=SessionOut)
def cancel_sign_up(session_id: SessionId, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """Give the seat back (idempotent) until the session starts."""
    return SessionOut.model_validate(service(runtime).cancel(caller, session_id))


@router.post(f"{PREFIX}/sessions/{{session_id}}/record", response_model=SessionOut)
def record_session(session_id: SessionId, body: RecordIn, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """The host or an admin, once it started: notes and/or a recording link (http/https)."""
    view = service(runtime).record(caller, session_id, notes=body.notes, recording_url=body.recording_url)
    return SessionOut.model_validate(view)


@router.post(f"{PREFIX}/sessions/{{session_id}}/attendance", response_model=SessionOut)
def mark_attendance(session_id: SessionId, body: AttendanceIn, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """The host or an admin, once it started: who of the signed-up attended (replaces the last list)."""
    return SessionOut.model_validate(service(runtime).mark_attendance(caller, session_id, body.attended))
