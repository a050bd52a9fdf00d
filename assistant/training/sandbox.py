"""The deal sandbox (issue 15, item 1, the sandbox variant of practice): a deal scenario
drawn from the corpus, a salesperson's decision on it, and the outcome, explained line by
line with the partner's rebate from the REAL rebate engine.  Used by REST
(assistant/api/routes_sandbox.py); no HTTP here.

* **The scenario** is drawn, seeded, from the catalogue and the case library: a product
  (asked for, or picked by the seed), a case that used it (the customer: company, industry,
  scale, place, one pain point), the quantity wanted (a deal value by scale), the budget
  (that quantity at list price times a budget factor), a competitor block of the product and
  its quote (the price note's figure, checked against our list price, times a negotiation
  factor) and the deadline (this quarter or the next).  Every factor is in
  ``corpus/training/sandbox.yaml``; the code keeps the mechanism.
* **Nothing is stored.**  The scenario id is ``<product>.<seed>.<digest>``: the scenario is
  drawn again from product and seed when a decision comes, and the digest of its content
  checked; another digest means the corpus, the data file or the quarter changed since, and
  the decision is refused (``sandbox_scenario_changed``) rather than computed on another deal.
* **The decision**: lines of catalogue products with quantity and unit price (the
  scenario's product among them), the timing (``this_quarter`` or ``next_quarter``) and
  whether the customer is new to the partner.
* **The outcome**: the deal amount; the customer's budget, the competitor's price and the
  deadline, met or not; the price floor (FAQ-PRC-003: below 85% of list a special-price
  approval comes first); the partner's purchase cost (the data file's *assumption*) and gross
  margin; the rebate change from :meth:`RebateService.what_if` for the caller's own partner
  (or a partner below a manager's node: the channel tree decides) in the chosen quarter;
  margin + rebate = the total.  A next quarter the rebate policy does not cover yet is
  explained and counted as 0, with what the same deal brings this quarter.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import secrets
import threading
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.content.loader import Corpus, load_corpus
from assistant.content.schema import CaseStudy, Competitor, Product
from assistant.errors import AssistantError
from assistant.rebates.engine import LINE_LABELS, WhatIf
from assistant.rebates.errors import InvalidAmountError, QuarterNotFoundError
from assistant.rebates.money import ZERO, check_money, percent, round_cents, yuan
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService, Viewer
from assistant.training.sandbox_errors import (
    SandboxDataError,
    SandboxInvalidDecisionError,
    SandboxScenarioChangedError,
    SandboxScenarioNotFoundError,
    SandboxUnknownProductError,
)

log = logging.getLogger(__name__)

SANDBOX_FILE = Path("training") / "sandbox.yaml"
SEED_LIMIT = 2**31  # seeds are 0 .. 2^31 - 1
MAX_LINES = 8  # lines of a decision
MAX_QUANTITY = 1000  # units of one line
MAX_UNIT_PRICE = Decimal(10_000_000)  # yuan; above this a unit price is a typo
SCENARIO_ID = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]{0,39})\.(\d{1,10})\.([0-9a-f]{12})$")
_NOTE_PRICE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(万)?\s*元")

Timing = Literal["this_quarter", "next_quarter"]
TIMINGS: tuple[Timing, ...] = ("this_quarter", "next_quarter")
Share = Annotated[Decimal, Field(gt=0, le=1)]
Money = Annotated[Decimal, Field(gt=0, le=Decimal(10) ** 9)]
BANDS = {"entry", "mid", "high", "project"}
SCALES = {"small", "medium", "large"}


# --------------------------------------------------------------------------- the data file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FloorRule(_Strict):
    share: Share
    faq: Annotated[str, Field(min_length=1, max_length=32)]


class PurchaseCost(_Strict):
    label: Annotated[str, Field(min_length=4, max_length=200)]
    label_en: Annotated[str, Field(min_length=4, max_length=300)]
    share_by_band: dict[str, Share]

    @model_validator(mode="after")
    def _every_band(self) -> PurchaseCost:
        if set(self.share_by_band) != BANDS:
            raise ValueError(f"share_by_band: expected the bands {sorted(BANDS)}")
        return self


class ValueRange(_Strict):
    min: Money
    max: Money

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.min > self.max:
            raise ValueError("min is above max")
        return self


class CompetitorRule(_Strict):
    ratio_min: Annotated[Decimal, Field(gt=0, le=10)]
    ratio_max: Annotated[Decimal, Field(gt=0, le=10)]
    fallback_ratio: Annotated[Decimal, Field(gt=0, le=10)]
    negotiation_factors: Annotated[list[Share], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _ordered(self) -> CompetitorRule:
        if self.ratio_min > self.ratio_max:
            raise ValueError("ratio_min is above ratio_max")
        return self


class SandboxData(_Strict):
    """``corpus/training/sandbox.yaml``, validated (see the file for what each value means)."""

    version: Literal[1]
    floor: FloorRule
    purchase_cost: PurchaseCost
    scales: dict[str, Annotated[str, Field(min_length=1, max_length=16)]]
    deal_value: dict[str, ValueRange]
    max_quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    budget_factors: dict[str, Annotated[list[Annotated[Decimal, Field(gt=0, le=2)]], Field(min_length=1)]]
    budget_round: Annotated[int, Field(ge=1, le=100_000)]
    competitor: CompetitorRule
    deadline_this_quarter_share: Annotated[Decimal, Field(ge=0, le=1)]

    @model_validator(mode="after")
    def _every_scale(self) -> SandboxData:
        for name in ("scales", "deal_value", "budget_factors"):
            if set(getattr(self, name)) != SCALES:
                raise ValueError(f"{name}: expected the scales {sorted(SCALES)}")
        return self


def parse_sandbox_data(raw: object, *, source: str = "sandbox.yaml") -> SandboxData:
    """Validate the data file's mapping; every problem is listed as ``file: field: problem``."""
    try:
        return SandboxData.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{source}: {'.'.join(str(p) for p in e['loc']) or '-'}: {e['msg']}" for e in exc.errors()]
        raise SandboxDataError("\n".join(problems)) from exc


