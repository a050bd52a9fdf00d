"""The learning path (issue 15, item 4): one learner's 70/20/10 balance of what was done
(practice sessions and practice lessons, mentoring attended and mentoring lessons, theory
lessons) against the targets, with the next steps; the managers' roll-up over the channel
tree under the other roll-ups' access rules.  SQLite and PostgreSQL; the mentoring figure is
a deterministic fake of ``attendance_by_user`` (its real tests are the mentoring module's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from assistant.content.schema import LessonMode
from assistant.rebates.errors import PartnerNotFoundError
from assistant.training.lessons_errors import TrainingDataError, TrainingForbiddenError
from assistant.training.path import Effort, PathService, balance
from assistant.training.path_data import PATH_FILE, load_path_data, parse_path_data
from tests.training.path_world import CORPUS, DATA, LIBRARY, FakeAttendance, World, make_world

P, M, T = LessonMode.PRACTICE, LessonMode.MENTORING, LessonMode.THEORY


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = make_world(database_url)
    yield w
    w.db.dispose()


def test_the_shipped_data_is_70_20_10_and_the_constants_are_data() -> None:
    assert (DATA.targets.practice, DATA.targets.mentoring, DATA.targets.theory) == (70, 20, 10)
    raw = yaml.safe_load((CORPUS / PATH_FILE).read_text(encoding="utf-8"))
    assert DATA.practice_session_minutes == raw["practice_session_minutes"]
    assert 3 <= DATA.max_advice <= 5


def test_broken_path_data_is_refused_with_its_problems_named() -> None:
    raw = yaml.safe_load((CORPUS / PATH_FILE).read_text(encoding="utf-8"))
    with pytest.raises(TrainingDataError, match="sum to 100"):
        parse_path_data({**raw, "targets": {"practice": 70, "mentoring": 20, "theory": 20}})
    with pytest.raises(TrainingDataError, match="max_advice"):
        parse_path_data({**raw, "max_advice": 9})
    with pytest.raises(TrainingDataError, match="missing"):
        load_path_data(CORPUS / "no-such-dir")


def test_balance_arithmetic() -> None:
    nothing = balance(Effort(), DATA)
    assert nothing.minutes == 0 and all(m.share == 0 for m in nothing.modes)
    assert [m.target for m in nothing.modes] == [0.7, 0.2, 0.1]
    effort = Effort(practice_sessions=2, mentoring_sessions=1, mentoring_minutes=30, lessons=((P, 1, 10), (T, 2, 20)))
    b = balance(effort, DATA)
    practice = 2 * DATA.practice_session_minutes + 10
    assert b.mode(P).minutes == practice and b.mode(P).activities == 3
    assert b.mode(M).minutes == 30 and b.mode(M).activities == 1
    assert b.mode(T).minutes == 20 and b.mode(T).activities == 2
    assert b.minutes == practice + 50
    assert b.mode(P).share == round(practice / b.minutes, 4)
    assert abs(sum(m.share for m in b.modes) - 1) < 1e-3
    assert b.mode(T).gap == pytest.approx(20 / b.minutes - 0.1, abs=1e-3)


def test_a_learners_path_counts_what_they_did(world: World) -> None:
    world.pass_lesson("hz_sales1", "L-001")  # practice, 10 min
    world.pass_lesson("hz_sales1", "L-023")  # theory
    world.practised("hz_sales1", "EG-3200", {"coverage": 0.9, "values": 0.9, "objection": 0.9, "accuracy": 1.0})
    world.mentoring.attended["u-hz_sales1"] = FakeAttendance(sessions=1, minutes=45)
    world.mentoring.attended["u-hz_sales2"] = FakeAttendance(sessions=5, minutes=300)  # someone else's
    path = world.path.path(world.caller("hz_sales1"))
    minutes = {lid: LIBRARY.lessons[lid].duration_minutes for lid in ("L-001", "L-023")}
    assert path.balance.mode(P).minutes == DATA.practice_session_minutes + minutes["L-001"]
    assert path.balance.mode(M).minutes == 45
    assert path.balance.mode(T).minutes == minutes["L-023"]
    assert (path.practice_sessions, path.mentoring_sessions, path.lessons_completed) == (1, 1, 2)
    assert world.mentoring.asked[-1] == ("u-hz_sales1",)
    assert path.next_steps and not {"L-001", "L-023"} & {a.lesson_id for a in path.next_steps}


def test_the_real_mentoring_figure_is_the_default(world: World) -> None:
    service = PathService(db=world.db, library=LIBRARY, data=DATA, rebates=world.rebates)
    assert service.path(world.caller("hz_sales1")).balance.mode(M).minutes == 0  # nobody attended yet


def test_managers_roll_up_the_balance_of_their_subtree(world: World) -> None:
    world.pass_lesson("hz_sales1", "L-023")
    world.practised("hz_sales2", "SN-VB300", {"coverage": 0.9, "values": 0.9, "objection": 0.9, "accuracy": 1.0})
    world.mentoring.attended["u-hz_sales3"] = FakeAttendance(sessions=2, minutes=60)
    world.mentoring.attended["u-su_sales1"] = FakeAttendance(sessions=9, minutes=900)  # another alliance
    team = world.path.team(world.caller("hz_manager"))
    tree = team.tree
    assert tree.node_id == "A-HZ" and tree.level == "alliance"
    assert {c.node_id for c in tree.children} == {"P-HZ-01", "P-HZ-02", "P-HZ-03", "P-HZ-04"}
    assert tree.balance.mode(M).minutes == 60  # su_sales1 is not in the alliance
    assert tree.balance.mode(P).minutes == DATA.practice_session_minutes
    assert tree.balance.mode(T).minutes == LIBRARY.lessons["L-023"].duration_minutes
    assert tree.balance.minutes == sum(c.balance.minutes for c in tree.children) + sum(
        m.balance.minutes for m in tree.members
    )
    p1 = tree.find("P-HZ-01")
    assert p1 is not None and {m.username for m in p1.members} == {"hz_sales1", "hz_boss1"}
    assert tree.people == sum(len(n.members) for n in tree.walk())
    # The next steps most recommended in the alliance, each with how many people got it.
    assert team.advice and team.advice[0].people >= team.advice[-1].people
    assert all(1 <= a.people <= tree.people for a in team.advice)
    # A region reads its alliances and partners; a node below the caller's is allowed.
    region = world.path.team(world.caller("ec_manager"))
    assert region.tree.level == "regional" and region.tree.find("A-HZ") is not None
    assert world.path.team(world.caller("ec_manager"), "P-HZ-02").tree.node_id == "P-HZ-02"


@pytest.mark.parametrize("node", ["R-SC", "P-SU-01", "NOPE", "x" * 40])
def test_a_node_out_of_sight_is_answered_like_a_missing_one(world: World, node: str) -> None:
    with pytest.raises(PartnerNotFoundError):
        world.path.team(world.caller("hz_manager"), node)


@pytest.mark.parametrize("username", ["hz_sales1", "ec_sales1"])
def test_salespeople_read_no_team(world: World, username: str) -> None:
    with pytest.raises(TrainingForbiddenError):
        world.path.team(world.caller(username))
