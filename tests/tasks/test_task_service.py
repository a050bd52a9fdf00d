"""The task domain on the demo channel network and ledger, on SQLite and PostgreSQL: the
default split adds up exactly at every level, edits keep every level adding up, progress
rolls up the tree of today, flags sit exactly at the margin's edge, progress reports are
idempotent by client id, and a refusal changes nothing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from assistant.dialogue.types import Caller
from assistant.rebates.errors import PartnerNotFoundError
from assistant.rebates.network import Level
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from assistant.storage.models import User
from assistant.tasks.errors import (
    AssignmentNotFoundError,
    InvalidBreakdownError,
    InvalidProgressError,
    InvalidTaskError,
    PaceRulesError,
    ProgressConflictError,
    QuantitySumError,
    TaskForbiddenError,
    TaskNotFoundError,
)
from assistant.tasks.model import (
    NodeProgress,
    PaceRules,
    TaskStatus,
    TaskView,
    largest_remainder,
    load_pace_rules,
    parse_pace_rules,
    status_of,
)
from assistant.tasks.service import TaskService, pace_file, product_line_of, task_shares, visible_keys, with_today
from assistant.tasks.tables import TaskAssignmentRow, TaskProgressRow, TaskRow
from tests.channel_world import open_channel_world

REBATES = PROJECT_ROOT / "corpus" / "rebates"
TODAY = date(2026, 11, 27)  # 2026Q4; the split follows 2026Q3's net sales
SHIPPED_RULES = load_pace_rules(PROJECT_ROOT / "corpus" / "tasks" / "pace.yaml")


@dataclass
class World:
    db: Database
    rebates: RebateService
    tasks: TaskService
    users: dict[str, Caller]

    def caller(self, username: str) -> Caller:
        return self.users[username]

    def add_user(self, username: str, partner_id: str, role: str) -> Caller:
        with self.db.write() as s:
            s.add(User(id=f"u-{username}", username=username, password_hash="x", partner_id=partner_id, role=role))
        self.users[username] = Caller(user_id=f"u-{username}", partner_id=partner_id, role=role)
        return self.users[username]

    def quantities(self) -> dict[tuple[str, str], int]:
        with self.db.read() as s:
            return {(r.task_id, r.key): r.quantity for r in s.scalars(select(TaskAssignmentRow))}

    def reports(self) -> int:
        with self.db.read() as s:
            return len(list(s.scalars(select(TaskProgressRow))))


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    channel = open_channel_world(database_url, today=TODAY)
    db, rebates, users = channel.db, channel.rebates, channel.users
    yield World(db=db, rebates=rebates, tasks=TaskService(db=db, rebates=rebates, rules=SHIPPED_RULES), users=users)
    db.dispose()


def create(world: World, goal: int = 120, **fields: object) -> TaskView:
    values: dict[str, object] = {
        "title": "四季度新客户",
        "kind": "new_customers",
        "goal": goal,
        "start": date(2026, 10, 1),
        "due": date(2026, 12, 31),
    }
    values.update(fields)
    return world.tasks.create_task(caller=world.caller("n_admin"), **values)  # type: ignore[arg-type]


def assert_adds_up(node: NodeProgress) -> None:
    """Every node's children add up to its quantity, all the way down."""
    if node.children:
        assert sum(c.quantity for c in node.children) == node.quantity, node.key
        assert node.children_quantity == node.quantity
    for child in node.children:
        assert_adds_up(child)


def within_quota(part: int, total: int, weight: Fraction, whole: Fraction) -> bool:
    exact = total * weight / whole
    return math.floor(exact) <= part <= math.ceil(exact)


# --------------------------------------------------------------------------- pure arithmetic


