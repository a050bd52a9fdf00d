"""Risk, composite score and ranking, worked by hand from the formula in assistant.rebates.ranking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rebate_helpers import PARTNER, make_engine, make_order, make_policy

from assistant.rebates import (
    ChannelNetwork,
    ChannelNode,
    Ledger,
    Level,
    PartnerProfile,
    Quarter,
    RebateEngine,
    assess_risk,
    rank_partners,
    rank_under,
    score_partner,
)

Q1 = Quarter.parse("2026Q1")
CLOSED = date(2026, 4, 1)
D = Decimal


def test_returns_and_spike_signals() -> None:
    orders = [
        make_order("SO-1", "575000.00", "2026-02-01"),
        make_order("SO-2", "425000.00", "2026-03-25"),  # in the last 14 days
        make_order("RT-1", "150000.00", "2026-03-01", reverses="SO-1"),
    ]
    engine = make_engine(orders, baseline="1000000", satisfaction={"2026Q1": 90})
    score = score_partner(engine=engine, partner_id=PARTNER, quarter="2026Q1", as_of=CLOSED)
    # return rate 15% -> (0.15 - 0.05) / 0.20 = 50; late share 42.5% -> (0.425 - 0.25) / 0.35 = 50;
    # net 850,000 is not just above an edge -> 0.  Risk = 0.4 x 50 + 0.3 x 50 = 35.0
    assert (score.risk.returns, score.risk.spike, score.risk.edge) == (D(50), D(50), D(0))
    assert score.risk.score == D("35.0")
    assert {r.code for r in score.risk.reasons} == {"high_return_rate", "quarter_end_spike"}
    # composite = 0.6 x 0.85 + 0.3 x 0.90 + 0.1 x (1 - 0.35) = 0.51 + 0.27 + 0.065 = 0.845
    assert (score.target, score.actual, score.attainment) == (D(1000000), D("850000.00"), D("0.8500"))
    assert score.composite == D("0.8450")


def test_edge_signal_needs_late_orders_from_existing_customers() -> None:
    existing = [make_order("SO-1", "450000.00", "2026-02-01"), make_order("SO-2", "60000.00", "2026-03-30")]
    sales = Ledger(existing).sales(PARTNER, Q1)
    risk = assess_risk(sales, make_policy().version_for(Q1))
    # net 510,000 is within 5% above the 500,000 edge and falls below it without the late 60,000
    assert risk.edge == D(100)
    assert risk.score == D("30.0")
    assert risk.reasons[0].code == "edge_without_new_customers"

    new = [make_order("SO-1", "450000.00", "2026-02-01"), make_order("SO-2", "60000.00", "2026-03-30", new=True)]
    assert assess_risk(Ledger(new).sales(PARTNER, Q1), make_policy().version_for(Q1)).edge == D(0)
    far = [make_order("SO-1", "470000.00", "2026-02-01"), make_order("SO-2", "60000.00", "2026-03-30")]
    # 530,000 is more than 5% above the edge
    assert assess_risk(Ledger(far).sales(PARTNER, Q1), make_policy().version_for(Q1)).edge == D(0)


def test_risk_signals_saturate_at_100() -> None:
    orders = [
        make_order("SO-1", "100000.00", "2026-03-30"),
        make_order("RT-1", "50000.00", "2026-03-31", reverses="SO-1"),
    ]
    risk = assess_risk(Ledger(orders).sales(PARTNER, Q1), make_policy().version_for(Q1))
    assert (risk.returns, risk.spike) == (D(100), D(100))  # 50% returns, 100% late
    assert risk.score == D("70.0")


def ranked_engine() -> tuple[RebateEngine, ChannelNetwork]:
    def profile(pid: str, satisfaction: int) -> PartnerProfile:
        return PartnerProfile(pid, Q1, D(1000000), {Q1: satisfaction})

    orders = [
        make_order("SO-A", "1000000.00", "2026-01-10", partner="P-A"),  # attainment 1.0
        make_order("SO-B", "800000.00", "2026-01-10", partner="P-B"),  # 0.8
        make_order("SO-C", "800000.00", "2026-01-10", partner="P-C"),  # 0.8, same as B
        make_order("SO-D", "1200000.00", "2026-01-10", partner="P-D"),  # 1.2 (other alliance)
    ]
    engine = RebateEngine(
        policy=make_policy(),
        ledger=Ledger(orders),
        partners=[profile("P-A", 80), profile("P-B", 90), profile("P-C", 90), profile("P-D", 50)],
    )
    network = ChannelNetwork(
        [
            ChannelNode("N", "总代", Level.NATIONAL, None, "全国", "上海"),
            ChannelNode("R", "华东", Level.REGIONAL, "N", "华东", "杭州"),
            ChannelNode("A1", "杭州蜂窝联盟", Level.ALLIANCE, "R", "华东", "杭州"),
            ChannelNode("A2", "苏州蜂窝联盟", Level.ALLIANCE, "R", "华东", "苏州"),
            *(ChannelNode(p, p, Level.PARTNER, "A1", "华东", "杭州") for p in ("P-A", "P-B", "P-C")),
            ChannelNode("P-D", "P-D", Level.PARTNER, "A2", "华东", "苏州"),
        ]
    )
    return engine, network


def test_ranking_within_an_alliance() -> None:
    engine, network = ranked_engine()
    ranked = rank_under(engine=engine, network=network, node_id="A1", quarter="2026Q1", as_of=CLOSED)
    # A: 0.6 + 0.24 + 0.1 = 0.94; B and C: 0.48 + 0.27 + 0.1 = 0.85 (tie, shared rank 2)
    assert [(r.rank, r.score.partner_id, r.score.composite) for r in ranked] == [
        (1, "P-A", D("0.9400")),
        (2, "P-B", D("0.8500")),
        (2, "P-C", D("0.8500")),
    ]
    region = rank_under(engine=engine, network=network, node_id="R", quarter="2026Q1", as_of=CLOSED)
    # D: 0.72 + 0.15 + 0.1 = 0.97 tops the region
    assert [r.score.partner_id for r in region] == ["P-D", "P-A", "P-B", "P-C"]
    assert [r.rank for r in region] == [1, 2, 3, 3]


def test_rank_partners_takes_any_set() -> None:
    engine, _ = ranked_engine()
    ranked = rank_partners(engine=engine, partner_ids=["P-C", "P-D", "P-C"], quarter=Q1, as_of=CLOSED)
    assert [r.score.partner_id for r in ranked] == ["P-D", "P-C"]
