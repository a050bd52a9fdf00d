"""The operations dashboard's figures on the shipped data (corpus/rebates, corpus/ops; today
pinned in 2026Q4), on SQLite and PostgreSQL, against plain reference computations straight
from the CSV files and the rebate statements; and each viewer sees its subtree only."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from assistant.dialogue.types import Caller
from assistant.ops.alert_service import AlertService
from assistant.ops.alerts import load_rules
from assistant.ops.dashboard import (
    INFINITE,
    TREND_WEEKS,
    DashboardService,
    Panel,
    days_of_inventory,
    product_line,
)
from assistant.ops.loader import seed
from assistant.ops.tables import AlertStatus
from assistant.rebates.errors import PartnerNotFoundError, QuarterNotFoundError
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService
from assistant.storage.db import Database, migrate
from assistant.storage.models import User
from assistant.tasks.model import load_pace_rules
from assistant.tasks.service import TaskService
from tests.storage_backends import database_for

ROOT = Path(__file__).resolve().parents[2]
REBATES = ROOT / "corpus" / "rebates"
OPS = ROOT / "corpus" / "ops"
TODAY = date(2026, 11, 27)
Q3, Q4 = Quarter(2026, 3), Quarter(2026, 4)

ADMIN = Caller(user_id="u-n_admin", partner_id="N-001", role="admin")
EAST = Caller(user_id="u-ec_manager", partner_id="R-EC", role="manager")
HANGZHOU = Caller(user_id="u-hz_manager", partner_id="A-HZ", role="manager")
SUZHOU = Caller(user_id="u-su_manager", partner_id="A-SU", role="manager")
SALES = Caller(user_id="u-hz_sales1", partner_id="P-HZ-01", role="sales")
VIEWERS = (ADMIN, EAST, HANGZHOU, SUZHOU, SALES)


class World:
    def __init__(self, url: str) -> None:
        migrate(url)
        self.db = Database(url)
        self.rebates = RebateService(db=self.db, today=lambda: TODAY)
        self.rebates.open(seed_dir=REBATES)
        seed(self.db, OPS)
        self.rules = load_rules()
        self.alerts = AlertService(db=self.db, rebates=self.rebates, rules=self.rules)
        self.alerts.start()
        with self.db.write() as s:
            s.add(
                User(
                    id="u-n_admin",
                    username="n_admin",
                    display_name="HQ",
                    password_hash="x",
                    partner_id="N-001",
                    role="admin",
                )
            )
        self.tasks = TaskService(
            db=self.db, rebates=self.rebates, rules=load_pace_rules(ROOT / "corpus" / "tasks" / "pace.yaml")
        )
        self.service = DashboardService(db=self.db, rebates=self.rebates, rules=self.rules, tasks=self.tasks)

    def partners(self, viewer: Caller) -> set[str]:
        network = self.rebates.state.network
        return {n.id for n in network.partners_under(viewer.partner_id, include_inactive=True)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[World]:
    with database_for(module_backend, tmp_path_factory.mktemp("dashboard")) as url:
        w = World(url)
        yield w
        w.db.dispose()


def read_csv(name: str) -> list[dict[str, str]]:
    with (OPS / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


INVENTORY = read_csv("inventory.csv")
FEEDBACK = read_csv("feedback.csv")


# --------------------------------------------------------------------------- sales


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.partner_id)
def test_sales_against_target_equal_the_statements(world: World, viewer: Caller) -> None:
    for quarter in (Q3, Q4):
        panel = world.service.dashboard(viewer, quarter=str(quarter), panels=[Panel.SALES]).sales
        assert panel is not None
        actual = target = Decimal(0)
        for pid in world.partners(viewer):
            statement = world.rebates.statement(viewer=ADMIN, quarter=str(quarter), partner_id=pid).statement
            actual += statement.sales.net
            target += statement.baseline.amount
        assert (panel.total.actual, panel.total.target) == (actual, target)
        assert panel.total.attainment == (actual / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        assert sum(g.actual for g in panel.groups) == actual
        assert panel.elapsed == (Decimal(1) if quarter == Q3 else Decimal("0.6304"))  # 58 of 92 days
    groups = world.service.dashboard(viewer, quarter="2026Q4").sales.groups  # type: ignore[union-attr]
    network = world.rebates.state.network
    expected = [viewer.partner_id] if viewer is SALES else [c.id for c in network.children(viewer.partner_id)]
    assert [g.node_id for g in groups] == expected


# --------------------------------------------------------------------------- inventory


def reference_inventory(partners: set[str], quarter: Quarter, window: int) -> dict[str, object]:
    """The reference week, the lines and the trend, computed plainly from inventory.csv."""
    rows = [r for r in INVENTORY if r["partner_id"] in partners and date.fromisoformat(r["week"]) <= TODAY]
    weeks = sorted({date.fromisoformat(r["week"]) for r in rows})
    ref = max(w for w in weeks if quarter.contains(w))
    lines: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # stock, sold, weeks
    per_product_weeks: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        week = date.fromisoformat(r["week"])
        if ref - timedelta(weeks=window - 1) <= week <= ref:
            key = (r["partner_id"], product_line(r["product_id"]))
            lines[key][1] += int(r["sell_through_units"])
            per_product_weeks[(r["partner_id"], r["product_id"])] += 1
            if week == ref:
                lines[key][0] += int(r["stock_units"])
    for (pid, product), n in per_product_weeks.items():
        key = (pid, product_line(product))
        lines[key][2] = max(lines[key][2], n)
    totals = {w: [0, 0] for w in weeks}
    for r in rows:
        w = date.fromisoformat(r["week"])
        totals[w][0] += int(r["stock_units"])
        totals[w][1] += int(r["sell_through_units"])
    trend = []
    for w in [w for w in weeks if ref - timedelta(weeks=TREND_WEEKS) < w <= ref]:
        span = [x for x in weeks if w - timedelta(weeks=window - 1) <= x <= w]
        sold = sum(totals[x][1] for x in span)
        doi = (
            (Decimal(totals[w][0]) * 7 * len(span) / sold).quantize(Decimal("0.1"), ROUND_HALF_UP) if sold else INFINITE
        )
        trend.append((w, totals[w][0], doi))
    return {"ref": ref, "lines": dict(lines), "trend": trend}


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.partner_id)
def test_inventory_equals_a_plain_computation(world: World, viewer: Caller) -> None:
    window = world.rules.overstock.window_weeks
    for quarter in (Q3, Q4):
        panel = world.service.dashboard(viewer, quarter=str(quarter), panels=[Panel.INVENTORY]).inventory
        assert panel is not None
        ref = reference_inventory(world.partners(viewer), quarter, window)
        assert panel.week == ref["ref"]
        want = ref["lines"]
        assert isinstance(want, dict)
        got = {(x.partner_id, x.product_line): x for x in panel.lines}
        assert set(got) == set(want) and panel.line_count == len(want)
        for key, (stock, sold, weeks) in want.items():
            line = got[key]
            assert (line.stock_units, line.sell_through_units) == (stock, sold), key
            assert line.doi_days == days_of_inventory(stock, sold, weeks), key
        assert [(p.week, p.stock_units, p.doi_days) for p in panel.trend] == ref["trend"]
        assert len(panel.trend) == TREND_WEEKS
        assert panel.stock_units == sum(s for s, _, _ in want.values())
        for line in panel.lines:
            assert line.peak_product_id.startswith(line.product_line + "-") or line.peak_product_id.upper().startswith(
                line.product_line
            )


def test_overstock_flags_its_line_in_the_planted_run(world: World) -> None:
    """P-CQ-01's EG-1100 stops selling from 2026-10-12 for 8 weeks (planted overstock): at the
    week of 2026-11-23 its gateway line is flagged by that product, first of the list, even
    though the line as a whole still sells."""
    panel = world.service.dashboard(ADMIN, quarter="2026Q4", panels=[Panel.INVENTORY]).inventory
    assert panel is not None
    line = panel.lines[0]
    assert (line.partner_id, line.product_line, line.peak_product_id) == ("P-CQ-01", "EG", "EG-1100")
    assert line.peak_doi_days > world.rules.overstock.days.threshold and line.level == "high"
    assert line.doi_days < line.peak_doi_days
    rows = [
        r
        for r in INVENTORY
        if r["partner_id"] == "P-CQ-01" and r["product_id"] == "EG-1100" and r["week"] == "2026-11-23"
    ]
    assert int(rows[0]["stock_units"]) >= world.rules.overstock.min_stock_units
    clean = [x for x in panel.lines if x.peak_doi_days <= world.rules.overstock.days.threshold]
    assert clean and all(x.level == "ok" for x in clean)


# --------------------------------------------------------------------------- feedback


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.partner_id)
def test_customer_feedback_equals_a_plain_computation(world: World, viewer: Caller) -> None:
    partners = world.partners(viewer)
    panel = world.service.dashboard(viewer, quarter="2026Q3", panels=[Panel.FEEDBACK]).feedback
    assert panel is not None
    quarters = [Quarter(2025, 4), Quarter(2026, 1), Quarter(2026, 2), Q3]
    assert [t.quarter for t in panel.trend] == [str(q) for q in quarters]
    for q, point in zip(quarters, panel.trend, strict=True):
        rows = [r for r in FEEDBACK if r["partner_id"] in partners and q.contains(date.fromisoformat(r["date"]))]
        scores = [int(r["score"]) for r in rows if r["kind"] == "survey"]
        assert point.surveys == len(scores)
        assert point.complaints == sum(1 for r in rows if r["kind"] == "complaint")
        if scores:
            assert point.mean_score == (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            happy = sum(1 for s in scores if s >= 4)
            assert point.satisfaction == (Decimal(happy) / len(scores)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        else:
            assert point.mean_score is None and point.satisfaction is None
    complaints = [
        r
        for r in FEEDBACK
        if r["partner_id"] in partners and Q3.contains(date.fromisoformat(r["date"])) and r["kind"] == "complaint"
    ]
    want: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in complaints:
        want[r["category"]][r["status"]] += 1
    got = {c.category: {"open": c.open, "in_progress": c.in_progress, "closed": c.closed} for c in panel.categories}
    assert got == {cat: {s: st.get(s, 0) for s in ("open", "in_progress", "closed")} for cat, st in want.items()}
    assert dict(panel.complaints_by_status) == {
        s: sum(1 for r in complaints if r["status"] == s) for s in ("open", "in_progress", "closed")
    }
    assert (panel.surveys, panel.complaints) == (panel.trend[-1].surveys, len(complaints))


def test_feedback_of_the_current_quarter_stops_at_today(world: World) -> None:
    panel = world.service.dashboard(ADMIN, quarter="2026Q4", panels=[Panel.FEEDBACK]).feedback
    assert panel is not None
    later = [r for r in FEEDBACK if Q4.contains(date.fromisoformat(r["date"]))]
    upto = [r for r in later if date.fromisoformat(r["date"]) <= TODAY]
    assert panel.trend[-1].surveys + panel.trend[-1].complaints == len(upto)


# --------------------------------------------------------------------------- alerts and tasks


@pytest.mark.parametrize("viewer", (ADMIN, EAST, HANGZHOU, SUZHOU), ids=lambda v: v.partner_id)
def test_alert_counts_equal_the_alert_list(world: World, viewer: Caller) -> None:
    panel = world.service.dashboard(viewer, panels=[Panel.ALERTS]).alerts
    assert panel is not None
    listed = [a for a in world.alerts.alerts_for(viewer) if a.firing]
    for status, counts in (
        (AlertStatus.OPEN, panel.open_by_severity),
        (AlertStatus.ACKNOWLEDGED, panel.acknowledged_by_severity),
    ):
        assert dict(counts) == {
            s: sum(1 for a in listed if a.status is status and a.severity == s) for s in ("high", "medium", "low")
        }
    assert panel.open == sum(1 for a in listed if a.status is AlertStatus.OPEN) > 0


def test_alerts_are_for_managers_and_admins_only(world: World) -> None:
    assert world.service.dashboard(SALES).alerts is None
    editor = Caller(user_id="u-n_editor", partner_id="N-001", role="content_admin")
    assert world.service.dashboard(editor).alerts is None


def test_tasks_are_the_task_service_views_of_the_quarter(world: World) -> None:
    created = world.tasks.create_task(
        caller=ADMIN, title="Q4 拜访", kind="visits", goal=300, start=date(2026, 10, 1), due=date(2026, 12, 31)
    )
    for viewer in (ADMIN, EAST, HANGZHOU):
        panel = world.service.dashboard(viewer, quarter="2026Q4", panels=[Panel.TASKS]).tasks
        assert panel is not None
        line = next(t for t in panel.tasks if t.task_id == created.task.id)
        view = world.tasks.task(caller=viewer, task_id=created.task.id)
        assert (line.quantity, line.progress, line.status) == (
            view.scope.quantity,
            view.scope.progress,
            view.scope.status.value,
        )
        assert line.status == "at_risk" and panel.at_risk >= 1  # nothing reported by late November
        assert panel.total == len(panel.tasks)
    assert world.service.dashboard(ADMIN, quarter="2026Q2", panels=[Panel.TASKS]).tasks.tasks == ()  # type: ignore[union-attr]


# --------------------------------------------------------------------------- access


def test_each_viewer_sees_its_subtree_only(world: World) -> None:
    for viewer in VIEWERS:
        mine = world.partners(viewer)
        board = world.service.dashboard(viewer, quarter="2026Q4")
        assert board.node.id == viewer.partner_id
        assert board.inventory is not None and {x.partner_id for x in board.inventory.lines} <= mine
    hz = {x.partner_id for x in world.service.dashboard(HANGZHOU).inventory.lines}  # type: ignore[union-attr]
    su = {x.partner_id for x in world.service.dashboard(SUZHOU).inventory.lines}  # type: ignore[union-attr]
    assert hz and su and not hz & su
    for stranger in (Caller(user_id="u-x", partner_id="P-NOPE", role="manager"),):
        with pytest.raises(PartnerNotFoundError):
            world.service.dashboard(stranger)
    with pytest.raises(QuarterNotFoundError):
        world.service.dashboard(ADMIN, quarter="2031Q1")