@given(
    total=st.integers(0, 10**6),
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=40),
)
def test_largest_remainder_adds_up_exactly_and_stays_within_one_of_the_quota(total: int, weights: list[int]) -> None:
    parts = largest_remainder(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        if whole == 0:  # nothing to go by: an equal split
            assert within_quota(part, total, Fraction(1), Fraction(len(weights)))
        else:
            assert within_quota(part, total, Fraction(weight), Fraction(whole))


def test_largest_remainder_gives_the_rest_to_the_largest_remainders_then_the_earlier() -> None:
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(7, [5, 3, 2]) == [4, 2, 1]  # 3.5, 2.1, 1.4: the .5 gets the spare one
    assert largest_remainder(0, [3, 4]) == [0, 0]


RULES = parse_pace_rules(yaml.safe_load((PROJECT_ROOT / "corpus" / "tasks" / "pace.yaml").read_text("utf-8")))


def rules(margin: str, min_elapsed: str = "0") -> PaceRules:
    return PaceRules(
        version=1,
        margin=Fraction(margin),
        min_elapsed=Fraction(min_elapsed),
        floor_share=Fraction(0),
        kinds=RULES.kinds,
    )


def test_at_risk_sits_exactly_at_the_margin_edge() -> None:
    start, due = date(2026, 11, 1), date(2026, 11, 10)  # ten days
    today = date(2026, 11, 6)  # five days passed: 100 expects 50; margin 1/5 -> the line is 40
    flag = rules("0.2")
    assert status_of(quantity=100, progress=40, start=start, due=due, today=today, rules=flag) is TaskStatus.ON_TRACK
    assert status_of(quantity=100, progress=39, start=start, due=due, today=today, rules=flag) is TaskStatus.AT_RISK
    # A larger margin tolerates more: the line moves to 25.
    loose = rules("0.5")
    assert status_of(quantity=100, progress=25, start=start, due=due, today=today, rules=loose) is TaskStatus.ON_TRACK
    assert status_of(quantity=100, progress=24, start=start, due=due, today=today, rules=loose) is TaskStatus.AT_RISK


def test_no_at_risk_flag_before_the_minimum_share_of_the_period() -> None:
    start, due = date(2026, 11, 1), date(2026, 11, 10)
    early = rules("0.2", "0.3")
    # 2/10 passed: below 0.3, nothing reported yet is still on track; at 3/10 it is at risk.
    assert status_of(quantity=100, progress=0, start=start, due=due, today=date(2026, 11, 3), rules=early) is (
        TaskStatus.ON_TRACK
    )
    assert status_of(quantity=100, progress=0, start=start, due=due, today=date(2026, 11, 4), rules=early) is (
        TaskStatus.AT_RISK
    )


def test_overdue_done_and_not_started() -> None:
    start, due = date(2026, 11, 1), date(2026, 11, 10)
    flag = rules("0.2")
    after = date(2026, 11, 11)
    assert status_of(quantity=10, progress=9, start=start, due=due, today=after, rules=flag) is TaskStatus.OVERDUE
    assert status_of(quantity=10, progress=10, start=start, due=due, today=after, rules=flag) is TaskStatus.DONE
    assert status_of(quantity=10, progress=9, start=start, due=due, today=due, rules=flag) is TaskStatus.ON_TRACK
    before = date(2026, 10, 1)
    assert status_of(quantity=10, progress=0, start=start, due=due, today=before, rules=flag) is TaskStatus.NOT_STARTED
    assert status_of(quantity=0, progress=0, start=start, due=due, today=after, rules=flag) is TaskStatus.DONE


def test_the_margin_comes_from_the_data_file(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "corpus" / "tasks" / "pace.yaml").read_text("utf-8")
    (tmp_path / "tasks").mkdir()
    path = tmp_path / "tasks" / "pace.yaml"
    path.write_text(text.replace("margin: 0.2", "margin: 0.35"), encoding="utf-8")
    assert pace_file(tmp_path, PROJECT_ROOT / "corpus") == path
    assert load_pace_rules(path).margin == Fraction(35, 100)
    assert SHIPPED_RULES.margin == Fraction(1, 5)
    # A corpus without the file falls back to the shipped one.
    assert pace_file(tmp_path / "nothing", PROJECT_ROOT / "corpus") == PROJECT_ROOT / "corpus" / "tasks" / "pace.yaml"


def test_a_broken_rules_file_lists_every_problem() -> None:
    with pytest.raises(PaceRulesError) as caught:
        parse_pace_rules({"at_risk": {"margin": 1.5}, "kinds": {"visits": {"label": "拜访"}, "calls": {}}})
    text = str(caught.value)
    for problem in ("at_risk.margin", "kinds.visits", "kinds.new_customers", "unknown kinds calls"):
        assert problem in text


def test_product_line_of_an_order() -> None:
    assert product_line_of("EG-2100") == "EG" and product_line_of("SN-VB500-Pro") == "SN"


# --------------------------------------------------------------------------- default split


def test_the_default_split_adds_up_exactly_at_every_level(world: World) -> None:
    world.add_user("hz_sales1b", "P-HZ-01", "sales")  # two salespeople share P-HZ-01's part
    for goal in (1, 7, 997):
        view = create(world, goal=goal, kind="visits", product_line=None)
        tree = view.scope
        assert tree.key == "N-001" and tree.quantity == goal
        assert_adds_up(tree)
        people = [c for c in tree.find("P-HZ-01").children]  # type: ignore[union-attr]
        assert {p.key for p in people} == {"P-HZ-01/hz_sales1", "P-HZ-01/hz_sales1b"}
        assert sorted(p.quantity for p in people) == sorted(
            largest_remainder(people[0].quantity + people[1].quantity, [1, 1])
        )


def test_the_default_split_follows_last_quarters_net_sales(world: World) -> None:
    view = create(world, goal=1000, kind="demos", product_line=None)
    network = world.rebates.state.network
    ledger = world.rebates.state.ledger
    q3 = Quarter(2026, 3)

    def net(node_id: str) -> Fraction:
        return sum((Fraction(ledger.net_sales(p.id, q3)) for p in network.partners_under(node_id)), Fraction(0))

    regions = view.scope.children
    whole = sum((net(r.node_id) for r in regions), Fraction(0))
    assert whole > 0
    for region in regions:
        assert within_quota(region.quantity, 1000, net(region.node_id), whole), region.key
    assert view.task.basis_quarter == "2026Q3"


def test_a_product_line_task_splits_by_that_lines_sales(world: World) -> None:
    view = create(world, goal=500, product_line="AR")
    ledger = world.rebates.state.ledger
    q3 = Quarter(2026, 3)
    for partner in (n for n in view.scope.walk() if n.level == "partner"):
        sold_ar = sum(o.signed_amount for o in ledger.orders(partner.node_id, q3) if o.product_id.startswith("AR-"))
        if sold_ar <= 0:  # the floor share is 0 in the shipped rules: no AR sales, no AR quota
            assert partner.quantity == 0, partner.key
    assert any(n.quantity > 0 for n in view.scope.walk() if n.level == "partner")
    # A line nobody sold falls back to all net sales: the split still follows the ledger.
    fallback = create(world, goal=500, product_line="ZZ")
    assert [c.quantity for c in fallback.scope.children] == [
        c.quantity for c in create(world, goal=500, product_line=None).scope.children
    ]


def test_a_dry_run_stores_nothing(world: World) -> None:
    view = create(world, goal=50, dry_run=True)
    assert view.scope.quantity == 50
    with world.db.read() as s:
        assert list(s.scalars(select(TaskRow))) == []
    with pytest.raises(TaskNotFoundError):
        world.tasks.task(caller=world.caller("n_admin"), task_id=view.task.id)


# --------------------------------------------------------------------------- who may do what


def test_only_hq_admins_create_tasks(world: World) -> None:
    world.add_user("ec_admin", "R-EC", "admin")
    for username in ("n_manager", "ec_manager", "ec_admin", "hz_manager", "hz_boss1", "hz_sales1"):
        with pytest.raises(TaskForbiddenError):
            world.tasks.create_task(
                caller=world.caller(username),
                title="t",
                kind="visits",
                goal=10,
                start=TODAY,
                due=TODAY + timedelta(days=30),
            )
    with world.db.read() as s:
        assert list(s.scalars(select(TaskRow))) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 101}, "title"),
        ({"kind": "calls"}, "kind"),
        ({"goal": 0}, "goal"),
        ({"goal": 10**6 + 1}, "goal"),
        ({"goal": True}, "goal"),
        ({"product_line": "eg"}, "product_line"),
        ({"start": date(2026, 12, 1), "due": date(2026, 11, 30)}, "due"),
        ({"start": date(2026, 10, 1), "due": date(2026, 11, 26)}, "due"),  # already past
        ({"start": date(2026, 10, 1), "due": date(2029, 1, 1)}, "due"),  # over two years
    ],
)
def test_an_invalid_task_is_refused_naming_the_field(world: World, fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidTaskError) as caught:
        create(world, **fields)
    assert caught.value.field == field
    with world.db.read() as s:
        assert list(s.scalars(select(TaskRow))) == []


