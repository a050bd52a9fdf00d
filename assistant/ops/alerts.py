"""Risk alerts (风险预警, issue 14 part 3): a rule engine over the ledger, inventory, feedback and tasks.

Pure domain code: typed input records in, :class:`Alert` values out; no HTTP, no database.
Thresholds live in ``corpus/ops/alert_rules.yaml`` (:func:`load_rules`), and every alert
records the version of the thresholds it was computed under.

Rules (ids as in the ops data contract); each fires when its figure is strictly past its
threshold, and the severity says how far past (``severity.medium`` / ``severity.high``):

``return_spike``          partner-quarter: returned / booked amount above the threshold.
``quarter_end_stuffing``  partner-quarter: share of the booked amount in the last days of the quarter.
``tier_edge_no_new``      partner-quarter: net sales less than a margin over a tier edge, below the
                          edge without the late orders to existing customers, no late new customer.
``overstock``             partner-product runs of weeks with days of inventory above the threshold;
                          one alert per run, its period the run's first week.
``complaint_rate``        partner-quarter: complaints per customer served above the region's median
                          by ``k`` robust standard deviations (1.4826 * MAD).
``satisfaction_falling``  partner-quarter q: survey mean fell from q-2 to q-1 and from q-1 to q, by
                          more than the threshold each time.
``overdue_task``          a task past its due date with progress below target (period: the due
                          date's quarter; the task id is the alert's subject).

Incremental evaluation: :func:`evaluate` takes a :class:`Scope` (the partners and quarters an
input change touched, see :meth:`Scope.for_order` and friends) and recomputes only the alerts
that scope can change, as an :class:`Evaluation` that says which alerts it replaces
(:meth:`Evaluation.covers`); :func:`merge` applies it to the previous alerts.  What a scope
reaches, per rule: the ledger rules its partner-quarters; ``complaint_rate`` every partner of
the region in those quarters (a region's median moves with any member); ``satisfaction_falling``
those quarters and the two after (a quarter's mean is the q-2, q-1 or q of three findings);
``overstock`` every period of the scope's partners (a changed week can move the start of a run
that began long before it), ``overdue_task`` every task of the scope's nodes (a task may be held
by any channel node, so its alert's ``partner_id`` may name a region or an alliance).
``merge(full_before, evaluate(after, scope))`` equals ``evaluate(after)`` for any change inside
``scope`` (tested).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import AssistantError
from assistant.rebates.ledger import Order, QuarterSales
from assistant.rebates.policy import RebatePolicy
from assistant.rebates.quarter import Quarter

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "corpus" / "ops" / "alert_rules.yaml"
MAD_SCALE = Decimal("1.4826")  # MAD * 1.4826 estimates the standard deviation of normal data
INFINITE = Decimal("Infinity")
ZERO = Decimal(0)

# --------------------------------------------------------------------------- errors


class AlertError(AssistantError):
    """Base class of the risk-alert domain's errors."""

    code = "alert_error"


class AlertRulesInvalidError(AlertError):
    """The thresholds file is unreadable or invalid; ``problems`` lists ``file: field: problem``."""

    code = "alert_rules_invalid"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s):\n" + "\n".join(self.problems[:50]))


# --------------------------------------------------------------------------- ids and input records


class RuleId(StrEnum):
    RETURN_SPIKE = "return_spike"
    QUARTER_END_STUFFING = "quarter_end_stuffing"
    TIER_EDGE_NO_NEW = "tier_edge_no_new"
    OVERSTOCK = "overstock"
    COMPLAINT_RATE = "complaint_rate"
    SATISFACTION_FALLING = "satisfaction_falling"
    OVERDUE_TASK = "overdue_task"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class FeedbackKind(StrEnum):
    SURVEY = "survey"
    COMPLAINT = "complaint"


@dataclass(frozen=True, slots=True)
class InventoryWeek:
    """One weekly inventory report line of a partner and product (``week`` is its Monday)."""

    week: date
    partner_id: str
    product_id: str
    sell_in_units: int
    sell_through_units: int
    stock_units: int


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One end-customer feedback: a survey (``score`` 1-5) or a complaint (``category``)."""

    feedback_id: str
    date: date
    partner_id: str
    customer_id: str
    product_id: str
    kind: FeedbackKind
    score: int | None = None
    category: str | None = None
    status: str = "closed"


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """The least a task must say for the overdue rule: one assignee's share of a task.

    From :mod:`assistant.tasks`: ``task_id`` = ``Task.id``, ``due`` = ``Task.due`` (inclusive),
    ``assignee_id`` = the assignment's channel node (any level: the alert's ``partner_id`` is
    then that node), ``target`` = its ``quantity`` and ``progress`` its rolled-up progress
    (whole counts).  One record per task and node: a partner's salespeople roll up into it."""

    task_id: str
    assignee_id: str
    due: date
    target: int
    progress: int


