"""``GET /api/ops/dashboard``: the operations dashboard of the caller's node (translation only;
figures and access in :mod:`assistant.ops.dashboard`), and the vendored chart library the
dashboard page draws with.

::

    GET /api/ops/dashboard?quarter=2026Q4                  every panel
    GET /api/ops/dashboard?quarter=2026Q4&panels=sales,tasks   only those (a live update)
    -> {"node_id": "R-EC", "node_name": ..., "level": "regional", "quarter": "2026Q4",
        "as_of": "2026-11-27", "panels": ["sales", ...],
        "sales": {...}, "inventory": {...}, "feedback": {...}, "tasks": {...}, "alerts": {...}}

Every signed-in user gets its own node and everything below it (the rebates' access rule);
``alerts`` is null for roles that do not work with alerts (sales, experts, content editors).
Money is a yuan string with two decimals, ratios and days plain decimal strings (a DOI with
stock and no sell-through is ``"Infinity"``), never floats.  Errors: ``unauthorized`` (401),
``partner_not_found`` (404: the caller's node is unknown or deactivated),
``quarter_not_found`` (404: a quarter outside the rebate policy), ``validation_error`` (422:
a malformed quarter or an unknown panel), ``not_ready`` (503: no rebate data yet),
``task_rules_invalid`` (503).

``GET /static/vendor/{name}`` serves the third-party files of ``web/static/vendor`` (Chart.js's
UMD build), same-origin so the pages' CSP (``script-src 'self'``) admits them; nothing is
fetched from a CDN.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.routes_rebates import Money, Plain
from assistant.api.routes_tasks import service as task_service
from assistant.api.runtime import NotReadyError, Runtime
from assistant.i18n import error_message
from assistant.ops.alerts import DEFAULT_RULES_FILE, AlertRules, load_rules
from assistant.ops.dashboard import (
    Dashboard,
    DashboardService,
    Panel,
)

router = APIRouter(tags=["dashboard"])

PANEL_NAMES = "|".join(p.value for p in Panel)
PANELS_PATTERN = rf"^({PANEL_NAMES})(,({PANEL_NAMES})){{0,{len(Panel) - 1}}}$"
QuarterQuery = Annotated[str | None, Query(pattern=r"^\d{4}Q[1-4]$", max_length=6, description="e.g. 2026Q4")]
PanelsQuery = Annotated[
    str | None,
    Query(pattern=PANELS_PATTERN, max_length=64, description="comma-separated panels; default: all"),
]
_VENDOR_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}\.js$")


def _days(value: Decimal) -> str:
    return "Infinity" if value.is_infinite() else format(value.normalize(), "f")


# Days of inventory: a plain decimal string, "Infinity" with stock and no sell-through.
Days = Annotated[Decimal, Field(allow_inf_nan=True), PlainSerializer(_days, return_type=str, when_used="json")]


def dashboard_service(runtime: Runtime) -> DashboardService:
    rebates = runtime.current_rebates()
    if rebates is None or not rebates.available or runtime.db is None:
        raise NotReadyError("rebates not loaded")
    rules: AlertRules = runtime.alerts.rules if runtime.alerts is not None else load_rules(DEFAULT_RULES_FILE)
    return DashboardService(db=runtime.db, rebates=rebates, rules=rules, tasks=task_service(runtime))


# --------------------------------------------------------------------------- payloads


# (status or severity, count) pairs of a domain panel, in their order, as a JSON object.
Counts = Annotated[dict[str, int], BeforeValidator(dict)]


class _Panel(BaseModel):
    """A panel's payload, read straight off the domain dataclass of the same field names."""

    model_config = ConfigDict(from_attributes=True)


class SalesFiguresOut(_Panel):
    node_id: str
    name: str
    level: str
    partners: int
    target: Money
    actual: Money
    attainment: Plain | None


class SalesOut(_Panel):
    total: SalesFiguresOut
    elapsed: Plain  # share of the quarter passed: the linear pace
    groups: list[SalesFiguresOut]


class InventoryLineOut(_Panel):
    partner_id: str
    partner_name: str
    product_line: str
    products: int
    stock_units: int
    sell_through_units: int
    doi_days: Days
    level: str  # the worst of its products
    peak_product_id: str
    peak_doi_days: Days


