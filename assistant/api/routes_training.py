"""REST routes of the micro-lessons (translation only; decisions in
:class:`assistant.training.lessons.LessonService`).

Every route is scoped by the verified caller (:data:`CallerDep`): whose attempt, whose
progress and which subtree come from the token, never from the request.  Errors are the
service's codes: ``lesson_not_found`` (404), ``invalid_lesson_filter`` (422: a role, topic,
product line or week the catalogue does not have), ``quiz_attempt_not_found`` (404, also
for another user's attempt), ``quiz_attempt_finished`` (409: answers count once; a replay
is refused), ``quiz_attempt_expired`` (410: too old, or the quiz changed since),
``invalid_quiz_answers`` (422: not one position per question within its options),
``forbidden`` (403: the team roll-up is for managers and admins), ``partner_not_found``
(404: a node outside the caller's subtree, exactly like a missing one),
``training_data_invalid`` (503: the lesson data files are broken); a malformed query or
body is ``validation_error`` (422).

Example::

    GET  /api/training/lessons?role=sales&product_line=EG&week=1
    -> 200 {"lessons": [{"id": "L-001", "title": "...", "duration_minutes": 10, ...}], "filters": {...}}
    POST /api/training/lessons/L-001/quiz
    -> 201 {"attempt_id": "QA-3f2a...", "questions": [{"index": 0, "text": "...", "options": [...]}], ...}
    POST /api/training/quiz/QA-3f2a... {"answers": [2, 0, 1]}
    -> 200 {"correct": 3, "total": 3, "passed": true, "newly_completed": true, "progress": {...}}
    GET  /api/training/progress/team?node=A-HZ      (managers and admins)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError
from assistant.dialogue.types import Caller
from assistant.settings import PROJECT_ROOT
from assistant.training.lessons import (
    Completion,
    LessonCard,
    LessonService,
    ModeTotals,
    NodeRollup,
    PersonProgress,
    Progress,
)
from assistant.training.lessons_model import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    LessonFilter,
    LessonLibrary,
    load_library,
    training_root,
)

router = APIRouter(tags=["training"])


def service(runtime: RuntimeDep) -> LessonService:
    """A lesson service over the database, the lesson data and the current channel tree
    (cheap: the data files are read again only when they change)."""
    if runtime.db is None:
        raise NotReadyError("database not started")
    library = load_library(training_root(runtime.settings.corpus_dir, PROJECT_ROOT / "corpus"))
    return LessonService(db=runtime.db, library=library, rebates=runtime.current_rebates())


LessonId = Annotated[str, Path(max_length=64)]
AttemptId = Annotated[str, Path(max_length=64)]
Word = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}$")]


# --------------------------------------------------------------------------- payloads


class LessonQuery(BaseModel):
    """The catalogue's filters (query parameters; any other parameter is refused)."""

    model_config = ConfigDict(extra="forbid")

    role: Word | None = None  # sales | manager | engineer
    product_line: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")] | None = None
    mode: Literal["practice", "mentoring", "theory"] | None = None
    topic: Word | None = None
    week: Annotated[int, Field(ge=1, le=52)] | None = None


class AnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # One position per question, in the order this attempt showed its options.
    answers: Annotated[
        list[Annotated[int, Field(strict=True, ge=0, le=MAX_OPTIONS - 1)]],
        Field(min_length=1, max_length=MAX_QUESTIONS),
    ]


# --------------------------------------------------------------------------- responses


class OptionOut(BaseModel):
    id: str
    label: str


class FiltersOut(BaseModel):
    roles: list[OptionOut]
    product_lines: list[OptionOut]
    modes: list[OptionOut]
    topics: list[OptionOut]
    weeks: list[int]


class CompletionOut(BaseModel):
    lesson_id: str
    title: str
    mode: str
    minutes: int
    correct: int
    total: int
    completed_at: datetime


class LessonCardOut(BaseModel):
    id: str
    title: str
    mode: str  # practice | mentoring | theory
    mode_label: str
    duration_minutes: int
    product_line: str | None
    product_line_label: str | None
    roles: list[str]
    role_labels: list[str]
    topic: str
    topic_label: str
    week: int
    questions: int
    completed: bool


class CatalogueOut(BaseModel):
    lessons: list[LessonCardOut]
    total: int  # lessons in the whole catalogue
    filters: FiltersOut


class LessonOut(LessonCardOut):
    objectives: list[str]
    content: str
    exercises: list[str]
    pass_percent: int
    completion: CompletionOut | None