class SalesSource(Protocol):
    """What the engine reads of the ledger (:class:`assistant.rebates.ledger.Ledger` is one)."""

    def sales(self, partner_id: str, quarter: Quarter, *, until: date | None = None) -> QuarterSales: ...


# --------------------------------------------------------------------------- indexed inputs


@dataclass(frozen=True, slots=True)
class InventoryIndex:
    """Inventory weeks per partner and product, sorted by week; cheap to change one partner."""

    series: Mapping[str, Mapping[str, tuple[InventoryWeek, ...]]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: Iterable[InventoryWeek]) -> InventoryIndex:
        grouped: dict[str, dict[str, dict[date, InventoryWeek]]] = {}
        for row in rows:
            grouped.setdefault(row.partner_id, {}).setdefault(row.product_id, {})[row.week] = row
        return cls(
            {
                partner: {product: tuple(weeks[w] for w in sorted(weeks)) for product, weeks in products.items()}
                for partner, products in grouped.items()
            }
        )

    def of(self, partner_id: str) -> Mapping[str, tuple[InventoryWeek, ...]]:
        return self.series.get(partner_id, {})

    def with_rows(self, rows: Iterable[InventoryWeek]) -> InventoryIndex:
        """A new index where ``rows`` replace (or add) the reports of their week, partner and product."""
        series = dict(self.series)
        changed: dict[str, dict[str, dict[date, InventoryWeek]]] = {}
        for row in rows:
            products = changed.setdefault(row.partner_id, {})
            if row.product_id not in products:
                products[row.product_id] = {w.week: w for w in self.of(row.partner_id).get(row.product_id, ())}
            products[row.product_id][row.week] = row
        for partner, products in changed.items():
            merged = dict(self.of(partner))
            for product, weeks in products.items():
                merged[product] = tuple(weeks[w] for w in sorted(weeks))
            series[partner] = merged
        return InventoryIndex(series)


@dataclass(frozen=True, slots=True)
class FeedbackIndex:
    """Feedback per partner and quarter (by date, then id)."""

    by_quarter: Mapping[tuple[str, Quarter], tuple[FeedbackRecord, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, records: Iterable[FeedbackRecord]) -> FeedbackIndex:
        grouped: dict[tuple[str, Quarter], dict[str, FeedbackRecord]] = {}
        for record in records:
            grouped.setdefault((record.partner_id, Quarter.of(record.date)), {})[record.feedback_id] = record
        return cls({key: _sorted_feedback(value.values()) for key, value in grouped.items()})

    def of(self, partner_id: str, quarter: Quarter) -> tuple[FeedbackRecord, ...]:
        return self.by_quarter.get((partner_id, quarter), ())

    def with_records(self, records: Iterable[FeedbackRecord]) -> FeedbackIndex:
        """A new index where ``records`` are added (a record with a known id replaces it)."""
        by_quarter = dict(self.by_quarter)
        for record in records:
            key = (record.partner_id, Quarter.of(record.date))
            kept = {r.feedback_id: r for r in by_quarter.get(key, ())}
            for other_key, other in list(by_quarter.items()):  # an edit may move a record to another quarter
                if (
                    other_key != key
                    and other_key[0] == record.partner_id
                    and any(r.feedback_id == record.feedback_id for r in other)
                ):
                    by_quarter[other_key] = tuple(r for r in other if r.feedback_id != record.feedback_id)
            kept[record.feedback_id] = record
            by_quarter[key] = _sorted_feedback(kept.values())
        return FeedbackIndex(by_quarter)


def _sorted_feedback(records: Iterable[FeedbackRecord]) -> tuple[FeedbackRecord, ...]:
    return tuple(sorted(records, key=lambda r: (r.date, r.feedback_id)))


@dataclass(frozen=True, slots=True)
class AlertInputs:
    """Everything the rules read.  ``regions`` maps every partner evaluated to its region;
    ``quarters`` are the quarters evaluated; ``as_of`` is "today" for the overdue rule."""

    ledger: SalesSource
    policy: RebatePolicy
    regions: Mapping[str, str]
    quarters: tuple[Quarter, ...]
    inventory: InventoryIndex = field(default_factory=InventoryIndex)
    feedback: FeedbackIndex = field(default_factory=FeedbackIndex)
    tasks: tuple[TaskRecord, ...] = ()
    as_of: date | None = None

    def partners_in(self, region: str) -> tuple[str, ...]:
        return tuple(sorted(p for p, r in self.regions.items() if r == region))


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True, slots=True)
class Bands:
    """A figure's threshold and severity bands.  ``higher_is_worse`` False: the figure fires
    below ``threshold`` and grows more severe as it shrinks."""

    threshold: Decimal
    medium: Decimal
    high: Decimal
    higher_is_worse: bool = True

    def fires(self, value: Decimal) -> bool:
        return value > self.threshold if self.higher_is_worse else value < self.threshold

    def severity(self, value: Decimal) -> Severity:
        if self.higher_is_worse:
            return Severity.HIGH if value >= self.high else Severity.MEDIUM if value >= self.medium else Severity.LOW
        return Severity.HIGH if value <= self.high else Severity.MEDIUM if value <= self.medium else Severity.LOW


