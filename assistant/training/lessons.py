"""The micro-lesson service (issue 15, item 3; the 10% of 70/20/10): a catalogue filtered
by role, product line, mode, topic and week; a lesson with a short quiz at the end; the
lesson completed when its quiz is passed; progress per person, and a manager's roll-up
over the channel tree.  Used by REST (assistant/api/routes_training.py); no HTTP here.

Quizzes are graded on the server only.  Starting one issues an *attempt* to the verified
caller: a random id, and for each question the options in an order drawn for that attempt
(stored, never the file's order).  The answers submitted are positions in that order, so a
stored answer means nothing for another attempt or another user.  An attempt is graded
once: its row is marked submitted in the same transaction as the grade (a conditional
update, so two submissions racing cannot both count); a replay is refused
(``quiz_attempt_finished``), another user's attempt id is answered like a missing one
(``quiz_attempt_not_found``), an attempt past ``attempt_minutes`` or of a quiz that changed
since is ``quiz_attempt_expired``.  A pass records the completion once per user and lesson
(idempotent: a later pass keeps the first).

Access for the roll-up is the rebates' rule (:meth:`RebateService.can_read`): managers and
admins read their own node and everything below it in today's channel tree; a node outside
it is answered exactly like one that does not exist (``partner_not_found``); salespeople
get ``forbidden``.  Learners are placed by their partner of today (``users.partner_id``).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.content.schema import LessonMode
from assistant.rebates.network import ChannelNetwork
from assistant.rebates.service import Actor, RebateService
from assistant.storage.db import Database
from assistant.storage.models import User, utcnow
from assistant.training.lessons_errors import (
    InvalidQuizAnswersError,
    QuizAttemptExpiredError,
    QuizAttemptFinishedError,
    QuizAttemptNotFoundError,
    TrainingForbiddenError,
)
from assistant.training.lessons_model import (
    MODE_ORDER,
    Lesson,
    LessonFilter,
    LessonLibrary,
    answer_position,
    grade,
    passes,
    valid_order,
)
from assistant.training.lessons_tables import LessonCompletionRow, QuizAttemptRow
from assistant.training.team import Learner, find_node, learners, team_scope, walk_nodes

log = logging.getLogger(__name__)

ATTEMPT_ID = re.compile(r"^QA-[0-9a-f]{32}$")

Shuffle = Callable[[list[int]], None]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Completion:
    lesson_id: str
    title: str  # the lesson's title today (its id if the lesson is gone)
    mode: LessonMode
    minutes: int
    correct: int
    total: int
    completed_at: datetime


@dataclass(frozen=True, slots=True)
class LessonCard:
    """A lesson of the catalogue as one learner sees it."""

    lesson: Lesson
    completion: Completion | None

    @property
    def completed(self) -> bool:
        return self.completion is not None


@dataclass(frozen=True, slots=True)
class QuestionView:
    index: int
    text: str
    options: tuple[str, ...]  # in this attempt's order; an answer is a position in it


@dataclass(frozen=True, slots=True)
class QuizAttempt:
    id: str
    lesson_id: str
    questions: tuple[QuestionView, ...]
    started_at: datetime
    expires_at: datetime
    pass_percent: int


@dataclass(frozen=True, slots=True)
class QuestionResult:
    index: int
    correct: bool
    answer: int | None  # position of the right option; shown once the quiz is passed


@dataclass(frozen=True, slots=True)
class QuizResult:
    attempt_id: str
    lesson_id: str
    correct: int
    total: int
    passed: bool
    pass_percent: int
    results: tuple[QuestionResult, ...]
    completion: Completion | None  # the lesson's completion (this pass's or an earlier one)
    newly_completed: bool


@dataclass(frozen=True, slots=True)
class ModeTotals:
    mode: LessonMode
    completed: int
    minutes: int
    lessons: int  # lessons of that mode in the catalogue


@dataclass(frozen=True, slots=True)
class Progress:
    """One learner's completed lessons (newest first), minutes and split by mode."""

    completions: tuple[Completion, ...]
    lessons_total: int
    by_mode: tuple[ModeTotals, ...]

    @property
    def completed(self) -> int:
        return len(self.completions)

    @property
    def minutes(self) -> int:
        return sum(c.minutes for c in self.completions)


@dataclass(frozen=True, slots=True)
class PersonProgress:
    user_id: str
    username: str
    display_name: str
    role: str
    completed: int
    minutes: int
    by_mode: tuple[ModeTotals, ...]


