"""The operations dashboard's figures (issue 14 part 6): what a node's managers see at a glance
for one quarter, over the node and every node below it.  Domain code: no HTTP.

Panels (each computed on its own, so a live update recomputes only what changed):

* ``sales``: net sales to date against the quarter's target (the rebate policy's baseline,
  as the ranking and ``channel_performance`` take it), for the viewer's node and per direct
  child (regions of the nation, alliances of a region, partners of an alliance; a partner:
  itself), with the share of the quarter elapsed (the linear pace).  From the rebate
  service's in-memory ledger (running totals): no SQL.
* ``inventory``: stock on hand and days of inventory (DOI) at the quarter's latest reported
  week (up to today), per partner and product line (``EG-2100`` -> ``EG``), and a 12-week trend
  of the subtree's total.  DOI is the alert engine's: stock / mean daily sell-through of the
  ``window_weeks`` reports ending at the week (``alert_rules.yaml``, overstock), infinite with
  stock and no sell-through; ``level`` is ``ok`` or the overstock rule's severity
  (``low``/``medium``/``high``) when the DOI is above its threshold and the stock is at least
  its ``min_stock_units``; a line takes the worst level of its products and names the product
  with the highest DOI (one stuck product flags its line); lines come worst first.  Two grouped
  queries on ``ops_inventory_reports`` (primary key partner, product, week).
* ``feedback``: end-customer surveys and complaints (``ops_feedback``, not the staff's thumbs
  on bot replies): survey mean (1-5) and satisfaction (the share of surveys scoring 4 or 5,
  0-1) for the quarter and the three before it, complaints of the quarter by category and
  status.  One grouped query (index partner, date).
* ``tasks``: the viewer's tasks running in the quarter, as the task service shows them
  (rolled-up progress of the viewer's node, linear expectation, status), with counts of
  overdue and at-risk ones.
* ``alerts``: unresolved risk alerts that still fire, counted by severity and status; for the
  roles that work with alerts (managers, admins; None for others).  One grouped query
  (index partner, status).

Access is the rebates' rule (:meth:`RebateService.viewer_node`, :meth:`ChannelNetwork.readable`):
the viewer's own node and its descendants, nothing else; a deactivated or unknown viewer is
``partner_not_found``.  Figures are as of the rebate service's day (``RebateService.today``)
or the quarter's end, whichever comes first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import and_, case, func, select

from assistant.ops.alert_service import ALERT_ROLES
from assistant.ops.alert_store import chunks
from assistant.ops.alerts import AlertRules, Bands
from assistant.ops.tables import AlertRow, AlertStatus, FeedbackRow, InventoryReportRow
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import Actor as Viewer
from assistant.rebates.service import RebateService
from assistant.rebates.store import RebateState
from assistant.storage.db import Database
from assistant.tasks.model import TaskStatus, TaskView
from assistant.tasks.service import TaskService

ZERO = Decimal(0)
INFINITE = Decimal("Infinity")
TREND_WEEKS = 12
FEEDBACK_QUARTERS = 4  # the quarter asked and the three before it
SATISFIED_FROM = 4  # a survey scoring 4 or 5 is a satisfied customer
MAX_INVENTORY_LINES = 500
SEVERITIES = ("high", "medium", "low")
COMPLAINT_STATUSES = ("open", "in_progress", "closed")
LEVELS = ("ok", "low", "medium", "high")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_RATIO = Decimal("0.0001")
_TENTH = Decimal("0.1")


class Panel(StrEnum):
    SALES = "sales"
    INVENTORY = "inventory"
    FEEDBACK = "feedback"
    TASKS = "tasks"
    ALERTS = "alerts"


ALL_PANELS = frozenset(Panel)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class SalesFigures:
    """Net sales against target of one node (the sum over its partners)."""

    node_id: str
    name: str
    level: str
    partners: int  # partners with a target in the quarter
    target: Decimal  # yuan
    actual: Decimal  # yuan, net (booked - returned) to the day
    attainment: Decimal | None  # actual / target; None without a target


@dataclass(frozen=True, slots=True)
class SalesPanel:
    total: SalesFigures  # the viewer's node
    elapsed: Decimal  # share of the quarter passed by ``as_of`` (0-1): the linear pace
    groups: tuple[SalesFigures, ...]  # direct children (a partner viewer: itself)


@dataclass(frozen=True, slots=True)
class InventoryLine:
    """One partner's stock of one product line at the reference week."""

    partner_id: str
    partner_name: str
    product_line: str
    products: int
    stock_units: int
    sell_through_units: int  # over the DOI window
    doi_days: Decimal  # of the line as a whole; Infinity with stock and no sell-through
    level: str  # ok | low | medium | high: the worst of its products (one stuck product flags the line)
    peak_product_id: str  # the line's product with the highest DOI ...
    peak_doi_days: Decimal  # ... and that DOI


@dataclass(frozen=True, slots=True)
class InventoryPoint:
    week: date
    stock_units: int
    sell_in_units: int
    sell_through_units: int
    doi_days: Decimal


@dataclass(frozen=True, slots=True)
class InventoryPanel:
    week: date | None  # the reference week (Monday); None: nothing reported in the quarter yet
    window_weeks: int
    threshold_days: Decimal  # the overstock rule's DOI threshold ...
    medium_days: Decimal  # ... and severity bands
    high_days: Decimal
    stock_units: int
    doi_days: Decimal
    level: str
    line_count: int  # lines in all (``lines`` holds at most MAX_INVENTORY_LINES, worst first)
    lines: tuple[InventoryLine, ...]
    trend: tuple[InventoryPoint, ...]  # oldest first, up to TREND_WEEKS weeks ending at ``week``


@dataclass(frozen=True, slots=True)
class QuarterSatisfaction:
    quarter: str
    surveys: int
    mean_score: Decimal | None  # 1-5
    satisfaction: Decimal | None  # 0-1: share of surveys scoring SATISFIED_FROM or more
    complaints: int


@dataclass(frozen=True, slots=True)
class ComplaintCategory:
    category: str
    total: int
    open: int
    in_progress: int
    closed: int


@dataclass(frozen=True, slots=True)
class FeedbackPanel:
    surveys: int
    mean_score: Decimal | None
    satisfaction: Decimal | None
    complaints: int
    complaints_by_status: tuple[tuple[str, int], ...]  # open, in_progress, closed
    categories: tuple[ComplaintCategory, ...]  # most complaints first
    trend: tuple[QuarterSatisfaction, ...]  # oldest first, ending at the quarter asked


@dataclass(frozen=True, slots=True)
class TaskLine:
    task_id: str
    title: str
    kind: str
    label: str  # zh-CN
    unit: str
    label_en: str
    unit_en: str
    start: date
    due: date
    quantity: int  # the viewer's node's share (its scope), rolled up
    progress: int
    expected: Decimal  # by the linear pace
    status: str  # TaskStatus
    mine_quantity: int | None  # the viewer's own share when it is not the whole scope (a salesperson)
    mine_progress: int | None


@dataclass(frozen=True, slots=True)
class TasksPanel:
    total: int
    overdue: int
    at_risk: int
    done: int
    tasks: tuple[TaskLine, ...]  # by due date


@dataclass(frozen=True, slots=True)
class AlertsPanel:
    open: int  # status open and firing
    acknowledged: int
    open_by_severity: tuple[tuple[str, int], ...]  # high, medium, low
    acknowledged_by_severity: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Dashboard:
    node: ChannelNode
    quarter: Quarter
    as_of: date
    sales: SalesPanel | None = None
    inventory: InventoryPanel | None = None
    feedback: FeedbackPanel | None = None
    tasks: TasksPanel | None = None
    alerts: AlertsPanel | None = None  # None also for roles that do not work with alerts


# --------------------------------------------------------------------------- helpers


def product_line(product_id: str) -> str:
    """``EG-2100`` -> ``EG`` (as :func:`assistant.tasks.service.product_line_of`)."""
    return product_id.split("-", 1)[0].upper()


def _ratio(num: Decimal, den: Decimal) -> Decimal | None:
    return (num / den).quantize(_RATIO, rounding=ROUND_HALF_UP) if den > 0 else None