def test_a_root_outside_hq_view_is_a_partner_not_found(world: World) -> None:
    with pytest.raises(PartnerNotFoundError):
        create(world, root_id="P-NOPE-01")


# --------------------------------------------------------------------------- visibility


def test_each_caller_sees_its_subtree_and_its_own_share(world: World) -> None:
    task = create(world, goal=300).task
    hz = world.tasks.task(caller=world.caller("hz_manager"), task_id=task.id)
    assert hz.scope.key == "A-HZ" and hz.mine.key == "A-HZ"
    keys = visible_keys(hz)
    assert {"A-HZ", "P-HZ-01", "P-HZ-02", "P-HZ-03", "P-HZ-04", "P-HZ-01/hz_sales1"} <= keys
    assert {k.split("/")[0] for k in keys} == {"A-HZ", "P-HZ-01", "P-HZ-02", "P-HZ-03", "P-HZ-04"}
    sales = world.tasks.task(caller=world.caller("hz_sales1"), task_id=task.id)
    assert sales.scope.key == "P-HZ-01" and sales.mine.key == "P-HZ-01/hz_sales1"
    boss = world.tasks.task(caller=world.caller("hz_boss1"), task_id=task.id)  # the partner's manager
    assert boss.mine.key == "P-HZ-01"
    region = world.tasks.task(caller=world.caller("ec_manager"), task_id=task.id)
    assert {c.key for c in region.scope.children} == {"A-HZ", "A-SU", "A-NB"}


