"""The demo data in corpus/rebates/: shape of the channel network and the planted order scenarios."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from assistant.rebates import Level, LineKind, RebateDemo, StatementStatus, load_demo, rank_under

ROOT = Path(__file__).resolve().parents[2]
REBATES = ROOT / "corpus" / "rebates"
CLOSED = date(2027, 1, 15)  # every 2026 quarter is closed
EDGES = (Decimal(500000), Decimal(1500000), Decimal(3000000))


@cache
def demo() -> RebateDemo:
    return load_demo(REBATES, today=lambda: CLOSED)


def test_network_shape() -> None:
    network = demo().network
    by_level = Counter(n.level for n in network)
    assert by_level[Level.NATIONAL] == 1
    assert network.get("N-001").name == "澜图智联全国总代"
    regionals = [n for n in network if n.level is Level.REGIONAL]
    assert {n.region for n in regionals} == {"华东", "华南", "华北", "西南", "华中"}
    assert by_level[Level.PARTNER] >= 30
    for alliance in (n for n in network if n.level is Level.ALLIANCE):
        members = network.children(alliance.id)
        assert 3 <= len(members) <= 5, alliance.id
        assert all(m.level is Level.PARTNER for m in members)
        specialties = [m.specialty for m in members]
        assert len(set(specialties)) == len(specialties), f"{alliance.id} partners should complement each other"
        assert alliance.name.endswith("蜂窝联盟")
    for n in network:
        assert network.users_of(n.id), f"{n.id} has no user"
        parent = network.parent(n.id)
        if n.level in (Level.ALLIANCE, Level.PARTNER):
            assert parent is not None and n.region == parent.region
        if n.level is Level.PARTNER:
            assert parent is not None and n.city == parent.city  # an alliance is a city alliance


def test_demo_access() -> None:
    network = demo().network
    assert network.user_can_read("hz_manager", "P-HZ-01")
    assert not network.user_can_read("hz_sales1", "P-HZ-02")  # sibling
    assert not network.user_can_read("hz_sales1", "A-HZ")  # ancestor
    assert network.user_can_read("ec_manager", "P-SU-03")
    assert not network.user_can_read("ec_manager", "P-SZ-01")
    assert network.user_can_read("n_admin", "P-CS-03")


def catalogue_ids() -> set[str]:
    text = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([A-Z]{2}-[A-Za-z0-9\-]+) \|", text, flags=re.MULTILINE))


def test_orders_cover_every_partner_and_quarter() -> None:
    data = demo()
    orders = list(data.ledger)
    assert 1000 <= len(orders) <= 10000
    products = catalogue_ids()
    assert len(products) > 30
    assert {o.product_id for o in orders} <= products
    partners = [n.id for n in data.network if n.level is Level.PARTNER]
    for pid in partners:
        for quarter in data.policy.quarters:
            assert data.ledger.sales(pid, quarter).booked > 0, (pid, quarter)


def test_scenarios_are_present() -> None:
    engine = demo().engine
    statements = [s for pid in engine.partner_ids() for s in engine.history(pid)]
    assert all(s.status is StatementStatus.FINAL for s in statements)
    tiers = Counter(s.tier_progress.current_tier for s in statements)
    assert set(tiers) == {"T1", "T2", "T3", "T4"}
    just_below = [s for s in statements if any(edge * Decimal("0.99") <= s.net_sales < edge for edge in EDGES)]
    assert len(just_below) >= 4
    assert any(s.net_sales == Decimal("1500000.00") for s in statements)  # exactly on an edge
    assert sum(1 for s in statements if s.sales.late_share >= Decimal("0.4")) >= 4  # quarter-end spikes
    assert len({s.partner_id for s in statements if s.sales.return_rate >= Decimal("0.15")}) >= 3
    no_new = [s for s in statements if any(e.code == "no_new_customers" for e in s.why_not_incremental)]
    assert len(no_new) >= 3
    assert any(s.line(LineKind.SUBSIDY_NEW_MARKET).amount == Decimal("50000.00") for s in statements)  # capped
    assert any(s.line(LineKind.SUBSIDY_CSAT).amount > 0 for s in statements)
    assert any(s.baseline.floored for s in statements)


def test_return_crosses_a_tier_down() -> None:
    engine = demo().engine
    before = engine.statement(partner_id="P-SZ-02", quarter="2026Q3", as_of=date(2026, 9, 28))
    after = engine.statement(partner_id="P-SZ-02", quarter="2026Q3", as_of=date(2026, 9, 29))
    assert (before.tier_progress.current_tier, after.tier_progress.current_tier) == ("T3", "T2")
    assert after.net_sales == before.net_sales - Decimal("186000.00")


def test_demo_ranking_covers_an_alliance() -> None:
    data = demo()
    ranked = rank_under(engine=data.engine, network=data.network, node_id="A-HZ", quarter="2026Q2")
    assert [r.rank for r in ranked] == sorted(r.rank for r in ranked)
    assert {r.score.partner_id for r in ranked} == {"P-HZ-01", "P-HZ-02", "P-HZ-03", "P-HZ-04"}


def test_orders_csv_is_what_the_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("rebate_generate_orders", REBATES / "generate_orders.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    out = tmp_path / "orders.csv"
    assert module.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (REBATES / "orders.csv").read_text(encoding="utf-8")
