"""Channel mentoring, the domain, on the demo channel network (SQLite and PostgreSQL): the
rules file, mentor candidates from the rebate ranking, confirmation by admins only, sessions
created by confirmed mentors only and within the rules' bounds, sign-up refused beyond
capacity (also when many sign up at once, in threads on a real database file), idempotent
sign-up and cancel, nothing after the start, notes and attendance by the host after it,
attendance counted by :func:`attendance_by_user`, and visibility by the channel tree (a
session of another region answered exactly like a missing one)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from assistant.dialogue.types import Caller
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from assistant.storage.models import User
from assistant.training.mentoring import (
    MentoringAttendance,
    MentoringService,
    attendance_by_user,
    load_rules,
    parse_rules,
    valid_recording_url,
)
from assistant.training.mentoring_errors import (
    HostNotMentorError,
    InvalidRecordError,
    InvalidSessionError,
    MentoringDataError,
    MentoringError,
    MentoringForbiddenError,
    MentoringHostSignUpError,
    MentoringSessionFullError,
    MentoringSessionNotFoundError,
    MentoringSessionNotStartedError,
    MentoringSessionStartedError,
    MentorNotFoundError,
    NotCandidateError,
    NotMentorError,
    NotSignedUpError,
)
from assistant.training.mentoring_tables import MentoringSignUpRow
from tests.channel_world import open_channel_world

CORPUS = PROJECT_ROOT / "corpus"
REBATES = CORPUS / "rebates"
TODAY = date(2026, 11, 27)  # 2026Q4; the ranking is the previous quarter's (2026Q3, final)
START = datetime(2026, 11, 27, 9, 0, 0)
RULES = load_rules(CORPUS)
RAW_RULES = yaml.safe_load((CORPUS / "training" / "mentoring.yaml").read_text(encoding="utf-8"))
MENTOR = "cd_boss1"  # manager of P-CD-01, ranked 3rd in 2026Q3; region R-SW


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    db: Database
    rebates: RebateService
    mentoring: MentoringService
    clock: Clock
    users: dict[str, Caller]

    def caller(self, username: str) -> Caller:
        return self.users[username]

    def add_user(self, username: str, partner_id: str, role: str = "sales") -> Caller:
        with self.db.write() as s:
            s.add(
                User(
                    id=f"u-{username}",
                    username=username,
                    display_name=username,
                    password_hash="x",
                    partner_id=partner_id,
                    role=role,
                )
            )
        self.users[username] = Caller(user_id=f"u-{username}", partner_id=partner_id, role=role)
        return self.users[username]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    channel = open_channel_world(database_url, today=TODAY)
    db, rebates, users = channel.db, channel.rebates, channel.users
    clock = Clock(START)
    mentoring = MentoringService(db=db, rules=RULES, rebates=rebates, product_lines={"EG", "SN", "MP", "AR"}, now=clock)
    yield World(db=db, rebates=rebates, mentoring=mentoring, clock=clock, users=users)
    db.dispose()


def confirmed(world: World, username: str = MENTOR) -> Caller:
    world.mentoring.confirm(world.caller("n_admin"), world.caller(username).user_id)
    return world.caller(username)


def new_session(world: World, host: Caller | None = None, **kw: Any) -> str:
    fields: dict[str, Any] = {
        "topic": "边缘网关项目打单经验",
        "starts_at": START + timedelta(days=3),
        "duration_minutes": 60,
        "capacity": 3,
        **kw,
    }
    return world.mentoring.create(host or confirmed(world), **fields).id


def refused(error: type[MentoringError], call: Callable[[], object]) -> MentoringError:
    with pytest.raises(error) as info:
        call()
    return info.value


# --------------------------------------------------------------------------- rules


def test_the_thresholds_are_data_and_checked_when_loaded() -> None:
    assert RULES.top_partners == RAW_RULES["mentors"]["top_partners"] == 5
    assert (RULES.capacity_min, RULES.capacity_max) == (1, 500)
    assert (RULES.duration_min, RULES.duration_max) == (15, 180)
    broken = {**RAW_RULES, "mentors": {**RAW_RULES["mentors"], "top_partners": 0, "roles": ["boss"]}}
    broken["sessions"] = {**RAW_RULES["sessions"], "capacity": {"min": 10, "max": 2}}
    message = str(refused(MentoringDataError, lambda: parse_rules(broken, source="m.yaml")))
    assert "m.yaml: mentors.top_partners" in message and "mentors.roles" in message
    assert "sessions.capacity: min is above max" in message
    assert refused(MentoringDataError, lambda: parse_rules([1, 2])).code == "mentoring_data_invalid"


def test_recording_links_are_http_or_https_only() -> None:
    assert valid_recording_url("https://meet.example.com/rec/123?t=1", 500)
    assert valid_recording_url("http://10.0.0.5/rec", 500)
    for bad in ("javascript:alert(1)", "ftp://x/y", "https://", "//x.com/a", "https://a b.com", "data:text/html,x"):
        assert not valid_recording_url(bad, 500), bad
    assert not valid_recording_url("https://x.com/" + "a" * 500, 500)


# --------------------------------------------------------------------------- mentors


def test_candidates_are_the_staff_of_the_top_ranked_partners(world: World) -> None:
    admin = world.caller("n_admin")
    found = world.mentoring.candidates(admin)
    assert [(c.rank, c.partner_id, c.username) for c in found] == [
        (1, "P-WH-03", "wh_sales3"),
        (2, "P-CD-02", "cd_sales2"),
        (3, "P-CD-01", "cd_boss1"),
        (3, "P-CD-01", "cd_sales1"),
        (4, "P-BJ-04", "bj_sales4"),
        (5, "P-CD-03", "cd_sales3"),
    ]
    assert not any(c.confirmed for c in found)
    # Only the ranking's top N: fewer with a smaller N, from the data.
    world.mentoring.rules = replace(RULES, top_partners=1)
    assert [c.username for c in world.mentoring.candidates(admin)] == ["wh_sales3"]
    world.mentoring.rules = RULES
    for who in ("cd_boss1", "hz_manager", "ec_manager"):
        refused(MentoringForbiddenError, partial(world.mentoring.candidates, world.caller(who)))


def test_admins_confirm_and_withdraw_mentors_with_who_and_when(world: World) -> None:
    admin, boss = world.caller("n_admin"), world.caller(MENTOR)
    assert refused(MentoringForbiddenError, lambda: world.mentoring.confirm(boss, boss.user_id)).code == "forbidden"
    refused(NotCandidateError, lambda: world.mentoring.confirm(admin, world.caller("hz_sales1").user_id))
    refused(MentorNotFoundError, lambda: world.mentoring.confirm(admin, "u-nobody"))
    refused(MentorNotFoundError, lambda: world.mentoring.withdraw(admin, boss.user_id))  # never a mentor
    mentor = world.mentoring.confirm(admin, boss.user_id)
    assert (mentor.confirmed, mentor.decided_by, mentor.decided_at) == (True, admin.user_id, START)
    world.clock.now = START + timedelta(hours=1)
    assert world.mentoring.confirm(admin, boss.user_id).decided_at == START  # idempotent: the first decision stays
    assert [c.confirmed for c in world.mentoring.candidates(admin) if c.username == MENTOR] == [True]
    gone = world.mentoring.withdraw(admin, boss.user_id)
    assert (gone.confirmed, gone.decided_at) == (False, START + timedelta(hours=1))
    assert world.mentoring.me(boss).is_mentor is False


def test_only_confirmed_mentors_and_admins_create_sessions(world: World) -> None:
    boss, admin = world.caller(MENTOR), world.caller("n_admin")
    kw: dict[str, Any] = {
        "topic": "经验分享",
        "starts_at": START + timedelta(days=1),
        "duration_minutes": 30,
        "capacity": 5,
    }
    assert refused(NotMentorError, lambda: world.mentoring.create(boss, **kw)).code == "mentoring_not_mentor"
    refused(NotMentorError, lambda: world.mentoring.create(world.caller("hz_sales1"), **kw))
    refused(HostNotMentorError, lambda: world.mentoring.create(admin, **kw))  # an admin names a mentor
    refused(HostNotMentorError, lambda: world.mentoring.create(admin, host_user_id=boss.user_id, **kw))
    confirmed(world)
    mine = world.mentoring.create(boss, **kw)
    assert (mine.host_user_id, mine.scope_node_id, mine.can_manage) == (boss.user_id, "R-SW", True)
    refused(NotMentorError, lambda: world.mentoring.create(boss, host_user_id="u-cd_sales1", **kw))
    national = world.mentoring.create(admin, host_user_id=boss.user_id, **kw)
    assert (national.scope_node_id, national.host_user_id, national.host_partner_name) == (
        "N-001",
        boss.user_id,
        world.rebates.state.network.get("P-CD-01").name,
    )
    world.mentoring.withdraw(admin, boss.user_id)
    refused(NotMentorError, lambda: world.mentoring.create(boss, **kw))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("topic", "   "),
        ("topic", "短"),
        ("topic", "话" * 81),
        ("topic", "换行\x07符号"),
        ("starts_at", START - timedelta(minutes=1)),
        ("starts_at", START),
        ("starts_at", START + timedelta(days=91)),
        ("duration_minutes", 14),
        ("duration_minutes", 181),
        ("capacity", 0),
        ("capacity", 501),
        ("product_line", "XX"),
    ],
)
def test_a_session_outside_the_rules_is_refused_naming_the_field(world: World, field: str, value: Any) -> None:
    error = refused(InvalidSessionError, lambda: new_session(world, **{field: value}))
    assert (error.code, error.field) == ("mentoring_invalid_session", field)


def test_an_aware_start_is_taken_in_utc(world: World) -> None:
    aware = datetime(2026, 11, 28, 17, 0, tzinfo=UTC).astimezone()
    sid = new_session(world, starts_at=aware, product_line="EG")
    view = world.mentoring.get(world.caller(MENTOR), sid)
    assert view.starts_at == datetime(2026, 11, 28, 17, 0) and view.product_line == "EG"


# --------------------------------------------------------------------------- sign-up


def test_sign_up_is_idempotent_and_refused_beyond_capacity(world: World) -> None:
    sid = new_session(world, capacity=2)
    a, b, c = world.caller("cd_sales1"), world.caller("cd_sales2"), world.caller("sw_sales1")
    first = world.mentoring.sign_up(a, sid)
    assert (first.signed_up, first.seats_left, first.mine) == (1, 1, True)
    assert world.mentoring.sign_up(a, sid).signed_up == 1  # again: nothing changes
    assert world.mentoring.sign_up(b, sid).seats_left == 0
    assert refused(MentoringSessionFullError, lambda: world.mentoring.sign_up(c, sid)).code == "mentoring_session_full"
    assert world.mentoring.get(c, sid).mine is False
    assert world.mentoring.cancel(a, sid).seats_left == 1
    assert world.mentoring.cancel(a, sid).seats_left == 1  # idempotent
    assert world.mentoring.sign_up(c, sid).mine is True
    refused(MentoringHostSignUpError, lambda: world.mentoring.sign_up(world.caller(MENTOR), sid))


def test_no_sign_up_or_cancel_after_the_start(world: World) -> None:
    sid = new_session(world)
    a = world.caller("cd_sales1")
    world.mentoring.sign_up(a, sid)
    world.clock.now = START + timedelta(days=3)  # the start
    assert refused(MentoringSessionStartedError, lambda: world.mentoring.sign_up(world.caller("cd_sales2"), sid))
    refused(MentoringSessionStartedError, lambda: world.mentoring.cancel(a, sid))
    assert world.mentoring.get(a, sid).mine is True


def test_many_people_racing_for_the_seats_never_overfill(world: World) -> None:
    """Twelve threads, three seats: three get one, nine are refused with the code."""
    sid = new_session(world, capacity=3)
    people = [world.add_user(f"racer{i:02d}", "P-CD-0" + str(1 + i % 3)) for i in range(12)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def go(who: Caller) -> None:
        barrier.wait()
        try:
            world.mentoring.sign_up(who, sid)
            result = "ok"
        except MentoringSessionFullError as exc:
            result = exc.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=go, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["mentoring_session_full"] * 9 + ["ok"] * 3
    with world.db.read() as s:
        assert s.scalar(select(func.count()).where(MentoringSignUpRow.session_id == sid)) == 3


def test_one_person_racing_themselves_holds_one_seat(world: World) -> None:
    sid = new_session(world, capacity=5)
    who = world.caller("cd_sales1")
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def go() -> None:
        barrier.wait()
        try:
            world.mentoring.sign_up(who, sid)
        except Exception as exc:  # any failure is the test's failure
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert world.mentoring.get(who, sid).signed_up == 1


# --------------------------------------------------------------------------- after the session


def test_the_host_records_notes_and_attendance_which_count(world: World) -> None:
    host = confirmed(world)
    sid = new_session(world, host, duration_minutes=45, capacity=5)
    other = new_session(world, host, duration_minutes=30, starts_at=START + timedelta(days=4))
    a, b, c = world.caller("cd_sales1"), world.caller("cd_sales2"), world.caller("sw_sales1")
    for who in (a, b, c):
        world.mentoring.sign_up(who, sid)
    world.mentoring.sign_up(a, other)
    refused(MentoringSessionNotStartedError, lambda: world.mentoring.mark_attendance(host, sid, [a.user_id]))
    refused(MentoringSessionNotStartedError, lambda: world.mentoring.record(host, sid, notes="x", recording_url=None))
    world.clock.now = START + timedelta(days=5)
    refused(MentoringForbiddenError, lambda: world.mentoring.mark_attendance(a, sid, [a.user_id]))
    refused(MentoringForbiddenError, lambda: world.mentoring.record(a, sid, notes="x", recording_url=None))
    error = refused(NotSignedUpError, lambda: world.mentoring.mark_attendance(host, sid, ["u-hz_sales1"]))
    assert error.field == "attended"
    view = world.mentoring.mark_attendance(host, sid, [a.user_id, b.user_id])
    assert {(s.user_id, s.attended) for s in view.signups} == {(a.user_id, True), (b.user_id, True), (c.user_id, False)}
    view = world.mentoring.mark_attendance(host, sid, [a.user_id, c.user_id])  # replaces the last list
    assert {s.user_id for s in view.signups if s.attended} == {a.user_id, c.user_id}
    world.mentoring.mark_attendance(world.caller("n_admin"), other, [a.user_id])  # an admin may too
    assert world.mentoring.get(a, sid).attended is True and world.mentoring.get(a, sid).signups == ()

    with world.db.read() as s:
        counted = attendance_by_user(s, [a.user_id, b.user_id, c.user_id, "u-nobody"])
    assert counted == {a.user_id: MentoringAttendance(2, 75), c.user_id: MentoringAttendance(1, 45)}
    assert world.mentoring.me(a).attendance == MentoringAttendance(sessions=2, minutes=75)

    refused(
        InvalidRecordError,
        lambda: world.mentoring.record(host, sid, notes=None, recording_url="javascript:alert(1)"),
    )
    refused(InvalidRecordError, lambda: world.mentoring.record(host, sid, notes="长" * 4001, recording_url=None))
    done = world.mentoring.record(host, sid, notes="  要点：先讲案例  ", recording_url="https://rec.example.com/1")
    assert (done.notes, done.recording_url, done.recorded_at) == (
        "要点：先讲案例",
        "https://rec.example.com/1",
        world.clock.now,
    )
    assert world.mentoring.record(host, sid, notes="", recording_url="").notes is None  # empty clears


# --------------------------------------------------------------------------- the channel tree


def test_a_session_is_seen_on_its_line_of_the_tree_only(world: World) -> None:
    host = confirmed(world)
    sid = new_session(world, host)  # scope: the host's region R-SW
    seen_by = ("cd_sales2", "sw_sales1", "sw_manager", "n_manager", "n_admin", "cd_boss1")
    for who in seen_by:
        assert world.mentoring.get(world.caller(who), sid).id == sid, who
        assert [v.id for v in world.mentoring.sessions(world.caller(who)).sessions] == [sid], who
    missing = "MS-" + "0" * 32
    for who in ("hz_sales1", "ec_manager", "sz_boss1"):
        caller = world.caller(who)
        hidden = refused(MentoringSessionNotFoundError, partial(world.mentoring.get, caller, sid))
        gone = refused(MentoringSessionNotFoundError, partial(world.mentoring.get, caller, missing))
        assert (hidden.code, str(type(hidden))) == (gone.code, str(type(gone)))
        refused(MentoringSessionNotFoundError, partial(world.mentoring.sign_up, caller, sid))
        assert world.mentoring.sessions(caller).total == 0
    # Nation-wide when an admin creates it.
    national = world.mentoring.create(
        world.caller("n_admin"),
        host_user_id=host.user_id,
        topic="全国分享",
        starts_at=START + timedelta(days=2),
        duration_minutes=30,
        capacity=10,
    )
    assert world.mentoring.sign_up(world.caller("hz_sales1"), national.id).mine is True
    # The confirmed-mentor list follows the same rule.
    assert [m.username for m in world.mentoring.mentors(world.caller("cd_sales2"))] == [MENTOR]
    assert world.mentoring.mentors(world.caller("hz_sales1")) == ()


def test_pages_of_upcoming_and_past_sessions(world: World) -> None:
    host = confirmed(world)
    ids = [new_session(world, host, starts_at=START + timedelta(days=d)) for d in (3, 1, 2)]
    page = world.mentoring.sessions(world.caller("cd_sales1"), when="upcoming", limit=2)
    assert [v.id for v in page.sessions] == [ids[1], ids[2]] and (page.total, page.limit) == (3, 2)
    assert [v.id for v in world.mentoring.sessions(world.caller("cd_sales1"), offset=2).sessions] == [ids[0]]
    world.clock.now = START + timedelta(days=2, hours=1)
    past = world.mentoring.sessions(world.caller("cd_sales1"), when="past")
    assert [v.id for v in past.sessions] == [ids[2], ids[1]] and all(v.started for v in past.sessions)
    assert world.mentoring.sessions(world.caller("cd_sales1"), limit=10_000).limit == RULES.max_page_size