def test_an_id_outside_the_subtree_answers_like_a_missing_one(world: World) -> None:
    south = create(world, goal=40, root_id="R-SC").task
    hq = world.tasks.task(caller=world.caller("n_admin"), task_id=south.id)
    assert (hq.scope.key, hq.mine) == ("R-SC", None)  # HQ watches a region's task, with no share
    with pytest.raises(AssignmentNotFoundError):
        world.tasks.report_progress(world.caller("n_admin"), south.id, 1, "", "hq-1")
    assert south.id in {v.task.id for v in world.tasks.tasks_for(world.caller("n_admin"))}
    sales = world.caller("hz_sales1")
    for task_id in (south.id, "TK-000000000000", "x" * 500):
        with pytest.raises(TaskNotFoundError):
            world.tasks.task(caller=sales, task_id=task_id)
        with pytest.raises(TaskNotFoundError):
            world.tasks.report_progress(sales, task_id, 1, "", "c-1")
    assert all(v.task.id != south.id for v in world.tasks.tasks_for(sales))
    national = create(world, goal=40).task
    for node in ("P-HZ-02", "A-HZ", "N-001", "P-SZ-01", "P-NOPE-9", "P-HZ-02/hz_sales2"):
        with pytest.raises(AssignmentNotFoundError):
            world.tasks.progress_of(sales, national.id, node)
    with pytest.raises(AssignmentNotFoundError):
        world.tasks.set_quantities(
            caller=world.caller("hz_manager"), task_id=national.id, parent="A-SU", items=[("P-SU-01", 1)]
        )