def days_of_inventory(stock: int, sold: int, weeks: int) -> Decimal:
    """Stock over the mean daily sell-through of ``weeks`` weeks that sold ``sold`` units
    (the alert engine's DOI); infinite with stock and nothing sold, 0 without stock."""
    if sold <= 0 or weeks <= 0:
        return INFINITE if stock > 0 else ZERO
    return (Decimal(stock) * 7 * weeks / sold).quantize(_TENTH, rounding=ROUND_HALF_UP)


def doi_level(doi: Decimal, stock: int, bands: Bands, min_stock: int) -> str:
    """``ok``, or the overstock rule's severity when the DOI is past its threshold with at
    least ``min_stock`` units on hand."""
    if stock < min_stock or not bands.fires(doi):
        return "ok"
    return bands.severity(doi).value


def as_of_day(quarter: Quarter, today: date) -> date:
    """The day the figures of ``quarter`` stand at: today, or the quarter's end once it is over."""
    return min(today, quarter.end)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --------------------------------------------------------------------------- panels


def sales_panel(state: RebateState, node: ChannelNode, quarter: Quarter, as_of: date) -> SalesPanel:
    """Net sales to ``as_of`` against the baseline target, for ``node`` and its direct children."""
    network = state.network
    actual_by: dict[str, Decimal] = {}
    target_by: dict[str, Decimal] = {}
    started = as_of >= quarter.start
    for partner in network.partners_under(node.id, include_inactive=True):
        profile = state.profiles.get(partner.id)
        if profile is None or profile.first_quarter > quarter:
            continue
        target_by[partner.id] = state.engine.baseline(partner_id=partner.id, quarter=quarter).amount
        actual_by[partner.id] = state.ledger.sales(partner.id, quarter, until=as_of).net if started else ZERO

    def figures(of: ChannelNode) -> SalesFigures:
        ids = [p.id for p in network.partners_under(of.id, include_inactive=True) if p.id in target_by]
        target = sum((target_by[i] for i in ids), ZERO)
        actual = sum((actual_by[i] for i in ids), ZERO)
        return SalesFigures(
            node_id=of.id,
            name=of.name,
            level=of.level.value,
            partners=len(ids),
            target=target,
            actual=actual,
            attainment=_ratio(actual, target),
        )

    children = (node,) if node.level is Level.PARTNER else network.children(node.id)
    days = (quarter.end - quarter.start).days + 1
    passed = min(max((as_of - quarter.start).days + 1, 0), days)
    return SalesPanel(
        total=figures(node),
        elapsed=(Decimal(passed) / days).quantize(_RATIO, rounding=ROUND_HALF_UP),
        groups=tuple(figures(c) for c in children),
    )


