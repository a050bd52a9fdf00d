"""Micro-lessons, the domain: the shipped lesson data (every quiz answerable from its
lesson, every lesson placed in the catalogue), the catalogue's filters, and the service on
the demo channel network on SQLite and PostgreSQL: quiz attempts graded on the server in
their own option order, once; completion recorded once when passed; another user's
attempt answered like a missing one; progress per person and the managers' roll-up over
today's channel tree."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from assistant.content.schema import LessonMode
from assistant.dialogue.types import Caller
from assistant.rebates.errors import PartnerNotFoundError
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from assistant.storage.models import User
from assistant.training.lessons import LessonService, NodeRollup, QuizAttempt
from assistant.training.lessons_errors import (
    InvalidLessonFilterError,
    InvalidQuizAnswersError,
    LessonNotFoundError,
    QuizAttemptExpiredError,
    QuizAttemptFinishedError,
    QuizAttemptNotFoundError,
    TrainingDataError,
    TrainingForbiddenError,
)
from assistant.training.lessons_model import (
    LessonFilter,
    LessonLibrary,
    Question,
    Quiz,
    load_library,
    parse_library,
    passes,
    training_root,
)
from assistant.training.lessons_tables import LessonCompletionRow, QuizAttemptRow
from tests.channel_world import open_channel_world
from tests.conftest import FIXTURE_CORPUS

CORPUS = PROJECT_ROOT / "corpus"
REBATES = CORPUS / "rebates"
TODAY = date(2026, 11, 27)
START = datetime(2026, 11, 27, 9, 0, 0)
LIBRARY = load_library(CORPUS)
RAW_LESSONS = yaml.safe_load((CORPUS / "lessons" / "lessons.yaml").read_text(encoding="utf-8"))
RAW_QUIZZES = yaml.safe_load((CORPUS / "training" / "quizzes.yaml").read_text(encoding="utf-8"))
RAW_CATALOGUE = yaml.safe_load((CORPUS / "training" / "catalogue.yaml").read_text(encoding="utf-8"))
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# --------------------------------------------------------------------------- the shipped data


def test_every_lesson_has_three_questions_and_a_place_in_the_catalogue() -> None:
    assert len(LIBRARY.lessons) == 25 == len(RAW_LESSONS)
    assert LIBRARY.pass_percent == RAW_QUIZZES["pass_percent"] == 66  # the pass mark is data
    assert LIBRARY.weeks == 8 and set(LIBRARY.roles) == {"sales", "manager", "engineer"}
    for lesson in LIBRARY.lessons.values():
        assert len(lesson.quiz.questions) == 3, lesson.id
        assert all(3 <= len(q.options) <= 4 for q in lesson.quiz.questions), lesson.id
        assert lesson.roles and set(lesson.roles) <= set(LIBRARY.roles)
        assert lesson.topic in LIBRARY.topics and 1 <= lesson.week <= 8
        assert 8 <= lesson.duration_minutes <= 12
    assert {lesson.week for lesson in LIBRARY.lessons.values()} == set(range(1, 9))  # every week has lessons
    # Theory first: the IIoT basics and the rebate policy are in week 1.
    assert {"L-023", "L-025"} <= {lesson.id for lesson in LIBRARY.lessons.values() if lesson.week == 1}


def test_every_correct_answer_can_be_checked_in_its_lesson() -> None:
    for lesson in LIBRARY.lessons.values():
        for q in lesson.quiz.questions:
            right = q.options[q.answer]
            numbers = NUMBER.findall(right)
            assert right in lesson.content or (numbers and all(n in NUMBER.findall(lesson.content) for n in numbers)), (
                f"{lesson.id}: {q.text} -> {right!r} is not in the lesson"
            )


def test_the_right_option_is_not_always_in_the_same_place() -> None:
    places = [q.answer for lesson in LIBRARY.lessons.values() for q in lesson.quiz.questions]
    assert len(set(places)) >= 3 and max(places.count(p) for p in set(places)) < len(places) * 0.6


def test_roles_follow_the_lessons_content() -> None:
    by_role = {r: {lesson.id for lesson in LIBRARY.select(LessonFilter(role=r))} for r in LIBRARY.roles}
    assert {"L-013", "L-019", "L-021", "L-022", "L-025"} <= by_role["manager"]  # ROI, deals, plans, rebates
    assert {"L-002", "L-004", "L-005", "L-009", "L-010"} <= by_role["engineer"] - by_role["sales"]
    assert "L-023" in by_role["sales"] & by_role["manager"] & by_role["engineer"]


def test_a_corpus_without_training_data_serves_the_shipped_lessons() -> None:
    assert training_root(FIXTURE_CORPUS, CORPUS) == CORPUS
    assert training_root(CORPUS, FIXTURE_CORPUS) == CORPUS


def test_the_library_is_read_again_when_a_file_changes(tmp_path: Path) -> None:
    for name in ("lessons", "training"):
        (tmp_path / name).mkdir()
    (tmp_path / "lessons" / "lessons.yaml").write_text(yaml.safe_dump(RAW_LESSONS[:1], allow_unicode=True), "utf-8")
    catalogue = {**RAW_CATALOGUE, "lessons": {"L-001": RAW_CATALOGUE["lessons"]["L-001"]}}
    quizzes = {**RAW_QUIZZES, "quizzes": {"L-001": RAW_QUIZZES["quizzes"]["L-001"]}}
    (tmp_path / "training" / "catalogue.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True), "utf-8")
    path = tmp_path / "training" / "quizzes.yaml"
    path.write_text(yaml.safe_dump(quizzes, allow_unicode=True), "utf-8")
    first = load_library(tmp_path)
    assert list(first.lessons) == ["L-001"] and first.product_lines["EG"].label == "EG"  # no product_lines.yaml
    quizzes["pass_percent"] = 100
    path.write_text(yaml.safe_dump(quizzes, allow_unicode=True), "utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    assert load_library(tmp_path).pass_percent == 100
    path.write_text("quizzes: [", "utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 2 * 10**9,) * 2)
    with pytest.raises(TrainingDataError):
        load_library(tmp_path)


def _parse(**changes: Any) -> LessonLibrary:
    quizzes = changes.pop("quizzes", RAW_QUIZZES)
    catalogue = changes.pop("catalogue", RAW_CATALOGUE)
    return parse_library(lessons=RAW_LESSONS, quizzes=quizzes, catalogue=catalogue, **changes)


def test_broken_data_is_refused_with_every_problem_named() -> None:
    quizzes = yaml.safe_load(yaml.safe_dump(RAW_QUIZZES))
    catalogue = yaml.safe_load(yaml.safe_dump(RAW_CATALOGUE))
    quizzes["quizzes"]["L-001"][0]["answer"] = 4
    quizzes["quizzes"]["L-002"][1]["options"] = ["a", "b"]
    quizzes["quizzes"]["L-999"] = quizzes["quizzes"]["L-003"]
    del quizzes["quizzes"]["L-004"]
    quizzes["pass_percent"] = 0
    catalogue["lessons"]["L-005"]["roles"] = ["boss"]
    catalogue["lessons"]["L-006"]["week"] = 9
    catalogue["lessons"]["L-007"]["topic"] = "cooking"
    del catalogue["lessons"]["L-008"]
    with pytest.raises(TrainingDataError) as info:
        _parse(quizzes=quizzes, catalogue=catalogue)
    text = str(info.value)
    for where in (
        "quizzes.quizzes.L-001[0].answer",
        "quizzes.quizzes.L-002[1].options",
        "quizzes.quizzes.L-999: no such lesson",
        "quizzes.quizzes.L-004: a list",
        "quizzes.pass_percent",
        "catalogue.lessons.L-005.roles",
        "catalogue.lessons.L-006.week",
        "catalogue.lessons.L-007.topic",
        "catalogue.lessons.L-008: roles, topic and week are required",
    ):
        assert where in text, where
    assert info.value.code == "training_data_invalid"
    with pytest.raises(TrainingDataError, match="catalogue: the file must be a mapping"):
        _parse(catalogue=["L-001"])


def test_the_pass_mark_is_whole_number_arithmetic() -> None:
    assert passes(2, 3, 66) and not passes(1, 3, 66) and passes(3, 3, 100)
    assert not passes(2, 3, 67)  # 200 < 201: two of three is 66.7%, not 67%
    assert not passes(0, 0, 1)


# --------------------------------------------------------------------------- filters


def ids(f: LessonFilter) -> list[str]:
    return [lesson.id for lesson in LIBRARY.select(f)]


def test_the_catalogue_filters_by_role_line_mode_topic_and_week() -> None:
    assert len(ids(LessonFilter())) == 25
    assert ids(LessonFilter())[:3] == ["L-001", "L-023", "L-025"]  # week 1 first
    assert set(ids(LessonFilter(product_line="EG"))) == {"L-001", "L-002", "L-003", "L-004", "L-005", "L-019"}
    assert set(ids(LessonFilter(mode="theory"))) == {"L-023", "L-024", "L-025"}
    assert set(ids(LessonFilter(mode="mentoring"))) == {"L-018", "L-019", "L-020", "L-021", "L-022"}
    assert set(ids(LessonFilter(topic="installation"))) == {"L-001", "L-006", "L-007", "L-008"}
    assert set(ids(LessonFilter(week=2))) == {"L-002", "L-011", "L-013"}
    assert ids(LessonFilter(role="sales", product_line="EG", week=1)) == ["L-001"]
    assert ids(LessonFilter(role="engineer", mode="theory", product_line="CM")) == []
    assert set(LIBRARY.product_lines) == {"EG", "SN", "EC", "MP", "AR", "CM"}


@pytest.mark.parametrize(
    ("f", "field"),
    [
        (LessonFilter(role="boss"), "role"),
        (LessonFilter(product_line="XX"), "product_line"),
        (LessonFilter(mode="lecture"), "mode"),
        (LessonFilter(topic="cooking"), "topic"),
        (LessonFilter(week=0), "week"),
        (LessonFilter(week=9), "week"),
    ],
)
def test_a_filter_the_catalogue_does_not_have_is_refused(f: LessonFilter, field: str) -> None:
    with pytest.raises(InvalidLessonFilterError) as info:
        LIBRARY.select(f)
    assert info.value.field == field and info.value.code == "invalid_lesson_filter"


# --------------------------------------------------------------------------- the service


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    db: Database
    rebates: RebateService
    lessons: LessonService
    clock: Clock
    users: dict[str, Caller]

    def caller(self, username: str) -> Caller:
        return self.users[username]

    def with_shuffle(self, shuffle: Any) -> LessonService:
        return LessonService(db=self.db, library=LIBRARY, rebates=self.rebates, now=self.clock, shuffle=shuffle)


def reverse(items: list[int]) -> None:
    items.reverse()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    channel = open_channel_world(database_url, today=TODAY)
    db, rebates, users = channel.db, channel.rebates, channel.users
    clock = Clock(START)
    lessons = LessonService(db=db, library=LIBRARY, rebates=rebates, now=clock, shuffle=reverse)
    yield World(db=db, rebates=rebates, lessons=lessons, clock=clock, users=users)
    db.dispose()


def right_answers(attempt: QuizAttempt) -> list[int]:
    """The positions of the right options as this attempt shows them (from the data file)."""
    quiz = LIBRARY.lesson(attempt.lesson_id).quiz
    return [q.options.index(quiz.questions[q.index].options[quiz.questions[q.index].answer]) for q in attempt.questions]


def wrong_answers(attempt: QuizAttempt) -> list[int]:
    right = right_answers(attempt)
    return [(r + 1) % len(q.options) for r, q in zip(right, attempt.questions, strict=True)]


def pass_lesson(world: World, username: str, lesson_id: str) -> None:
    caller = world.caller(username)
    attempt = world.lessons.start_quiz(caller, lesson_id)
    assert world.lessons.submit(caller, attempt.id, right_answers(attempt)).passed


def test_a_quiz_shows_its_own_order_and_grades_on_the_server(world: World) -> None:
    sales = world.caller("hz_sales1")
    attempt = world.lessons.start_quiz(sales, "L-001")
    quiz = LIBRARY.lesson("L-001").quiz
    assert attempt.id.startswith("QA-") and len(attempt.id) == 35
    assert attempt.expires_at - attempt.started_at == timedelta(minutes=120)
    # The attempt shows each question's options in its own (here: reversed) order.
    assert [q.options for q in attempt.questions] == [tuple(reversed(q.options)) for q in quiz.questions]
    with world.db.read() as s:
        row = s.get(QuizAttemptRow, attempt.id)
        assert row is not None and row.user_id == "u-hz_sales1" and row.submitted_at is None
        assert row.option_order == [list(reversed(range(len(q.options)))) for q in quiz.questions]

    failed = world.lessons.submit(sales, attempt.id, wrong_answers(attempt))
    assert (failed.passed, failed.correct, failed.total, failed.completion, failed.newly_completed) == (
        False,
        0,
        3,
        None,
        False,
    )
    assert all(r.answer is None for r in failed.results)  # the right options stay hidden until passed
    assert world.lessons.progress(sales).completed == 0

    again = world.lessons.start_quiz(sales, "L-001")
    answers = right_answers(again)
    answers[2] = wrong_answers(again)[2]  # two of three: passes at 66%
    passed = world.lessons.submit(sales, again.id, answers)
    assert (passed.passed, passed.correct, passed.newly_completed) == (True, 2, True)
    assert [r.correct for r in passed.results] == [True, True, False]
    assert [r.answer for r in passed.results] == right_answers(again)
    assert passed.completion is not None and passed.completion.minutes == 10
    assert passed.completion.mode is LessonMode.PRACTICE and passed.completion.completed_at == START


def test_completion_is_recorded_once(world: World) -> None:
    sales = world.caller("hz_sales2")
    pass_lesson(world, "hz_sales2", "L-023")
    first = world.lessons.progress(sales).completions
    world.clock.now = START + timedelta(days=3)
    attempt = world.lessons.start_quiz(sales, "L-023")
    result = world.lessons.submit(sales, attempt.id, right_answers(attempt))
    assert result.passed and not result.newly_completed
    assert result.completion == first[0]  # the first pass stays, with its date and score
    failed_later = world.lessons.start_quiz(sales, "L-023")
    after = world.lessons.submit(sales, failed_later.id, wrong_answers(failed_later))
    assert not after.passed and after.completion == first[0]  # a later fail takes nothing away
    assert world.lessons.progress(sales).completions == first
    with world.db.read() as s:
        assert len(list(s.scalars(select(LessonCompletionRow)))) == 1


def test_a_finished_attempt_cannot_be_replayed(world: World) -> None:
    sales = world.caller("hz_sales3")
    attempt = world.lessons.start_quiz(sales, "L-013")
    world.lessons.submit(sales, attempt.id, wrong_answers(attempt))
    for answers in (wrong_answers(attempt), right_answers(attempt)):
        with pytest.raises(QuizAttemptFinishedError) as info:
            world.lessons.submit(sales, attempt.id, answers)
        assert info.value.code == "quiz_attempt_finished"
    assert world.lessons.progress(sales).completed == 0


def test_another_users_attempt_is_answered_like_a_missing_one(world: World) -> None:
    alice, bob = world.caller("hz_sales1"), world.caller("sz_sales1")
    attempt = world.lessons.start_quiz(alice, "L-025")
    for attempt_id in (attempt.id, "QA-" + "0" * 32, "nope", "QA-" + "F" * 32, ""):
        with pytest.raises(QuizAttemptNotFoundError) as info:
            world.lessons.submit(bob, attempt_id, right_answers(attempt))
        assert info.value.code == "quiz_attempt_not_found"
    # Alice's attempt is untouched and still hers to submit.
    assert world.lessons.submit(alice, attempt.id, right_answers(attempt)).passed
    assert world.lessons.progress(bob).completed == 0


def test_a_stored_answer_means_nothing_in_another_users_attempt(world: World) -> None:
    alice, bob = world.caller("hz_sales1"), world.caller("sz_sales1")
    identity = world.with_shuffle(lambda items: None)
    mine = identity.start_quiz(alice, "L-008")
    stored = right_answers(mine)
    assert identity.submit(alice, mine.id, stored).passed
    # Bob replays Alice's positions on his own attempt, whose options are in another order.
    theirs = world.lessons.start_quiz(bob, "L-008")  # reversed
    result = world.lessons.submit(bob, theirs.id, stored)
    expected = [a == r for a, r in zip(stored, right_answers(theirs), strict=True)]
    assert [r.correct for r in result.results] == expected and sum(expected) < 2
    assert not result.passed and world.lessons.progress(bob).completed == 0


def test_an_old_attempt_or_one_of_a_changed_quiz_is_expired(world: World) -> None:
    sales = world.caller("su_sales1")
    old = world.lessons.start_quiz(sales, "L-011")
    world.clock.now = START + timedelta(minutes=121)
    with pytest.raises(QuizAttemptExpiredError):
        world.lessons.submit(sales, old.id, right_answers(old))
    world.clock.now = START
    attempt = world.lessons.start_quiz(sales, "L-011")
    lesson = LIBRARY.lesson("L-011")
    questions = (Question(text="改过的题？", options=("甲", "乙", "丙"), answer=2), *lesson.quiz.questions[1:])
    changed = replace(lesson, quiz=Quiz(questions=questions, digest="changed"))
    library = replace(LIBRARY, lessons={**LIBRARY.lessons, "L-011": changed})
    edited = LessonService(db=world.db, library=library, rebates=world.rebates, now=world.clock)
    with pytest.raises(QuizAttemptExpiredError):
        edited.submit(sales, attempt.id, right_answers(attempt))
    assert world.lessons.progress(sales).completed == 0


@pytest.mark.parametrize("answers", [[], [0, 0], [0, 0, 0, 0], [0, 0, 4], [0, -1, 0], [True, 0, 0], "012", [0.0, 0, 0]])
def test_bad_answers_are_refused_and_leave_the_attempt_open(world: World, answers: Any) -> None:
    sales = world.caller("su_sales2")
    attempt = world.lessons.start_quiz(sales, "L-003")  # its third question has three options
    with pytest.raises(InvalidQuizAnswersError) as info:
        world.lessons.submit(sales, attempt.id, answers)
    assert info.value.code == "invalid_quiz_answers"
    assert world.lessons.submit(sales, attempt.id, right_answers(attempt)).passed


def test_position_three_of_a_three_option_question_is_refused(world: World) -> None:
    sales = world.caller("su_sales3")
    attempt = world.lessons.start_quiz(sales, "L-003")
    assert len(attempt.questions[2].options) == 3
    with pytest.raises(InvalidQuizAnswersError):
        world.lessons.submit(sales, attempt.id, [0, 0, 3])


def test_an_unknown_lesson_is_not_found(world: World) -> None:
    for lesson_id in ("L-999", "", "l-001", "L-001 "):
        with pytest.raises(LessonNotFoundError):
            world.lessons.start_quiz(world.caller("hz_sales1"), lesson_id)
        with pytest.raises(LessonNotFoundError):
            world.lessons.lesson(world.caller("hz_sales1"), lesson_id)


def test_two_submissions_racing_count_once(world: World) -> None:
    sales = world.caller("nb_sales1")
    attempt = world.lessons.start_quiz(sales, "L-024")
    answers = right_answers(attempt)
    barrier = threading.Barrier(4)

    def submit() -> str:
        barrier.wait()
        try:
            world.lessons.submit(sales, attempt.id, answers)
        except QuizAttemptFinishedError:
            return "finished"
        return "graded"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(lambda _: submit(), range(4)))
    assert outcomes == ["finished", "finished", "finished", "graded"]
    with world.db.read() as s:
        assert len(list(s.scalars(select(LessonCompletionRow)))) == 1


def test_two_attempts_of_one_lesson_passing_complete_it_once(world: World) -> None:
    sales = world.caller("nb_sales2")
    a = world.lessons.start_quiz(sales, "L-012")
    b = world.lessons.start_quiz(sales, "L-012")
    assert a.id != b.id
    first = world.lessons.submit(sales, b.id, right_answers(b))
    second = world.lessons.submit(sales, a.id, right_answers(a))
    assert (first.newly_completed, second.newly_completed) == (True, False)
    assert second.completion == first.completion


# --------------------------------------------------------------------------- progress


def test_progress_counts_lessons_minutes_and_modes(world: World) -> None:
    sales = world.caller("cd_sales1")
    catalogue = world.lessons.catalogue(sales, LessonFilter(week=1))
    assert [c.completed for c in catalogue] == [False, False, False]
    for lesson_id in ("L-001", "L-023", "L-018"):  # practice 10, theory 10, mentoring 12
        pass_lesson(world, "cd_sales1", lesson_id)
        world.clock.now += timedelta(minutes=30)
    p = world.lessons.progress(sales)
    assert (p.completed, p.minutes, p.lessons_total) == (3, 32, 25)
    assert [(t.mode.value, t.completed, t.minutes, t.lessons) for t in p.by_mode] == [
        ("practice", 1, 10, 17),
        ("mentoring", 1, 12, 5),
        ("theory", 1, 10, 3),
    ]
    assert [c.lesson_id for c in p.completions] == ["L-018", "L-023", "L-001"]  # newest first
    marked = {c.lesson.id: c.completed for c in world.lessons.catalogue(sales, LessonFilter(week=1))}
    assert marked == {"L-001": True, "L-023": True, "L-025": False}
    assert world.lessons.lesson(sales, "L-018").completion == p.completions[0]
    assert world.lessons.progress(world.caller("cd_sales2")).completed == 0  # one person's progress only


# --------------------------------------------------------------------------- the roll-up


def node_ids(tree: NodeRollup) -> set[str]:
    return {n.node_id for n in tree.walk()}


def test_managers_roll_up_their_subtree(world: World) -> None:
    pass_lesson(world, "hz_sales1", "L-001")  # P-HZ-01, practice 10
    pass_lesson(world, "hz_sales1", "L-025")  # theory 11
    pass_lesson(world, "hz_sales2", "L-022")  # P-HZ-02, mentoring 8
    pass_lesson(world, "sz_sales1", "L-001")  # another alliance
    network = world.rebates.state.network

    hz = world.lessons.team(world.caller("hz_manager"))
    assert hz.node_id == "A-HZ" and node_ids(hz) == set(network.readable("A-HZ"))
    assert (hz.completed, hz.minutes) == (3, 29)
    assert [(t.completed, t.minutes) for t in hz.by_mode] == [(1, 10), (1, 8), (1, 11)]
    p1 = hz.find("P-HZ-01")
    assert p1 is not None and (p1.completed, p1.minutes) == (2, 21)
    assert {m.username: m.completed for m in p1.members} == {"hz_boss1": 0, "hz_sales1": 2}
    assert {m.username for m in hz.members} == {"hz_manager"}
    assert hz.people == 1 + sum(c.people for c in hz.children)

    region = world.lessons.team(world.caller("ec_manager"))
    assert region.node_id == "R-EC" and region.completed == 3  # A-SZ is in another region
    assert region.find("A-HZ") == hz
    national = world.lessons.team(world.caller("n_admin"))
    assert national.completed == 4 and national.find("R-SC") is not None

    boss = world.lessons.team(world.caller("hz_boss1"))  # a partner's manager: its own people
    assert boss.node_id == "P-HZ-01" and boss.children == () and boss.completed == 2
    below = world.lessons.team(world.caller("ec_manager"), "P-HZ-01")
    assert below == boss


def test_a_node_outside_the_subtree_is_answered_like_a_missing_one(world: World) -> None:
    manager = world.caller("hz_manager")
    for node in ("P-SZ-01", "A-SZ", "R-EC", "N-001", "P-NOPE-99", "x" * 40, ""):
        with pytest.raises(PartnerNotFoundError) as info:
            world.lessons.team(manager, node)
        assert info.value.code == "partner_not_found"


@pytest.mark.parametrize("username", ["hz_sales1", "ec_sales1", "n_editor"])
def test_only_managers_and_admins_see_a_team(world: World, username: str) -> None:
    with pytest.raises(TrainingForbiddenError) as info:
        world.lessons.team(world.caller(username))
    assert info.value.code == "forbidden"
    with pytest.raises(TrainingForbiddenError):
        world.lessons.team(world.caller(username), world.caller(username).partner_id)


def test_the_roll_up_follows_todays_tree(world: World) -> None:
    pass_lesson(world, "hz_sales1", "L-001")
    with world.db.write() as s:  # hz_sales1 moves to another alliance's partner
        s.execute(update(User).where(User.id == "u-hz_sales1").values(partner_id="P-SU-01"))
    assert world.lessons.team(world.caller("hz_manager")).completed == 0
    su = world.lessons.team(world.caller("su_manager"))
    moved = su.find("P-SU-01")
    assert moved is not None and moved.completed == 1
    with world.db.write() as s:  # a deactivated learner is not counted
        s.execute(update(User).where(User.id == "u-hz_sales1").values(active=False))
    assert world.lessons.team(world.caller("su_manager")).completed == 0
