"""The learning path (issue 15, item 4): for one learner, the 70/20/10 balance of what was
done, and the next steps (:mod:`assistant.training.advice`); for managers, the same balance
rolled up over their part of the channel tree (region, alliance, partner).  Used by REST
(assistant/api/routes_path.py); no HTTP here.

What counts, in minutes (the per-session figure and the targets are data:
``corpus/training/path.yaml``):

* **practice (70%)** — finished role-play sessions x ``practice_session_minutes``, plus the
  lessons of mode practice completed;
* **mentoring (20%)** — sharing sessions attended (their minutes, from the mentoring service:
  ``attendance_by_user``, injected as :data:`AttendanceSource`), plus lessons of mode mentoring;
* **theory (10%)** — lessons of mode theory.

Each mode's share is its minutes over all the minutes (0 when nothing was done yet), shown
against its target share.  Access for the roll-up is the other roll-ups' rule
(:func:`assistant.training.team.team_scope`): managers and admins read their own node and
everything below it, a node out of sight is ``partner_not_found`` like a missing one,
salespeople get ``forbidden``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.content.schema import LessonMode
from assistant.rebates.network import ChannelNetwork
from assistant.rebates.service import Actor, RebateService
from assistant.storage.db import Database
from assistant.storage.models import utcnow
from assistant.training.advice import Advice, AdviceService, count_targets
from assistant.training.lessons_errors import TrainingForbiddenError
from assistant.training.lessons_model import MODE_ORDER, LessonLibrary
from assistant.training.lessons_tables import LessonCompletionRow
from assistant.training.mentoring import attendance_by_user
from assistant.training.path_data import PathData
from assistant.training.practice_tables import PracticeSessionRow
from assistant.training.team import Learner, find_node, learners, team_scope, walk_nodes

MAX_TEAM_ADVICE = 5  # the most recommended next steps listed for a team


class Attendance(Protocol):
    """A learner's mentoring (sharing) sessions attended and their minutes
    (:class:`assistant.training.mentoring.MentoringAttendance` fits)."""

    @property
    def sessions(self) -> int: ...
    @property
    def minutes(self) -> int: ...


# The mentoring service's figure per user (``attendance_by_user``); injected so the path's
# tests fix it, and so the path does not depend on how attendance is stored.
AttendanceSource = Callable[[Session, Sequence[str]], Mapping[str, Attendance]]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ModeShare:
    mode: LessonMode
    minutes: int
    share: float  # of all the minutes, 0..1 (0 when nothing was done)
    target: float  # 0..1 (70/20/10)
    activities: int  # practice sessions, mentoring sessions attended and lessons of the mode

    @property
    def gap(self) -> float:
        """Share minus target: below zero, the mode lags behind its target."""
        return self.share - self.target


@dataclass(frozen=True, slots=True)
class Balance:
    minutes: int
    modes: tuple[ModeShare, ...]  # practice, mentoring, theory

    def mode(self, mode: LessonMode) -> ModeShare:
        return next(m for m in self.modes if m.mode == mode)


@dataclass(frozen=True, slots=True)
class Effort:
    """What one learner did, the raw figures a balance is made of."""

    practice_sessions: int = 0
    mentoring_sessions: int = 0
    mentoring_minutes: int = 0
    lessons: tuple[tuple[LessonMode, int, int], ...] = ()  # (mode, lessons completed, minutes)

    def plus(self, other: Effort) -> Effort:
        lessons: dict[LessonMode, tuple[int, int]] = {}
        for mode, n, minutes in (*self.lessons, *other.lessons):
            was_n, was_m = lessons.get(mode, (0, 0))
            lessons[mode] = (was_n + n, was_m + minutes)
        return Effort(
            practice_sessions=self.practice_sessions + other.practice_sessions,
            mentoring_sessions=self.mentoring_sessions + other.mentoring_sessions,
            mentoring_minutes=self.mentoring_minutes + other.mentoring_minutes,
            lessons=tuple((m, *lessons[m]) for m in MODE_ORDER if m in lessons),
        )


@dataclass(frozen=True, slots=True)
class LearningPath:
    user_id: str
    balance: Balance
    practice_sessions: int
    mentoring_sessions: int
    lessons_completed: int
    next_steps: tuple[Advice, ...]


@dataclass(frozen=True, slots=True)
class PersonBalance:
    user_id: str
    username: str
    display_name: str
    role: str
    balance: Balance
    next_steps: int  # how many next steps are recommended to them


@dataclass(frozen=True, slots=True)
class TeamAdvice:
    """A next step recommended to ``people`` learners of a subtree."""

    key: str  # a lesson id, or "practice:<product>"
    kind: str  # lesson | practice
    title: str
    people: int


@dataclass(frozen=True, slots=True)
class PathNode:
    """A channel node with its own learners (``members``) and everything below it summed."""

    node_id: str
    name: str
    level: str
    active: bool
    people: int
    balance: Balance
    effort: Effort
    members: tuple[PersonBalance, ...]
    children: tuple[PathNode, ...]

    def find(self, node_id: str) -> PathNode | None:
        return find_node(self, node_id)

    def walk(self) -> tuple[PathNode, ...]:
        return walk_nodes(self)


@dataclass(frozen=True, slots=True)
class TeamPath:
    tree: PathNode
    advice: tuple[TeamAdvice, ...]  # the most recommended next steps in the subtree, most people first


# --------------------------------------------------------------------------- arithmetic


def balance(effort: Effort, data: PathData) -> Balance:
    """The 70/20/10 balance of ``effort``: minutes per mode and their shares."""
    lesson = {mode: (n, minutes) for mode, n, minutes in effort.lessons}
    practice_minutes = effort.practice_sessions * data.practice_session_minutes
    figures = {
        LessonMode.PRACTICE: (
            practice_minutes + lesson.get(LessonMode.PRACTICE, (0, 0))[1],
            effort.practice_sessions + lesson.get(LessonMode.PRACTICE, (0, 0))[0],
        ),
        LessonMode.MENTORING: (
            effort.mentoring_minutes + lesson.get(LessonMode.MENTORING, (0, 0))[1],
            effort.mentoring_sessions + lesson.get(LessonMode.MENTORING, (0, 0))[0],
        ),
        LessonMode.THEORY: (
            lesson.get(LessonMode.THEORY, (0, 0))[1],
            lesson.get(LessonMode.THEORY, (0, 0))[0],
        ),
    }
    total = sum(minutes for minutes, _ in figures.values())
    targets = {
        LessonMode.PRACTICE: data.targets.practice,
        LessonMode.MENTORING: data.targets.mentoring,
        LessonMode.THEORY: data.targets.theory,
    }
    return Balance(
        minutes=total,
        modes=tuple(
            ModeShare(
                mode=mode,
                minutes=figures[mode][0],
                share=round(figures[mode][0] / total, 4) if total else 0.0,
                target=targets[mode] / 100,
                activities=figures[mode][1],
            )
            for mode in MODE_ORDER
        ),
    )


# --------------------------------------------------------------------------- service


class PathService:
    """Cheap to build: the database is the source of truth; the library and the path data
    are the data files as loaded; the channel tree is the rebate service's snapshot (only the
    roll-up needs it); ``attendance`` is the mentoring service's figure."""

    def __init__(
        self,
        *,
        db: Database,
        library: LessonLibrary,
        data: PathData,
        rebates: RebateService | None = None,
        attendance: AttendanceSource = attendance_by_user,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.library = library
        self.data = data
        self.rebates = rebates
        self._attendance = attendance
        self.advice = AdviceService(db=db, library=library, data=data, now=now)

    def path(self, caller: Actor) -> LearningPath:
        """The caller's own balance and next steps."""
        with self.db.read() as s:
            effort = self._efforts(s, [caller.user_id]).get(caller.user_id, Effort())
            steps = self.advice.advise_in(s, caller)
        return LearningPath(
            user_id=caller.user_id,
            balance=balance(effort, self.data),
            practice_sessions=effort.practice_sessions,
            mentoring_sessions=effort.mentoring_sessions,
            lessons_completed=sum(n for _, n, _ in effort.lessons),
            next_steps=steps,
        )

    def team(self, caller: Actor, node_id: str | None = None) -> TeamPath:
        """The balance of the caller's node (or of ``node_id`` below it), per node and person,
        with the next steps recommended most.  Managers and admins only."""
        scope = team_scope(self.rebates, caller, node_id, forbidden=TrainingForbiddenError)
        with self.db.read() as s:
            people = learners(s, scope.node_ids)
            ids = [p.user_id for group in people.values() for p in group]
            efforts = self._efforts(s, ids)
            advice: dict[str, tuple[Advice, ...]] = {}
            for partner, group in people.items():  # learners are grouped by their partner of today
                for p in group:
                    advice[p.user_id] = self.advice.advise_in(s, _LearnerActor(p, partner))
        tree = self._rollup(scope.network, scope.root, people, efforts, advice)
        counts = count_targets(advice.values())
        examples = {(a.lesson_id or f"practice:{a.title}"): a for steps in advice.values() for a in steps}
        top = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_TEAM_ADVICE]
        return TeamPath(
            tree=tree,
            advice=tuple(TeamAdvice(k, examples[k].kind, examples[k].title, counts[k]) for k in top),
        )

    def _efforts(self, s: Session, user_ids: Sequence[str]) -> dict[str, Effort]:
        if not user_ids:
            return {}
        ids = list(user_ids)
        lessons: dict[str, list[tuple[LessonMode, int, int]]] = {}
        for user_id, mode, n, minutes in s.execute(
            select(
                LessonCompletionRow.user_id,
                LessonCompletionRow.mode,
                func.count(LessonCompletionRow.id),
                func.sum(LessonCompletionRow.minutes),
            )
            .where(LessonCompletionRow.user_id.in_(ids))
            .group_by(LessonCompletionRow.user_id, LessonCompletionRow.mode)
        ):
            lessons.setdefault(user_id, []).append((LessonMode(mode), int(n), int(minutes or 0)))
        sessions: dict[str, int] = {
            user_id: int(n)
            for user_id, n in s.execute(
                select(PracticeSessionRow.user_id, func.count(PracticeSessionRow.id))
                .where(PracticeSessionRow.user_id.in_(ids), PracticeSessionRow.status == "finished")
                .group_by(PracticeSessionRow.user_id)
            )
        }
        attended = self._attendance(s, ids)
        out: dict[str, Effort] = {}
        for user_id in ids:
            a = attended.get(user_id)
            by_mode = {m: (n, minutes) for m, n, minutes in lessons.get(user_id, [])}
            out[user_id] = Effort(
                practice_sessions=sessions.get(user_id, 0),
                mentoring_sessions=a.sessions if a is not None else 0,
                mentoring_minutes=a.minutes if a is not None else 0,
                lessons=tuple((m, *by_mode[m]) for m in MODE_ORDER if m in by_mode),
            )
        return out

    def _rollup(
        self,
        network: ChannelNetwork,
        node_id: str,
        people: Mapping[str, Sequence[Learner]],
        efforts: Mapping[str, Effort],
        advice: Mapping[str, Sequence[Advice]],
    ) -> PathNode:
        node = network.get(node_id)
        children = tuple(self._rollup(network, c.id, people, efforts, advice) for c in network.children(node_id))
        members = tuple(
            PersonBalance(
                user_id=p.user_id,
                username=p.username,
                display_name=p.display_name,
                role=p.role,
                balance=balance(efforts.get(p.user_id, Effort()), self.data),
                next_steps=len(advice.get(p.user_id, ())),
            )
            for p in people.get(node_id, ())
        )
        total = Effort()
        for p in people.get(node_id, ()):
            total = total.plus(efforts.get(p.user_id, Effort()))
        for c in children:
            total = total.plus(c.effort)
        return PathNode(
            node_id=node.id,
            name=node.name,
            level=node.level.value,
            active=node.active,
            people=len(members) + sum(c.people for c in children),
            balance=balance(total, self.data),
            effort=total,
            members=members,
            children=children,
        )


@dataclass(frozen=True, slots=True)
class _LearnerActor:
    """A learner of a roll-up as the advice reads them (their own user and partner)."""

    learner: Learner
    partner: str

    @property
    def user_id(self) -> str:
        return self.learner.user_id

    @property
    def partner_id(self) -> str:
        return self.partner

    @property
    def role(self) -> str:
        return self.learner.role


__all__ = [
    "Attendance",
    "AttendanceSource",
    "Balance",
    "Effort",
    "LearningPath",
    "ModeShare",
    "PathNode",
    "PathService",
    "PersonBalance",
    "TeamAdvice",
    "TeamPath",
    "balance",
]