class QuestionOut(BaseModel):
    index: int
    text: str
    options: list[str]  # in this attempt's order: answer with positions in it


class AttemptOut(BaseModel):
    attempt_id: str
    lesson_id: str
    questions: list[QuestionOut]
    started_at: datetime
    expires_at: datetime
    pass_percent: int


class ModeOut(BaseModel):
    mode: str
    label: str
    completed: int
    minutes: int
    lessons: int  # lessons of this mode in the catalogue


class ProgressOut(BaseModel):
    completed: int
    lessons_total: int
    minutes: int
    by_mode: list[ModeOut]
    lessons: list[CompletionOut]  # newest first


class QuestionResultOut(BaseModel):
    index: int
    correct: bool
    answer: int | None  # the right option's position, once passed


class ResultOut(BaseModel):
    attempt_id: str
    lesson_id: str
    correct: int
    total: int
    passed: bool
    pass_percent: int
    results: list[QuestionResultOut]
    newly_completed: bool
    completion: CompletionOut | None
    progress: ProgressOut


class PersonOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: str
    completed: int
    minutes: int
    by_mode: list[ModeOut]


class TeamNodeOut(BaseModel):
    node_id: str
    name: str
    level: str  # national | regional | alliance | partner
    active: bool
    people: int
    completed: int
    minutes: int
    by_mode: list[ModeOut]
    members: list[PersonOut]
    children: list[TeamNodeOut]


class TeamOut(BaseModel):
    lessons_total: int
    tree: TeamNodeOut


# --------------------------------------------------------------------------- translation


def _options(labels: dict[str, str]) -> list[OptionOut]:
    return [OptionOut(id=k, label=v) for k, v in labels.items()]


def filters_out(library: LessonLibrary, language: str) -> FiltersOut:
    return FiltersOut(
        roles=_options({k: v.text(language) for k, v in library.roles.items()}),
        product_lines=_options({k: v.text(language) for k, v in library.product_lines.items()}),
        modes=_options({k: v.text(language) for k, v in library.modes.items()}),
        topics=_options({k: v.text(language) for k, v in library.topics.items()}),
        weeks=list(range(1, library.weeks + 1)),
    )


def card_fields(card: LessonCard, library: LessonLibrary, language: str) -> dict[str, object]:
    lesson = card.lesson
    line = library.product_lines.get(lesson.product_line) if lesson.product_line else None
    return {
        "id": lesson.id,
        "title": lesson.title,
        "mode": lesson.mode.value,
        "mode_label": library.modes[lesson.mode.value].text(language),
        "duration_minutes": lesson.duration_minutes,
        "product_line": lesson.product_line or None,
        "product_line_label": line.text(language) if line is not None else None,
        "roles": list(lesson.roles),
        "role_labels": [library.roles[r].text(language) for r in lesson.roles],
        "topic": lesson.topic,
        "topic_label": library.topics[lesson.topic].text(language),
        "week": lesson.week,
        "questions": len(lesson.quiz.questions),
        "completed": card.completed,
    }


def completion_out(c: Completion) -> CompletionOut:
    return CompletionOut(
        lesson_id=c.lesson_id,
        title=c.title,
        mode=c.mode.value,
        minutes=c.minutes,
        correct=c.correct,
        total=c.total,
        completed_at=c.completed_at,
    )


def modes_out(by_mode: tuple[ModeTotals, ...], library: LessonLibrary, language: str) -> list[ModeOut]:
    return [
        ModeOut(
            mode=t.mode.value,
            label=library.modes[t.mode.value].text(language),
            completed=t.completed,
            minutes=t.minutes,
            lessons=t.lessons,
        )
        for t in by_mode
    ]


def progress_out(p: Progress, library: LessonLibrary, language: str) -> ProgressOut:
    return ProgressOut(
        completed=p.completed,
        lessons_total=p.lessons_total,
        minutes=p.minutes,
        by_mode=modes_out(p.by_mode, library, language),
        lessons=[completion_out(c) for c in p.completions],
    )


def person_out(p: PersonProgress, library: LessonLibrary, language: str) -> PersonOut:
    return PersonOut(
        user_id=p.user_id,
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        completed=p.completed,
        minutes=p.minutes,
        by_mode=modes_out(p.by_mode, library, language),
    )


def node_out(n: NodeRollup, library: LessonLibrary, language: str) -> TeamNodeOut:
    return TeamNodeOut(
        node_id=n.node_id,
        name=n.name,
        level=n.level,
        active=n.active,
        people=n.people,
        completed=n.completed,
        minutes=n.minutes,
        by_mode=modes_out(n.by_mode, library, language),
        members=[person_out(m, library, language) for m in n.members],
        children=[node_out(c, library, language) for c in n.children],
    )