@dataclass(frozen=True, slots=True)
class ReturnSpikeRule:
    rate: Bands
    min_booked: Decimal


@dataclass(frozen=True, slots=True)
class StuffingRule:
    share: Bands
    window_days: int
    min_booked: Decimal


@dataclass(frozen=True, slots=True)
class TierEdgeRule:
    margin: Bands  # lower is worse
    window_days: int


@dataclass(frozen=True, slots=True)
class OverstockRule:
    days: Bands
    window_weeks: int
    min_run_weeks: int
    min_stock_units: int


@dataclass(frozen=True, slots=True)
class ComplaintRateRule:
    z: Bands  # threshold = k
    scale_floor: Decimal
    min_complaints: int
    min_partners: int


@dataclass(frozen=True, slots=True)
class SatisfactionRule:
    min_fall: Decimal  # per quarter
    total_fall: Bands  # severity on q-2 minus q (its threshold is 2 * min_fall)
    min_surveys: int


@dataclass(frozen=True, slots=True)
class OverdueRule:
    days: Bands  # days past due; threshold = grace days


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The versioned thresholds of every rule."""

    version: str
    return_spike: ReturnSpikeRule
    quarter_end_stuffing: StuffingRule
    tier_edge_no_new: TierEdgeRule
    overstock: OverstockRule
    complaint_rate: ComplaintRateRule
    satisfaction_falling: SatisfactionRule
    overdue_task: OverdueRule


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonNegative = Annotated[Decimal, Field(ge=0)]


class _SeverityModel(_Model):
    medium: NonNegative
    high: NonNegative


class _RuleModel(_Model):
    threshold: NonNegative
    severity: _SeverityModel


class _ReturnSpikeModel(_RuleModel):
    min_booked: NonNegative


class _StuffingModel(_RuleModel):
    window_days: Annotated[int, Field(ge=1, le=45)]
    min_booked: NonNegative


class _TierEdgeModel(_RuleModel):
    window_days: Annotated[int, Field(ge=1, le=45)]


class _OverstockModel(_RuleModel):
    window_weeks: Annotated[int, Field(ge=1, le=13)]
    min_run_weeks: Annotated[int, Field(ge=1)]
    min_stock_units: Annotated[int, Field(ge=0)]


class _ComplaintModel(_RuleModel):
    scale_floor: Annotated[Decimal, Field(gt=0)]
    min_complaints: Annotated[int, Field(ge=1)]
    min_partners: Annotated[int, Field(ge=3)]


class _SatisfactionModel(_RuleModel):
    min_surveys: Annotated[int, Field(ge=1)]


class _RulesBlock(_Model):
    return_spike: _ReturnSpikeModel
    quarter_end_stuffing: _StuffingModel
    tier_edge_no_new: _TierEdgeModel
    overstock: _OverstockModel
    complaint_rate: _ComplaintModel
    satisfaction_falling: _SatisfactionModel
    overdue_task: _RuleModel


class _RulesFile(_Model):
    version: Annotated[str, Field(min_length=1)]
    rules: _RulesBlock


def _bands(model: _RuleModel, *, higher_is_worse: bool = True, low_edge: Decimal | None = None) -> Bands:
    return Bands(
        threshold=model.threshold if low_edge is None else low_edge,
        medium=model.severity.medium,
        high=model.severity.high,
        higher_is_worse=higher_is_worse,
    )


def _band_problems(name: str, bands: Bands) -> Iterator[str]:
    if bands.higher_is_worse and not bands.threshold < bands.medium < bands.high:
        yield f"rules.{name}.severity: expected threshold < medium < high"
    if not bands.higher_is_worse and not bands.threshold > bands.medium > bands.high:
        yield f"rules.{name}.severity: expected threshold > medium > high (smaller is worse)"


def parse_rules(raw: object, *, source: str = "alert_rules.yaml") -> AlertRules:
    """Validate an already-parsed thresholds document."""
    try:
        model = _RulesFile.model_validate(raw)
    except ValidationError as exc:
        raise AlertRulesInvalidError(
            [f"{source}: {'.'.join(str(p) for p in err['loc']) or '-'}: {err['msg']}" for err in exc.errors()]
        ) from exc
    block = model.rules
    sat = block.satisfaction_falling
    rules = AlertRules(
        version=model.version,
        return_spike=ReturnSpikeRule(rate=_bands(block.return_spike), min_booked=block.return_spike.min_booked),
        quarter_end_stuffing=StuffingRule(
            share=_bands(block.quarter_end_stuffing),
            window_days=block.quarter_end_stuffing.window_days,
            min_booked=block.quarter_end_stuffing.min_booked,
        ),
        tier_edge_no_new=TierEdgeRule(
            margin=_bands(block.tier_edge_no_new, higher_is_worse=False), window_days=block.tier_edge_no_new.window_days
        ),
        overstock=OverstockRule(
            days=_bands(block.overstock),
            window_weeks=block.overstock.window_weeks,
            min_run_weeks=block.overstock.min_run_weeks,
            min_stock_units=block.overstock.min_stock_units,
        ),
        complaint_rate=ComplaintRateRule(
            z=_bands(block.complaint_rate),
            scale_floor=block.complaint_rate.scale_floor,
            min_complaints=block.complaint_rate.min_complaints,
            min_partners=block.complaint_rate.min_partners,
        ),
        satisfaction_falling=SatisfactionRule(
            min_fall=sat.threshold, total_fall=_bands(sat, low_edge=2 * sat.threshold), min_surveys=sat.min_surveys
        ),
        overdue_task=OverdueRule(days=_bands(block.overdue_task)),
    )
    problems = [
        f"{source}: {problem}"
        for name, bands in (
            ("return_spike", rules.return_spike.rate),
            ("quarter_end_stuffing", rules.quarter_end_stuffing.share),
            ("tier_edge_no_new", rules.tier_edge_no_new.margin),
            ("overstock", rules.overstock.days),
            ("complaint_rate", rules.complaint_rate.z),
            ("satisfaction_falling", rules.satisfaction_falling.total_fall),
            ("overdue_task", rules.overdue_task.days),
        )
        for problem in _band_problems(name, bands)
    ]
    if problems:
        raise AlertRulesInvalidError(problems)
    return rules


def load_rules(path: Path | str = DEFAULT_RULES_FILE) -> AlertRules:
    """Read and validate the thresholds file; :class:`AlertRulesInvalidError` lists every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AlertRulesInvalidError([f"{path}: -: cannot read: {exc}".replace("\n", " ")]) from exc
    return parse_rules(raw, source=str(path))


