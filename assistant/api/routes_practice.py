"""REST routes of the practice sessions (translation only; decisions in
:class:`assistant.training.practice.PracticeService`).

Every route is scoped by the verified caller (:data:`CallerDep`): whose session, whose
history and which subtree come from the token, never from the request.  Errors are the
service's codes: ``practice_unknown_product``, ``practice_unknown_industry``,
``practice_unknown_persona``, ``practice_unknown_competitor`` (422: a value the corpus does
not have; the code names the field), ``practice_not_found`` (404, also for another user's
session), ``practice_turn_invalid`` (422: no such turn in this session),
``practice_turn_not_next`` (409: turns are answered in order), ``practice_turn_answered``
(409: another text for a turn already answered; the same text gets the stored result),
``practice_finished`` (409), ``practice_nothing_answered`` (409: finishing before the first
answer), ``practice_scenario_changed`` (410: the corpus changed since the session started),
``practice_data_invalid`` (503), ``forbidden`` (403: the team roll-up is for managers and
admins), ``partner_not_found`` (404: a node outside the caller's subtree, exactly like a
missing one); a malformed query or body is ``validation_error`` (422).  No answer text is
an error: empty, off-topic, abusive or over-long answers are scored, politely.

Example::

    POST /api/training/practice {"product_id": "EG-2100", "persona": "procurement"}
    -> 201 {"session": {"id": "PS-3f2a...", "turns": 5, ...}, "customer": {...}, "intro": "...",
            "next_turn": {"index": 1, "kind": "question", "text": "..."}, ...}
    POST /api/training/practice/PS-3f2a.../answers {"turn": 1, "text": "EG-2100 最多 2000 个点……"}
    -> 200 {"answer": {"overall": 1.0, "verdict": "pass", "dimensions": [...], "feedback": [...]},
            "next_turn": {...}, "finished": false, "summary": null, ...}
    GET  /api/training/practice                      (own history, per-dimension means)
    GET  /api/training/practice/team?node=A-HZ       (managers and admins)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError
from assistant.training.practice import (
    AnswerView,
    DimensionResult,
    PersonPractice,
    PracticeNode,
    PracticeRequest,
    PracticeService,
    PracticeSession,
    PracticeStats,
    PracticeView,
    ScoreAverage,
    TurnView,
)
from assistant.training.practice_kit import PracticeKit
from assistant.training.roleplay import Customer, SessionSummary
from assistant.training.roleplay_scenario import MAX_TURNS

router = APIRouter(tags=["training"])

# An answer longer than the chat's limit is cut there and scored (politely told so); one
# longer than this is refused before anything is scored (8x the default limit of 4000).
MAX_ANSWER_INPUT = 32_000


def service(runtime: RuntimeDep) -> PracticeService:
    """A practice service over the database, the role-play built once per process (the
    runtime's :class:`~assistant.training.practice_kit.PracticeKitLoader`) and the current
    channel tree."""
    if runtime.db is None:
        raise NotReadyError("database not started")
    return PracticeService(db=runtime.db, kit=runtime.practice.get, rebates=runtime.current_rebates())


SessionId = Annotated[str, Path(max_length=64)]
Value = Annotated[str, StringConstraints(max_length=64)]


# --------------------------------------------------------------------------- payloads


class StartIn(BaseModel):
    """What to practise: the product (required), and optionally the customer's industry, role
    (persona id from ``/options``) and the competitor he brings up."""

    model_config = ConfigDict(extra="forbid")

    product_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    industry: Value | None = None
    persona: Value | None = None
    competitor: Value | None = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn: Annotated[int, Field(strict=True, ge=1, le=MAX_TURNS)]  # the customer's turn answered (1-based)
    text: Annotated[str, Field(max_length=MAX_ANSWER_INPUT)]  # any text, "" too: it is scored


# --------------------------------------------------------------------------- responses


class ChoiceOut(BaseModel):
    id: str
    label: str


class ProductOut(BaseModel):
    id: str
    name: str
    line: str
    competitors: list[ChoiceOut]


class OptionsOut(BaseModel):
    products: list[ProductOut]
    industries: list[str]
    personas: list[ChoiceOut]
    dimensions: list[ChoiceOut]
    max_answer_chars: int  # answers are cut at this length (the chat's message limit)


class TurnOut(BaseModel):
    index: int
    kind: str  # question | price | competitor | delivery | integration
    text: str
    competitor: str


class CustomerOut(BaseModel):
    company: str
    industry: str
    scale: str
    region: str
    city: str
    persona: str
    persona_label: str
    title: str
    pain_points: list[str]


class DimensionOut(BaseModel):
    key: str  # coverage | values | objection | accuracy
    label: str
    score: float | None  # 0..1; null: did not apply
    evidence: list[str]


class AnswerOut(BaseModel):
    turn: int
    customer: str
    text: str
    chars: int
    cut: bool
    overall: float
    verdict: str  # pass | partial | fail
    verdict_label: str
    dimensions: list[DimensionOut]
    feedback: list[str]
    flags: list[str]
    answered_at: datetime


class MissedOut(BaseModel):
    turn: int
    label: str
    ideal: str
    citations: list[str]


class IssueOut(BaseModel):
    kind: str
    said: str
    detail: str
    source: str


class LessonPickOut(BaseModel):
    lesson_id: str
    title: str
    minutes: int
    reason: str


class SummaryOut(BaseModel):
    turns_scored: int
    overall: float
    verdict: str
    verdict_label: str
    dimensions: list[DimensionOut]
    weakest: str
    weakest_label: str
    missed: list[MissedOut]
    issues: list[IssueOut]
    lesson: LessonPickOut
    text: list[str]


class ScoresOut(BaseModel):
    overall: float
    verdict: str
    verdict_label: str
    dimensions: list[DimensionOut]
    weakest: str
    weakest_label: str
    lesson_id: str


class SessionCardOut(BaseModel):
    id: str
    product_id: str
    industry: str | None
    persona: str | None
    competitor: str | None
    status: str  # open | finished
    turns: int
    answered: int
    created_at: datetime
    finished_at: datetime | None
    scores: ScoresOut | None


class SessionOut(BaseModel):
    session: SessionCardOut
    customer: CustomerOut | None
    intro: str
    answers: list[AnswerOut]
    next_turn: TurnOut | None
    summary: SummaryOut | None
    stale: bool  # the corpus changed since: answers and stored scores only


class AnswerResultOut(BaseModel):
    answer: AnswerOut
    replayed: bool  # the same answer was sent before: its stored result
    next_turn: TurnOut | None
    finished: bool
    summary: SummaryOut | None
    session: SessionCardOut


class AverageOut(BaseModel):
    key: str
    label: str
    score: float | None
    sessions: int


class HistoryOut(BaseModel):
    sessions: list[SessionCardOut]  # newest first
    total: int
    finished: int
    overall: float | None
    dimensions: list[AverageOut]


class StatsOut(BaseModel):
    sessions: int  # finished
    answers: int
    overall: float | None
    dimensions: list[AverageOut]
    weakest: str | None
    last_at: datetime | None


class PersonOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: str
    stats: StatsOut


class TeamNodeOut(BaseModel):
    node_id: str
    name: str
    level: str  # national | regional | alliance | partner
    active: bool
    people: int
    stats: StatsOut
    members: list[PersonOut]
    children: list[TeamNodeOut]


class TeamOut(BaseModel):
    tree: TeamNodeOut


# --------------------------------------------------------------------------- translation


def options_out(kit: PracticeKit) -> OptionsOut:
    o = kit.options
    return OptionsOut(
        products=[
            ProductOut(
                id=p.id,
                name=p.name,
                line=p.line,
                competitors=[ChoiceOut(id=c.id, label=c.label) for c in p.competitors],
            )
            for p in o.products
        ],
        industries=list(o.industries),
        personas=[ChoiceOut(id=c.id, label=c.label) for c in o.personas],
        dimensions=[ChoiceOut(id=c.id, label=c.label) for c in o.dimensions],
        max_answer_chars=kit.max_chars,
    )


def turn_out(t: TurnView | None) -> TurnOut | None:
    return TurnOut(index=t.index, kind=t.kind, text=t.text, competitor=t.competitor) if t is not None else None


def customer_out(c: Customer | None, kit: PracticeKit) -> CustomerOut | None:
    if c is None:
        return None
    labels = {p.id: p.label for p in kit.options.personas}
    return CustomerOut(
        company=c.company,
        industry=c.industry,
        scale=c.scale.value,
        region=c.region,
        city=c.city,
        persona=c.persona.value,
        persona_label=labels.get(c.persona.value, c.persona.value),
        title=c.title,
        pain_points=list(c.pain_points),
    )


def dimension_out(d: DimensionResult) -> DimensionOut:
    return DimensionOut(key=d.key, label=d.label, score=d.score, evidence=list(d.evidence))


def answer_out(a: AnswerView) -> AnswerOut:
    return AnswerOut(
        turn=a.turn_index,
        customer=a.customer,
        text=a.text,
        chars=a.chars,
        cut=a.cut,
        overall=a.overall,
        verdict=a.verdict,
        verdict_label=a.verdict_label,
        dimensions=[dimension_out(d) for d in a.dimensions],
        feedback=list(a.feedback),
        flags=list(a.flags),
        answered_at=a.answered_at,
    )


def summary_out(s: SessionSummary | None, kit: PracticeKit) -> SummaryOut | None:
    if s is None:
        return None
    return SummaryOut(
        turns_scored=s.turns_scored,
        overall=s.overall,
        verdict=s.verdict,
        verdict_label=kit.verdict_label(s.verdict),
        dimensions=[
            DimensionOut(key=d.key, label=d.label, score=d.score, evidence=list(d.evidence)) for d in s.dimensions
        ],
        weakest=s.weakest,
        weakest_label=kit.dimension_label(s.weakest),
        missed=[
            MissedOut(turn=m.turn_index, label=m.label, ideal=m.ideal, citations=list(m.citations)) for m in s.missed
        ],
        issues=[IssueOut(kind=i.kind, said=i.said, detail=i.detail, source=i.source) for i in s.issues],
        lesson=LessonPickOut(
            lesson_id=s.lesson.lesson_id, title=s.lesson.title, minutes=s.lesson.minutes, reason=s.lesson.reason
        ),
        text=list(s.text),
    )


def session_out(p: PracticeSession) -> SessionCardOut:
    scores = None
    if p.scores is not None:
        sc = p.scores
        scores = ScoresOut(
            overall=sc.overall,
            verdict=sc.verdict,
            verdict_label=sc.verdict_label,
            dimensions=[dimension_out(d) for d in sc.dimensions],
            weakest=sc.weakest,
            weakest_label=sc.weakest_label,
            lesson_id=sc.lesson_id,
        )
    return SessionCardOut(
        id=p.id,
        product_id=p.product_id,
        industry=p.request.industry,
        persona=p.request.persona,
        competitor=p.request.competitor,
        status=p.status,
        turns=p.turns,
        answered=p.answered,
        created_at=p.created_at,
        finished_at=p.finished_at,
        scores=scores,
    )


def view_out(v: PracticeView, kit: PracticeKit) -> SessionOut:
    return SessionOut(
        session=session_out(v.session),
        customer=customer_out(v.customer, kit),
        intro=v.intro,
        answers=[answer_out(a) for a in v.answers],
        next_turn=turn_out(v.next_turn),
        summary=summary_out(v.summary, kit),
        stale=v.stale,
    )


def averages_out(items: tuple[ScoreAverage, ...]) -> list[AverageOut]:
    return [AverageOut(key=a.key, label=a.label, score=a.score, sessions=a.sessions) for a in items]


def stats_out(s: PracticeStats) -> StatsOut:
    return StatsOut(
        sessions=s.sessions,
        answers=s.answers,
        overall=s.overall,
        dimensions=averages_out(s.dimensions),
        weakest=s.weakest,
        last_at=s.last_at,
    )


def person_out(p: PersonPractice) -> PersonOut:
    return PersonOut(
        user_id=p.user_id, username=p.username, display_name=p.display_name, role=p.role, stats=stats_out(p.stats)
    )


def node_out(n: PracticeNode) -> TeamNodeOut:
    return TeamNodeOut(
        node_id=n.node_id,
        name=n.name,
        level=n.level,
        active=n.active,
        people=n.people,
        stats=stats_out(n.stats),
        members=[person_out(m) for m in n.members],
        children=[node_out(c) for c in n.children],
    )


# --------------------------------------------------------------------------- routes
# The fixed paths (/options, /team) come before /{session_id}.


@router.get("/api/training/practice/options", response_model=OptionsOut)
def practice_options(caller: CallerDep, runtime: RuntimeDep) -> OptionsOut:
    """What a practice may be asked for: products (with their competitors), industries,
    customer roles; and the rubric's dimensions."""
    return options_out(service(runtime).kit)


@router.post("/api/training/practice", response_model=SessionOut, status_code=201)
def start_practice(body: StartIn, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """A new practice for the caller: the customer the assistant plays and his first turn."""
    practice = service(runtime)
    view = practice.start(
        caller,
        PracticeRequest(
            product_id=body.product_id, industry=body.industry, persona=body.persona, competitor=body.competitor
        ),
    )
    return view_out(view, practice.kit)


@router.get("/api/training/practice", response_model=HistoryOut)
def practice_history(
    caller: CallerDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HistoryOut:
    """The caller's sessions, newest first, each with its scores per dimension once
    finished, and the means over all their finished sessions."""
    h = service(runtime).history(caller, limit=limit)
    return HistoryOut(
        sessions=[session_out(s) for s in h.sessions],
        total=h.total,
        finished=h.finished,
        overall=h.overall,
        dimensions=averages_out(h.dimensions),
    )


@router.get("/api/training/practice/team", response_model=TeamOut)
def practice_team(
    caller: CallerDep,
    runtime: RuntimeDep,
    node: Annotated[str | None, Query(max_length=32, description="a node below the caller's; default: its own")] = None,
) -> TeamOut:
    """Managers and admins: their node (or ``node`` below it) with each node's learners and
    everything below it summed; a node outside the subtree is ``partner_not_found``."""
    return TeamOut(tree=node_out(service(runtime).team(caller, node)))


@router.get("/api/training/practice/{session_id}", response_model=SessionOut)
def get_practice(session_id: SessionId, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """The caller's session: the customer, the answers so far with their scores, the next
    turn while it is open, the summary once finished."""
    practice = service(runtime)
    return view_out(practice.view(caller, session_id), practice.kit)


@router.post("/api/training/practice/{session_id}/answers", response_model=AnswerResultOut)
def answer_practice(session_id: SessionId, body: AnswerIn, caller: CallerDep, runtime: RuntimeDep) -> AnswerResultOut:
    """Score the answer to one turn and store it: the scores and feedback, then the next
    turn, or the summary when it was the last.  The same answer again gets the stored result."""
    practice = service(runtime)
    result = practice.answer(caller, session_id, body.turn, body.text)
    return AnswerResultOut(
        answer=answer_out(result.answer),
        replayed=result.replayed,
        next_turn=turn_out(result.next_turn),
        finished=result.session.finished,
        summary=summary_out(result.summary, practice.kit),
        session=session_out(result.session),
    )


@router.post("/api/training/practice/{session_id}/finish", response_model=SessionOut)
def finish_practice(session_id: SessionId, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
    """End the caller's session before its last turn, with the summary of what was answered."""
    practice = service(runtime)
    return view_out(practice.finish(caller, session_id), practice.kit)