def inventory_panel(
    db: Database,
    *,
    network: ChannelNetwork,
    node_ids: Collection[str],
    quarter: Quarter,
    as_of: date,
    rules: AlertRules,
) -> InventoryPanel:
    """Stock and DOI per partner and product line at the quarter's latest reported week, and the
    subtree's 12-week trend.  Two grouped queries: the subtree's totals per week (which also
    tell the reference week), then each partner-product's window at that week; the database
    adds up the thousands of weekly rows, Python only the grouped ones."""
    rule = rules.overstock
    bands = rule.days
    window = rule.window_weeks
    last = _monday(as_of_day(quarter, as_of))
    # The trend's weeks and the DOI window of its first one (one week more, in case the
    # latest week is not reported yet).
    first = last - timedelta(weeks=TREND_WEEKS + window)
    inv = InventoryReportRow
    weekly: dict[date, tuple[int, int, int]] = {}
    grouped: list[tuple[str, str, int, int, int]] = []
    ref: date | None = None
    if as_of >= quarter.start:
        with db.read() as s:
            conn = s.connection()
            for chunk in chunks(node_ids):
                totals = (
                    select(
                        inv.week,
                        func.sum(inv.sell_in_units),
                        func.sum(inv.sell_through_units),
                        func.sum(inv.stock_units),
                    )
                    .where(inv.partner_id.in_(chunk), inv.week >= first, inv.week <= last)
                    .group_by(inv.week)
                )
                for week, sell_in, through, on_hand in conn.execute(totals):
                    before = weekly.get(week, (0, 0, 0))
                    weekly[week] = (before[0] + int(sell_in), before[1] + int(through), before[2] + int(on_hand))
            in_quarter = [w for w in weekly if quarter.start <= w <= quarter.end]
            if in_quarter:
                ref = max(in_quarter)
                window_from = ref - timedelta(weeks=window - 1)
                for chunk in chunks(node_ids):
                    lines_query = (
                        select(
                            inv.partner_id,
                            inv.product_id,
                            func.sum(case((inv.week == ref, inv.stock_units), else_=0)),
                            func.sum(inv.sell_through_units),
                            func.count(),
                        )
                        .where(inv.partner_id.in_(chunk), inv.week >= window_from, inv.week <= ref)
                        .group_by(inv.partner_id, inv.product_id)
                    )
                    grouped.extend(
                        (str(p), str(product), int(units), int(through), int(n))
                        for p, product, units, through, n in conn.execute(lines_query)
                    )
    if ref is None:
        return InventoryPanel(
            week=None,
            window_weeks=window,
            threshold_days=bands.threshold,
            medium_days=bands.medium,
            high_days=bands.high,
            stock_units=0,
            doi_days=ZERO,
            level="ok",
            line_count=0,
            lines=(),
            trend=(),
        )

    # Per partner and product line (a product's window may be shorter at the start of its series).
    stock: dict[tuple[str, str], int] = defaultdict(int)
    sold: dict[tuple[str, str], int] = defaultdict(int)
    weeks_in: dict[tuple[str, str], int] = defaultdict(int)
    products: dict[tuple[str, str], int] = defaultdict(int)
    worst: dict[tuple[str, str], tuple[int, Decimal, str]] = {}  # key -> (level rank, DOI, product)
    for partner_id, product_id, units, through, n in grouped:
        key = (partner_id, product_line(product_id))
        stock[key] += units
        sold[key] += through
        weeks_in[key] = max(weeks_in[key], n)
        products[key] += 1
        doi = days_of_inventory(units, through, n)
        rank = LEVEL_RANK[doi_level(doi, units, bands, rule.min_stock_units)]
        if key not in worst or (rank, doi, product_id) > worst[key]:
            worst[key] = (rank, doi, product_id)
    lines = []
    for key, count in products.items():
        doi = days_of_inventory(stock[key], sold[key], weeks_in[key])
        found = network.find(key[0])
        rank, peak, peak_product = worst[key]
        lines.append(
            InventoryLine(
                partner_id=key[0],
                partner_name=found.name if found is not None else key[0],
                product_line=key[1],
                products=count,
                stock_units=stock[key],
                sell_through_units=sold[key],
                doi_days=doi,
                level=LEVELS[max(rank, LEVEL_RANK[doi_level(doi, stock[key], bands, rule.min_stock_units)])],
                peak_product_id=peak_product,
                peak_doi_days=peak,
            )
        )
    lines.sort(
        key=lambda line: (
            -LEVEL_RANK[line.level],
            -line.peak_doi_days,
            -line.doi_days,
            line.partner_id,
            line.product_line,
        )
    )

    reported = sorted(w for w in weekly if w <= ref)
    trend: list[InventoryPoint] = []
    for week in [w for w in reported if w > ref - timedelta(weeks=TREND_WEEKS)]:
        span = [w for w in reported if week - timedelta(weeks=window - 1) <= w <= week]
        sell_in, through, on_hand = weekly[week]
        trend.append(
            InventoryPoint(
                week=week,
                stock_units=on_hand,
                sell_in_units=sell_in,
                sell_through_units=through,
                doi_days=days_of_inventory(on_hand, sum(weekly[w][1] for w in span), len(span)),
            )
        )
    total_stock = weekly[ref][2]
    total_doi = trend[-1].doi_days
    return InventoryPanel(
        week=ref,
        window_weeks=window,
        threshold_days=bands.threshold,
        medium_days=bands.medium,
        high_days=bands.high,
        stock_units=total_stock,
        doi_days=total_doi,
        level=doi_level(total_doi, total_stock, bands, rule.min_stock_units),
        line_count=len(lines),
        lines=tuple(lines[:MAX_INVENTORY_LINES]),
        trend=tuple(trend),
    )


def feedback_panel(db: Database, node_ids: Collection[str], quarter: Quarter, as_of: date) -> FeedbackPanel:
    """Survey mean and satisfaction for the quarter and the three before it, complaints of the
    quarter by category and status; feedback dated up to ``as_of`` (one grouped query)."""
    quarters = [quarter]
    while len(quarters) < FEEDBACK_QUARTERS:
        quarters.insert(0, quarters[0].previous())
    label = case(
        *((and_(FeedbackRow.date >= q.start, FeedbackRow.date <= q.end), str(q)) for q in quarters),
        else_="",
    ).label("quarter")
    until = min(as_of, quarter.end)
    counted: list[tuple[str, str, int | None, str | None, str, int]] = []
    if until >= quarters[0].start:
        with db.read() as s:
            for chunk in chunks(node_ids):
                query = (
                    select(
                        label,
                        FeedbackRow.kind,
                        FeedbackRow.score,
                        FeedbackRow.category,
                        FeedbackRow.status,
                        func.count(),
                    )
                    .where(
                        FeedbackRow.partner_id.in_(chunk),
                        FeedbackRow.date >= quarters[0].start,
                        FeedbackRow.date <= until,
                    )
                    .group_by(label, FeedbackRow.kind, FeedbackRow.score, FeedbackRow.category, FeedbackRow.status)
                )
                counted.extend((str(r[0]), str(r[1]), r[2], r[3], str(r[4]), int(r[5])) for r in s.execute(query))
    surveys: dict[str, int] = defaultdict(int)
    score_sum: dict[str, int] = defaultdict(int)
    satisfied: dict[str, int] = defaultdict(int)
    complaints: dict[str, int] = defaultdict(int)
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for q_label, kind, score, category, status, n in counted:
        if kind == "survey" and score is not None:
            surveys[q_label] += n
            score_sum[q_label] += score * n
            if score >= SATISFIED_FROM:
                satisfied[q_label] += n
        elif kind == "complaint":
            complaints[q_label] += n
            if q_label == str(quarter):
                by_category[category or ""][status] += n
    trend = tuple(
        QuarterSatisfaction(
            quarter=str(q),
            surveys=surveys[str(q)],
            mean_score=_ratio(Decimal(score_sum[str(q)]), Decimal(surveys[str(q)])),
            satisfaction=_ratio(Decimal(satisfied[str(q)]), Decimal(surveys[str(q)])),
            complaints=complaints[str(q)],
        )
        for q in quarters
    )
    categories = sorted(
        (
            ComplaintCategory(
                category=category,
                total=sum(statuses.values()),
                open=statuses.get("open", 0),
                in_progress=statuses.get("in_progress", 0),
                closed=statuses.get("closed", 0),
            )
            for category, statuses in by_category.items()
        ),
        key=lambda c: (-c.total, c.category),
    )
    current = trend[-1]
    return FeedbackPanel(
        surveys=current.surveys,
        mean_score=current.mean_score,
        satisfaction=current.satisfaction,
        complaints=current.complaints,
        complaints_by_status=tuple(
            (status, sum(s.get(status, 0) for s in by_category.values())) for status in COMPLAINT_STATUSES
        ),
        categories=tuple(categories),
        trend=trend,
    )


def _task_line(view: TaskView) -> TaskLine:
    scope, mine = view.scope, view.mine
    own = mine if mine is not None and mine.key != scope.key else None
    return TaskLine(
        task_id=view.task.id,
        title=view.task.title,
        kind=view.task.kind.value,
        label=view.unit.label,
        unit=view.unit.unit,
        label_en=view.unit.label_en,
        unit_en=view.unit.unit_en,
        start=view.task.start,
        due=view.task.due,
        quantity=scope.quantity,
        progress=scope.progress,
        expected=(Decimal(scope.expected.numerator) / scope.expected.denominator).quantize(
            _TENTH, rounding=ROUND_HALF_UP
        ),
        status=scope.status.value,
        mine_quantity=None if own is None else own.quantity,
        mine_progress=None if own is None else own.progress,
    )


