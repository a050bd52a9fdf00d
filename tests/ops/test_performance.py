"""Migration 0011_ops, the loader of corpus/ops/, and channel_performance with its
channel_ranking view, on SQLite and on PostgreSQL: the view's score is the Python scorer's
composite (assistant.rebates.ranking) for every partner and quarter."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, func, inspect, select

from assistant.ops.loader import FILES, OpsDataError, seed, seed_at_start
from assistant.ops.performance import ranking_scores, refresh, stored
from assistant.ops.tables import ChannelPerformanceRow, FeedbackRow, InventoryReportRow, ServiceRecordRow
from assistant.rebates.ranking import score_partner
from assistant.rebates.service import RebateService
from assistant.storage.db import Database, alembic_config, migrate
from tests.storage_backends import database_for

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "corpus" / "ops"
REBATES = ROOT / "corpus" / "rebates"
TODAY = date(2026, 12, 31)  # every quarter of the policy is in
QUARTERS = ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
OPS_TABLES = {
    "ops_inventory_reports",
    "ops_feedback",
    "ops_service_records",
    "ops_compliance_records",
    "ops_alerts",
    "channel_performance",
}


@dataclass
class Setup:
    db: Database
    rebates: RebateService


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Setup]:
    with database_for(module_backend, tmp_path_factory.mktemp("ops")) as url:
        migrate(url)
        db = Database(url)
        rebates = RebateService(db=db, today=lambda: TODAY)
        rebates.open(seed_dir=REBATES)
        try:
            yield Setup(db=db, rebates=rebates)
        finally:
            db.dispose()


def _csv_rows(name: str) -> int:
    with (OPS / name).open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _count(db: Database, table: type[object]) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


# -- the migration ---------------------------------------------------------------------------


def _names(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return set(insp.get_table_names()), set(insp.get_view_names())
    finally:
        engine.dispose()


def test_the_migration_goes_down_and_up_again(database_url: str) -> None:
    migrate(database_url)
    tables, views = _names(database_url)
    assert tables >= OPS_TABLES and views == {"channel_ranking"}
    config = alembic_config(database_url)
    command.downgrade(config, "0010_content")  # 0011_ops and what is built on it, nothing else
    tables, views = _names(database_url)
    assert not OPS_TABLES & tables and views == set()
    assert {"channel_nodes", "ledger_orders", "content_items"} <= tables  # the other branches stay
    command.upgrade(config, "heads")
    tables, views = _names(database_url)
    assert tables >= OPS_TABLES and views == {"channel_ranking"}
    # The rebuilt view computes (checked in full below; here: it answers).
    db = Database(database_url)
    try:
        with db.read() as s:
            assert s.execute(sa.text("SELECT count(*) FROM channel_ranking")).scalar() == 0
    finally:
        db.dispose()


# -- the loader ------------------------------------------------------------------------------


def test_the_loader_loads_every_file_once(setup: Setup) -> None:
    first = seed(setup.db, OPS)
    expected = {spec.name: _csv_rows(spec.name) for spec in FILES}
    assert first == expected and min(expected.values()) > 0
    assert seed(setup.db, OPS) == dict.fromkeys(expected, 0)  # idempotent: nothing written again
    seed_at_start(setup.db, OPS)  # the start-up hook is the same no-op now
    assert _count(setup.db, InventoryReportRow) == expected["inventory.csv"]
    assert _count(setup.db, FeedbackRow) == expected["feedback.csv"]
    with setup.db.read() as s:
        row = s.get(FeedbackRow, "FB-2026-00001")
        record = s.scalars(select(ServiceRecordRow).order_by(ServiceRecordRow.id)).first()
    with (OPS / "feedback.csv").open(encoding="utf-8", newline="") as handle:
        raw = next(csv.DictReader(handle))
    assert row is not None and (row.partner_id, row.date.isoformat(), row.text) == (
        raw["partner_id"],
        raw["date"],
        raw["text"],
    )
    assert row.score == (int(raw["score"]) if raw["score"] else None)
    assert record is not None and isinstance(record.opened_at, datetime) and record.opened_at.tzinfo is None


def test_a_bad_file_loads_nothing_and_names_the_line(tmp_path: Path, database_url: str) -> None:
    migrate(database_url)
    db = Database(database_url)
    try:
        RebateService(db=db, today=lambda: TODAY).open(seed_dir=REBATES)
        bad = tmp_path / "ops"
        bad.mkdir()
        for spec in FILES:
            shutil.copy(OPS / spec.name, bad / spec.name)
        with (OPS / "feedback.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows[2]["kind"] == "survey"
        rows[2]["score"] = "9"  # line 4 of the file
        with (bad / "feedback.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        with (bad / "service.csv").open("a", encoding="utf-8") as handle:
            handle.write("SV-2026-99999,P-NOPE-01,ticket,2026-01-05T02:00:00Z,10,\n")
        with pytest.raises(OpsDataError) as caught:
            seed(db, bad)
        text = str(caught.value)
        assert "feedback.csv: line 4: score" in text
        assert "service.csv: line" in text and "'P-NOPE-01' is not a known partner" in text
        assert _count(db, InventoryReportRow) == 0  # a refused load writes nothing, not even the good files
        seed_at_start(db, bad)  # at start: logged, nothing loaded, no exception
        assert _count(db, FeedbackRow) == 0
    finally:
        db.dispose()


# -- channel_performance and channel_ranking -------------------------------------------------


def test_channel_ranking_is_the_python_composite_for_every_partner_and_quarter(setup: Setup) -> None:
    engine = setup.rebates.state.engine
    written = refresh(db=setup.db, engine=engine, today=TODAY)
    partners = engine.partner_ids()
    assert written == len(partners) * len(QUARTERS) == 39 * 4
    view = ranking_scores(setup.db)
    assert set(view) == {(pid, q) for pid in partners for q in QUARTERS}
    rows = {(r.channel_id, r.quarter): r for r in stored(setup.db)}
    for pid in partners:
        for quarter in QUARTERS:
            score = score_partner(engine=engine, partner_id=pid, quarter=quarter, as_of=TODAY)
            got = view[(pid, quarter)]
            # The scorer's composite (rounded to 4 places) ...
            assert abs(got - score.composite) <= Decimal("0.00005"), (pid, quarter, got, score.composite)
            # ... and the seed's formula over the scorer's unrounded inputs, to float precision.
            exact = (
                Decimal("0.6") * score.actual / score.target
                + Decimal("0.3") * Decimal(score.satisfaction or 0) / 100
                + Decimal("0.1") * (1 - score.risk.score / 100)
            )
            assert abs(got - exact) < Decimal("1e-9"), (pid, quarter)
            row = rows[(pid, quarter)]
            assert (row.sales_target, row.actual_sales, row.risk_score) == (
                score.target,
                score.actual,
                score.risk.score,
            )
            assert row.customer_satisfaction is not None and 0 <= row.customer_satisfaction <= 1
            assert row.customer_satisfaction * 100 == score.satisfaction
    # Planted risks show: P-TJ-01 2026Q2 (spike and edge) scores below its own other quarters' risk.
    assert rows[("P-TJ-01", "2026Q2")].risk_score > 40 >= rows[("P-TJ-01", "2026Q3")].risk_score


def test_the_view_divides_in_decimals_and_counts_a_missing_satisfaction_as_zero(setup: Setup) -> None:
    with setup.db.write() as s:
        s.add_all(
            [  # whole-number amounts (SQLite keeps them as INTEGER): 2/3 must not become 0
                ChannelPerformanceRow(
                    channel_id="P-HZ-01",
                    quarter="2025Q1",
                    sales_target=Decimal(3),
                    actual_sales=Decimal(2),
                    customer_satisfaction=None,
                    risk_score=Decimal(50),
                ),
                ChannelPerformanceRow(
                    channel_id="P-HZ-01",
                    quarter="2025Q2",
                    sales_target=Decimal(0),
                    actual_sales=Decimal(1000),
                    customer_satisfaction=Decimal("0.85"),
                    risk_score=Decimal(0),
                ),
            ]
        )
    try:
        view = ranking_scores(setup.db, quarter="2025Q1")
        assert abs(view[("P-HZ-01", "2025Q1")] - Decimal("0.45")) < Decimal("1e-9")  # 0.6*2/3 + 0 + 0.05
        no_target = ranking_scores(setup.db, quarter="2025Q2")[("P-HZ-01", "2025Q2")]
        assert abs(no_target - Decimal("0.355")) < Decimal("1e-9")  # no target: attainment 0
    finally:
        with setup.db.write() as s:
            s.execute(sa.delete(ChannelPerformanceRow).where(ChannelPerformanceRow.quarter.in_(["2025Q1", "2025Q2"])))


def test_a_partial_refresh_rewrites_only_its_rows(setup: Setup) -> None:
    engine = setup.rebates.state.engine
    refresh(db=setup.db, engine=engine, today=TODAY, now=datetime(2026, 12, 1))
    later = datetime(2026, 12, 31, 12)
    assert (
        refresh(db=setup.db, engine=engine, today=TODAY, partner_ids=["P-HZ-01"], quarters=["2026Q2"], now=later) == 1
    )
    with setup.db.read() as s:
        stamps = {(r.channel_id, r.quarter): r.last_updated for r in s.scalars(select(ChannelPerformanceRow))}
    assert stamps.pop(("P-HZ-01", "2026Q2")) == later
    assert set(stamps.values()) == {datetime(2026, 12, 1)}
    assert len(stamps) == 39 * 4 - 1
    # Early in the year only the quarters to date are written.
    assert refresh(db=setup.db, engine=engine, today=date(2026, 5, 10)) == 39 * 2
    assert {r.quarter for r in stored(setup.db)} == {"2026Q1", "2026Q2"}
