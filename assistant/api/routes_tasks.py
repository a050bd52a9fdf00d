"""REST routes of multi-level tasks (translation only; decisions in
:class:`assistant.tasks.service.TaskService`).

Every route is scoped by the verified caller (:data:`CallerDep`).  Errors are the
service's codes: ``task_not_found`` (404, also for tasks the caller takes no part in),
``assignment_not_found`` (404, also for nodes outside the caller's subtree),
``partner_not_found`` (404: a create's ``root_id`` the caller may not see, or a caller whose
node is deactivated), ``forbidden`` (403: create is for HQ admins, edits for managers and
admins), ``invalid_task``, ``invalid_breakdown``, ``quantity_sum_mismatch`` and
``invalid_progress`` (422), ``progress_conflict`` (409: a client id reused for another
report), ``task_rules_invalid`` (503: the pace rules file is broken); a malformed body or
query is ``validation_error`` (422).  A refused edit names the item at fault:
``{"code", "message", "item": <index>, "field": <name>}``.

Example::

    POST /api/tasks {"title": "Q4 边缘网关新客户", "kind": "new_customers", "product_line": "EG",
                     "goal": 120, "start": "2026-10-01", "due": "2026-12-31"}
    -> 201 {"id": "TK-3F2A...", ..., "tree": {"key": "N-001", "quantity": 120, "children": [...]}}
    PUT /api/tasks/TK-3F2A.../assignments {"parent": "R-EC", "items": [{"assignee": "A-HZ", "quantity": 20},
                                                                      {"assignee": "A-SU", "quantity": 12}]}
    POST /api/tasks/TK-3F2A.../progress {"amount": 3, "note": "拜访了3家客户", "client_id": "m-20261127-1"}
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.routes_rebates import IsoDate, NodeId
from assistant.api.runtime import NotReadyError
from assistant.dialogue.types import Caller
from assistant.settings import PROJECT_ROOT
from assistant.tasks.model import NodeProgress, TaskView, load_pace_rules
from assistant.tasks.service import MAX_GOAL, MAX_ITEMS, MAX_NOTE, MAX_REPORT, TaskService, pace_file

router = APIRouter(tags=["tasks"])


def service(runtime: RuntimeDep) -> TaskService:
    """A task service over the database and the current channel tree (cheap: no state)."""
    rebates = runtime.current_rebates()
    if rebates is None or runtime.db is None:
        raise NotReadyError("rebates not loaded")
    rules = load_pace_rules(pace_file(runtime.settings.corpus_dir, PROJECT_ROOT / "corpus"))
    return TaskService(db=runtime.db, rebates=rebates, rules=rules)


TaskId = Annotated[str, Path(max_length=64)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


# --------------------------------------------------------------------------- payloads


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    kind: Literal["new_customers", "visits", "demos", "training_completions"]
    product_line: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")] | None = None
    goal: Annotated[int, Field(strict=True, ge=1, le=MAX_GOAL)]
    start: IsoDate
    due: IsoDate
    root_id: NodeId | None = None
    dry_run: StrictBool = False  # the default split, not stored


class QuantityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Key  # a node id ("A-HZ") or a salesperson's key ("P-HZ-01/hz_sales1")
    quantity: Annotated[int, Field(strict=True, ge=0, le=MAX_GOAL)]


class AssignmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent: Key | None = None  # default: the caller's own node
    items: Annotated[list[QuantityIn], Field(min_length=1, max_length=MAX_ITEMS)]


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[int, Field(strict=True, ge=-MAX_REPORT, le=MAX_REPORT)]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE)] = ""
    client_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:\-]{1,64}$")]


# --------------------------------------------------------------------------- responses


class NodeSummaryOut(BaseModel):
    key: str
    node_id: str
    name: str
    level: str  # national | regional | alliance | partner | sales
    username: str | None
    quantity: int
    own_progress: int
    progress: int
    expected: float  # by the linear pace, end of yesterday (one decimal)
    status: str  # not_started | on_track | at_risk | overdue | done
    overdue: bool
    at_risk: bool
    children_quantity: int


class NodeOut(NodeSummaryOut):
    children: list[NodeOut]


class TaskOut(BaseModel):
    id: str
    title: str
    description: str
    kind: str
    kind_label: str
    unit: str
    product_line: str | None
    goal: int
    root_id: str | None  # the task's root node, when the caller may read it
    start: date
    due: date
    basis_quarter: str
    today: date
    mine: NodeSummaryOut | None  # None: the caller watches a task below it without a share


class TaskSummaryOut(TaskOut):
    scope: NodeSummaryOut


class TaskListOut(BaseModel):
    tasks: list[TaskSummaryOut]


class TaskDetailOut(TaskOut):
    tree: NodeOut


class ReportOut(BaseModel):
    id: int
    assignee: str
    client_id: str
    amount: int
    note: str
    reported_at: datetime


class ProgressOut(BaseModel):
    duplicate: bool
    report: ReportOut
    mine: NodeSummaryOut


# --------------------------------------------------------------------------- translation


def summary_out(n: NodeProgress) -> NodeSummaryOut:
    return NodeSummaryOut(
        key=n.key,
        node_id=n.node_id,
        name=n.name,
        level=n.level,
        username=n.username,
        quantity=n.quantity,
        own_progress=n.own_progress,
        progress=n.progress,
        expected=round(float(n.expected), 1),
        status=n.status.value,
        overdue=n.overdue,
        at_risk=n.at_risk,
        children_quantity=n.children_quantity,
    )


def node_out(n: NodeProgress) -> NodeOut:
    return NodeOut(**summary_out(n).model_dump(), children=[node_out(c) for c in n.children])


def task_fields(view: TaskView, caller: Caller) -> dict[str, object]:
    t = view.task
    english = caller.language == "en"
    return {
        "id": t.id,
        "title": t.title,
        "description": t.description,
        "kind": t.kind.value,
        "kind_label": view.unit.label_en if english else view.unit.label,
        "unit": view.unit.unit_en if english else view.unit.unit,
        "product_line": t.product_line,
        "goal": t.goal,
        "root_id": view.root_id,
        "start": t.start,
        "due": t.due,
        "basis_quarter": t.basis_quarter,
        "today": view.today,
        "mine": summary_out(view.mine) if view.mine is not None else None,
    }


def detail_out(view: TaskView, caller: Caller, tree: NodeProgress | None = None) -> TaskDetailOut:
    return TaskDetailOut.model_validate({**task_fields(view, caller), "tree": node_out(tree or view.scope)})


# --------------------------------------------------------------------------- routes


@router.post("/api/tasks", response_model=TaskDetailOut, status_code=201)
def create_task(body: TaskIn, caller: CallerDep, runtime: RuntimeDep, response: Response) -> TaskDetailOut:
    """HQ (an admin on the national node) creates a task; the goal is split down the channel
    tree by last quarter's net sales (``dry_run``: the split only, 200, nothing stored)."""
    view = service(runtime).create_task(
        caller=caller,
        title=body.title,
        kind=body.kind,
        goal=body.goal,
        start=body.start,
        due=body.due,
        product_line=body.product_line,
        description=body.description,
        root_id=body.root_id,
        dry_run=body.dry_run,
    )
    if body.dry_run:
        response.status_code = 200
    return detail_out(view, caller)