def _language(caller: Caller) -> str:
    return caller.language


# --------------------------------------------------------------------------- routes


@router.get("/api/training/lessons", response_model=CatalogueOut)
def list_lessons(caller: CallerDep, runtime: RuntimeDep, q: Annotated[LessonQuery, Query()]) -> CatalogueOut:
    """The catalogue, narrowed by every filter given, each lesson marked when the caller
    completed it; ``filters`` lists what each filter may be."""
    lessons = service(runtime)
    cards = lessons.catalogue(
        caller, LessonFilter(role=q.role, product_line=q.product_line, mode=q.mode, topic=q.topic, week=q.week)
    )
    language = _language(caller)
    return CatalogueOut(
        lessons=[LessonCardOut.model_validate(card_fields(c, lessons.library, language)) for c in cards],
        total=len(lessons.library.lessons),
        filters=filters_out(lessons.library, language),
    )


@router.get("/api/training/lessons/{lesson_id}", response_model=LessonOut)
def get_lesson(lesson_id: LessonId, caller: CallerDep, runtime: RuntimeDep) -> LessonOut:
    """One lesson: its content, objectives, exercises and duration, the quiz's size and
    pass mark, and the caller's completion."""
    lessons = service(runtime)
    card = lessons.lesson(caller, lesson_id)
    lesson = card.lesson
    return LessonOut.model_validate(
        {
            **card_fields(card, lessons.library, _language(caller)),
            "objectives": list(lesson.objectives),
            "content": lesson.content,
            "exercises": list(lesson.exercises),
            "pass_percent": lessons.library.pass_percent,
            "completion": completion_out(card.completion) if card.completion is not None else None,
        }
    )


@router.post("/api/training/lessons/{lesson_id}/quiz", response_model=AttemptOut, status_code=201)
def start_quiz(lesson_id: LessonId, caller: CallerDep, runtime: RuntimeDep) -> AttemptOut:
    """A new attempt at the lesson's quiz for the caller: the questions with their options
    in an order drawn for this attempt (the right answers stay on the server)."""
    attempt = service(runtime).start_quiz(caller, lesson_id)
    return AttemptOut(
        attempt_id=attempt.id,
        lesson_id=attempt.lesson_id,
        questions=[QuestionOut(index=q.index, text=q.text, options=list(q.options)) for q in attempt.questions],
        started_at=attempt.started_at,
        expires_at=attempt.expires_at,
        pass_percent=attempt.pass_percent,
    )


@router.post("/api/training/quiz/{attempt_id}", response_model=ResultOut)
def submit_quiz(attempt_id: AttemptId, body: AnswersIn, caller: CallerDep, runtime: RuntimeDep) -> ResultOut:
    """Grade the caller's attempt (once); a pass completes the lesson, and the caller's
    progress after it comes back with the result."""
    lessons = service(runtime)
    result = lessons.submit(caller, attempt_id, body.answers)
    language = _language(caller)
    return ResultOut(
        attempt_id=result.attempt_id,
        lesson_id=result.lesson_id,
        correct=result.correct,
        total=result.total,
        passed=result.passed,
        pass_percent=result.pass_percent,
        results=[QuestionResultOut(index=r.index, correct=r.correct, answer=r.answer) for r in result.results],
        newly_completed=result.newly_completed,
        completion=completion_out(result.completion) if result.completion is not None else None,
        progress=progress_out(lessons.progress(caller), lessons.library, language),
    )


@router.get("/api/training/progress", response_model=ProgressOut)
def my_progress(caller: CallerDep, runtime: RuntimeDep) -> ProgressOut:
    """The caller's completed lessons (newest first), minutes, and split by mode."""
    lessons = service(runtime)
    return progress_out(lessons.progress(caller), lessons.library, _language(caller))


@router.get("/api/training/progress/team", response_model=TeamOut)
def team_progress(
    caller: CallerDep,
    runtime: RuntimeDep,
    node: Annotated[str | None, Query(max_length=32, description="a node below the caller's; default: its own")] = None,
) -> TeamOut:
    """Managers and admins: their node (or ``node`` below it) with each node's learners and
    everything below it summed; a node outside the subtree is ``partner_not_found``."""
    lessons = service(runtime)
    tree = lessons.team(caller, node)
    return TeamOut(lessons_total=len(lessons.library.lessons), tree=node_out(tree, lessons.library, _language(caller)))
