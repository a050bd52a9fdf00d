"""The world of the learning-path and advice tests: the demo channel network and its users
on a fresh database, the shipped lessons and path data, and helpers that leave the traces
the advice reads (a lesson passed through the real quiz, a finished practice session, an
unanswered or thumbs-down question, an open task)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from assistant.dialogue.types import Caller
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from assistant.storage.models import Conversation, Event, Feedback
from assistant.tasks.tables import TaskAssignmentRow, TaskRow
from assistant.training.lessons import LessonService
from assistant.training.lessons_model import load_library
from assistant.training.path import PathService
from assistant.training.path_data import load_path_data
from assistant.training.practice_tables import PracticeSessionRow
from tests.channel_world import open_channel_world

CORPUS = PROJECT_ROOT / "corpus"
REBATES = CORPUS / "rebates"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 9, 0, 0)
LIBRARY = load_library(CORPUS)
DATA = load_path_data(CORPUS)


@dataclass(frozen=True, slots=True)
class FakeAttendance:
    sessions: int
    minutes: int


@dataclass
class Mentoring:
    """A deterministic stand-in for ``assistant.training.mentoring.attendance_by_user``."""

    attended: dict[str, FakeAttendance] = field(default_factory=dict)
    asked: list[tuple[str, ...]] = field(default_factory=list)

    def __call__(self, session: Session, user_ids: Sequence[str]) -> Mapping[str, FakeAttendance]:
        self.asked.append(tuple(user_ids))
        return {u: a for u, a in self.attended.items() if u in user_ids}


@dataclass
class World:
    db: Database
    rebates: RebateService
    lessons: LessonService
    path: PathService
    mentoring: Mentoring
    users: dict[str, Caller]
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def caller(self, username: str) -> Caller:
        return self.users[username]

    def pass_lesson(self, username: str, lesson_id: str) -> None:
        """Pass the lesson's quiz through the real service (the right option of each question)."""
        caller = self.users[username]
        attempt = self.lessons.start_quiz(caller, lesson_id)
        quiz = LIBRARY.lessons[lesson_id].quiz
        answers = [
            view.options.index(q.options[q.answer]) for view, q in zip(attempt.questions, quiz.questions, strict=True)
        ]
        assert self.lessons.submit(caller, attempt.id, answers).passed

    def practised(self, username: str, product: str, scores: Mapping[str, float | None], **extra: str | None) -> None:
        """A finished practice session with these dimension scores (the rubric's own tests are elsewhere)."""
        n = next(self._ids)
        known = {k: v for k, v in scores.items() if v is not None}
        weakest = min(known, key=lambda k: known[k]) if known else None
        with self.db.write() as s:
            s.add(
                PracticeSessionRow(
                    id=f"PS-{n:032x}",
                    user_id=self.users[username].user_id,
                    product_id=product,
                    industry=extra.get("industry"),
                    persona=extra.get("persona"),
                    seed=n,
                    scenario_id="x",
                    turns=4,
                    status="finished",
                    created_at=NOW - timedelta(hours=n),
                    finished_at=NOW - timedelta(hours=n) + timedelta(minutes=10),
                    answered=4,
                    overall=0.5,
                    verdict="partial",
                    weakest=weakest,
                    lesson_id=extra.get("lesson"),
                    **{f"score_{k}": v for k, v in scores.items()},
                )
            )

    def asked(
        self, username: str, question: str, *, answered: bool = False, down: bool = False, days_ago: int = 1
    ) -> None:
        """A question of the user and the assistant's reply: "not found" unless ``answered``;
        ``down``: the reply was rated thumbs-down."""
        n = next(self._ids)
        at = NOW - timedelta(days=days_ago)
        cid = f"c-{n:08d}"
        reply = {"text": "…", "grounded": answered, "handoff_offered": not answered, "intent": "knowledge_qa"}
        with self.db.write() as s:
            s.add(Conversation(id=cid, user_id=self.users[username].user_id, created_at=at, updated_at=at, last_seq=3))
            s.flush()
            s.add(Event(conversation_id=cid, seq=1, type="message", payload={"text": question}, created_at=at))
            s.add(Event(conversation_id=cid, seq=2, type="reply", reply_to=1, payload=reply, created_at=at))
            if down:
                s.add(
                    Feedback(
                        conversation_id=cid,
                        message_seq=2,
                        user_id=self.users[username].user_id,
                        rating="down",
                        created_at=at,
                    )
                )

    def task(
        self, creator: str, title: str, line: str, *, node: str, user: str | None = None, due_days: int = 20
    ) -> None:
        n = next(self._ids)
        tid = f"TK-{n:012x}"
        with self.db.write() as s:
            s.add(
                TaskRow(
                    id=tid,
                    title=title,
                    kind="demos",
                    product_line=line,
                    goal=3,
                    root_node_id=node,
                    start_date=TODAY - timedelta(days=5),
                    due_date=TODAY + timedelta(days=due_days),
                    basis_quarter="2026Q4",
                    created_by=self.users[creator].user_id,
                )
            )
            s.flush()
            s.add(
                TaskAssignmentRow(
                    task_id=tid,
                    key=f"{node}/{user}" if user else node,
                    node_id=node,
                    user_id=self.users[user].user_id if user else None,
                    quantity=3,
                    updated_by=self.users[creator].user_id,
                )
            )


def make_world(database_url: str) -> World:
    channel = open_channel_world(database_url, today=TODAY)
    db, rebates, users = channel.db, channel.rebates, channel.users
    mentoring = Mentoring()
    lessons = LessonService(db=db, library=LIBRARY, rebates=rebates, now=lambda: NOW)
    path = PathService(db=db, library=LIBRARY, data=DATA, rebates=rebates, attendance=mentoring, now=lambda: NOW)
    return World(db=db, rebates=rebates, lessons=lessons, path=path, mentoring=mentoring, users=users)