def load_sandbox_data(path: Path) -> SandboxData:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SandboxDataError(f"{path}: cannot be read: {exc}") from exc
    return parse_sandbox_data(raw, source=str(path))


# --------------------------------------------------------------------------- the kit


@dataclass(frozen=True, slots=True)
class SandboxKit:
    """The catalogue, the case library and the sandbox data of one corpus."""

    corpus: Corpus
    data: SandboxData


def sandbox_root(corpus_dir: Path, fallback_dir: Path) -> Path:
    """``corpus_dir`` when it has the sandbox data, else the shipped corpus (as the practice's kit)."""
    return corpus_dir if (corpus_dir / SANDBOX_FILE).exists() else fallback_dir


def build_sandbox_kit(root: Path) -> SandboxKit:
    """The kit over the corpus at ``root``; :class:`SandboxDataError` when it cannot be read
    or the data file names a floor FAQ the corpus does not have."""
    data = load_sandbox_data(root / SANDBOX_FILE)
    try:
        corpus = load_corpus(root)
    except (AssistantError, OSError) as exc:
        raise SandboxDataError(f"corpus at {root}: {exc}") from exc
    if not any(f.id == data.floor.faq for f in corpus.faqs):
        raise SandboxDataError(f"{root / SANDBOX_FILE}: floor.faq: no FAQ {data.floor.faq!r} in the corpus")
    if not corpus.products or not corpus.cases:
        raise SandboxDataError(f"corpus at {root}: no products or no cases")
    return SandboxKit(corpus=corpus, data=data)


class SandboxKitLoader:
    """Builds the kit once, on first use (cheap to construct).  A failure is not kept: the
    next call tries again (the data file may have been fixed)."""

    def __init__(self, *, corpus_dir: Path, fallback_dir: Path) -> None:
        self.root = sandbox_root(corpus_dir, fallback_dir)
        self._kit: SandboxKit | None = None
        self._lock = threading.Lock()

    def get(self) -> SandboxKit:
        kit = self._kit
        if kit is not None:
            return kit
        with self._lock:
            if self._kit is None:
                try:
                    self._kit = build_sandbox_kit(self.root)
                except SandboxDataError as exc:
                    log.error("sandbox not available (%s): %s", exc.code, exc)
                    raise
                log.info("sandbox kit built root=%s", self.root)
            return self._kit


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    id: str
    name: str
    list_price: Decimal
    unit: str
    band: str
    floor_price: Decimal  # floor share x list price, to the cent


