"""Channel profiles (assistant/ops/profile.py): the figures and scores of hand-made rows at the
breakpoints of a hand-made rules file, the shipped rules file's weights and breakpoints, the
alliance and region means, the weakest dimension, and who may read which profile, over the
demo data on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.dialogue.types import Caller
from assistant.ops.alert_service import AlertService
from assistant.ops.alerts import FeedbackKind, FeedbackRecord
from assistant.ops.alerts import load_rules as load_alert_rules
from assistant.ops.loader import seed
from assistant.ops.profile import (
    DEFAULT_RULES_FILE,
    DIMENSIONS,
    AlertRecord,
    ComplianceRecord,
    Curve,
    Dimension,
    ProfileForbiddenError,
    ProfileInputs,
    ProfileRules,
    ProfileRulesInvalidError,
    ProfileService,
    QuarterNotStartedError,
    ServiceRecord,
    SubScore,
    average,
    figures,
    group_by_partner,
    load_rules,
    parse_rules,
    score_dimensions,
    weakest,
)
from assistant.rebates.errors import PartnerNotFoundError, PartnerRequiredError, QuarterNotFoundError
from assistant.rebates.ledger import Ledger, Order, OrderStatus
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService
from assistant.storage.db import Database, migrate
from tests.storage_backends import database_for

ROOT = Path(__file__).resolve().parents[2]
REBATES = ROOT / "corpus" / "rebates"
OPS = ROOT / "corpus" / "ops"
TODAY = date(2026, 11, 27)  # in 2026Q4, as the other ops tests
Q1, Q2, Q4 = Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 4)
D = Decimal

# --------------------------------------------------------------------------- a hand-made rules file

TEST_RULES_YAML = """
version: test-1
dimensions:
  operating:
    label: {zh: 经营能力, en: Operating capability}
    subscores:
      growth:             {label: {zh: 增长, en: Growth}, unit: {zh: "%", en: "%"}, weight: 0.25,
                           points: [[-50, 0], [0, 60], [50, 100]]}
      attainment:         {label: {zh: 达成, en: Attainment}, unit: {zh: "%", en: "%"}, weight: 0.35,
                           points: [[50, 0], [100, 70], [150, 100]]}
      new_customer_share: {label: {zh: 新客, en: New}, unit: {zh: "%", en: "%"}, weight: 0.20,
                           points: [[0, 0], [40, 90], [60, 100]]}
      product_breadth:    {label: {zh: 产品线, en: Lines}, unit: {zh: 条, en: lines}, weight: 0.20,
                           points: [[0, 0], [2, 45], [6, 100]]}
  service:
    label: {zh: 服务水平, en: Service level}
    subscores:
      ticket_first_response:  {label: {zh: 工单响应, en: T}, unit: {zh: 分钟, en: min}, weight: 0.15,
                               points: [[30, 100], [60, 85], [240, 0]]}
      handoff_first_response: {label: {zh: 转接响应, en: H}, unit: {zh: 分钟, en: min}, weight: 0.10,
                               points: [[5, 100], [10, 85], [45, 0]]}
      ticket_resolution:      {label: {zh: 解决, en: R}, unit: {zh: 小时, en: h}, weight: 0.15,
                               points: [[8, 100], [12, 90], [48, 0]]}
      satisfaction:           {label: {zh: 满意度, en: S}, unit: {zh: 分, en: points}, weight: 0.35,
                               points: [[3, 0], [4, 75], [5, 100]]}
      complaint_rate:         {label: {zh: 投诉率, en: C}, unit: {zh: "次/百客户", en: "per 100"}, weight: 0.25,
                               points: [[0, 100], [25, 80], [150, 0]]}
  compliance:
    label: {zh: 合规记录, en: Compliance record}
    subscores:
      violations:  {label: {zh: 违规, en: V}, unit: {zh: 分, en: points}, weight: 0.6,
                    points: [[0, 100], [2, 80], [16, 0]]}
      open_alerts: {label: {zh: 预警, en: A}, unit: {zh: 分, en: points}, weight: 0.4,
                    points: [[0, 100], [5, 50], [10, 0]]}
violations:
  window_quarters: 4
  severity_weights: {low: 1, medium: 2, high: 4}
alerts:
  severity_weights: {low: 1, medium: 2, high: 3}