class InventoryPointOut(_Panel):
    week: date
    stock_units: int
    sell_in_units: int
    sell_through_units: int
    doi_days: Days


class InventoryOut(_Panel):
    week: date | None
    window_weeks: int
    threshold_days: Plain
    medium_days: Plain
    high_days: Plain
    stock_units: int
    doi_days: Days
    level: str
    line_count: int
    lines: list[InventoryLineOut]
    trend: list[InventoryPointOut]


class QuarterSatisfactionOut(_Panel):
    quarter: str
    surveys: int
    mean_score: Plain | None
    satisfaction: Plain | None
    complaints: int


class ComplaintCategoryOut(_Panel):
    category: str
    total: int
    open: int
    in_progress: int
    closed: int


class FeedbackOut(_Panel):
    surveys: int
    mean_score: Plain | None  # 1-5
    satisfaction: Plain | None  # 0-1: share of surveys scoring 4 or 5
    complaints: int
    complaints_by_status: Counts
    categories: list[ComplaintCategoryOut]
    trend: list[QuarterSatisfactionOut]


class TaskLineOut(_Panel):
    task_id: str
    title: str
    kind: str
    label: str
    unit: str
    label_en: str
    unit_en: str
    start: date
    due: date
    quantity: int
    progress: int
    expected: Plain
    status: str
    mine_quantity: int | None
    mine_progress: int | None


class TasksOut(_Panel):
    total: int
    overdue: int
    at_risk: int
    done: int
    tasks: list[TaskLineOut]


class AlertsOut(_Panel):
    open: int
    acknowledged: int
    open_by_severity: Counts
    acknowledged_by_severity: Counts


class DashboardOut(BaseModel):
    node_id: str
    node_name: str
    level: str
    quarter: str
    as_of: date
    panels: list[str]  # the panels computed in this answer
    sales: SalesOut | None
    inventory: InventoryOut | None
    feedback: FeedbackOut | None
    tasks: TasksOut | None
    alerts: AlertsOut | None  # None also for roles without alerts


def dashboard_out(d: Dashboard) -> DashboardOut:
    computed = [
        name
        for name, value in (
            ("sales", d.sales),
            ("inventory", d.inventory),
            ("feedback", d.feedback),
            ("tasks", d.tasks),
            ("alerts", d.alerts),
        )
        if value is not None
    ]
    return DashboardOut(
        node_id=d.node.id,
        node_name=d.node.name,
        level=d.node.level.value,
        quarter=str(d.quarter),
        as_of=d.as_of,
        panels=computed,
        sales=None if d.sales is None else SalesOut.model_validate(d.sales),
        inventory=None if d.inventory is None else InventoryOut.model_validate(d.inventory),
        feedback=None if d.feedback is None else FeedbackOut.model_validate(d.feedback),
        tasks=None if d.tasks is None else TasksOut.model_validate(d.tasks),
        alerts=None if d.alerts is None else AlertsOut.model_validate(d.alerts),
    )


# --------------------------------------------------------------------------- routes


@router.get("/api/ops/dashboard", response_model=DashboardOut)
def get_dashboard(
    caller: CallerDep, runtime: RuntimeDep, quarter: QuarterQuery = None, panels: PanelsQuery = None
) -> DashboardOut:
    """The panels of the caller's node and everything below it for the quarter (default the
    current one); ``panels`` names a subset (what a live update changed)."""
    wanted = None if panels is None else [Panel(p) for p in dict.fromkeys(panels.split(","))]
    return dashboard_out(dashboard_service(runtime).dashboard(caller, quarter=quarter, panels=wanted))


@router.get("/static/vendor/{name}", include_in_schema=False)
def vendor_file(name: str, runtime: RuntimeDep) -> Response:
    path = runtime.settings.web_dir / "static" / "vendor" / name
    if _VENDOR_NAME.match(name) is None or not path.is_file():
        return JSONResponse({"code": "not_found", "message": error_message("not_found")}, status_code=404)
    return FileResponse(
        path,
        media_type="text/javascript; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )
