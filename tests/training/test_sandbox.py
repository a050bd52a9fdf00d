"""The deal sandbox without HTTP: scenarios drawn from the shipped corpus (the same for the
same product and seed, refused when the content changed), decisions checked with the field
at fault, and the outcome against the REAL rebate service on the demo ledger: the rebate line
is ``what_if``'s total delta for the caller's own partner and the chosen quarter; the 85%
floor asks for a special-price approval (FAQ-PRC-003); margin + rebate = total."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.rebates.errors import PartnerNotFoundError, PartnerRequiredError
from assistant.rebates.money import round_cents
from assistant.rebates.service import RebateService
from assistant.storage.db import Database, migrate
from assistant.training.sandbox import (
    MAX_LINES,
    SANDBOX_FILE,
    DealScenario,
    Decision,
    DecisionLine,
    SandboxKit,
    SandboxService,
    build_sandbox_kit,
    parse_sandbox_data,
)
from assistant.training.sandbox_errors import (
    SandboxDataError,
    SandboxInvalidDecisionError,
    SandboxScenarioChangedError,
    SandboxScenarioNotFoundError,
    SandboxUnknownProductError,
)
from tests.rebates_api.harness import REBATES, TODAY

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"


@dataclass(frozen=True)
class Who:
    partner_id: str
    role: str = "sales"


SALES = Who("P-HZ-01")


@pytest.fixture(scope="module")
def kit() -> SandboxKit:
    return build_sandbox_kit(CORPUS)


@pytest.fixture(scope="module")
def rebates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RebateService]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sandbox') / 'rebates.db'}"
    migrate(url)
    svc = RebateService(db=Database(url), today=lambda: TODAY)  # 2026-11-27: Q4 accrued
    svc.open(seed_dir=REBATES)
    yield svc
    svc.store.db.dispose()


@pytest.fixture(scope="module")
def sandbox(kit: SandboxKit, rebates: RebateService) -> SandboxService:
    return SandboxService(kit=kit, rebates=rebates)


def offer(
    s: DealScenario,
    *,
    price: Decimal | None = None,
    timing: str = "this_quarter",
    new: bool = True,
    extra: tuple[DecisionLine, ...] = (),
    partner_id: str | None = None,
) -> Decision:
    unit = s.product.list_price * Decimal("0.9") if price is None else price
    return Decision(
        lines=(DecisionLine(s.product.id, s.quantity, round_cents(unit)), *extra),
        timing=timing,
        new_customer=new,
        partner_id=partner_id,
    )


def line(outcome: Any, key: str) -> Any:
    return next(x for x in outcome.lines if x.key == key)


# --------------------------------------------------------------------------- data file


def test_the_shipped_data_file_loads_and_bad_values_are_named() -> None:
    raw = yaml.safe_load((CORPUS / SANDBOX_FILE).read_text(encoding="utf-8"))
    data = parse_sandbox_data(raw)
    assert data.floor.share == Decimal("0.85") and data.floor.faq == "FAQ-PRC-003"
    assert "演示假设" in data.purchase_cost.label  # the purchase cost is labelled an assumption
    for change, field in (
        ({"floor": {"share": 1.5, "faq": "FAQ-PRC-003"}}, "floor.share"),
        ({"max_quantity": 0}, "max_quantity"),
        ({"extra": 1}, "extra"),
        ({"deal_value": {"small": {"min": 5, "max": 1}}}, "deal_value"),
    ):
        with pytest.raises(SandboxDataError, match=field):
            parse_sandbox_data({**raw, **change}, source="sandbox.yaml")


def test_a_floor_faq_the_corpus_lacks_is_refused(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(CORPUS, tmp_path / "corpus", ignore=shutil.ignore_patterns("rebates", "lessons"))
    path = tmp_path / "corpus" / SANDBOX_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("faq: FAQ-PRC-003", "faq: FAQ-NOPE-1"), encoding="utf-8")
    with pytest.raises(SandboxDataError, match="FAQ-NOPE-1"):
        build_sandbox_kit(tmp_path / "corpus")


# --------------------------------------------------------------------------- scenarios


def test_scenarios_are_deterministic_and_drawn_from_the_corpus(sandbox: SandboxService, kit: SandboxKit) -> None:
    a = sandbox.draw(product_id="EG-2100", seed=7)
    assert a == sandbox.draw(product_id="EG-2100", seed=7) == sandbox.scenario(a.id)
    assert a.id.startswith("EG-2100.7.") and a != sandbox.draw(product_id="EG-2100", seed=8)
    product = kit.corpus.product("EG-2100")
    assert product is not None
    case = next(c for c in kit.corpus.cases if c.id == a.customer.case_id)
    assert "EG-2100" in case.products and a.customer.company == case.customer
    assert a.customer.industry == case.industry and a.customer.scale == case.scale.value
    assert a.competitor.competitor in {c.competitor for c in product.competitors}
    assert a.product.list_price == Decimal(product.price.list_price)
    assert a.product.floor_price == round_cents(a.product.list_price * Decimal("0.85"))
    assert a.budget > 0 and a.quantity >= 1 and a.budget <= a.quantity * a.product.list_price
    assert a.deadline in ("this_quarter", "next_quarter") and str(a.current_quarter) == "2026Q4"
    assert a.customer.company in a.intro and a.competitor.model in a.intro
    # Without a product the seed picks one, the same every time.
    assert sandbox.draw(seed=3).id == sandbox.draw(seed=3).id


def test_every_catalogue_product_gives_a_scenario_that_round_trips(sandbox: SandboxService) -> None:
    for item in sandbox.products():
        s = sandbox.draw(product_id=item.id, seed=0)
        assert sandbox.scenario(s.id) == s and s.quantity >= 1 and s.competitor.unit_price > 0, item.id


def test_the_competitor_quote_comes_from_the_price_note(sandbox: SandboxService, kit: SandboxKit) -> None:
    seen = 0
    for seed in range(30):
        s = sandbox.draw(product_id="AR-G1", seed=seed)
        note = s.competitor.price_note
        figure = {"VL-Glass 1 约 12,000 元，软件另计。": Decimal(12000), "RT-ARG 约 16,500 元。": Decimal(16500)}[note]
        factor = s.competitor.unit_price / figure
        assert factor in {Decimal(f) for f in ("0.92", "0.95", "0.97", "1")}, (seed, factor)
        assert note in s.competitor.explanation
        seen += 1
    assert seen == 30


def test_unknown_products_and_ids_are_refused(sandbox: SandboxService) -> None:
    with pytest.raises(SandboxUnknownProductError) as unknown:
        sandbox.draw(product_id="XX-1", seed=1)
    assert unknown.value.field == "product_id"
    for bad in ("", "nonsense", "EG-2100.1", "EG-2100.x.0123456789ab", "EG 2100.1.0123456789ab"):
        with pytest.raises(SandboxScenarioNotFoundError):
            sandbox.scenario(bad)
    s = sandbox.draw(product_id="EG-2100", seed=1)
    with pytest.raises(SandboxScenarioChangedError):
        sandbox.scenario(s.id[:-1] + ("0" if s.id[-1] != "0" else "1"))
    with pytest.raises(SandboxScenarioChangedError):
        sandbox.scenario("ZZ-404.1.0123456789ab")


def test_a_changed_data_file_changes_the_id(kit: SandboxKit, rebates: RebateService) -> None:
    s = SandboxService(kit=kit, rebates=rebates).draw(product_id="EG-2100", seed=5)
    other = replace(kit, data=kit.data.model_copy(update={"budget_round": 500}))
    with pytest.raises(SandboxScenarioChangedError):
        SandboxService(kit=other, rebates=rebates).scenario(s.id)


# --------------------------------------------------------------------------- outcomes


def test_the_rebate_is_the_real_engines_what_if(sandbox: SandboxService, rebates: RebateService) -> None:
    s = sandbox.draw(product_id="EG-3200", seed=11)
    accessory = s.mix[0] if s.mix else next(p for p in sandbox.products() if p.id != s.product.id)
    extra = (DecisionLine(accessory.id, 2, accessory.list_price),)
    out = sandbox.decide(SALES, s.id, offer(s, extra=extra))
    deal = round_cents(s.quantity * round_cents(s.product.list_price * Decimal("0.9")) + 2 * accessory.list_price)
    assert out.deal_amount == deal
    expected = rebates.what_if(viewer=SALES, amount=deal, new_customer=True, quarter="2026Q4").what_if
    assert out.rebate_delta == expected.total_delta and out.rebate_computed
    assert [(r.kind, r.delta) for r in out.rebate_lines] == [(d.kind.value, d.delta) for d in expected.lines]
    assert out.partner_id == "P-HZ-01" and str(out.quarter) == "2026Q4"
    assert out.total == out.margin + out.rebate_delta and out.margin == out.deal_amount - out.purchase_cost
    assert [x.key for x in out.lines] == [
        "deal_amount",
        "budget",
        "competitor",
        "deadline",
        "floor",
        "purchase_cost",
        "margin",
        "rebate",
        "total",
    ]
    assert all(x.text for x in out.lines)
    assert "演示假设" in line(out, "purchase_cost").text
    assert line(out, "rebate").amount == expected.total_delta and expected.summary in line(out, "rebate").text
    # An existing customer: the real engine gives no incremental incentive for it.
    old = sandbox.decide(SALES, s.id, offer(s, extra=extra, new=False))
    assert old.rebate_delta == rebates.what_if(viewer=SALES, amount=deal, new_customer=False).what_if.total_delta
    assert "增量激励" in line(old, "rebate").text


def test_the_floor_asks_for_a_special_price_approval(sandbox: SandboxService) -> None:
    s = sandbox.draw(product_id="EG-2100", seed=2)
    at_floor = sandbox.decide(SALES, s.id, offer(s, price=s.product.floor_price))
    assert not at_floor.needs_approval and line(at_floor, "floor").ok is True
    below = sandbox.decide(SALES, s.id, offer(s, price=s.product.floor_price - Decimal("0.01")))
    floor = line(below, "floor")
    assert below.needs_approval and floor.ok is False and floor.citation == "FAQ-PRC-003"
    assert "特价申请" in floor.text and "FAQ-PRC-003" in floor.text and "需特价申请" in below.summary


def test_budget_competitor_and_deadline_checks(sandbox: SandboxService) -> None:
    s = next(x for x in (sandbox.draw(product_id="EG-2100", seed=n) for n in range(50)) if x.deadline == "this_quarter")
    cheap = sandbox.decide(SALES, s.id, offer(s, price=min(s.competitor.unit_price, s.product.floor_price)))
    assert cheap.competitor_beaten and line(cheap, "competitor").ok is True
    assert cheap.budget_met == (cheap.deal_amount <= s.budget)
    dear = sandbox.decide(SALES, s.id, offer(s, price=s.product.list_price * 2, timing="next_quarter"))
    assert not dear.competitor_beaten and not dear.budget_met and not dear.deadline_met
    assert line(dear, "competitor").citation == "FAQ-PRC-008" and "超出预算" in line(dear, "budget").text
    assert "错过" in line(dear, "deadline").text


def test_next_quarter_outside_the_policy_is_explained(sandbox: SandboxService, rebates: RebateService) -> None:
    s = sandbox.draw(product_id="EG-2100", seed=4)
    out = sandbox.decide(SALES, s.id, offer(s, timing="next_quarter"))
    assert str(out.quarter) == "2027Q1" and not out.rebate_computed and out.rebate_delta == 0
    now = rebates.what_if(viewer=SALES, amount=out.deal_amount, new_customer=True).what_if
    text = line(out, "rebate").text
    assert "还没有开始" in text and "2026Q1–2026Q4" in text and str(now.total_delta) in text.replace(",", "")
    assert out.total == out.margin and out.rebate_lines == ()


def test_next_quarter_inside_the_policy_uses_the_engine(kit: SandboxKit, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q3.db'}"
    migrate(url)
    august = RebateService(db=Database(url), today=lambda: date(2026, 8, 14))
    august.open(seed_dir=REBATES)
    try:
        sandbox = SandboxService(kit=kit, rebates=august)
        s = sandbox.draw(product_id="EG-2100", seed=4)
        out = sandbox.decide(SALES, s.id, offer(s, timing="next_quarter"))
        expected = august.what_if(viewer=SALES, amount=out.deal_amount, new_customer=True, quarter="2026Q4")
        assert str(out.quarter) == "2026Q4" and out.rebate_computed
        assert out.rebate_delta == expected.what_if.total_delta
        assert "还没有开始" in line(out, "rebate").text
    finally:
        august.store.db.dispose()


def test_bad_decisions_are_refused_with_the_field(sandbox: SandboxService) -> None:
    s = sandbox.draw(product_id="EG-2100", seed=9)
    good = offer(s)
    main = good.lines[0]
    other = next(p for p in sandbox.products() if p.id != s.product.id)
    cases: list[tuple[Decision, str]] = [
        (replace(good, timing="someday"), "timing"),
        (replace(good, lines=()), "lines"),
        (replace(good, lines=tuple([main] * (MAX_LINES + 1))), "lines"),
        (replace(good, lines=(DecisionLine("XX-1", 1, Decimal(1)), main)), "lines[0].product_id"),
        (replace(good, lines=(main, main)), "lines[1].product_id"),
        (replace(good, lines=(replace(main, quantity=0),)), "lines[0].quantity"),
        (replace(good, lines=(replace(main, unit_price=Decimal("-1")),)), "lines[0].unit_price"),
        (replace(good, lines=(replace(main, unit_price=Decimal("1.001")),)), "lines[0].unit_price"),
        (replace(good, lines=(replace(main, unit_price=Decimal(10) ** 8),)), "lines[0].unit_price"),
        (replace(good, lines=(DecisionLine(other.id, 1, other.list_price),)), "lines"),
    ]
    for decision, field in cases:
        with pytest.raises(SandboxInvalidDecisionError) as refused:
            sandbox.decide(SALES, s.id, decision)
        assert refused.value.field == field and refused.value.code == "sandbox_invalid_decision"


def test_the_channel_tree_decides_whose_rebate(sandbox: SandboxService, rebates: RebateService) -> None:
    s = sandbox.draw(product_id="EG-2100", seed=1)
    with pytest.raises(PartnerNotFoundError):  # a sibling partner: like one that does not exist
        sandbox.decide(SALES, s.id, offer(s, partner_id="P-HZ-02"))
    with pytest.raises(PartnerRequiredError):  # a manager's own node is not a partner
        sandbox.decide(Who("A-HZ", "manager"), s.id, offer(s))
    below = sandbox.decide(Who("A-HZ", "manager"), s.id, offer(s, partner_id="P-HZ-02"))
    assert below.partner_id == "P-HZ-02"
    expected = rebates.what_if(viewer=Who("A-HZ"), amount=below.deal_amount, new_customer=True, partner_id="P-HZ-02")
    assert below.rebate_delta == expected.what_if.total_delta
