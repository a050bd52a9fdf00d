"""Channel profiles and the capability map (渠道画像, issue 14 part 4).

Per partner and quarter, three dimensions each scored 0-100 with the inputs shown:

``operating`` (经营能力)   growth on the previous quarter, target attainment (net sales / the
                          quarter's baseline), new-customer share of net sales, product lines sold;
``service`` (服务水平)     median first response of tickets and of expert handoffs, median ticket
                          resolution (``ops_service_records``), survey satisfaction 1-5 and
                          complaints per 100 customers served (``ops_feedback`` and the ledger);
``compliance`` (合规记录)  violations weighted by severity (``ops_compliance_records``, a window of
                          quarters) and unresolved risk alerts of the quarter (``ops_alerts``).

Each sub-score is a piecewise-linear map of its raw figure, each dimension the weighted mean of
its sub-scores; every weight and breakpoint is data (``corpus/ops/profile_rules.yaml``,
:func:`load_rules`), nothing here but the mechanism and what each figure counts.  A profile also
carries the mean of each dimension over the partner's alliance and region and the dimension
where it falls furthest below its alliance (``weakest_vs_alliance``, for "我们在联盟里哪项最弱").

Everything is as of the rebate service's today: records dated later are not counted, and in
the quarter still running sales are compared at the same pace (attainment against the baseline
pro-rated by the days elapsed, growth against the previous quarter up to the same day).

Access (the rebate rule, :meth:`assistant.rebates.service.RebateService.can_read`): managers and
admins read the partners of their node and every node below it; sales staff (and content
admins, who read like sales) only their own partner; other roles are refused
(:class:`ProfileForbiddenError`).  A partner id the viewer may not read is answered exactly like
one that does not exist (``PartnerNotFoundError``).  The alliance and region means are shown to
everyone who may read the partner: they are aggregates, as the ranking shows ranks.

Pure scoring (:func:`figures`, :func:`score_dimensions`) is separate from reading the tables
(:class:`ProfileService`), so it is tested on hand-made rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from assistant.errors import AssistantError
from assistant.ops.alert_store import chunks, period_quarter
from assistant.ops.alerts import FeedbackKind, FeedbackRecord
from assistant.ops.tables import AlertRow, AlertStatus, ComplianceRecordRow, FeedbackRow, ServiceRecordRow
from assistant.rebates.errors import PartnerNotFoundError, PartnerRequiredError, QuarterNotFoundError
from assistant.rebates.ledger import OrderStatus, QuarterSales
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService, Viewer
from assistant.rebates.store import RebateState
from assistant.storage.db import Database

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "corpus" / "ops" / "profile_rules.yaml"

# The figures the code knows how to count, per dimension, in display order.  The rules file must
# name exactly these (a weight of 0 turns one off).
DIMENSIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "operating": ("growth", "attainment", "new_customer_share", "product_breadth"),
        "service": (
            "ticket_first_response",
            "handoff_first_response",
            "ticket_resolution",
            "satisfaction",
            "complaint_rate",
        ),
        "compliance": ("violations", "open_alerts"),
    }
)
SEVERITIES = ("low", "medium", "high")
SUBTREE_ROLES = frozenset({"manager", "admin"})  # their node and everything below it
OWN_NODE_ROLES = frozenset({"sales", "content_admin"})  # their own partner only
UNRESOLVED = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
RAW_PLACES = Decimal("0.01")
SCORE_PLACES = Decimal("0.1")

Language = Literal["zh", "en"]

# --------------------------------------------------------------------------- errors

# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.


class ProfileError(AssistantError):
    """Base class of the channel-profile domain's errors."""

    code = "profile_error"


class ProfileRulesInvalidError(ProfileError):
    """The scoring file is unreadable or invalid; ``problems`` lists ``file: field: problem``."""

    code = "profile_rules_invalid"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s):\n" + "\n".join(self.problems[:50]))


class ProfileForbiddenError(ProfileError):
    """The viewer's role does not read channel profiles (experts, unknown roles)."""

    code = "forbidden"