@dataclass(frozen=True, slots=True)
class NodeRollup:
    """A channel node with its own learners (``members``) and everything below it summed:
    ``people`` learners, ``completed`` lessons and ``minutes`` in all, split by mode."""

    node_id: str
    name: str
    level: str
    active: bool
    people: int
    completed: int
    minutes: int
    by_mode: tuple[ModeTotals, ...]
    members: tuple[PersonProgress, ...]
    children: tuple[NodeRollup, ...]

    def find(self, node_id: str) -> NodeRollup | None:
        return find_node(self, node_id)

    def walk(self) -> tuple[NodeRollup, ...]:
        return walk_nodes(self)


def _totals(
    counts: Mapping[LessonMode, tuple[int, int]], catalogue: Mapping[LessonMode, int]
) -> tuple[ModeTotals, ...]:
    return tuple(
        ModeTotals(
            mode=mode,
            completed=counts.get(mode, (0, 0))[0],
            minutes=counts.get(mode, (0, 0))[1],
            lessons=catalogue.get(mode, 0),
        )
        for mode in MODE_ORDER
    )


# --------------------------------------------------------------------------- service


class LessonService:
    """Cheap to build: the database is the source of truth, the library is the data files
    as loaded (:func:`~assistant.training.lessons_model.load_library`), and the channel
    tree is the rebate service's current snapshot (only the roll-up needs it)."""

    def __init__(
        self,
        *,
        db: Database,
        library: LessonLibrary,
        rebates: RebateService | None = None,
        now: Callable[[], datetime] = utcnow,
        shuffle: Shuffle | None = None,
    ) -> None:
        self.db = db
        self.library = library
        self.rebates = rebates
        self._now = now
        self._shuffle: Shuffle = shuffle or secrets.SystemRandom().shuffle

    # ----------------------------------------------------------------- catalogue

    def catalogue(self, caller: Actor, f: LessonFilter | None = None) -> tuple[LessonCard, ...]:
        """The lessons matching ``f`` (``invalid_lesson_filter`` for values the catalogue
        does not have), each with the caller's completion, in catalogue order."""
        lessons = self.library.select(f or LessonFilter())
        done = self._completions(caller.user_id)
        return tuple(LessonCard(lesson=lesson, completion=done.get(lesson.id)) for lesson in lessons)

    def lesson(self, caller: Actor, lesson_id: str) -> LessonCard:
        lesson = self.library.lesson(lesson_id)
        return LessonCard(lesson=lesson, completion=self._completions(caller.user_id).get(lesson.id))

    def _completions(self, user_id: str) -> dict[str, Completion]:
        with self.db.read() as s:
            rows = s.scalars(
                select(LessonCompletionRow)
                .where(LessonCompletionRow.user_id == user_id)
                .order_by(LessonCompletionRow.completed_at.desc(), LessonCompletionRow.id.desc())
            )
            return {row.lesson_id: self._completion(row) for row in rows}

    def _completion(self, row: LessonCompletionRow) -> Completion:
        lesson = self.library.lessons.get(row.lesson_id)
        return Completion(
            lesson_id=row.lesson_id,
            title=lesson.title if lesson is not None else row.lesson_id,
            mode=LessonMode(row.mode),
            minutes=row.minutes,
            correct=row.correct,
            total=row.total,
            completed_at=row.completed_at,
        )

    # ----------------------------------------------------------------- quiz

    def start_quiz(self, caller: Actor, lesson_id: str) -> QuizAttempt:
        """A new attempt at the lesson's quiz for the caller, its options in an order of its own."""
        lesson = self.library.lesson(lesson_id)
        order: list[list[int]] = []
        for question in lesson.quiz.questions:
            shown = list(range(len(question.options)))
            self._shuffle(shown)
            order.append(shown)
        now = self._now()
        row = QuizAttemptRow(
            id=f"QA-{secrets.token_hex(16)}",
            user_id=caller.user_id,
            lesson_id=lesson.id,
            quiz_hash=lesson.quiz.digest,
            option_order=order,
            started_at=now,
            expires_at=now + timedelta(minutes=self.library.attempt_minutes),
            total=len(lesson.quiz.questions),
        )
        with self.db.write() as s:
            s.add(row)
        log.info("quiz attempt started lesson=%s attempt=%s user=%s", lesson.id, row.id, caller.user_id)
        return QuizAttempt(
            id=row.id,
            lesson_id=lesson.id,
            questions=tuple(
                QuestionView(index=i, text=q.text, options=tuple(q.options[k] for k in order[i]))
                for i, q in enumerate(lesson.quiz.questions)
            ),
            started_at=row.started_at,
            expires_at=row.expires_at,
            pass_percent=self.library.pass_percent,
        )

    def submit(self, caller: Actor, attempt_id: str, answers: Sequence[int]) -> QuizResult:
        """Grade the caller's open attempt; a pass completes the lesson (once per person)."""
        if not isinstance(attempt_id, str) or not ATTEMPT_ID.match(attempt_id):
            raise QuizAttemptNotFoundError(f"no attempt {attempt_id!r}")
        if not isinstance(answers, Sequence) or isinstance(answers, str | bytes):
            raise InvalidQuizAnswersError("answers must be a list of option positions", field="answers")
        answers = list(answers)
        if any(isinstance(a, bool) or not isinstance(a, int) for a in answers):
            raise InvalidQuizAnswersError("answers must be whole numbers", field="answers")
        try:
            result = self._submit(caller, attempt_id, answers)
        except IntegrityError:
            # Another attempt of the same person passed the same lesson a moment ago: this
            # transaction was rolled back whole, so grade it again against what is stored.
            result = self._submit(caller, attempt_id, answers)
        log.info(
            "quiz attempt graded attempt=%s lesson=%s user=%s correct=%d/%d passed=%s new=%s",
            attempt_id,
            result.lesson_id,
            caller.user_id,
            result.correct,
            result.total,
            result.passed,
            result.newly_completed,
        )
        return result

    def _submit(self, caller: Actor, attempt_id: str, answers: list[int]) -> QuizResult:
        now = self._now()
        with self.db.write() as s:
            row = s.scalars(select(QuizAttemptRow).where(QuizAttemptRow.id == attempt_id).with_for_update()).first()
            if row is None or row.user_id != caller.user_id:
                raise QuizAttemptNotFoundError(f"no attempt {attempt_id!r} of {caller.user_id}")
            if row.submitted_at is not None:
                raise QuizAttemptFinishedError(f"attempt {attempt_id} was submitted at {row.submitted_at}")
            lesson = self.library.lessons.get(row.lesson_id)
            if (
                lesson is None
                or row.quiz_hash != lesson.quiz.digest
                or not valid_order(lesson.quiz, row.option_order)
                or now > row.expires_at
            ):
                raise QuizAttemptExpiredError(f"attempt {attempt_id} expired or its quiz changed")
            quiz, order = lesson.quiz, row.option_order
            if len(answers) != len(quiz.questions) or any(not 0 <= a < len(order[i]) for i, a in enumerate(answers)):
                raise InvalidQuizAnswersError(
                    f"{len(quiz.questions)} answers required, each a position within its options", field="answers"
                )
            right = grade(quiz, order, answers)
            correct = sum(right)
            passed = passes(correct, len(right), self.library.pass_percent)
            marked = s.execute(
                update(QuizAttemptRow)
                .where(QuizAttemptRow.id == attempt_id, QuizAttemptRow.submitted_at.is_(None))
                .values(submitted_at=now, answers=answers, correct=correct, passed=passed)
                .execution_options(synchronize_session=False)
            )
            if getattr(marked, "rowcount", 1) != 1:
                raise QuizAttemptFinishedError(f"attempt {attempt_id} was submitted meanwhile")
            completion, new = self._complete(
                s,
                caller=caller,
                lesson=lesson,
                attempt_id=attempt_id,
                correct=correct,
                total=len(right),
                now=now,
                passed=passed,
            )
        return QuizResult(
            attempt_id=attempt_id,
            lesson_id=lesson.id,
            correct=correct,
            total=len(right),
            passed=passed,
            pass_percent=self.library.pass_percent,
            results=tuple(
                QuestionResult(index=i, correct=ok, answer=answer_position(quiz, order, i) if passed else None)
                for i, ok in enumerate(right)
            ),
            completion=completion,
            newly_completed=new,
        )

    def _complete(
        self,
        s: Session,
        *,
        caller: Actor,
        lesson: Lesson,
        attempt_id: str,
        correct: int,
        total: int,
        now: datetime,
        passed: bool,
    ) -> tuple[Completion | None, bool]:
        """The caller's completion of ``lesson``: the one stored, else this pass's (new)."""
        earlier = s.scalars(
            select(LessonCompletionRow).where(
                LessonCompletionRow.user_id == caller.user_id, LessonCompletionRow.lesson_id == lesson.id
            )
        ).first()
        if earlier is not None or not passed:
            return (self._completion(earlier) if earlier is not None else None), False
        row = LessonCompletionRow(
            user_id=caller.user_id,
            lesson_id=lesson.id,
            attempt_id=attempt_id,
            mode=lesson.mode.value,
            minutes=lesson.duration_minutes,
            correct=correct,
            total=total,
            completed_at=now,
        )
        s.add(row)
        s.flush()
        return self._completion(row), True

    # ----------------------------------------------------------------- progress

    def progress(self, caller: Actor) -> Progress:
        """The caller's own completed lessons, minutes and split by mode."""
        completions = tuple(self._completions(caller.user_id).values())
        counts: dict[LessonMode, tuple[int, int]] = {}
        for c in completions:
            done, minutes = counts.get(c.mode, (0, 0))
            counts[c.mode] = (done + 1, minutes + c.minutes)
        return Progress(
            completions=completions,
            lessons_total=len(self.library.lessons),
            by_mode=_totals(counts, self.library.count_by_mode()),
        )

    def team(self, caller: Actor, node_id: str | None = None) -> NodeRollup:
        """The roll-up of the caller's node (or of ``node_id`` below it): each node with its
        learners and everything below it summed.  Managers and admins only."""
        scope = team_scope(self.rebates, caller, node_id, forbidden=TrainingForbiddenError)
        ids = list(scope.node_ids)
        counts: dict[str, dict[LessonMode, tuple[int, int]]] = {}
        with self.db.read() as s:
            people = learners(s, ids)
            sums = s.execute(
                select(
                    LessonCompletionRow.user_id,
                    LessonCompletionRow.mode,
                    func.count(LessonCompletionRow.id),
                    func.sum(LessonCompletionRow.minutes),
                )
                .join(User, User.id == LessonCompletionRow.user_id)
                .where(User.partner_id.in_(ids))
                .group_by(LessonCompletionRow.user_id, LessonCompletionRow.mode)
            )
            for user_id, mode, done, minutes in sums:
                counts.setdefault(user_id, {})[LessonMode(mode)] = (int(done), int(minutes or 0))
        return self._rollup(scope.network, scope.root, people, counts, self.library.count_by_mode())

    def _rollup(
        self,
        network: ChannelNetwork,
        node_id: str,
        people: Mapping[str, Sequence[Learner]],
        counts: Mapping[str, Mapping[LessonMode, tuple[int, int]]],
        catalogue: Mapping[LessonMode, int],
    ) -> NodeRollup:
        node = network.get(node_id)
        children = tuple(self._rollup(network, c.id, people, counts, catalogue) for c in network.children(node_id))
        members = tuple(
            PersonProgress(
                user_id=p.user_id,
                username=p.username,
                display_name=p.display_name,
                role=p.role,
                completed=sum(done for done, _ in counts.get(p.user_id, {}).values()),
                minutes=sum(minutes for _, minutes in counts.get(p.user_id, {}).values()),
                by_mode=_totals(counts.get(p.user_id, {}), catalogue),
            )
            for p in people.get(node_id, ())
        )
        summed: dict[LessonMode, tuple[int, int]] = {}
        for parts in (*(m.by_mode for m in members), *(c.by_mode for c in children)):
            for t in parts:
                done, minutes = summed.get(t.mode, (0, 0))
                summed[t.mode] = (done + t.completed, minutes + t.minutes)
        return NodeRollup(
            node_id=node.id,
            name=node.name,
            level=node.level.value,
            active=node.active,
            people=len(members) + sum(c.people for c in children),
            completed=sum(m.completed for m in members) + sum(c.completed for c in children),
            minutes=sum(m.minutes for m in members) + sum(c.minutes for c in children),
            by_mode=_totals(summed, catalogue),
            members=members,
            children=children,
        )


__all__ = [
    "Completion",
    "LessonCard",
    "LessonService",
    "ModeTotals",
    "NodeRollup",
    "PersonProgress",
    "Progress",
    "QuestionResult",
    "QuestionView",
    "QuizAttempt",
    "QuizResult",
]