@dataclass(frozen=True, slots=True)
class ScenarioCustomer:
    company: str
    industry: str
    scale: str  # small | medium | large
    scale_label: str
    region: str
    city: str
    case_id: str
    pain_point: str


@dataclass(frozen=True, slots=True)
class CompetitorQuote:
    competitor: str
    model: str
    price_note: str
    unit_price: Decimal  # what the competitor quotes per unit in this deal
    explanation: str  # zh-CN: how the quote was derived


@dataclass(frozen=True, slots=True)
class DealScenario:
    id: str
    seed: int
    product: CatalogueItem
    quantity: int
    customer: ScenarioCustomer
    budget: Decimal
    competitor: CompetitorQuote
    deadline: Timing
    current_quarter: Quarter
    deadline_quarter: Quarter
    mix: tuple[CatalogueItem, ...]  # the product's accessories in the catalogue: suggestions
    intro: str  # zh-CN


@dataclass(frozen=True, slots=True)
class DecisionLine:
    product_id: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    lines: tuple[DecisionLine, ...]
    timing: str  # checked: this_quarter | next_quarter
    new_customer: bool
    partner_id: str | None = None  # a partner below a manager's node; default: the caller's own


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    """One line of the outcome: ``amount`` in yuan (None for a check), ``ok`` for a check
    (None for an amount), and the explanation in zh-CN."""

    key: str  # deal_amount | budget | competitor | deadline | floor | purchase_cost | margin | rebate | total
    label: str
    amount: Decimal | None
    ok: bool | None
    text: str
    citation: str | None = None


@dataclass(frozen=True, slots=True)
class RebateDelta:
    kind: str
    label: str
    before: Decimal
    after: Decimal
    delta: Decimal


@dataclass(frozen=True, slots=True)
class Outcome:
    scenario: DealScenario
    decision: Decision
    partner_id: str
    partner_name: str
    quarter: Quarter  # the quarter the deal is booked in
    rebate_computed: bool  # False: the policy does not cover that quarter yet (counted as 0)
    deal_amount: Decimal
    purchase_cost: Decimal
    margin: Decimal
    rebate_delta: Decimal
    total: Decimal
    budget_met: bool
    competitor_beaten: bool
    deadline_met: bool
    needs_approval: bool
    lines: tuple[OutcomeLine, ...]
    rebate_lines: tuple[RebateDelta, ...]
    summary: str  # zh-CN


# --------------------------------------------------------------------------- the service


def _cents(amount: Decimal) -> Decimal:
    return round_cents(amount)