class QuarterNotStartedError(ProfileError):
    """The quarter asked for begins after today: nothing to profile yet."""

    code = "quarter_not_started"


# --------------------------------------------------------------------------- rules


def _q(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Curve:
    """A piecewise-linear map from a raw figure to 0-100, clamped outside its breakpoints."""

    points: tuple[tuple[Decimal, Decimal], ...]  # (raw, score), raw strictly increasing

    def score(self, raw: Decimal) -> Decimal:
        (x0, y0), (xn, yn) = self.points[0], self.points[-1]
        if raw <= x0:
            return y0
        if raw >= xn:
            return yn
        for (xa, ya), (xb, yb) in pairwise(self.points):
            if xa <= raw <= xb:
                return ya + (raw - xa) * (yb - ya) / (xb - xa)
        raise AssertionError("unreachable: the breakpoints cover the range")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class SubScoreRule:
    key: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    weight: Decimal
    curve: Curve


@dataclass(frozen=True, slots=True)
class DimensionRule:
    key: str
    label_zh: str
    label_en: str
    subscores: tuple[SubScoreRule, ...]


@dataclass(frozen=True, slots=True)
class ProfileRules:
    """The versioned weights and breakpoints (``corpus/ops/profile_rules.yaml``)."""

    version: str
    dimensions: tuple[DimensionRule, ...]
    violation_window_quarters: int
    violation_weights: Mapping[str, Decimal]
    alert_weights: Mapping[str, Decimal]

    def dimension(self, key: str) -> DimensionRule:
        return next(d for d in self.dimensions if d.key == key)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Text(_Model):
    zh: Annotated[str, Field(min_length=1, max_length=64)]
    en: Annotated[str, Field(min_length=1, max_length=64)]


class _SubScoreModel(_Model):
    label: _Text
    unit: _Text
    weight: Annotated[Decimal, Field(ge=0, le=1)]
    points: Annotated[list[tuple[Decimal, Annotated[Decimal, Field(ge=0, le=100)]]], Field(min_length=2)]


class _DimensionModel(_Model):
    label: _Text
    subscores: dict[str, _SubScoreModel]


class _Weights(_Model):
    low: Annotated[Decimal, Field(ge=0)]
    medium: Annotated[Decimal, Field(ge=0)]
    high: Annotated[Decimal, Field(ge=0)]


class _ViolationsModel(_Model):
    window_quarters: Annotated[int, Field(ge=1, le=8)]
    severity_weights: _Weights


class _AlertsModel(_Model):
    severity_weights: _Weights


class _RulesFile(_Model):
    version: Annotated[str, Field(min_length=1, max_length=32)]
    dimensions: dict[str, _DimensionModel]
    violations: _ViolationsModel
    alerts: _AlertsModel


def _rule_problems(model: _RulesFile) -> Iterator[str]:
    if list(model.dimensions) != list(DIMENSIONS):
        yield f"dimensions: expected exactly {', '.join(DIMENSIONS)} in this order"
        return
    for key, expected in DIMENSIONS.items():
        dim = model.dimensions[key]
        if list(dim.subscores) != list(expected):
            yield f"dimensions.{key}.subscores: expected exactly {', '.join(expected)} in this order"
            continue
        total = sum((s.weight for s in dim.subscores.values()), ZERO)
        if total != 1:
            yield f"dimensions.{key}.subscores: the weights add up to {total}, not 1"
        for name, sub in dim.subscores.items():
            xs = [x for x, _ in sub.points]
            if any(b <= a for a, b in pairwise(xs)):
                yield f"dimensions.{key}.subscores.{name}.points: the raw values must strictly increase"


def parse_rules(raw: object, *, source: str = "profile_rules.yaml") -> ProfileRules:
    """Validate an already-parsed scoring document (:class:`ProfileRulesInvalidError` lists every problem)."""
    try:
        model = _RulesFile.model_validate(raw)
    except ValidationError as exc:
        raise ProfileRulesInvalidError(
            [f"{source}: {'.'.join(str(p) for p in err['loc']) or '-'}: {err['msg']}" for err in exc.errors()]
        ) from exc
    problems = [f"{source}: {p}" for p in _rule_problems(model)]
    if problems:
        raise ProfileRulesInvalidError(problems)
    return ProfileRules(
        version=model.version,
        dimensions=tuple(
            DimensionRule(
                key=key,
                label_zh=dim.label.zh,
                label_en=dim.label.en,
                subscores=tuple(
                    SubScoreRule(
                        key=name,
                        label_zh=sub.label.zh,
                        label_en=sub.label.en,
                        unit_zh=sub.unit.zh,
                        unit_en=sub.unit.en,
                        weight=sub.weight,
                        curve=Curve(tuple((x, y) for x, y in sub.points)),
                    )
                    for name, sub in dim.subscores.items()
                ),
            )
            for key, dim in model.dimensions.items()
        ),
        violation_window_quarters=model.violations.window_quarters,
        violation_weights=MappingProxyType(dict(model.violations.severity_weights.model_dump())),
        alert_weights=MappingProxyType(dict(model.alerts.severity_weights.model_dump())),
    )


def load_rules(path: Path | str = DEFAULT_RULES_FILE) -> ProfileRules:
    """Read and validate the scoring file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileRulesInvalidError([f"{path}: -: cannot read: {exc}".replace("\n", " ")]) from exc
    return parse_rules(raw, source=str(path))


# --------------------------------------------------------------------------- input records


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A support ticket or expert handoff (``ops_service_records``); times in minutes."""

    record_id: str
    partner_id: str
    kind: str  # ticket | handoff
    opened_at: datetime  # naive UTC
    first_response_minutes: int
    resolved_minutes: int | None = None  # None while open


@dataclass(frozen=True, slots=True)
class ComplianceRecord:
    """A violation found at a partner (``ops_compliance_records``)."""

    record_id: str
    partner_id: str
    date: date
    kind: str
    severity: str  # low | medium | high


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An unresolved, firing risk alert of a partner (``ops_alerts``: open or acknowledged)."""

    partner_id: str
    rule: str
    period: str  # 2026Q3 or an overstock week's Monday
    severity: str


_R = TypeVar("_R", ServiceRecord, FeedbackRecord, ComplianceRecord, AlertRecord)


class SalesSource(Protocol):
    """What the profile reads of the ledger (:class:`assistant.rebates.ledger.Ledger` is one)."""

    def sales(self, partner_id: str, quarter: Quarter, *, until: date | None = None) -> QuarterSales: ...


@dataclass(frozen=True, slots=True)
class ProfileInputs:
    """Everything :func:`figures` reads, per partner.  ``baseline(partner, quarter)`` is the
    quarter's target in yuan (None: the partner had none, e.g. before it joined)."""

    ledger: SalesSource
    baseline: Callable[[str, Quarter], Decimal | None]
    as_of: date
    service: Mapping[str, tuple[ServiceRecord, ...]] = field(default_factory=dict)
    feedback: Mapping[str, tuple[FeedbackRecord, ...]] = field(default_factory=dict)
    compliance: Mapping[str, tuple[ComplianceRecord, ...]] = field(default_factory=dict)
    alerts: Mapping[str, tuple[AlertRecord, ...]] = field(default_factory=dict)


def group_by_partner(records: Iterable[_R]) -> dict[str, tuple[_R, ...]]:
    grouped: dict[str, list[_R]] = {}
    for record in records:
        grouped.setdefault(record.partner_id, []).append(record)
    return {partner: tuple(rows) for partner, rows in grouped.items()}


# --------------------------------------------------------------------------- figures


def product_line_of(product_id: str) -> str:
    """The product line of a product id: its prefix (``EG-2100`` -> ``EG``), as tasks count it."""
    return product_id.split("-", 1)[0].upper()


def _median(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator <= 0 else numerator / denominator * HUNDRED


def elapsed_days(quarter: Quarter, as_of: date) -> tuple[int, int]:
    """Days of ``quarter`` up to ``as_of`` (inclusive, at most all of them) and days in it."""
    total = (quarter.end - quarter.start).days + 1
    return max(0, min(total, (as_of - quarter.start).days + 1)), total


def figures(partner_id: str, quarter: Quarter, inputs: ProfileInputs, rules: ProfileRules) -> dict[str, Decimal | None]:
    """The raw figure of every sub-score (in the unit of the rules file; None: no data)."""
    day = min(inputs.as_of, quarter.end)
    sales = inputs.ledger.sales(partner_id, quarter, until=day)
    elapsed, total = elapsed_days(quarter, inputs.as_of)
    share = Decimal(elapsed) / Decimal(total)  # 1 for a quarter that has ended

    previous = quarter.previous()
    prev_day = min(previous.start + timedelta(days=elapsed - 1), previous.end)
    prev_net = inputs.ledger.sales(partner_id, previous, until=prev_day).net if elapsed > 0 else ZERO
    growth = None if prev_net <= 0 else (sales.net / prev_net - 1) * HUNDRED

    baseline = inputs.baseline(partner_id, quarter)
    attainment = None if baseline is None or elapsed == 0 else _ratio(sales.net, baseline * share)

    lines: dict[str, Decimal] = {}
    for order in sales.orders:
        line = product_line_of(order.product_id)
        lines[line] = lines.get(line, ZERO) + order.signed_amount
    breadth = Decimal(sum(1 for amount in lines.values() if amount > 0))

    def dated(when: date) -> bool:
        return quarter.start <= when <= day

    service = [r for r in inputs.service.get(partner_id, ()) if dated(r.opened_at.date())]
    tickets = [r for r in service if r.kind == "ticket"]
    handoffs = [r for r in service if r.kind == "handoff"]
    resolution = _median([r.resolved_minutes for r in tickets if r.resolved_minutes is not None])

    feedback = [r for r in inputs.feedback.get(partner_id, ()) if dated(r.date)]
    surveys = [r.score for r in feedback if r.kind is FeedbackKind.SURVEY and r.score is not None]
    complaints = sum(1 for r in feedback if r.kind is FeedbackKind.COMPLAINT)
    customers = {o.customer_id for o in sales.orders if o.status is OrderStatus.BOOKED}

    first = quarter
    for _ in range(rules.violation_window_quarters - 1):
        first = first.previous()
    violations = sum(
        (
            rules.violation_weights.get(r.severity, ZERO)
            for r in inputs.compliance.get(partner_id, ())
            if first.start <= r.date <= day
        ),
        ZERO,
    )
    alerts = sum(
        (
            rules.alert_weights.get(a.severity, ZERO)
            for a in inputs.alerts.get(partner_id, ())
            if period_quarter(a.period) == quarter
        ),
        ZERO,
    )

    raw: dict[str, Decimal | None] = {
        "growth": growth,
        "attainment": attainment,
        "new_customer_share": _ratio(sales.new_customer_net, sales.net),
        "product_breadth": breadth,
        "ticket_first_response": _median([r.first_response_minutes for r in tickets]),
        "handoff_first_response": _median([r.first_response_minutes for r in handoffs]),
        "ticket_resolution": None if resolution is None else resolution / 60,
        "satisfaction": None if not surveys else Decimal(sum(surveys)) / len(surveys),
        "complaint_rate": _ratio(Decimal(complaints), Decimal(len(customers))),
        "violations": violations,
        "open_alerts": alerts,
    }
    return {key: None if value is None else _q(value, RAW_PLACES) for key, value in raw.items()}


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True, slots=True)
class SubScore:
    key: str
    label_zh: str
    label_en: str
    raw: Decimal | None  # in ``unit``; None: no data this quarter
    unit: str  # zh-CN display unit
    unit_en: str
    score: Decimal | None  # 0-100, one decimal
    weight: Decimal  # as in the rules file

    def label(self, language: Language = "zh") -> str:
        return self.label_en if language == "en" else self.label_zh

    def unit_in(self, language: Language = "zh") -> str:
        return self.unit_en if language == "en" else self.unit


@dataclass(frozen=True, slots=True)
class Dimension:
    key: str
    label_zh: str
    label_en: str
    score: Decimal | None  # weighted mean of the sub-scores with data; None: none has data
    subscores: tuple[SubScore, ...]

    def label(self, language: Language = "zh") -> str:
        return self.label_en if language == "en" else self.label_zh


def score_dimensions(raw: Mapping[str, Decimal | None], rules: ProfileRules) -> tuple[Dimension, ...]:
    """Each dimension's sub-scores and weighted mean from the raw figures."""
    dimensions: list[Dimension] = []
    for dim in rules.dimensions:
        subs: list[SubScore] = []
        weighted, weights = ZERO, ZERO
        for rule in dim.subscores:
            value = raw.get(rule.key)
            score = None if value is None else rule.curve.score(value)
            if score is not None and rule.weight > 0:
                weighted += rule.weight * score
                weights += rule.weight
            subs.append(
                SubScore(
                    key=rule.key,
                    label_zh=rule.label_zh,
                    label_en=rule.label_en,
                    raw=value,
                    unit=rule.unit_zh,
                    unit_en=rule.unit_en,
                    score=None if score is None else _q(score, SCORE_PLACES),
                    weight=rule.weight,
                )
            )
        dimensions.append(
            Dimension(
                key=dim.key,
                label_zh=dim.label_zh,
                label_en=dim.label_en,
                score=_q(weighted / weights, SCORE_PLACES) if weights > 0 else None,
                subscores=tuple(subs),
            )
        )
    return tuple(dimensions)


def average(
    scored: Mapping[str, tuple[Dimension, ...]], partner_ids: Iterable[str], rules: ProfileRules
) -> dict[str, Decimal | None]:
    """The mean score of each dimension over those of ``partner_ids`` that have one."""
    out: dict[str, Decimal | None] = {}
    for dim in rules.dimensions:
        values = [
            d.score for pid in partner_ids for d in scored.get(pid, ()) if d.key == dim.key and d.score is not None
        ]
        out[dim.key] = _q(sum(values, ZERO) / len(values), SCORE_PLACES) if values else None
    return out


def weakest(dimensions: Sequence[Dimension], reference: Mapping[str, Decimal | None]) -> str | None:
    """The dimension furthest below (or least above) ``reference``; ties go to the first in
    order; None when no dimension has both a score and a reference."""
    gaps = [
        (d.score - ref, i, d.key)
        for i, d in enumerate(dimensions)
        if d.score is not None and (ref := reference.get(d.key)) is not None
    ]
    return min(gaps)[2] if gaps else None


@dataclass(frozen=True, slots=True)
class PartnerProfile:
    """One partner's capability map for a quarter."""

    partner_id: str
    partner_name: str
    quarter: Quarter
    as_of: date
    dimensions: tuple[Dimension, ...]
    alliance_id: str | None  # the alliance compared against (None: the partner is in none)
    alliance_avg: Mapping[str, Decimal | None]  # dimension key -> mean score (None: no data)
    region_id: str | None
    region_avg: Mapping[str, Decimal | None]
    weakest_vs_alliance: str | None  # a dimension key
    rules_version: str

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)