def tasks_panel(tasks: TaskService, viewer: Viewer, quarter: Quarter) -> TasksPanel:
    """The viewer's tasks that run during the quarter (the task service's views and flags)."""
    views = [v for v in tasks.tasks_for(viewer) if v.task.start <= quarter.end and v.task.due >= quarter.start]
    lines = tuple(_task_line(v) for v in views)
    return TasksPanel(
        total=len(lines),
        overdue=sum(1 for t in lines if t.status == TaskStatus.OVERDUE.value),
        at_risk=sum(1 for t in lines if t.status == TaskStatus.AT_RISK.value),
        done=sum(1 for t in lines if t.status == TaskStatus.DONE.value),
        tasks=lines,
    )


def alerts_panel(db: Database, node_ids: Collection[str]) -> AlertsPanel:
    """Unresolved alerts that still fire, by status and severity (one grouped query)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    with db.read() as s:
        for chunk in chunks(node_ids):
            query = (
                select(AlertRow.status, AlertRow.severity, func.count())
                .where(
                    AlertRow.partner_id.in_(chunk),
                    AlertRow.status.in_((AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)),
                    AlertRow.cleared_at.is_(None),
                )
                .group_by(AlertRow.status, AlertRow.severity)
            )
            for status, severity, n in s.execute(query):
                counts[(str(status), str(severity))] += int(n)

    def by_severity(status: AlertStatus) -> tuple[tuple[str, int], ...]:
        return tuple((sev, counts.get((status.value, sev), 0)) for sev in SEVERITIES)

    opened, acked = by_severity(AlertStatus.OPEN), by_severity(AlertStatus.ACKNOWLEDGED)
    return AlertsPanel(
        open=sum(n for _, n in opened),
        acknowledged=sum(n for _, n in acked),
        open_by_severity=opened,
        acknowledged_by_severity=acked,
    )


# --------------------------------------------------------------------------- the service


class DashboardService:
    """The dashboard of a viewer's node; cheap to build (the database and the rebate
    service's snapshot are the state).  ``tasks`` None: no tasks panel (tasks not set up)."""

    def __init__(
        self,
        *,
        db: Database,
        rebates: RebateService,
        rules: AlertRules,
        tasks: TaskService | None = None,
    ) -> None:
        self.db = db
        self.rebates = rebates
        self.rules = rules
        self.tasks = tasks

    def dashboard(
        self,
        viewer: Viewer,
        *,
        quarter: str | None = None,
        panels: Iterable[Panel | str] | None = None,
    ) -> Dashboard:
        """The panels asked for (default all) of the viewer's node and everything below it in
        ``quarter`` (default the current one; ``quarter_not_found`` outside the policy)."""
        state = self.rebates.state
        node = self.rebates.viewer_node(viewer)  # partner_not_found: unknown or deactivated
        q = self.rebates.quarter(quarter, state=state)
        as_of = as_of_day(q, self.rebates.today())
        wanted = ALL_PANELS if panels is None else frozenset(Panel(p) for p in panels)
        readable = state.network.readable(node.id)
        return Dashboard(
            node=node,
            quarter=q,
            as_of=as_of,
            sales=sales_panel(state, node, q, as_of) if Panel.SALES in wanted else None,
            inventory=(
                inventory_panel(
                    self.db, network=state.network, node_ids=readable, quarter=q, as_of=as_of, rules=self.rules
                )
                if Panel.INVENTORY in wanted
                else None
            ),
            feedback=feedback_panel(self.db, readable, q, as_of) if Panel.FEEDBACK in wanted else None,
            tasks=(tasks_panel(self.tasks, viewer, q) if Panel.TASKS in wanted and self.tasks is not None else None),
            alerts=(alerts_panel(self.db, readable) if Panel.ALERTS in wanted and viewer.role in ALERT_ROLES else None),
        )


def panels_of(labels: Sequence[str]) -> frozenset[Panel]:
    """Panel names from a request (``ValueError`` for an unknown one)."""
    return frozenset(Panel(label) for label in labels)