@router.get("/api/tasks", response_model=TaskListOut)
def list_tasks(caller: CallerDep, runtime: RuntimeDep) -> TaskListOut:
    """The tasks the caller's node has a share of: its own share (``mine``) and its node's
    (``scope``) with progress rolled up and flags, by due date."""
    views = service(runtime).tasks_for(caller)
    return TaskListOut(
        tasks=[TaskSummaryOut.model_validate({**task_fields(v, caller), "scope": summary_out(v.scope)}) for v in views]
    )


@router.get("/api/tasks/{task_id}", response_model=TaskDetailOut)
def get_task(
    task_id: TaskId,
    caller: CallerDep,
    runtime: RuntimeDep,
    node: Annotated[
        str | None, Query(max_length=100, description="a node below the caller's; default: its own")
    ] = None,
) -> TaskDetailOut:
    """The tree of shares below the caller's node (or below ``node``) with roll-ups and flags."""
    tasks = service(runtime)
    view = tasks.task(caller=caller, task_id=task_id)
    tree = tasks.progress_of(caller, task_id, node) if node is not None else None
    return detail_out(view, caller, tree)


@router.put("/api/tasks/{task_id}/assignments", response_model=TaskDetailOut)
def put_assignments(task_id: TaskId, body: AssignmentsIn, caller: CallerDep, runtime: RuntimeDep) -> TaskDetailOut:
    """Managers and admins set quantities of the children of a node at or below their own;
    the children must add up to the parent's quantity; each changed child's subtree is
    rescaled in proportion.  All or nothing."""
    view = service(runtime).set_quantities(
        caller=caller,
        task_id=task_id,
        items=[(i.assignee, i.quantity) for i in body.items],
        parent=body.parent,
    )
    return detail_out(view, caller)


@router.post("/api/tasks/{task_id}/progress", response_model=ProgressOut, status_code=201)
def post_progress(
    task_id: TaskId, body: ProgressIn, caller: CallerDep, runtime: RuntimeDep, response: Response
) -> ProgressOut:
    """Report progress on the caller's own share (201); the same ``client_id`` and report
    again is 200 with ``duplicate: true`` and counts once; another report under the same
    ``client_id`` is 409 ``progress_conflict``."""
    result = service(runtime).report_progress(caller, task_id, body.amount, body.note, body.client_id)
    if result.duplicate:
        response.status_code = 200
    r = result.report
    return ProgressOut(
        duplicate=result.duplicate,
        report=ReportOut(
            id=r.id,
            assignee=r.assignment_key,
            client_id=r.client_id,
            amount=r.amount,
            note=r.note,
            reported_at=r.reported_at,
        ),
        mine=summary_out(result.mine),
    )