def test_a_deactivated_callers_node_reads_nothing(world: World) -> None:
    task = create(world, goal=40).task
    world.rebates.deactivate_node(viewer=world.caller("n_admin"), node_id="P-HZ-04")
    gone = Caller(user_id="u-hz_sales4", partner_id="P-HZ-04", role="sales")
    with pytest.raises(TaskNotFoundError):
        world.tasks.task(caller=gone, task_id=task.id)
    with pytest.raises(PartnerNotFoundError):
        world.tasks.tasks_for(gone)
    # Its ancestors still see its share (history), as with rebates.
    assert world.tasks.task(caller=world.caller("hz_manager"), task_id=task.id).scope.find("P-HZ-04") is not None


def test_a_move_changes_access_and_roll_ups_at_once(world: World) -> None:
    task = create(world, goal=200, kind="visits", product_line=None).task
    world.tasks.report_progress(world.caller("hz_sales2"), task.id, 5, "拜访", "m1")
    before_su = world.tasks.progress_of(world.caller("su_manager"), task.id)
    world.rebates.move_node(viewer=world.caller("n_admin"), node_id="P-HZ-02", new_parent_id="A-SU")
    hz = world.tasks.task(caller=world.caller("hz_manager"), task_id=task.id)
    assert hz.scope.find("P-HZ-02") is None and hz.scope.progress == 0
    su = world.tasks.task(caller=world.caller("su_manager"), task_id=task.id)
    moved = su.scope.find("P-HZ-02")
    assert moved is not None and su.scope.progress == before_su.progress + 5
    assert su.scope.children_quantity == su.scope.quantity + moved.quantity  # until a manager re-balances


# --------------------------------------------------------------------------- edits


def test_editing_a_level_rescales_every_level_below_it(world: World) -> None:
    task = create(world, goal=600, kind="visits", product_line=None).task
    admin = world.caller("n_admin")
    regions = world.tasks.task(caller=admin, task_id=task.id).scope.children
    ec, other = (
        next(r for r in regions if r.key == "R-EC"),
        next(r for r in regions if r.key != "R-EC" and r.quantity >= 7),
    )
    view = world.tasks.set_quantities(
        caller=admin, task_id=task.id, items=[("R-EC", ec.quantity + 7), (other.key, other.quantity - 7)]
    )
    assert view.scope.find("R-EC").quantity == ec.quantity + 7  # type: ignore[union-attr]
    assert_adds_up(view.scope)
    # A regional manager re-splits its alliances; a partner's manager its salespeople.
    world.add_user("hz_sales1b", "P-HZ-01", "sales")
    region = world.tasks.task(caller=world.caller("ec_manager"), task_id=task.id).scope
    alliances = {c.key: c.quantity for c in region.children}
    total = sum(alliances.values())
    edited = world.tasks.set_quantities(
        caller=world.caller("ec_manager"),
        task_id=task.id,
        items=[("A-HZ", total - 2), ("A-SU", 1), ("A-NB", 1)],
    )
    assert {c.key: c.quantity for c in edited.scope.children} == {"A-HZ": total - 2, "A-SU": 1, "A-NB": 1}
    assert_adds_up(edited.scope)