class SandboxService:
    """Scenarios and outcomes over one kit and the live rebate service (cheap per request)."""

    def __init__(self, *, kit: SandboxKit, rebates: RebateService) -> None:
        self.kit = kit
        self.data = kit.data
        self.rebates = rebates
        self._products = {p.id: p for p in kit.corpus.products}

    # ----------------------------------------------------------------- scenarios

    def products(self) -> tuple[CatalogueItem, ...]:
        return tuple(self._item(p) for p in sorted(self._products.values(), key=lambda p: p.id))

    def draw(self, *, product_id: str | None = None, seed: int | None = None) -> DealScenario:
        """A new scenario: of ``product_id`` (default: picked by the seed), seeded by ``seed``
        (default: a random one)."""
        if seed is None:
            seed = secrets.randbelow(SEED_LIMIT)
        if not 0 <= seed < SEED_LIMIT:
            raise SandboxInvalidDecisionError(f"seed {seed} out of range", field="seed")
        if product_id is None or not product_id.strip():
            ids = sorted(self._products)
            product_id = random.Random(f"sandbox-product|{seed}").choice(ids)
        product = self._products.get(product_id.strip())
        if product is None:
            raise SandboxUnknownProductError(f"no product {product_id!r}", field="product_id")
        return self._build(product, seed)

    def scenario(self, scenario_id: str) -> DealScenario:
        """The scenario of an id issued by :meth:`draw`, drawn again and checked."""
        match = SCENARIO_ID.match(scenario_id)
        if match is None or int(match.group(2)) >= SEED_LIMIT:
            raise SandboxScenarioNotFoundError(f"not a scenario id: {scenario_id[:80]!r}")
        product = self._products.get(match.group(1))
        if product is None:
            raise SandboxScenarioChangedError(f"{scenario_id}: product {match.group(1)} is no longer in the catalogue")
        scenario = self._build(product, int(match.group(2)))
        if scenario.id != scenario_id:
            raise SandboxScenarioChangedError(f"{scenario_id} is now {scenario.id}")
        return scenario

    def _item(self, product: Product) -> CatalogueItem:
        price = Decimal(product.price.list_price)
        return CatalogueItem(
            id=product.id,
            name=product.name,
            list_price=price,
            unit=product.price.unit,
            band=product.price.band,
            floor_price=_cents(price * self.data.floor.share),
        )

    def _build(self, product: Product, seed: int) -> DealScenario:
        data = self.data
        rng = random.Random(f"sandbox|{product.id}|{seed}")
        item = self._item(product)
        case = self._case(product, rng)
        scale = case.scale.value
        span = data.deal_value[scale]
        target = Decimal(rng.randint(int(span.min), int(span.max)))
        quantity = max(1, min(data.max_quantity, int((target / item.list_price).to_integral_value())))
        factor = rng.choice(data.budget_factors[scale])
        unit = Decimal(data.budget_round)
        budget = max(unit, (item.list_price * quantity * factor / unit).to_integral_value(rounding=ROUND_FLOOR) * unit)
        rival = rng.choice(sorted(product.competitors, key=lambda c: c.competitor))
        quote = self._quote(item, rival, rng)
        deadline: Timing = (
            "this_quarter" if Decimal(str(rng.random())) < data.deadline_this_quarter_share else "next_quarter"
        )
        current = self.rebates.current_quarter()
        deadline_quarter = current if deadline == "this_quarter" else current.next()
        customer = ScenarioCustomer(
            company=case.customer,
            industry=case.industry,
            scale=scale,
            scale_label=data.scales[scale],
            region=case.region,
            city=case.city,
            case_id=case.id,
            pain_point=rng.choice(case.pain_points).rstrip("。"),
        )
        mix = tuple(self._item(self._products[a]) for a in product.accessories if a in self._products)
        intro = (
            f"{customer.company}（{customer.industry}，{customer.scale_label}企业，{customer.region}{customer.city}）"
            f"要采购 {quantity} {item.unit} {item.id} {item.name}，预算约 {yuan(budget)}，"
            f"要求在{'本' if deadline == 'this_quarter' else '下'}季度（{deadline_quarter}）内签约。"
            f"{quote.competitor} 报了 {quote.model}，每{item.unit}约 {yuan(quote.unit_price)}。"
            f"客户的痛点：{customer.pain_point}。"
        )
        content = {
            "v": data.model_dump(mode="json"),
            "product": [item.id, str(item.list_price), item.unit, item.band],
            "quantity": quantity,
            "customer": [customer.company, customer.industry, scale, customer.region, customer.city, case.id],
            "pain": customer.pain_point,
            "budget": str(budget),
            "rival": [quote.competitor, quote.model, quote.price_note, str(quote.unit_price)],
            "deadline": [deadline, str(current)],
            "mix": [[m.id, str(m.list_price)] for m in mix],
        }
        digest = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]
        return DealScenario(
            id=f"{item.id}.{seed}.{digest}",
            seed=seed,
            product=item,
            quantity=quantity,
            customer=customer,
            budget=budget,
            competitor=quote,
            deadline=deadline,
            current_quarter=current,
            deadline_quarter=deadline_quarter,
            mix=mix,
            intro=intro,
        )

    def _case(self, product: Product, rng: random.Random) -> CaseStudy:
        """A case that used the product; failing that one of its line; failing that any."""
        cases = self.kit.corpus.cases
        line = {p.id for p in self.kit.corpus.products if p.line == product.line}
        pool = [c for c in cases if product.id in c.products] or [c for c in cases if line & set(c.products)]
        return rng.choice(sorted(pool or list(cases), key=lambda c: c.id))

    def _quote(self, item: CatalogueItem, rival: Competitor, rng: random.Random) -> CompetitorQuote:
        rule = self.data.competitor
        factor = rng.choice(rule.negotiation_factors)
        note_price: Decimal | None = None
        match = _NOTE_PRICE.search(rival.price_note)
        if match is not None:
            note_price = Decimal(match.group(1).replace(",", "")) * (10000 if match.group(2) else 1)
        if note_price is not None and rule.ratio_min <= note_price / item.list_price <= rule.ratio_max:
            base = note_price
            how = f"价格说明“{rival.price_note}”中的 {yuan(note_price)}"
        else:
            base = item.list_price * rule.fallback_ratio
            how = (
                f"价格说明“{rival.price_note or '无'}”不是可比的单价，按我方目录价 {yuan(item.list_price)}"
                f" × {rule.fallback_ratio} 估算为 {yuan(base)}"
            )
        unit_price = _cents(base * factor)
        give = "谈判中不再让价" if factor == 1 else f"谈判中让到该价的 {percent(factor)}"
        explanation = f"{how}，{give}，即每{item.unit} {yuan(unit_price)}"
        return CompetitorQuote(
            competitor=rival.competitor,
            model=rival.competitor_model,
            price_note=rival.price_note,
            unit_price=unit_price,
            explanation=explanation,
        )

    # ----------------------------------------------------------------- decisions

    def check(self, scenario: DealScenario, decision: Decision) -> None:
        """Refuse a decision out of bounds, with the field at fault."""
        if decision.timing not in TIMINGS:
            raise SandboxInvalidDecisionError(f"timing {decision.timing!r}", field="timing")
        if not 1 <= len(decision.lines) <= MAX_LINES:
            raise SandboxInvalidDecisionError(f"{len(decision.lines)} lines", field="lines")
        seen: set[str] = set()
        for i, line in enumerate(decision.lines):
            where = f"lines[{i}]"
            if line.product_id not in self._products or line.product_id in seen:
                raise SandboxInvalidDecisionError(f"{where}: product {line.product_id!r}", field=f"{where}.product_id")
            seen.add(line.product_id)
            if isinstance(line.quantity, bool) or not 1 <= line.quantity <= MAX_QUANTITY:
                raise SandboxInvalidDecisionError(f"{where}: quantity {line.quantity}", field=f"{where}.quantity")
            try:
                price = check_money(line.unit_price, what="unit_price", positive=True)
            except InvalidAmountError as exc:
                raise SandboxInvalidDecisionError(f"{where}: {exc}", field=f"{where}.unit_price") from exc
            if price > MAX_UNIT_PRICE:
                raise SandboxInvalidDecisionError(f"{where}: unit price {price}", field=f"{where}.unit_price")
        if scenario.product.id not in seen:
            raise SandboxInvalidDecisionError(f"the offer leaves out {scenario.product.id}", field="lines")

    def decide(self, viewer: Viewer, scenario_id: str, decision: Decision) -> Outcome:
        """The outcome of ``decision`` on the scenario, for the caller's own partner (or a
        partner the caller may read, named in the decision)."""
        scenario = self.scenario(scenario_id)
        self.check(scenario, decision)
        items = {line.product_id: self._item(self._products[line.product_id]) for line in decision.lines}
        amounts = [(line, items[line.product_id], line.unit_price * line.quantity) for line in decision.lines]
        deal = _cents(sum((a for _, _, a in amounts), ZERO))
        share = self.data.purchase_cost.share_by_band
        cost = _cents(
            sum((Decimal(line.quantity) * item.list_price * share[item.band] for line, item, _ in amounts), ZERO)
        )
        margin = deal - cost

        # The rebate: the real engine, for the partner the channel tree lets the caller read.
        current = scenario.current_quarter
        now = self.rebates.what_if(
            viewer=viewer,
            amount=deal,
            new_customer=decision.new_customer,
            quarter=str(current),
            partner_id=decision.partner_id,
        )
        chosen: WhatIf | None = now.what_if
        quarter = current
        policy = self.rebates.state.policy
        if decision.timing == "next_quarter":
            quarter = current.next()
            try:
                chosen = self.rebates.what_if(
                    viewer=viewer,
                    amount=deal,
                    new_customer=decision.new_customer,
                    quarter=str(quarter),
                    partner_id=decision.partner_id,
                ).what_if
            except QuarterNotFoundError:
                chosen = None
        rebate = chosen.total_delta if chosen is not None else ZERO
        total = margin + rebate

        main = next(line for line in decision.lines if line.product_id == scenario.product.id)
        budget_met = deal <= scenario.budget
        beaten = main.unit_price <= scenario.competitor.unit_price
        deadline_met = not (scenario.deadline == "this_quarter" and decision.timing == "next_quarter")
        below = [(line, item) for line, item, _ in amounts if line.unit_price < item.floor_price]
        floor = self.data.floor
        unit = scenario.product.unit

        lines: list[OutcomeLine] = []
        lines.append(
            OutcomeLine(
                key="deal_amount",
                label="成交额",
                amount=deal,
                ok=None,
                text="；".join(
                    f"{item.id} {line.quantity} {item.unit} × {yuan(line.unit_price)} = {yuan(a)}"
                    for line, item, a in amounts
                )
                + f"；合计 {yuan(deal)}",
            )
        )
        gap = deal - scenario.budget
        lines.append(
            OutcomeLine(
                key="budget",
                label="客户预算",
                amount=None,
                ok=budget_met,
                text=(
                    f"客户预算 {yuan(scenario.budget)}，报价合计 {yuan(deal)}，"
                    + (
                        f"在预算内（还剩 {yuan(-gap)}）"
                        if budget_met
                        else f"超出预算 {yuan(gap)}，客户很可能压价或放弃"
                    )
                ),
            )
        )
        rival = scenario.competitor
        diff = main.unit_price - rival.unit_price
        lines.append(
            OutcomeLine(
                key="competitor",
                label="竞品价格",
                amount=None,
                ok=beaten,
                text=(
                    f"{rival.competitor} {rival.model} 每{unit} {yuan(rival.unit_price)}（{rival.explanation}）；"
                    f"你的 {scenario.product.id} 每{unit} {yuan(main.unit_price)}，"
                    + (
                        f"价格不高于对方（低 {yuan(-diff)}）"
                        if beaten
                        else f"比对方高 {yuan(diff)}：要靠价值说服客户（总拥有成本、停机损失），见 FAQ-PRC-008"
                    )
                ),
                citation=None if beaten else "FAQ-PRC-008",
            )
        )
        when = "本季度" if decision.timing == "this_quarter" else "下季度"
        wanted = "本季度" if scenario.deadline == "this_quarter" else "下季度"
        lines.append(
            OutcomeLine(
                key="deadline",
                label="签约时间",
                amount=None,
                ok=deadline_met,
                text=(
                    f"客户要求{wanted}（{scenario.deadline_quarter}）内签约，你选择{when}（{quarter}）签约"
                    + ("，满足客户的期限" if deadline_met else "：错过了客户的期限，这一单很可能丢掉")
                ),
            )
        )
        if below:
            floor_text = "；".join(
                f"{item.id} 单价 {yuan(line.unit_price)} 低于目录价 {percent(floor.share)} "
                f"的底价 {yuan(item.floor_price)}"
                for line, item in below
            ) + (
                f"。报价不得低于目录价的 {percent(floor.share)}：必须先在渠道门户提交项目特价申请，"
                f"获批后才能按此价报价（{floor.faq}）"
            )
        else:
            floor_text = f"每一行单价都不低于目录价的 {percent(floor.share)}，无需特价申请（{floor.faq}）"
        lines.append(
            OutcomeLine(key="floor", label="价格底线", amount=None, ok=not below, text=floor_text, citation=floor.faq)
        )
        lines.append(
            OutcomeLine(
                key="purchase_cost",
                label="进货成本",
                amount=cost,
                ok=None,
                text="；".join(
                    f"{item.id} {line.quantity} × {yuan(item.list_price)} × {percent(share[item.band])}"
                    for line, item, _ in amounts
                )
                + f" = {yuan(cost)}。{self.data.purchase_cost.label}（corpus/training/sandbox.yaml）",
            )
        )
        rate = f"，毛利率 {percent(_cents(margin / deal * 100) / 100)}" if deal > 0 else ""
        lines.append(
            OutcomeLine(
                key="margin",
                label="毛利",
                amount=margin,
                ok=None,
                text=f"成交额 {yuan(deal)} − 进货成本 {yuan(cost)} = {yuan(margin)}{rate}",
            )
        )
        partner = now.node
        if decision.timing == "this_quarter":
            assert chosen is not None
            rebate_text = (
                f"真实返利引擎，{partner.name}（{partner.id}）{quarter} 的对账单（截至今天，累计中）："
                f"{chosen.summary}。{chosen.after.tier_progress.sentence}"
            )
        elif chosen is not None:
            rebate_text = (
                f"{quarter} 的对账单还没有开始（今天仍在 {current}）：按今天已知的情况计算，下季度还没有订单，"
                f"基线按本季度至今的销售推算。{chosen.summary}。"
                f"同样一单在本季度签，返利增加 {yuan(now.what_if.total_delta)}"
            )
        else:
            rebate_text = (
                f"{quarter} 的对账单还没有开始，而且不在当前返利政策的范围内"
                f"（{policy.first_quarter}–{policy.last_quarter}）："
                f"真实返利引擎算不出下季度的返利，这里按 0 计。同样一单在本季度（{current}）签，"
                f"返利增加 {yuan(now.what_if.total_delta)}"
            )
        if not decision.new_customer:
            rebate_text += "。注意：增量激励只计入含新客户的增量（老客户的单不增加增量激励）"
        lines.append(
            OutcomeLine(
                key="rebate",
                label="返利变化",
                amount=rebate,
                ok=None,
                text=rebate_text,
                citation="docs/rebate-policy.md",
            )
        )
        lines.append(
            OutcomeLine(
                key="total",
                label="总收益",
                amount=total,
                ok=None,
                text=f"毛利 {yuan(margin)} + 返利变化 {yuan(rebate)} = {yuan(total)}",
            )
        )
        rebate_lines = (
            tuple(
                RebateDelta(kind=d.kind.value, label=LINE_LABELS[d.kind], before=d.before, after=d.after, delta=d.delta)
                for d in chosen.lines
            )
            if chosen is not None
            else ()
        )
        flags = [
            "在预算内" if budget_met else "超预算",
            "价格低于竞品" if beaten else "价格高于竞品",
            "赶上期限" if deadline_met else "错过期限",
        ]
        if below:
            flags.append("需特价申请")
        summary = (
            f"成交额 {yuan(deal)}，毛利 {yuan(margin)}，返利变化 {yuan(rebate)}，"
            f"总收益 {yuan(total)}（{'、'.join(flags)}）"
        )
        log.info(
            "sandbox decided scenario=%s partner=%s timing=%s deal=%s rebate=%s",
            scenario.id,
            partner.id,
            decision.timing,
            deal,
            rebate,
        )
        return Outcome(
            scenario=scenario,
            decision=decision,
            partner_id=partner.id,
            partner_name=partner.name,
            quarter=quarter,
            rebate_computed=chosen is not None,
            deal_amount=deal,
            purchase_cost=cost,
            margin=margin,
            rebate_delta=rebate,
            total=total,
            budget_met=budget_met,
            competitor_beaten=beaten,
            deadline_met=deadline_met,
            needs_approval=bool(below),
            lines=tuple(lines),
            rebate_lines=rebate_lines,
            summary=summary,
        )


__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_UNIT_PRICE",
    "CatalogueItem",
    "DealScenario",
    "Decision",
    "DecisionLine",
    "Outcome",
    "OutcomeLine",
    "SandboxData",
    "SandboxKit",
    "SandboxKitLoader",
    "SandboxService",
    "build_sandbox_kit",
    "load_sandbox_data",
    "parse_sandbox_data",
    "sandbox_root",
]
