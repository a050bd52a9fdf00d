"""Seeding and rebuilding: the database holds the channel network, ledger, claims,
satisfaction and policy; the in-memory engine rebuilt from it computes exactly what
the engine built from the files computes; changes survive a restart."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select

from assistant.dialogue.types import Caller
from assistant.rebates import Level, Order, OrderStatus, load_demo
from assistant.rebates.errors import InvalidOrderError, NetworkChangeError
from assistant.rebates.service import RebateService
from assistant.rebates.store import from_cents, to_cents
from assistant.rebates.tables import (
    ChannelNodeRow,
    LedgerOrderRow,
    PolicyVersionRow,
    SatisfactionRow,
    SubsidyClaimRow,
)
from assistant.storage.db import Database, migrate
from tests.rebates_api.harness import REBATES, TODAY

ADMIN = Caller(user_id="u-admin", partner_id="N-001", role="admin")


def open_service(url: str, seed_dir: Path | None = REBATES) -> RebateService:
    migrate(url)
    service = RebateService(db=Database(url), today=lambda: TODAY)
    service.open(seed_dir=seed_dir)
    return service


def count(db: Database, table: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_migration_creates_the_rebate_tables(database_url: str) -> None:
    url = database_url
    migrate(url)
    insp = inspect(create_engine(url))
    tables = set(insp.get_table_names())
    assert {
        "channel_nodes",
        "partner_satisfaction",
        "subsidy_claims",
        "ledger_orders",
        "rebate_policies",
        "rebate_policy_versions",
        "users",
    } <= tables
    assert {i["name"] for i in insp.get_indexes("ledger_orders")} == {"ix_ledger_orders_partner_date"}
    columns = {c["name"]: c for c in insp.get_columns("ledger_orders")}
    assert "amount_cents" in columns and "amount" not in columns  # money as integer cents


def test_seed_loads_everything_once(database_url: str) -> None:
    url = database_url
    service = open_service(url)
    demo = load_demo(REBATES, today=lambda: TODAY)
    db = service.store.db
    partners = [n for n in demo.network if n.level is Level.PARTNER]
    assert count(db, ChannelNodeRow) == len(demo.network)
    assert count(db, LedgerOrderRow) == len(demo.ledger) == 4205
    assert count(db, SatisfactionRow) == sum(len(p.satisfaction) for p in demo.profiles.values())
    assert count(db, SubsidyClaimRow) == sum(len(p.claims) for p in demo.profiles.values()) > 0
    assert count(db, PolicyVersionRow) == len(demo.policy.versions)
    assert len(service.state.profiles) == len(partners)

    # A second start (and a second seed call) changes nothing.
    again = open_service(url)
    assert count(again.store.db, LedgerOrderRow) == 4205
    assert count(again.store.db, ChannelNodeRow) == len(demo.network)
    assert again.store.seed(REBATES) is False


def test_engine_from_database_matches_engine_from_files(database_url: str) -> None:
    service = open_service(database_url)
    demo = load_demo(REBATES, today=lambda: TODAY)
    state = service.state
    assert state.policy == demo.policy
    assert {n.id: n for n in state.network} == {n.id: n for n in demo.network}
    assert dict(state.profiles) == dict(demo.profiles)
    for partner_id in sorted(demo.profiles):
        for quarter in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
            ours = state.engine.statement(partner_id=partner_id, quarter=quarter)
            theirs = demo.engine.statement(partner_id=partner_id, quarter=quarter)
            assert ours == theirs, (partner_id, quarter)


@pytest.mark.parametrize("amount", ["0.01", "1.10", "12345678.99", "99999999999.99", "0.00"])
def test_cents_round_trip_exactly(amount: str) -> None:
    value = Decimal(amount)
    assert from_cents(to_cents(value)) == value
    assert str(from_cents(to_cents(value))) == str(value.quantize(Decimal("0.01")))


def test_sub_cent_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="sub-cent"):
        to_cents(Decimal("1.005"))


def test_changes_go_to_the_database_and_survive_a_restart(database_url: str) -> None:
    url = database_url
    service = open_service(url)
    service.move_node(viewer=ADMIN, node_id="P-HZ-01", new_parent_id="A-SU")
    service.add_node(
        viewer=ADMIN,
        node_id="P-HZ-09",
        name="杭州新伙伴科技有限公司",
        level=Level.PARTNER,
        parent_id="A-HZ",
        baseline=Decimal("400000"),
        first_quarter="2026Q3",
    )
    service.deactivate_node(viewer=ADMIN, node_id="P-SZ-03")
    service.record_orders(
        [
            Order(
                order_id="SO-NEW-1",
                partner_id="P-HZ-09",
                customer_id="C-X",
                new_customer=True,
                product_id="EG-2100",
                amount=Decimal("600000.10"),
                date=date(2026, 10, 2),
            )
        ]
    )
    restarted = open_service(url)  # a new process: everything comes from the database
    network = restarted.state.network
    assert network.get("P-HZ-01").parent_id == "A-SU"
    assert network.can_read("A-SU", "P-HZ-01") and not network.can_read("A-HZ", "P-HZ-01")
    assert network.get("P-SZ-03").active is False
    new_partner = Caller(user_id="u-x", partner_id="P-HZ-09")
    statement = restarted.statement(viewer=new_partner, quarter="2026Q4").statement
    assert statement.net_sales == Decimal("600000.10")
    assert restarted.state.profiles["P-HZ-09"].first_baseline == Decimal("400000")
    assert restarted.state.engine.baseline(partner_id="P-HZ-09", quarter="2026Q3").amount == Decimal("400000")


def test_rejected_changes_leave_database_and_memory_untouched(database_url: str) -> None:
    url = database_url
    service = open_service(url)
    before = {n.id: n for n in service.state.network}
    with pytest.raises(NetworkChangeError):
        service.move_node(viewer=ADMIN, node_id="R-EC", new_parent_id="P-HZ-01")  # under its own descendant
    with pytest.raises(NetworkChangeError):
        service.deactivate_node(viewer=ADMIN, node_id="A-HZ")  # still has active partners
    with pytest.raises(NetworkChangeError):
        service.add_node(
            viewer=ADMIN, node_id="P-HZ-02", name="dup", level=Level.PARTNER, parent_id="A-HZ", baseline=Decimal(1)
        )
    with pytest.raises(InvalidOrderError):
        service.record_orders(
            [
                Order(
                    order_id="RT-BAD",
                    partner_id="P-HZ-01",
                    customer_id="C-1",
                    new_customer=False,
                    product_id="EG-2100",
                    amount=Decimal(1),
                    date=date(2026, 10, 1),
                    status=OrderStatus.RETURNED,
                    reverses="SO-DOES-NOT-EXIST",
                )
            ]
        )
    assert {n.id: n for n in service.state.network} == before
    assert {n.id: n for n in open_service(url).state.network} == before
    assert count(service.store.db, LedgerOrderRow) == 4205


def test_without_rebate_files_nothing_is_found(tmp_path: Path, database_url: str) -> None:
    service = open_service(database_url, seed_dir=tmp_path / "missing")
    assert not service.available
    from assistant.rebates.errors import PartnerNotFoundError

    with pytest.raises(PartnerNotFoundError):
        service.statement(viewer=Caller(user_id="u", partner_id="P-HZ-01"))


def test_bad_policy_file_is_rejected_with_the_tier_named(tmp_path: Path, database_url: str) -> None:
    bad = tmp_path / "rebates"
    shutil.copytree(REBATES, bad)
    text = (bad / "policy.yaml").read_text(encoding="utf-8")
    (bad / "policy.yaml").write_text(text.replace("min: 1500000, max: 3000000", "min: 1600000, max: 3000000"))
    from assistant.rebates.errors import PolicyInvalidError

    migrate(database_url)
    service = RebateService(db=Database(database_url), today=lambda: TODAY)
    with pytest.raises(PolicyInvalidError, match=r"gap between 1500000 and 1600000.*T3"):
        service.open(seed_dir=bad)
    assert service.store.is_empty()  # nothing half-written