"""


def small_rules() -> ProfileRules:
    return parse_rules(yaml.safe_load(TEST_RULES_YAML))


def order(oid: str, day: str, customer: str, product: str, amount: int, **kw: Any) -> Order:
    return Order(
        order_id=oid,
        partner_id=kw.pop("partner", "P-1"),
        customer_id=customer,
        new_customer=kw.pop("new", False),
        product_id=product,
        amount=D(amount),
        date=date.fromisoformat(day),
        **kw,
    )


def ticket(rid: str, opened: str, first: int, resolved: int | None, kind: str = "ticket") -> ServiceRecord:
    return ServiceRecord(rid, "P-1", kind, datetime.fromisoformat(opened), first, resolved)


def survey(fid: str, day: str, score: int) -> FeedbackRecord:
    return FeedbackRecord(fid, date.fromisoformat(day), "P-1", "C1", "EG-2100", FeedbackKind.SURVEY, score=score)


def complaint(fid: str, day: str) -> FeedbackRecord:
    return FeedbackRecord(
        fid, date.fromisoformat(day), "P-1", "C1", "EG-2100", FeedbackKind.COMPLAINT, category="quality"
    )


LEDGER = Ledger(
    [
        order("SO-1", "2026-02-10", "C1", "EG-2100", 100_000),  # Q1: the quarter before
        order("SO-2", "2026-04-10", "C1", "EG-2100", 30_000),
        order("SO-3", "2026-04-20", "C4", "EG-1100", 30_000),
        order("SO-4", "2026-05-05", "C2", "SN-TH100", 40_000, new=True),
        order("SO-5", "2026-05-06", "C3", "MP-OEE", 20_000),
        order("RT-5", "2026-06-01", "C3", "MP-OEE", 20_000, status=OrderStatus.RETURNED, reverses="SO-5"),
    ]
)


def hand_made(as_of: date = date(2026, 7, 10)) -> ProfileInputs:
    return ProfileInputs(
        ledger=LEDGER,
        baseline=lambda _p, _q: D(100_000),
        as_of=as_of,
        service=group_by_partner(
            [
                ticket("T1", "2026-04-02T02:00:00", 30, 480),
                ticket("T2", "2026-05-02T02:00:00", 60, 960),
                ticket("T3", "2026-06-02T02:00:00", 90, None),  # still open: no resolution time
                ticket("T4", "2026-03-31T09:00:00", 5, 5),  # Q1: not counted
                ticket("T5", "2026-07-01T01:00:00", 500, 900),  # Q3: not counted
                ticket("H1", "2026-04-03T03:00:00", 10, 100, kind="handoff"),
            ]
        ),
        feedback=group_by_partner(
            [
                survey("F1", "2026-04-05", 4),
                survey("F2", "2026-05-05", 4),
                survey("F3", "2026-05-06", 5),
                survey("F4", "2026-06-06", 3),
                survey("F5", "2026-03-30", 1),  # Q1: not counted
                complaint("F6", "2026-06-10"),
            ]
        ),
        compliance=group_by_partner(
            [
                ComplianceRecord("CP1", "P-1", date(2026, 2, 1), "late_report", "medium"),  # in the 4-quarter window
                ComplianceRecord("CP2", "P-1", date(2025, 6, 30), "late_report", "high"),  # 2025Q2: outside it
            ]
        ),
        alerts=group_by_partner(
            [
                AlertRecord("P-1", "return_spike", "2026Q2", "medium"),
                AlertRecord("P-1", "overstock", "2026-05-04", "high"),  # a week of Q2
                AlertRecord("P-1", "return_spike", "2026Q1", "low"),  # another quarter
            ]
        ),
    )


def by_key(dims: tuple[Dimension, ...]) -> dict[str, Dimension]:
    return {d.key: d for d in dims}


def sub(dims: tuple[Dimension, ...], key: str) -> SubScore:
    return next(s for d in dims for s in d.subscores if s.key == key)


# --------------------------------------------------------------------------- figures and scores


def test_hand_made_rows_give_each_figure_at_a_breakpoint_and_its_score() -> None:
    rules = small_rules()
    raw = figures("P-1", Q2, hand_made(), rules)
    assert raw == {
        "growth": D("0.00"),  # Q2 net 100,000 (the MP order returned) vs Q1 100,000
        "attainment": D("100.00"),
        "new_customer_share": D("40.00"),
        "product_breadth": D("2.00"),  # EG and SN; MP nets to 0
        "ticket_first_response": D("60.00"),
        "handoff_first_response": D("10.00"),
        "ticket_resolution": D("12.00"),  # median of 480 and 960 minutes, in hours
        "satisfaction": D("4.00"),
        "complaint_rate": D("25.00"),  # 1 complaint, 4 customers with a booked order
        "violations": D("2.00"),  # one medium; the high of 2025Q2 is outside the window
        "open_alerts": D("5.00"),  # medium 2 + high 3
    }
    dims = by_key(score_dimensions(raw, rules))
    assert [s.score for s in dims["operating"].subscores] == [D(60), D(70), D(90), D(45)]
    assert [s.score for s in dims["service"].subscores] == [D(85), D(85), D(90), D(75), D(80)]
    assert [s.score for s in dims["compliance"].subscores] == [D(80), D(50)]
    # 0.25*60 + 0.35*70 + 0.2*90 + 0.2*45; 0.15*85 + 0.1*85 + 0.15*90 + 0.35*75 + 0.25*80; 0.6*80 + 0.4*50
    assert (dims["operating"].score, dims["service"].score, dims["compliance"].score) == (
        D("66.5"),
        D("81.0"),
        D("68.0"),
    )
    growth = dims["operating"].subscores[0]
    assert (growth.key, growth.label_zh, growth.label_en, growth.unit, growth.unit_en, growth.weight) == (
        "growth",
        "增长",
        "Growth",
        "%",
        "%",
        D("0.25"),
    )


def test_curves_interpolate_between_breakpoints_and_clamp_outside() -> None:
    curve = Curve(((D(30), D(100)), (D(60), D(85)), (D(240), D(0))))
    assert [curve.score(D(x)) for x in (0, 30, 45, 60, 150, 240, 1000)] == [
        D(100),
        D(100),
        D("92.5"),
        D(85),
        D("42.5"),
        D(0),
        D(0),
    ]


def test_missing_data_is_null_and_the_mean_is_over_the_rest() -> None:
    rules = small_rules()
    empty = ProfileInputs(ledger=LEDGER, baseline=lambda _p, _q: None, as_of=date(2026, 7, 10))
    raw = figures("P-1", Q2, empty, rules)
    for key in ("attainment", "ticket_first_response", "handoff_first_response", "ticket_resolution", "satisfaction"):
        assert raw[key] is None, key
    dims = by_key(score_dimensions(raw, rules))
    assert sub(tuple(dims.values()), "satisfaction").score is None
    # operating: growth 60, new 90, breadth 45 with weights .25/.2/.2 re-normalised
    assert dims["operating"].score == D("64.6")  # (15 + 18 + 9) / 0.65 = 64.615...
    assert dims["service"].score == D("100.0")  # only the complaint rate is known: none from 4 customers
    assert dims["compliance"].score == D("100.0")  # no violation, no alert: 0 is a figure, not a gap
    nothing = score_dimensions({k: None for keys in DIMENSIONS.values() for k in keys}, rules)
    assert all(d.score is None for d in nothing)
    # No sales at all: growth and share have no denominator; no customer, no complaint rate.
    quiet = figures("P-9", Q2, empty, rules)
    assert (quiet["growth"], quiet["new_customer_share"], quiet["complaint_rate"]) == (None, None, None)
    assert quiet["product_breadth"] == D("0.00")


def test_the_running_quarter_is_compared_at_the_same_pace() -> None:
    """On 2026-05-05 (day 35 of 91): attainment against 35/91 of the baseline, growth against Q1 up
    to day 35 (2026-02-04, before SO-1), and nothing dated after today."""
    rules = small_rules()
    raw = figures("P-1", Q2, hand_made(as_of=date(2026, 5, 5)), rules)
    net = D(100_000)  # SO-2, SO-3, SO-4 (dated up to today)
    assert raw["attainment"] == (net / (D(100_000) * D(35) / D(91)) * 100).quantize(D("0.01"))
    assert raw["growth"] is None  # Q1 had no sales by 2026-02-04
    assert raw["ticket_first_response"] == D("45.00")  # T1, T2; T3 opens after today
    assert raw["satisfaction"] == D("4.00")  # F1, F2; F3 and F4 after today
    assert raw["complaint_rate"] == D("0.00")
    assert raw["open_alerts"] == D("5.00")  # alerts are as they stand now


# --------------------------------------------------------------------------- the shipped rules file


def test_the_shipped_file_loads_and_each_curve_passes_through_its_breakpoints() -> None:
    raw = yaml.safe_load(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    rules = load_rules()
    assert rules.version == raw["version"]
    assert [d.key for d in rules.dimensions] == list(DIMENSIONS) == list(raw["dimensions"])
    for dim in rules.dimensions:
        spec = raw["dimensions"][dim.key]
        assert dim.label_zh == spec["label"]["zh"]
        assert sum(s.weight for s in dim.subscores) == 1
        for s in dim.subscores:
            written = spec["subscores"][s.key]
            assert s.weight == D(str(written["weight"])), s.key
            assert (s.label_zh, s.unit_zh) == (written["label"]["zh"], written["unit"]["zh"])
            for x, y in written["points"]:
                assert s.curve.score(D(str(x))) == D(str(y)), (s.key, x)


def test_a_dimension_score_uses_the_weights_of_the_file() -> None:
    """Same figures, two files differing only in the operating weights: the means follow them."""
    raw_doc = yaml.safe_load(TEST_RULES_YAML)
    skewed = copy.deepcopy(raw_doc)
    subs = skewed["dimensions"]["operating"]["subscores"]
    subs["growth"]["weight"], subs["attainment"]["weight"] = 0.6, 0.0
    figures_ = figures("P-1", Q2, hand_made(), small_rules())
    assert by_key(score_dimensions(figures_, parse_rules(raw_doc)))["operating"].score == D("66.5")
    # 0.6*60 + 0*70 + 0.2*90 + 0.2*45
    assert by_key(score_dimensions(figures_, parse_rules(skewed)))["operating"].score == D("63.0")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["dimensions"]["service"]["subscores"]["satisfaction"].update(weight=0.5), "add up to"),
        (lambda d: d["dimensions"]["compliance"]["subscores"].pop("open_alerts"), "expected exactly"),
        (lambda d: d["dimensions"].pop("service"), "expected exactly"),
        (
            lambda d: d["dimensions"]["operating"]["subscores"]["growth"].update(points=[[0, 10], [0, 20]]),
            "strictly increase",
        ),
        (
            lambda d: d["dimensions"]["operating"]["subscores"]["growth"].update(points=[[0, 10], [5, 120]]),
            "less than or equal to 100",
        ),
        (lambda d: d["dimensions"]["operating"]["subscores"]["growth"].update(points=[[0, 10]]), "at least 2"),
        (lambda d: d["violations"].update(window_quarters=0), "greater than or equal to 1"),
        (lambda d: d.update(extra=1), "Extra inputs"),
    ],
)
def test_a_bad_rules_file_is_refused_with_the_problem(change: Any, problem: str) -> None:
    doc = yaml.safe_load(TEST_RULES_YAML)
    change(doc)
    with pytest.raises(ProfileRulesInvalidError) as info:
        parse_rules(doc, source="rules.yaml")
    assert info.value.code == "profile_rules_invalid"
    assert any(problem in p and p.startswith("rules.yaml: ") for p in info.value.problems), info.value.problems


def test_an_unreadable_rules_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileRulesInvalidError):
        load_rules(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [", encoding="utf-8")
    with pytest.raises(ProfileRulesInvalidError):
        load_rules(broken)


# --------------------------------------------------------------------------- means and the weakest


def dims_of(operating: str | None, service: str | None, compliance: str | None) -> tuple[Dimension, ...]:
    return tuple(
        Dimension(key, key, key, None if value is None else D(value), ())
        for key, value in zip(DIMENSIONS, (operating, service, compliance), strict=True)
    )


def test_means_skip_missing_scores_and_weakest_is_the_largest_shortfall() -> None:
    rules = small_rules()
    scored = {
        "A": dims_of("60", "80", "90"),
        "B": dims_of("70", "60", None),
        "C": dims_of("80", "70", "70"),
    }
    assert average(scored, ["A", "B", "C"], rules) == {
        "operating": D("70.0"),
        "service": D("70.0"),
        "compliance": D("80.0"),
    }
    assert average(scored, [], rules) == {"operating": None, "service": None, "compliance": None}
    ref = average(scored, ["A", "B", "C"], rules)
    assert weakest(scored["A"], ref) == "operating"  # -10, +10, +10
    assert weakest(scored["B"], ref) == "service"  # 0, -10 (compliance unknown)
    assert weakest(scored["C"], ref) == "compliance"  # +10, 0, -10
    assert weakest(dims_of("80", "76", "85"), ref) == "compliance"  # all above: the least above (+10, +6, +5)
    assert weakest(dims_of("75", "75", "85"), ref) == "operating"  # a tie (+5 each) goes to the first
    assert weakest(dims_of("70", "75", "85"), ref) == "operating"  # 0 is the smallest gap
    assert weakest(scored["A"], {"operating": None, "service": None, "compliance": None}) is None


# --------------------------------------------------------------------------- the service on the demo data

ADMIN = Caller(user_id="u-n_admin", partner_id="N-001", role="admin")
NATIONAL_MANAGER = Caller(user_id="u-n_manager", partner_id="N-001", role="manager")
EAST = Caller(user_id="u-ec_manager", partner_id="R-EC", role="manager")
EAST_SALES = Caller(user_id="u-ec_sales1", partner_id="R-EC", role="sales")  # sales at a regional node
HANGZHOU = Caller(user_id="u-hz_manager", partner_id="A-HZ", role="manager")
SUZHOU = Caller(user_id="u-su_manager", partner_id="A-SU", role="manager")
BOSS = Caller(user_id="u-hz_boss1", partner_id="P-HZ-01", role="manager")
SALES = Caller(user_id="u-hz_sales1", partner_id="P-HZ-01", role="sales")
EDITOR = Caller(user_id="u-n_editor", partner_id="N-001", role="content_admin")
EXPERT = Caller(user_id="u-exp_gateway", partner_id="N-001", role="expert")
GONE = Caller(user_id="u-ghost", partner_id="P-NOPE", role="manager")


@dataclass
class Setup:
    db: Database
    rebates: RebateService
    profiles: ProfileService


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Setup]:
    with database_for(module_backend, tmp_path_factory.mktemp("profiles")) as url:
        migrate(url)
        db = Database(url)
        rebates = RebateService(db=db, today=lambda: TODAY)
        rebates.open(seed_dir=REBATES)
        seed(db, OPS)
        AlertService(db=db, rebates=rebates, rules=load_alert_rules()).start()
        yield Setup(db=db, rebates=rebates, profiles=ProfileService(db=db, rebates=rebates, rules=load_rules()))
        db.dispose()


def partners_under(setup: Setup, node_id: str) -> list[str]:
    return sorted(p.id for p in setup.rebates.state.network.partners_under(node_id, include_inactive=True))


def test_each_role_lists_what_it_may_read(demo: Setup) -> None:
    everyone = demo.profiles.profiles(ADMIN, "2026Q3")
    assert [p.partner_id for p in everyone] == partners_under(demo, "N-001") and len(everyone) == 39
    assert [p.partner_id for p in demo.profiles.profiles(NATIONAL_MANAGER, "2026Q3")] == partners_under(demo, "N-001")
    assert [p.partner_id for p in demo.profiles.profiles(EAST, "2026Q3")] == partners_under(demo, "R-EC")
    assert [p.partner_id for p in demo.profiles.profiles(HANGZHOU, "2026Q3")] == partners_under(demo, "A-HZ")
    assert [p.partner_id for p in demo.profiles.profiles(BOSS, "2026Q3")] == ["P-HZ-01"]
    assert [p.partner_id for p in demo.profiles.profiles(SALES, "2026Q3")] == ["P-HZ-01"]
    assert demo.profiles.profiles(EAST_SALES, "2026Q3") == ()  # sales read their own partner only
    assert demo.profiles.profiles(EDITOR, "2026Q3") == ()
    with pytest.raises(ProfileForbiddenError):
        demo.profiles.profiles(EXPERT, "2026Q3")
    with pytest.raises(PartnerNotFoundError):
        demo.profiles.profiles(GONE, "2026Q3")
    default = demo.profiles.profiles(SALES)
    assert default[0].quarter == Q4 and default[0].as_of == TODAY


def test_an_id_outside_the_subtree_is_refused_exactly_like_a_missing_one(demo: Setup) -> None:
    def refusal(viewer: Caller, partner_id: str) -> tuple[type[Exception], str]:
        with pytest.raises(PartnerNotFoundError) as info:
            demo.profiles.profile(viewer, partner_id, "2026Q3")
        return type(info.value), info.value.code

    for viewer, outside in ((SUZHOU, "P-HZ-01"), (SALES, "P-HZ-02"), (EAST_SALES, "P-HZ-01"), (HANGZHOU, "P-SZ-01")):
        assert refusal(viewer, outside) == refusal(viewer, "P-NOPE-99") == (PartnerNotFoundError, "partner_not_found")
    assert demo.profiles.profile(HANGZHOU, "P-HZ-02", "2026Q3").partner_id == "P-HZ-02"
    with pytest.raises(PartnerRequiredError):
        demo.profiles.profile(HANGZHOU, "A-HZ", "2026Q3")  # readable, but not a partner
    with pytest.raises(ProfileForbiddenError):
        demo.profiles.profile(EXPERT, "P-HZ-01", "2026Q3")


def test_quarters_outside_the_policy_or_not_begun_are_refused(demo: Setup) -> None:
    for bad in ("2027Q1", "2025Q4", "bad", "2026Q5"):
        with pytest.raises(QuarterNotFoundError):
            demo.profiles.profile(SALES, "P-HZ-01", bad)
    early = RebateService(db=demo.db, today=lambda: date(2026, 5, 1))
    early.open(seed_dir=REBATES)  # the tables are seeded already: only loads
    before = ProfileService(db=demo.db, rebates=early, rules=load_rules())
    with pytest.raises(QuarterNotStartedError) as info:
        before.profile(SALES, "P-HZ-01", "2026Q3")
    assert info.value.code == "quarter_not_started"
    assert before.profile(SALES, "P-HZ-01", "2026Q2").as_of == date(2026, 5, 1)


def test_alliance_and_region_means_and_the_weakest_dimension(demo: Setup) -> None:
    everyone = {p.partner_id: p for p in demo.profiles.profiles(ADMIN, "2026Q3")}
    network = demo.rebates.state.network
    for pid in ("P-HZ-01", "P-SZ-02", "P-CQ-03"):
        profile = everyone[pid]
        alliance = network.parent(pid)
        assert alliance is not None and profile.alliance_id == alliance.id
        region = next(a for a in network.ancestors(pid) if a.level.value == "regional")
        assert profile.region_id == region.id
        for key in DIMENSIONS:
            for group, avg in ((alliance.id, profile.alliance_avg), (region.id, profile.region_avg)):
                scores: list[Decimal] = [
                    score
                    for m in network.partners_under(group)
                    if (score := everyone[m.id].dimension(key).score) is not None
                ]
                expected = (sum(scores, D(0)) / len(scores)).quantize(D("0.1"), rounding=ROUND_HALF_UP)
                assert avg[key] == expected, (pid, group, key)
        gaps = {
            d.key: d.score - profile.alliance_avg[d.key]  # type: ignore[operator]
            for d in profile.dimensions
            if d.score is not None and profile.alliance_avg[d.key] is not None
        }
        assert profile.weakest_vs_alliance == min(gaps, key=lambda k: (gaps[k], list(DIMENSIONS).index(k)))
    # A partner's own view carries the same means: aggregates, not its peers' profiles.
    own = demo.profiles.profile(SALES, "P-HZ-01", "2026Q3")
    assert own == everyone["P-HZ-01"]


def test_the_demo_data_shows_its_planted_patterns(demo: Setup) -> None:
    """The planted complaint-rate partner of 2026Q4 (P-CQ-03, 29 complaints from 16 customers) is
    below its alliance on service; every score lies in 0-100 and shows its inputs."""
    everyone = demo.profiles.profiles(ADMIN, "2026Q4")
    for p in everyone:
        for d in p.dimensions:
            assert d.score is None or D(0) <= d.score <= D(100)
            assert len(d.subscores) == len(DIMENSIONS[d.key])
    cq3 = next(p for p in everyone if p.partner_id == "P-CQ-03")
    assert sub(cq3.dimensions, "complaint_rate").raw is not None
    service = cq3.dimension("service").score
    assert service is not None and service < cq3.alliance_avg["service"]  # type: ignore[operator]