# --------------------------------------------------------------------------- output values


@dataclass(frozen=True, slots=True)
class Figure:
    """A number behind an alert; ``threshold`` is the rule's limit for it, when it has one."""

    name: str
    value: Decimal
    unit: str  # ratio | yuan | days | units | per_customer | z | score | count
    threshold: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an alert fired: its figures and the records a manager can open to check them."""

    figures: tuple[Figure, ...]
    order_ids: tuple[str, ...] = ()
    weeks: tuple[date, ...] = ()
    feedback_ids: tuple[str, ...] = ()
    task_ids: tuple[str, ...] = ()
    product_id: str | None = None
    region: str | None = None

    def figure(self, name: str) -> Figure:
        for figure in self.figures:
            if figure.name == name:
                return figure
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Alert:
    """One finding of one rule.  ``period`` is a quarter, or for ``overstock`` the Monday of the
    run's first week; ``subject`` tells findings of one rule, partner and period apart (the
    product of an overstock run, the task of an overdue task; empty otherwise)."""

    rule: RuleId
    partner_id: str
    period: Quarter | date
    severity: Severity
    evidence: Evidence
    rules_version: str
    subject: str = ""

    @property
    def period_label(self) -> str:
        return self.period.isoformat() if isinstance(self.period, date) else str(self.period)

    @property
    def quarter(self) -> Quarter:
        return Quarter.of(self.period) if isinstance(self.period, date) else self.period

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule.value, self.partner_id, self.period_label, self.subject)


# --------------------------------------------------------------------------- scope and evaluation

ALL_RULES: tuple[RuleId, ...] = tuple(RuleId)


@dataclass(frozen=True, slots=True)
class Scope:
    """The partners and quarters an input change touched (a week counts in its Monday's quarter)."""

    partner_ids: frozenset[str]
    quarters: frozenset[Quarter]

    @classmethod
    def of(cls, partner_ids: Iterable[str], quarters: Iterable[Quarter | str]) -> Scope:
        return cls(frozenset(partner_ids), frozenset(Quarter.parse(q) for q in quarters))

    @classmethod
    def for_order(cls, order: Order) -> Scope:
        """An order or return added, changed or removed (it counts in the quarter of its date)."""
        return cls(frozenset({order.partner_id}), frozenset({Quarter.of(order.date)}))

    @classmethod
    def for_week(cls, row: InventoryWeek) -> Scope:
        return cls(frozenset({row.partner_id}), frozenset({Quarter.of(row.week)}))

    @classmethod
    def for_feedback(cls, record: FeedbackRecord) -> Scope:
        return cls(frozenset({record.partner_id}), frozenset({Quarter.of(record.date)}))

    @classmethod
    def for_task(cls, task: TaskRecord) -> Scope:
        return cls(frozenset({task.assignee_id}), frozenset({Quarter.of(task.due)}))

    def __or__(self, other: Scope) -> Scope:
        return Scope(self.partner_ids | other.partner_ids, self.quarters | other.quarters)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The alerts recomputed for a scope, and which (rule, partner, quarter) units they replace
    (quarter None: every period of that partner and rule).  ``units`` None: a full evaluation."""

    alerts: tuple[Alert, ...]
    units: frozenset[tuple[RuleId, str, Quarter | None]] | None
    rules_version: str

    def covers(self, alert: Alert) -> bool:
        """True when this evaluation recomputed ``alert``'s unit (so ``alert`` is replaced)."""
        if self.units is None:
            return True
        return (alert.rule, alert.partner_id, None) in self.units or (
            alert.rule,
            alert.partner_id,
            alert.quarter,
        ) in self.units


def merge(previous: Iterable[Alert], evaluation: Evaluation) -> tuple[Alert, ...]:
    """``previous`` alerts with those ``evaluation`` recomputed replaced by its results."""
    kept = [a for a in previous if not evaluation.covers(a)]
    return sort_alerts([*kept, *evaluation.alerts])


def sort_alerts(alerts: Iterable[Alert]) -> tuple[Alert, ...]:
    order = {rule: i for i, rule in enumerate(ALL_RULES)}
    return tuple(sorted(alerts, key=lambda a: (order[a.rule], a.partner_id, a.period_label, a.subject)))


def evaluate(
    inputs: AlertInputs,
    rules: AlertRules,
    scope: Scope | None = None,
    *,
    only: Collection[RuleId] = ALL_RULES,
) -> Evaluation:
    """Every alert of ``inputs`` (``scope`` None), or only those ``scope`` can change."""
    partners = sorted(inputs.regions)
    quarters = list(inputs.quarters)
    if scope is not None:
        partners = [p for p in partners if p in scope.partner_ids]
        quarters = [q for q in quarters if q in scope.quarters]
    known = set(inputs.quarters)
    units: set[tuple[RuleId, str, Quarter | None]] = set()
    alerts: list[Alert] = []
    run = _Run(inputs=inputs, rules=rules)

    ledger_rules = [r for r in (RuleId.RETURN_SPIKE, RuleId.QUARTER_END_STUFFING, RuleId.TIER_EDGE_NO_NEW) if r in only]
    changed = quarters if scope is None else scope.quarters  # a change before the span still reaches into it
    reach = sorted({q2 for q in changed for q2 in (q, q.next(), q.next().next()) if q2 in known})
    for partner in partners:
        for quarter in quarters:
            if ledger_rules:
                alerts.extend(run.ledger_alerts(partner, quarter, ledger_rules))
                units.update((rule, partner, quarter) for rule in ledger_rules)
        if RuleId.SATISFACTION_FALLING in only:
            for quarter in reach:
                alert = run.satisfaction_falling(partner, quarter)
                if alert is not None:
                    alerts.append(alert)
                units.add((RuleId.SATISFACTION_FALLING, partner, quarter))
        if RuleId.OVERSTOCK in only:
            alerts.extend(run.overstock(partner))
            units.add((RuleId.OVERSTOCK, partner, None))
    if RuleId.OVERDUE_TASK in only:
        by_assignee: dict[str, list[TaskRecord]] = {}
        for task in inputs.tasks:
            by_assignee.setdefault(task.assignee_id, []).append(task)
        assignees = set(by_assignee) | set(inputs.regions)  # any channel node may hold a task
        if scope is not None:
            assignees &= scope.partner_ids
        for assignee in sorted(assignees):
            alerts.extend(run.overdue_tasks(assignee, by_assignee.get(assignee, [])))
            units.add((RuleId.OVERDUE_TASK, assignee, None))
    if RuleId.COMPLAINT_RATE in only:
        for region in sorted({inputs.regions[p] for p in partners}):
            members = inputs.partners_in(region)
            for quarter in quarters:
                alerts.extend(run.complaint_rate(region, members, quarter))
                units.update((RuleId.COMPLAINT_RATE, member, quarter) for member in members)
    return Evaluation(
        alerts=sort_alerts(alerts),
        units=None if scope is None and set(only) == set(ALL_RULES) else frozenset(units),
        rules_version=rules.version,
    )


# --------------------------------------------------------------------------- the rules


def _dec(value: float | Decimal, places: str = "0.0001") -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return number if not number.is_finite() else number.quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class _Run:
    """One evaluation's rules over its inputs."""

    inputs: AlertInputs
    rules: AlertRules

    def _alert(
        self,
        rule: RuleId,
        partner: str,
        period: Quarter | date,
        *,
        severity: Severity,
        evidence: Evidence,
        subject: str = "",
    ) -> Alert:
        return Alert(rule, partner, period, severity, evidence, self.rules.version, subject)

    # ---- ledger

    def ledger_alerts(self, partner: str, quarter: Quarter, rules: Sequence[RuleId]) -> Iterator[Alert]:
        sales = self.inputs.ledger.sales(partner, quarter)
        if sales.booked <= 0:
            return
        if RuleId.RETURN_SPIKE in rules:
            yield from self._return_spike(sales)
        if RuleId.QUARTER_END_STUFFING in rules:
            yield from self._stuffing(sales)
        if RuleId.TIER_EDGE_NO_NEW in rules:
            yield from self._tier_edge(sales)

    def _return_spike(self, sales: QuarterSales) -> Iterator[Alert]:
        rule = self.rules.return_spike
        rate = sales.return_rate
        if sales.booked < rule.min_booked or not rule.rate.fires(rate):
            return
        evidence = Evidence(
            figures=(
                Figure("return_rate", _dec(rate), "ratio", rule.rate.threshold),
                Figure("returned", sales.returned, "yuan"),
                Figure("booked", sales.booked, "yuan", rule.min_booked),
            ),
            order_ids=tuple(o.order_id for o in sales.orders if o.is_return),
        )
        yield self._alert(
            RuleId.RETURN_SPIKE, sales.partner_id, sales.quarter, severity=rule.rate.severity(rate), evidence=evidence
        )

    def _stuffing(self, sales: QuarterSales) -> Iterator[Alert]:
        rule = self.rules.quarter_end_stuffing
        late = _late_booked(sales, rule.window_days)
        late_total = sum((o.amount for o in late), ZERO)
        share = late_total / sales.booked
        if sales.booked < rule.min_booked or not rule.share.fires(share):
            return
        evidence = Evidence(
            figures=(
                Figure("late_share", _dec(share), "ratio", rule.share.threshold),
                Figure("late_booked", late_total, "yuan"),
                Figure("booked", sales.booked, "yuan", rule.min_booked),
                Figure("window_days", Decimal(rule.window_days), "days"),
            ),
            order_ids=tuple(o.order_id for o in late),
        )
        yield self._alert(
            RuleId.QUARTER_END_STUFFING,
            sales.partner_id,
            sales.quarter,
            severity=rule.share.severity(share),
            evidence=evidence,
        )

    def _tier_edge(self, sales: QuarterSales) -> Iterator[Alert]:
        rule = self.rules.tier_edge_no_new
        policy = self.inputs.policy
        if not policy.covers(sales.quarter):
            return
        late = _late_booked(sales, rule.window_days)
        if any(o.new_customer for o in late):
            return
        late_existing = sum((o.amount for o in late), ZERO)
        for tier in policy.version_for(sales.quarter).tiers:
            edge = tier.minimum
            if edge <= 0 or sales.net < edge:
                continue
            margin = (sales.net - edge) / edge
            if not rule.margin.fires(margin) or sales.net - late_existing >= edge:
                continue
            evidence = Evidence(
                figures=(
                    Figure("edge_margin", _dec(margin), "ratio", rule.margin.threshold),
                    Figure("net", sales.net, "yuan"),
                    Figure("tier_edge", edge, "yuan"),
                    Figure("late_existing_booked", late_existing, "yuan"),
                    Figure("net_without_late", sales.net - late_existing, "yuan", edge),
                ),
                order_ids=tuple(o.order_id for o in late),
            )
            yield self._alert(
                RuleId.TIER_EDGE_NO_NEW,
                sales.partner_id,
                sales.quarter,
                severity=rule.margin.severity(margin),
                evidence=evidence,
            )
            return

    # ---- inventory

    def overstock(self, partner: str) -> Iterator[Alert]:
        rule = self.rules.overstock
        for product, weeks in sorted(self.inputs.inventory.of(partner).items()):
            run: list[tuple[InventoryWeek, Decimal]] = []
            for index, row in enumerate(weeks):
                doi = _days_of_inventory(weeks, index, rule.window_weeks)
                contiguous = not run or row.week - run[-1][0].week == timedelta(days=7)
                over = row.stock_units >= rule.min_stock_units and rule.days.fires(doi)
                if run and (not over or not contiguous):
                    yield from self._overstock_run(partner, product, run)
                    run = []
                if over:
                    run.append((row, doi))
            if run:
                yield from self._overstock_run(partner, product, run)

    def _overstock_run(self, partner: str, product: str, run: list[tuple[InventoryWeek, Decimal]]) -> Iterator[Alert]:
        rule = self.rules.overstock
        if len(run) < rule.min_run_weeks:
            return
        peak = max(doi for _, doi in run)
        first = run[0][0]
        evidence = Evidence(
            figures=(
                Figure("peak_days_of_inventory", _dec(peak, "0.1"), "days", rule.days.threshold),
                Figure("first_days_of_inventory", _dec(run[0][1], "0.1"), "days", rule.days.threshold),
                Figure("stock_units", Decimal(max(r.stock_units for r, _ in run)), "units"),
                Figure("run_weeks", Decimal(len(run)), "count", Decimal(rule.min_run_weeks)),
            ),
            weeks=tuple(r.week for r, _ in run),
            product_id=product,
        )
        yield self._alert(
            RuleId.OVERSTOCK, partner, first.week, severity=rule.days.severity(peak), evidence=evidence, subject=product
        )

    # ---- feedback

    def _survey_mean(self, partner: str, quarter: Quarter) -> tuple[Decimal, tuple[FeedbackRecord, ...]] | None:
        surveys = tuple(
            r
            for r in self.inputs.feedback.of(partner, quarter)
            if r.kind is FeedbackKind.SURVEY and r.score is not None
        )
        if len(surveys) < self.rules.satisfaction_falling.min_surveys:
            return None
        return Decimal(sum(r.score or 0 for r in surveys)) / len(surveys), surveys

    def satisfaction_falling(self, partner: str, quarter: Quarter) -> Alert | None:
        rule = self.rules.satisfaction_falling
        first, second = quarter.previous().previous(), quarter.previous()
        means = [self._survey_mean(partner, q) for q in (first, second, quarter)]
        if any(m is None for m in means):
            return None
        (m0, _), (m1, _), (m2, last) = (m for m in means if m is not None)
        fall1, fall2 = m0 - m1, m1 - m2
        if not (fall1 > rule.min_fall and fall2 > rule.min_fall):
            return None
        total = m0 - m2
        evidence = Evidence(
            figures=(
                Figure(f"mean_{first}", _dec(m0, "0.01"), "score"),
                Figure(f"mean_{second}", _dec(m1, "0.01"), "score"),
                Figure(f"mean_{quarter}", _dec(m2, "0.01"), "score"),
                Figure("fall_1", _dec(fall1, "0.01"), "score", rule.min_fall),
                Figure("fall_2", _dec(fall2, "0.01"), "score", rule.min_fall),
                Figure("total_fall", _dec(total, "0.01"), "score"),
            ),
            # the latest quarter's low scores (1-2), the surveys a manager reads first
            feedback_ids=tuple(r.feedback_id for r in last if (r.score or 0) <= 2),
        )
        return self._alert(
            RuleId.SATISFACTION_FALLING, partner, quarter, severity=rule.total_fall.severity(total), evidence=evidence
        )

    def _customers_served(self, partner: str, quarter: Quarter) -> int:
        sales = self.inputs.ledger.sales(partner, quarter)
        return len({o.customer_id for o in sales.orders if not o.is_return})

    def complaint_rate(self, region: str, members: Sequence[str], quarter: Quarter) -> Iterator[Alert]:
        rule = self.rules.complaint_rate
        figures: dict[str, tuple[float, int, tuple[FeedbackRecord, ...]]] = {}
        for partner in members:
            customers = self._customers_served(partner, quarter)
            if customers == 0:
                continue  # no business in the quarter: no rate, and not part of "normal"
            complaints = tuple(r for r in self.inputs.feedback.of(partner, quarter) if r.kind is FeedbackKind.COMPLAINT)
            figures[partner] = (len(complaints) / customers, customers, complaints)
        if len(figures) < rule.min_partners:
            return
        rates = [rate for rate, _, _ in figures.values()]
        median = statistics.median(rates)
        mad = statistics.median(abs(r - median) for r in rates)
        scale = max(float(MAD_SCALE) * mad, float(rule.scale_floor))
        limit = median + float(rule.z.threshold) * scale
        for partner, (rate, customers, complaints) in figures.items():
            z = _dec((rate - median) / scale, "0.01")
            if len(complaints) < rule.min_complaints or not rule.z.fires(z):
                continue
            evidence = Evidence(
                figures=(
                    Figure("complaint_rate", _dec(rate), "per_customer", _dec(limit)),
                    Figure("robust_z", z, "z", rule.z.threshold),
                    Figure("region_median", _dec(median), "per_customer"),
                    Figure("region_mad", _dec(mad), "per_customer"),
                    Figure("complaints", Decimal(len(complaints)), "count", Decimal(rule.min_complaints)),
                    Figure("customers_served", Decimal(customers), "count"),
                    Figure("region_partners", Decimal(len(figures)), "count", Decimal(rule.min_partners)),
                ),
                feedback_ids=tuple(r.feedback_id for r in complaints),
                region=region,
            )
            yield self._alert(RuleId.COMPLAINT_RATE, partner, quarter, severity=rule.z.severity(z), evidence=evidence)

    # ---- tasks

    def overdue_tasks(self, assignee: str, tasks: Iterable[TaskRecord]) -> Iterator[Alert]:
        rule = self.rules.overdue_task
        today = self.inputs.as_of
        if today is None:
            return
        for task in sorted(tasks, key=lambda t: (t.due, t.task_id)):
            if task.progress >= task.target:
                continue
            days = Decimal((today - task.due).days)
            if not rule.days.fires(days):
                continue
            evidence = Evidence(
                figures=(
                    Figure("days_overdue", days, "days", rule.days.threshold),
                    Figure("progress", Decimal(task.progress), "count", Decimal(task.target)),
                    Figure("shortfall", Decimal(task.target - task.progress), "count"),
                ),
                task_ids=(task.task_id,),
            )
            yield self._alert(
                RuleId.OVERDUE_TASK,
                assignee,
                Quarter.of(task.due),
                severity=rule.days.severity(days),
                evidence=evidence,
                subject=task.task_id,
            )


def _late_booked(sales: QuarterSales, window_days: int) -> tuple[Order, ...]:
    """Booked orders (not returns) dated in the last ``window_days`` days of the quarter."""
    late_from = sales.quarter.end - timedelta(days=window_days - 1)
    return tuple(o for o in sales.orders if not o.is_return and o.date >= late_from)


def _days_of_inventory(weeks: Sequence[InventoryWeek], index: int, window_weeks: int) -> Decimal:
    """Stock at ``weeks[index]`` over the mean daily sell-through of the ``window_weeks`` reports
    ending there (fewer at the start of the series); infinite with stock and no sell-through."""
    row = weeks[index]
    earliest = row.week - timedelta(days=7 * (window_weeks - 1))
    window = [w for w in weeks[max(0, index - window_weeks + 1) : index + 1] if w.week >= earliest]
    sold = sum(w.sell_through_units for w in window)
    if sold <= 0:
        return INFINITE if row.stock_units > 0 else ZERO
    return Decimal(row.stock_units) * 7 * len(window) / sold


def rules_json(rules: AlertRules) -> dict[str, Any]:
    """The thresholds as plain values (for reports)."""
    return {
        "version": rules.version,
        "return_spike": str(rules.return_spike.rate.threshold),
        "quarter_end_stuffing": str(rules.quarter_end_stuffing.share.threshold),
        "tier_edge_no_new": str(rules.tier_edge_no_new.margin.threshold),
        "overstock": str(rules.overstock.days.threshold),
        "complaint_rate": str(rules.complaint_rate.z.threshold),
        "satisfaction_falling": str(rules.satisfaction_falling.min_fall),
        "overdue_task": str(rules.overdue_task.days.threshold),
    }