def test_a_refused_edit_changes_nothing(world: World) -> None:
    task = create(world, goal=120).task
    before = world.quantities()
    manager = world.caller("hz_manager")
    view = world.tasks.task(caller=manager, task_id=task.id)
    first = view.scope.children[0]
    with pytest.raises(QuantitySumError):
        world.tasks.set_quantities(caller=manager, task_id=task.id, items=[(first.key, first.quantity + 1)])
    with pytest.raises(InvalidBreakdownError) as caught:
        world.tasks.set_quantities(caller=manager, task_id=task.id, items=[(first.key, 1), ("P-SU-01", 1)])
    assert (caught.value.item, caught.value.field) == (1, "assignee")
    with pytest.raises(InvalidBreakdownError) as caught:
        world.tasks.set_quantities(caller=manager, task_id=task.id, items=[(first.key, 1), (first.key, 1)])
    assert caught.value.item == 1
    with pytest.raises(InvalidBreakdownError) as caught:
        world.tasks.set_quantities(caller=manager, task_id=task.id, items=[(first.key, -1)])
    assert (caught.value.item, caught.value.field) == (0, "quantity")
    with pytest.raises(TaskForbiddenError):
        world.tasks.set_quantities(caller=world.caller("hz_sales1"), task_id=task.id, items=[(first.key, 1)])
    assert world.quantities() == before


# --------------------------------------------------------------------------- progress


def test_progress_rolls_up_the_tree(world: World) -> None:
    task = create(world, goal=400, kind="visits", product_line=None).task
    world.tasks.report_progress(world.caller("hz_sales1"), task.id, 3, "拜访了3家客户", "a")
    world.tasks.report_progress(world.caller("hz_boss1"), task.id, 2, "老板亲自拜访", "b")  # the partner's own line
    world.tasks.report_progress(world.caller("hz_sales2"), task.id, 4, "", "c")
    world.tasks.report_progress(world.caller("hz_manager"), task.id, 1, "联盟活动", "d")
    world.tasks.report_progress(world.caller("sz_sales1"), task.id, 6, "", "e")
    hz = world.tasks.progress_of(world.caller("hz_manager"), task.id)
    assert (hz.own_progress, hz.progress) == (1, 3 + 2 + 4 + 1)
    p1 = hz.find("P-HZ-01")
    assert p1 is not None and (p1.own_progress, p1.progress) == (2, 5)
    national = world.tasks.progress_of(world.caller("n_admin"), task.id)
    assert national.progress == 16
    assert sum(c.progress for c in national.children) + national.own_progress == national.progress
    mine = world.tasks.progress_of(world.caller("hz_sales1"), task.id)
    assert (mine.key, mine.progress) == ("P-HZ-01/hz_sales1", 3)
    assert world.tasks.reports(world.caller("hz_boss1"), task.id, "P-HZ-01/hz_sales1")[0].note == "拜访了3家客户"


def test_progress_is_idempotent_by_client_id(world: World) -> None:
    task = create(world, goal=100, kind="visits", product_line=None).task
    sales = world.caller("hz_sales1")
    first = world.tasks.report_progress(sales, task.id, 3, "拜访了3家客户", "msg-1")
    again = world.tasks.report_progress(sales, task.id, 3, " 拜访了3家客户 ", "msg-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.report.id == first.report.id and again.mine.progress == 3
    for amount, note in ((4, "拜访了3家客户"), (3, "别的备注")):
        with pytest.raises(ProgressConflictError):
            world.tasks.report_progress(sales, task.id, amount, note, "msg-1")
    assert world.reports() == 1
    # The same client id of another reporter is another report.
    world.tasks.report_progress(world.caller("hz_sales2"), task.id, 2, "", "msg-1")
    assert world.reports() == 2
    assert world.tasks.progress_of(sales, task.id).progress == 3


def test_a_refused_report_changes_nothing(world: World) -> None:
    task = create(world, goal=100, kind="visits", product_line=None).task
    sales = world.caller("hz_sales1")
    world.tasks.report_progress(sales, task.id, 2, "", "ok")
    for amount, note, client_id, field in (
        (0, "", "z1", "amount"),
        (10_001, "", "z2", "amount"),
        (True, "", "z3", "amount"),
        (1, "长" * 501, "z4", "note"),
        (1, "", "", "client_id"),
        (1, "", "has space", "client_id"),
        (-3, "纠正", "z5", "amount"),  # would take the own total below zero
    ):
        with pytest.raises(InvalidProgressError) as caught:
            world.tasks.report_progress(sales, task.id, amount, note, client_id)  # type: ignore[arg-type]
        assert caught.value.field == field
    assert world.reports() == 1
    fixed = world.tasks.report_progress(sales, task.id, -2, "记错了", "fix")  # a correction down to zero is fine
    assert fixed.mine.progress == 0


def test_flags_through_the_service_follow_the_day(world: World) -> None:
    task = create(
        world, goal=92, kind="visits", product_line=None, start=date(2026, 10, 1), due=date(2026, 12, 31)
    ).task
    sales = world.caller("hz_sales1")
    share = world.tasks.progress_of(sales, task.id)
    # 92 days; by the end of 2026-11-15 (46 days) the pace expects half.  Report exactly the
    # margin's line of the shipped rules: (1 - 0.2) * half, rounded up to a whole number.
    day = date(2026, 11, 16)
    half = Fraction(share.quantity * 46, 92)
    line = math.ceil((1 - SHIPPED_RULES.margin) * half)
    if line:
        world.tasks.report_progress(sales, task.id, line, "", "on-the-line")
    on_day = with_today(world.tasks, day)
    assert on_day.progress_of(sales, task.id).status is (
        TaskStatus.ON_TRACK if line or half == 0 else TaskStatus.AT_RISK
    )
    late = with_today(world.tasks, date(2027, 1, 1))
    assert late.progress_of(sales, task.id).status is (TaskStatus.OVERDUE if line < share.quantity else TaskStatus.DONE)
    if line > 0:
        world.tasks.report_progress(sales, task.id, -1, "", "one-less")
        assert on_day.progress_of(sales, task.id).status is TaskStatus.AT_RISK


def test_tasks_for_lists_by_due_date_with_my_share(world: World) -> None:
    later = create(world, goal=30, due=date(2026, 12, 31)).task
    sooner = create(world, goal=30, kind="visits", due=date(2026, 12, 15)).task
    views = world.tasks.tasks_for(world.caller("hz_sales1"))
    assert [v.task.id for v in views] == [sooner.id, later.id]
    assert all(v.mine.key == "P-HZ-01/hz_sales1" and v.scope.key == "P-HZ-01" for v in views)
    assert views[0].unit.label == "客户拜访"
    assert world.rebates.state.network.get("P-HZ-01").level is Level.PARTNER


def test_task_shares_feed_the_overdue_alert_rule(world: World) -> None:
    """Every channel node's share with its rolled-up progress reaches the alert engine; once
    the due date has passed, the shares below their quantity raise overdue_task alerts."""
    from assistant.ops.alerts import AlertInputs, RuleId, evaluate, load_rules

    view = create(world, goal=40, due=TODAY)
    mine = world.caller("hz_sales1")
    hz01 = next(v for v in world.tasks.tasks_for(mine) if v.task.id == view.task.id)
    assert hz01.mine is not None and hz01.mine.quantity > 0
    world.tasks.report_progress(mine, view.task.id, hz01.mine.quantity, client_id="done-1")  # P-HZ-01's share done

    shares = {s.assignee_id: s for s in task_shares(world.tasks, "N-001")}
    assert shares["N-001"].target == 40 and set(shares) >= {"R-EC", "A-HZ", "P-HZ-01"}
    assert all(not key.startswith("u-") for key in shares)  # salespeople roll up into their partner
    state = world.rebates.state
    inputs = AlertInputs(
        ledger=state.ledger,
        policy=state.policy,
        regions={},
        quarters=state.policy.quarters,
        tasks=tuple(shares.values()),
        as_of=TODAY + timedelta(days=10),
    )
    overdue = {a.partner_id for a in evaluate(inputs, load_rules()).alerts if a.rule is RuleId.OVERDUE_TASK}
    assert "N-001" in overdue and "P-HZ-02" in overdue
    assert "P-HZ-01" not in overdue  # its share is done