# --------------------------------------------------------------------------- the service


def alliance_of(network: ChannelNetwork, partner_id: str) -> ChannelNode | None:
    parent = network.parent(partner_id)
    return parent if parent is not None and parent.level is Level.ALLIANCE else None


def region_of(network: ChannelNetwork, partner_id: str) -> ChannelNode | None:
    return next((a for a in network.ancestors(partner_id) if a.level is Level.REGIONAL), None)


class ProfileService:
    """Profiles of the partners a viewer may read, from the rebate snapshot and the ops tables."""

    def __init__(self, *, db: Database, rebates: RebateService, rules: ProfileRules) -> None:
        self.db = db
        self.rebates = rebates
        self.rules = rules

    # ----------------------------------------------------------------- access

    def viewer_node(self, viewer: Viewer) -> ChannelNode:
        """The viewer's node (``PartnerNotFoundError`` when unknown or deactivated), if its role
        reads profiles (:class:`ProfileForbiddenError` otherwise)."""
        if viewer.role not in SUBTREE_ROLES | OWN_NODE_ROLES:
            raise ProfileForbiddenError(f"role {viewer.role!r} does not read channel profiles")
        return self.rebates.viewer_node(viewer)

    def _may_read(self, viewer: Viewer, own: ChannelNode, partner_id: str) -> bool:
        if viewer.role in OWN_NODE_ROLES:
            return partner_id == own.id
        return self.rebates.can_read(viewer, partner_id)

    def quarter(self, label: str | None) -> Quarter:
        """The quarter asked for (default: the current one): covered by the rebate policy
        (``QuarterNotFoundError``) and begun (:class:`QuarterNotStartedError`)."""
        q = self.rebates.quarter(label)
        if q.start > self.rebates.today():
            raise QuarterNotStartedError(f"{q} begins after today")
        return q

    # ----------------------------------------------------------------- reading

    def profile(self, viewer: Viewer, partner_id: str, quarter: str | None = None) -> PartnerProfile:
        """One partner's profile; an id the viewer may not read is ``PartnerNotFoundError``
        exactly like a missing one, a readable node that is not a partner ``PartnerRequiredError``,
        a quarter before the partner joined ``QuarterNotFoundError``."""
        own = self.viewer_node(viewer)
        state = self.rebates.state
        if not self._may_read(viewer, own, partner_id):
            raise PartnerNotFoundError(f"{partner_id!r} is not visible to {viewer.partner_id!r}")
        q = self.quarter(quarter)  # after the access check: an unreadable id is not found, whatever the quarter
        node = state.network.get(partner_id)
        if node.level is not Level.PARTNER or node.id not in state.profiles:
            raise PartnerRequiredError(f"{node.id} is a {node.level} node, not a partner")
        if q < state.profiles[node.id].first_quarter:
            raise QuarterNotFoundError(f"{node.id} joined in {state.profiles[node.id].first_quarter}")
        return self._build(state, [node], q)[0]

    def profiles(self, viewer: Viewer, quarter: str | None = None) -> tuple[PartnerProfile, ...]:
        """The profiles of every partner the viewer may read (deactivated ones included:
        history; those that had not joined by ``quarter`` left out), by partner id."""
        own = self.viewer_node(viewer)
        q = self.quarter(quarter)
        state = self.rebates.state
        if viewer.role in OWN_NODE_ROLES:
            candidates: tuple[ChannelNode, ...] = (own,) if own.level is Level.PARTNER else ()
        else:
            candidates = state.network.partners_under(own.id, include_inactive=True)
        targets = [n for n in candidates if n.id in state.profiles and state.profiles[n.id].first_quarter <= q]
        return tuple(self._build(state, sorted(targets, key=lambda n: n.id), q))

    def _build(self, state: RebateState, targets: Sequence[ChannelNode], q: Quarter) -> list[PartnerProfile]:
        network = state.network
        groups: dict[str, tuple[ChannelNode | None, ChannelNode | None]] = {
            t.id: (alliance_of(network, t.id), region_of(network, t.id)) for t in targets
        }
        members: dict[str, tuple[str, ...]] = {}
        for alliance, region in groups.values():
            for node in (alliance, region):
                if node is not None and node.id not in members:
                    members[node.id] = tuple(p.id for p in network.partners_under(node.id))
        peers = {t.id for t in targets} | {p for ids in members.values() for p in ids}
        peers = {p for p in peers if p in state.profiles and state.profiles[p].first_quarter <= q}
        inputs = self._inputs(state, peers, q)
        scored = {pid: score_dimensions(figures(pid, q, inputs, self.rules), self.rules) for pid in sorted(peers)}
        out: list[PartnerProfile] = []
        for target in targets:
            alliance, region = groups[target.id]
            alliance_avg = average(scored, members[alliance.id] if alliance else (), self.rules)
            region_avg = average(scored, members[region.id] if region else (), self.rules)
            dims = scored[target.id]
            out.append(
                PartnerProfile(
                    partner_id=target.id,
                    partner_name=target.name,
                    quarter=q,
                    as_of=inputs.as_of,
                    dimensions=dims,
                    alliance_id=None if alliance is None else alliance.id,
                    alliance_avg=MappingProxyType(alliance_avg),
                    region_id=None if region is None else region.id,
                    region_avg=MappingProxyType(region_avg),
                    weakest_vs_alliance=weakest(dims, alliance_avg),
                    rules_version=self.rules.version,
                )
            )
        return out

    def _inputs(self, state: RebateState, partner_ids: Collection[str], q: Quarter) -> ProfileInputs:
        """The ops rows the figures of ``partner_ids`` in ``q`` can read, up to today."""
        as_of = self.rebates.today()
        end = min(as_of, q.end)
        first = q
        for _ in range(self.rules.violation_window_quarters - 1):
            first = first.previous()
        service: list[ServiceRecord] = []
        feedback: list[FeedbackRecord] = []
        compliance: list[ComplianceRecord] = []
        alerts: list[AlertRecord] = []
        with self.db.read() as s:
            for chunk in chunks(partner_ids):
                for sv in s.scalars(
                    select(ServiceRecordRow).where(
                        ServiceRecordRow.partner_id.in_(chunk),
                        ServiceRecordRow.opened_at >= datetime.combine(q.start, datetime.min.time()),
                        ServiceRecordRow.opened_at < datetime.combine(end + timedelta(days=1), datetime.min.time()),
                    )
                ):
                    service.append(
                        ServiceRecord(
                            record_id=sv.id,
                            partner_id=sv.partner_id,
                            kind=sv.kind,
                            opened_at=sv.opened_at,
                            first_response_minutes=sv.first_response_minutes,
                            resolved_minutes=sv.resolved_minutes,
                        )
                    )
                for fb in s.scalars(
                    select(FeedbackRow).where(
                        FeedbackRow.partner_id.in_(chunk), FeedbackRow.date >= q.start, FeedbackRow.date <= end
                    )
                ):
                    feedback.append(
                        FeedbackRecord(
                            feedback_id=fb.id,
                            date=fb.date,
                            partner_id=fb.partner_id,
                            customer_id=fb.customer_id,
                            product_id=fb.product_id,
                            kind=FeedbackKind(fb.kind),
                            score=fb.score,
                            category=fb.category,
                            status=fb.status,
                        )
                    )
                for cp in s.scalars(
                    select(ComplianceRecordRow).where(
                        ComplianceRecordRow.partner_id.in_(chunk),
                        ComplianceRecordRow.date >= first.start,
                        ComplianceRecordRow.date <= end,
                    )
                ):
                    compliance.append(
                        ComplianceRecord(
                            record_id=cp.id, partner_id=cp.partner_id, date=cp.date, kind=cp.kind, severity=cp.severity
                        )
                    )
                for al in s.scalars(
                    select(AlertRow).where(
                        AlertRow.partner_id.in_(chunk),
                        AlertRow.status.in_(UNRESOLVED),
                        AlertRow.cleared_at.is_(None),
                    )
                ):
                    alerts.append(
                        AlertRecord(partner_id=al.partner_id, rule=al.rule, period=al.period, severity=al.severity)
                    )
        engine = state.engine

        def baseline(partner_id: str, quarter: Quarter) -> Decimal | None:
            try:
                return engine.baseline(partner_id=partner_id, quarter=quarter).amount
            except (PartnerNotFoundError, QuarterNotFoundError):
                return None

        return ProfileInputs(
            ledger=state.ledger,
            baseline=baseline,
            as_of=as_of,
            service=group_by_partner(service),
            feedback=group_by_partner(feedback),
            compliance=group_by_partner(compliance),
            alerts=group_by_partner(alerts),
        )
