"""The task service: HQ creates a task, the goal is split down the channel tree to
regions, alliances, partners and salespeople; managers edit the split below their node;
everyone reports progress on their own share; progress rolls up; overdue and at-risk nodes
are flagged.  Used by REST and chat alike; no HTTP here.

Access is the rebates' rule, reused (:class:`assistant.rebates.service.RebateService`): a
caller reads its own node and every node below it in today's channel tree, never a sibling,
cousin or ancestor, and a deactivated caller reads nothing.  The caller's node comes from
the verified caller, never from the request.  A task the caller takes no part in, or a node
of it outside the caller's subtree, is answered exactly like one that does not exist
(:class:`TaskNotFoundError`, :class:`AssignmentNotFoundError`).

Where an assignment sits is not stored but derived from today's channel tree: a node's
parent is its nearest ancestor with an assignment in the task; a salesperson's parent is
their partner.  So a move changes access and roll-ups at once, exactly as for rebates (the
moved node keeps its quantity; the new parent's children may then not add up to it until a
manager edits them: ``children_quantity`` shows it).

Roles: creating a task is for HQ (an ``admin`` on the national node); editing quantities
for ``manager`` and ``admin`` callers, below their own node; reporting progress for anyone
with a share: a salesperson's own share when the split reached them, else their node's.

Chat entry points: :meth:`TaskService.tasks_for`, :meth:`TaskService.report_progress`,
:meth:`TaskService.progress_of`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.ops.alerts import TaskRecord
from assistant.rebates.errors import PartnerNotFoundError
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import Actor as TaskCaller
from assistant.rebates.service import RebateService
from assistant.storage.db import Database
from assistant.storage.models import User, utcnow
from assistant.tasks.errors import (
    AssignmentNotFoundError,
    InvalidBreakdownError,
    InvalidProgressError,
    InvalidTaskError,
    ProgressConflictError,
    QuantitySumError,
    TaskForbiddenError,
    TaskNotFoundError,
)
from assistant.tasks.model import (
    Assignment,
    NodeProgress,
    PaceRules,
    ProgressReport,
    ReportResult,
    Task,
    TaskKind,
    TaskView,
    expected_by,
    largest_remainder,
    rescale,
    split_weights,
    status_of,
    user_key,
)
from assistant.tasks.tables import TaskAssignmentRow, TaskProgressRow, TaskRow

log = logging.getLogger(__name__)

HQ_ROLE = "admin"  # on the national node
EDITOR_ROLES = frozenset({"manager", "admin"})
SALES_ROLE = "sales"  # the users a partner's share is split among

# Bounds of inputs (the API checks them too; the domain never trusts its caller).
MAX_GOAL = 1_000_000
MAX_REPORT = 10_000  # one report, either sign
MAX_NOTE = 500
MAX_TITLE = 100
MAX_DESCRIPTION = 2000
MAX_DAYS = 731  # a task runs at most two years
MAX_ITEMS = 500  # quantities edited in one request
CLIENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
PRODUCT_LINE = re.compile(r"^[A-Z]{2,8}$")

PACE_FILE = Path("tasks") / "pace.yaml"


def pace_file(corpus_dir: Path, fallback_dir: Path) -> Path:
    """The pace rules of ``corpus_dir`` if it has them, else the shipped ones (a corpus
    without tasks, such as the tests' fixture corpus)."""
    own = corpus_dir / PACE_FILE
    return own if own.exists() else fallback_dir / PACE_FILE


def product_line_of(product_id: str) -> str:
    """The product line of a product id: its prefix (``EG-2100`` -> ``EG``)."""
    return product_id.split("-", 1)[0].upper()


# --------------------------------------------------------------------------- snapshots


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A task with its assignments (by key) and each assignment's own reported total."""

    task: Task
    assignments: Mapping[str, Assignment]
    own: Mapping[str, int]

    def node_key(self, node_id: str) -> str | None:
        a = self.assignments.get(node_id)
        return a.key if a is not None and not a.is_user else None

    def user_share(self, node_id: str, user_id: str) -> Assignment | None:
        for a in self.assignments.values():
            if a.user_id == user_id and a.node_id == node_id:
                return a
        return None


def _children(snapshot: _Snapshot, network: ChannelNetwork) -> dict[str, list[str]]:
    """Each assignment's children in today's channel tree (keys, in key order)."""
    out: dict[str, list[str]] = {}
    for a in sorted(snapshot.assignments.values(), key=lambda x: x.key):
        parent: str | None
        if a.is_user:
            parent = snapshot.node_key(a.node_id)
        elif a.node_id == snapshot.task.root_node_id or a.node_id not in network:
            parent = None
        else:
            parent = next(
                (key for anc in network.ancestors(a.node_id) if (key := snapshot.node_key(anc.id)) is not None),
                None,
            )
        if parent is not None:
            out.setdefault(parent, []).append(a.key)
    return out


def _subtree(children: Mapping[str, Sequence[str]], key: str) -> set[str]:
    seen = {key}
    stack = [key]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


# --------------------------------------------------------------------------- service


class TaskService:
    """Cheap to build (holds no state of its own): the database is the source of truth and
    the channel tree is the rebate service's current snapshot."""

    def __init__(
        self,
        *,
        db: Database,
        rebates: RebateService,
        rules: PaceRules,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.db = db
        self.rebates = rebates
        self.rules = rules
        self._today = today or rebates.today

    def today(self) -> date:
        return self._today()

    # ----------------------------------------------------------------- access

    def _network(self) -> ChannelNetwork:
        return self.rebates.state.network

    def _anchor(self, caller: TaskCaller, snapshot: _Snapshot) -> tuple[str, str | None]:
        """(the caller's scope key, the caller's own key) in the task.

        The scope is the caller's node's share; a caller above the task's root (HQ watching
        a task of one region) has the root as its scope and no share of its own (None).
        Anyone else takes no part in the task: not found."""
        if not self.rebates.can_read(caller, caller.partner_id):  # unknown or deactivated caller
            raise TaskNotFoundError(f"{snapshot.task.id}: caller node {caller.partner_id!r} reads nothing")
        scope = snapshot.node_key(caller.partner_id)
        if scope is not None:
            own = snapshot.user_share(caller.partner_id, caller.user_id)
            return scope, own.key if own is not None else scope
        root = snapshot.node_key(snapshot.task.root_node_id)
        if root is not None and self.rebates.can_read(caller, snapshot.task.root_node_id):
            return root, None
        raise TaskNotFoundError(f"{snapshot.task.id}: no share for {caller.partner_id!r}")

    def _visible(self, caller: TaskCaller, snapshot: _Snapshot, children: Mapping[str, Sequence[str]]) -> set[str]:
        """Keys of the caller's scope and everything below it that the access rule lets it read."""
        scope, _ = self._anchor(caller, snapshot)
        return {
            key for key in _subtree(children, scope) if self.rebates.can_read(caller, snapshot.assignments[key].node_id)
        }

    @staticmethod
    def _require_hq(caller: TaskCaller, node: ChannelNode) -> None:
        if caller.role != HQ_ROLE or node.level is not Level.NATIONAL:
            raise TaskForbiddenError(f"role {caller.role!r} on {node.id} may not create tasks")

    @staticmethod
    def require_editor(caller: TaskCaller) -> None:
        """Editing quantities is for managers and admins (403 ``forbidden`` otherwise)."""
        if caller.role not in EDITOR_ROLES:
            raise TaskForbiddenError(f"role {caller.role!r} may not edit task quantities")

    # ----------------------------------------------------------------- views

    def _view(self, caller: TaskCaller, snapshot: _Snapshot) -> TaskView:
        network = self._network()
        children = _children(snapshot, network)
        scope, own = self._anchor(caller, snapshot)
        visible = self._visible(caller, snapshot, children)
        tree = self._node(snapshot, children, visible, scope, network)
        mine = tree.find(own) if own is not None else None
        root = snapshot.task.root_node_id
        return TaskView(
            task=snapshot.task,
            scope=tree,
            mine=mine,
            today=self.today(),
            unit=self.rules.kinds[snapshot.task.kind],
            root_id=root if self.rebates.can_read(caller, root) else None,
        )

    def _node(
        self,
        snapshot: _Snapshot,
        children: Mapping[str, Sequence[str]],
        visible: set[str],
        key: str,
        network: ChannelNetwork,
    ) -> NodeProgress:
        a = snapshot.assignments[key]
        kids = tuple(self._node(snapshot, children, visible, k, network) for k in children.get(key, ()) if k in visible)
        own = snapshot.own.get(key, 0)
        progress = own + sum(c.progress for c in kids)
        task = snapshot.task
        today = self.today()
        node = network.find(a.node_id)
        if a.is_user:
            name, level = a.display_name or (a.username or ""), "sales"
        else:
            name, level = (node.name, node.level.value) if node is not None else (a.node_id, "")
        return NodeProgress(
            key=key,
            node_id=a.node_id,
            name=name,
            level=level,
            username=a.username,
            quantity=a.quantity,
            own_progress=own,
            progress=progress,
            expected=expected_by(a.quantity, task.start, task.due, today)[1],
            status=status_of(
                quantity=a.quantity, progress=progress, start=task.start, due=task.due, today=today, rules=self.rules
            ),
            children_quantity=sum(c.quantity for c in kids),
            children=kids,
        )

    # ----------------------------------------------------------------- loading

    @staticmethod
    def _task(row: TaskRow) -> Task:
        return Task(
            id=row.id,
            title=row.title,
            kind=TaskKind(row.kind),
            product_line=row.product_line,
            goal=row.goal,
            root_node_id=row.root_node_id,
            start=row.start_date,
            due=row.due_date,
            basis_quarter=row.basis_quarter,
            created_by=row.created_by,
            created_at=row.created_at,
            description=row.description,
        )

    def _load_many(self, s: Session, task_ids: Sequence[str]) -> list[_Snapshot]:
        if not task_ids:
            return []
        tasks = {r.id: self._task(r) for r in s.scalars(select(TaskRow).where(TaskRow.id.in_(task_ids)))}
        shares: dict[str, dict[str, Assignment]] = {t: {} for t in tasks}
        rows = s.execute(
            select(TaskAssignmentRow, User.username, User.display_name)
            .outerjoin(User, User.id == TaskAssignmentRow.user_id)
            .where(TaskAssignmentRow.task_id.in_(list(tasks)))
        )
        by_id: dict[int, Assignment] = {}
        for row, username, display_name in rows:
            a = Assignment(
                id=row.id,
                task_id=row.task_id,
                key=row.key,
                node_id=row.node_id,
                user_id=row.user_id,
                username=username,
                display_name=display_name or "",
                quantity=row.quantity,
            )
            shares[row.task_id][a.key] = a
            by_id[a.id] = a
        own: dict[str, dict[str, int]] = {t: {} for t in tasks}
        sums = s.execute(
            select(TaskProgressRow.assignment_id, func.sum(TaskProgressRow.amount))
            .where(TaskProgressRow.task_id.in_(list(tasks)))
            .group_by(TaskProgressRow.assignment_id)
        )
        for assignment_id, total in sums:
            a = by_id[assignment_id]
            own[a.task_id][a.key] = int(total or 0)
        return [_Snapshot(task=tasks[t], assignments=shares[t], own=own[t]) for t in task_ids if t in tasks]

    def _load(self, s: Session, task_id: str) -> _Snapshot:
        if not isinstance(task_id, str) or not task_id or len(task_id) > 32:
            raise TaskNotFoundError(f"no task {task_id!r}")
        found = self._load_many(s, [task_id])
        if not found:
            raise TaskNotFoundError(f"no task {task_id!r}")
        return found[0]

    # ----------------------------------------------------------------- reads

    def tasks_for(self, caller: TaskCaller) -> tuple[TaskView, ...]:
        """Every task the caller's node has a share of, or whose root is below it, by due date:
        the caller's own share (``mine``, None above the root) and its node's subtree
        (``scope``) with roll-ups and flags."""
        self.rebates.viewer_node(caller)  # partner_not_found for an unknown or deactivated caller
        with self.db.read() as s:
            ids = set(
                s.scalars(
                    select(TaskAssignmentRow.task_id).where(
                        TaskAssignmentRow.node_id == caller.partner_id, TaskAssignmentRow.user_id.is_(None)
                    )
                )
            )
            below = list(self._network().readable(caller.partner_id))
            ids.update(s.scalars(select(TaskRow.id).where(TaskRow.root_node_id.in_(below))))
            snapshots = self._load_many(s, sorted(ids))
        views = [self._view(caller, snap) for snap in snapshots]
        return tuple(sorted(views, key=lambda v: (v.task.due, v.task.id)))

    def task(self, *, caller: TaskCaller, task_id: str) -> TaskView:
        """One task as the caller sees it (``task_not_found`` if it takes no part in it)."""
        with self.db.read() as s:
            snapshot = self._load(s, task_id)
        return self._view(caller, snapshot)

    def progress_of(self, caller: TaskCaller, task_id: str, node_id: str | None = None) -> NodeProgress:
        """A node of the task (by node id or salesperson key; default: the caller's own share)
        with everything below it rolled up; ``assignment_not_found`` outside the caller's view."""
        view = self.task(caller=caller, task_id=task_id)
        if node_id is None:
            return view.mine or view.scope
        found = view.scope.find(node_id) if isinstance(node_id, str) else None
        if found is None:
            raise AssignmentNotFoundError(f"{task_id}: no visible share {node_id!r}")
        return found

    # ----------------------------------------------------------------- create

    def create_task(
        self,
        *,
        caller: TaskCaller,
        title: str,
        kind: TaskKind | str,
        goal: int,
        start: date,
        due: date,
        product_line: str | None = None,
        description: str = "",
        root_id: str | None = None,
        dry_run: bool = False,
    ) -> TaskView:
        """HQ creates a task and the default split: down the active channel tree below
        ``root_id`` (default: HQ's own node), each node's quantity split among its children
        by their net sales in the quarter before ``start`` (for a product line: that line's,
        when any child sold it), a partner's among its active salespeople equally; whole
        numbers that add up exactly (largest remainder).  ``dry_run``: the split, not stored."""
        own_node = self.rebates.viewer_node(caller)
        self._require_hq(caller, own_node)
        network = self._network()
        root_id = root_id or own_node.id
        if not self.rebates.can_read(caller, root_id):
            raise PartnerNotFoundError(f"{root_id!r} is not visible to {caller.partner_id!r}")
        root = network.get(root_id)
        task = self._new_task(
            caller=caller,
            title=title,
            kind=kind,
            goal=goal,
            start=start,
            due=due,
            product_line=product_line,
            description=description,
            root=root,
        )
        with self.db.read() as s:
            people = self._salespeople(s, network, root)
        shares = self._default_split(task, network, root, people)
        snapshot = _Snapshot(task=task, assignments={a.key: a for a in shares}, own={})
        if dry_run:
            return self._view(caller, snapshot)
        now = utcnow()
        with self.db.write() as s:
            s.add(
                TaskRow(
                    id=task.id,
                    title=task.title,
                    description=task.description,
                    kind=task.kind.value,
                    product_line=task.product_line,
                    goal=task.goal,
                    root_node_id=task.root_node_id,
                    start_date=task.start,
                    due_date=task.due,
                    basis_quarter=task.basis_quarter,
                    created_by=task.created_by,
                    created_at=task.created_at,
                )
            )
            s.flush()
            s.add_all(
                TaskAssignmentRow(
                    task_id=task.id,
                    key=a.key,
                    node_id=a.node_id,
                    user_id=a.user_id,
                    quantity=a.quantity,
                    updated_at=now,
                    updated_by=caller.user_id,
                )
                for a in shares
            )
        log.info(
            "task created id=%s kind=%s goal=%d shares=%d by=%s", task.id, task.kind, goal, len(shares), caller.user_id
        )
        return self.task(caller=caller, task_id=task.id)

    def _new_task(
        self,
        *,
        caller: TaskCaller,
        title: str,
        kind: TaskKind | str,
        goal: int,
        start: date,
        due: date,
        product_line: str | None,
        description: str,
        root: ChannelNode,
    ) -> Task:
        title = title.strip() if isinstance(title, str) else ""
        if not title or len(title) > MAX_TITLE:
            raise InvalidTaskError(f"title must be 1..{MAX_TITLE} characters", field="title")
        description = description.strip() if isinstance(description, str) else ""
        if len(description) > MAX_DESCRIPTION:
            raise InvalidTaskError(f"description over {MAX_DESCRIPTION} characters", field="description")
        try:
            task_kind = TaskKind(kind)
        except ValueError as exc:
            raise InvalidTaskError(f"unknown kind {kind!r}", field="kind") from exc
        if isinstance(goal, bool) or not isinstance(goal, int) or not 1 <= goal <= MAX_GOAL:
            raise InvalidTaskError(f"goal must be a whole number in 1..{MAX_GOAL}", field="goal")
        if product_line is not None and (not isinstance(product_line, str) or not PRODUCT_LINE.match(product_line)):
            raise InvalidTaskError(f"product line {product_line!r} is not a line code like EG", field="product_line")
        if not isinstance(start, date) or not isinstance(due, date) or isinstance(start, datetime):
            raise InvalidTaskError("start and due are dates", field="start")
        if due < start:
            raise InvalidTaskError(f"due {due} is before start {start}", field="due")
        if due < self.today():
            raise InvalidTaskError(f"due {due} is in the past", field="due")
        if (due - start).days + 1 > MAX_DAYS:
            raise InvalidTaskError(f"a task runs at most {MAX_DAYS} days", field="due")
        if not root.active:
            raise InvalidTaskError(f"root node {root.id} is deactivated", field="root_id")
        return Task(
            id="TK-" + secrets.token_hex(6).upper(),
            title=title,
            kind=task_kind,
            product_line=product_line,
            goal=goal,
            root_node_id=root.id,
            start=start,
            due=due,
            basis_quarter=str(Quarter.of(start).previous()),
            created_by=caller.user_id,
            created_at=utcnow(),
            description=description,
        )

    @staticmethod
    def _salespeople(s: Session, network: ChannelNetwork, root: ChannelNode) -> dict[str, list[tuple[str, str, str]]]:
        """Active sales users of each active partner at or below ``root``: (user id, username, name)."""
        partners = [p.id for p in network.partners_under(root.id)]
        out: dict[str, list[tuple[str, str, str]]] = {}
        if not partners:
            return out
        rows = s.execute(
            select(User.id, User.username, User.display_name, User.partner_id)
            .where(User.partner_id.in_(partners), User.role == SALES_ROLE, User.active.is_(True))
            .order_by(User.username)
        )
        for user_id, username, display_name, partner_id in rows:
            out.setdefault(partner_id, []).append((user_id, username, display_name or ""))
        return out

    def _sales(self, task: Task, network: ChannelNetwork) -> Callable[[ChannelNode], tuple[Fraction, Fraction]]:
        """A node's (product-line net sales, all net sales) in the task's basis quarter,
        summed over the active partners at or below it."""
        ledger = self.rebates.state.ledger
        quarter = Quarter.parse(task.basis_quarter)
        cache: dict[str, tuple[Fraction, Fraction]] = {}

        def partner(partner_id: str) -> tuple[Fraction, Fraction]:
            if partner_id not in cache:
                total = Fraction(ledger.net_sales(partner_id, quarter))
                if task.product_line is None:
                    line = total
                else:
                    line = Fraction(
                        sum(
                            (
                                Fraction(o.signed_amount)
                                for o in ledger.orders(partner_id, quarter)
                                if product_line_of(o.product_id) == task.product_line
                            ),
                            Fraction(0),
                        )
                    )
                cache[partner_id] = (line, total)
            return cache[partner_id]

        def node_sales(node: ChannelNode) -> tuple[Fraction, Fraction]:
            parts = [partner(p.id) for p in network.partners_under(node.id)]
            return sum((p[0] for p in parts), Fraction(0)), sum((p[1] for p in parts), Fraction(0))

        return node_sales

    def _weights(
        self, nodes: Sequence[ChannelNode], sales: Callable[[ChannelNode], tuple[Fraction, Fraction]]
    ) -> list[Fraction]:
        """Default-split weights of sibling nodes: line sales if any sold the line, else all sales."""
        figures = [sales(n) for n in nodes]
        line = [f[0] for f in figures]
        basis = line if any(x > 0 for x in line) else [f[1] for f in figures]
        return split_weights(basis, self.rules.floor_share)

    def _default_split(
        self,
        task: Task,
        network: ChannelNetwork,
        root: ChannelNode,
        people: Mapping[str, Sequence[tuple[str, str, str]]],
    ) -> list[Assignment]:
        sales = self._sales(task, network)
        out: list[Assignment] = []

        def share(node: ChannelNode, quantity: int) -> None:
            out.append(
                Assignment(
                    id=0,
                    task_id=task.id,
                    key=node.id,
                    node_id=node.id,
                    user_id=None,
                    username=None,
                    display_name="",
                    quantity=quantity,
                )
            )
            kids = [c for c in network.children(node.id) if c.active]
            if kids:
                for child, part in zip(kids, largest_remainder(quantity, self._weights(kids, sales)), strict=True):
                    share(child, part)
            elif node.level is Level.PARTNER:
                staff = people.get(node.id, ())
                for (user_id, username, name), part in zip(
                    staff, largest_remainder(quantity, [1] * len(staff)), strict=True
                ):
                    out.append(
                        Assignment(
                            id=0,
                            task_id=task.id,
                            key=user_key(node.id, username),
                            node_id=node.id,
                            user_id=user_id,
                            username=username,
                            display_name=name,
                            quantity=part,
                        )
                    )

        share(root, task.goal)
        return out

    # ----------------------------------------------------------------- edit quantities

    def set_quantities(
        self,
        *,
        caller: TaskCaller,
        task_id: str,
        items: Sequence[tuple[str, int]],
        parent: str | None = None,
    ) -> TaskView:
        """Set the quantities of some children of ``parent`` (default: the caller's node), a
        node at or below the caller's own.  Afterwards the parent's children must add up to
        its quantity (``quantity_sum_mismatch`` otherwise).  A child whose quantity changed
        has its own subtree rescaled in proportion (largest remainder), so every level below
        adds up too.  All or nothing; a refusal names the item at fault (``item``, ``field``)."""
        self.require_editor(caller)
        items = list(items)
        if not items or len(items) > MAX_ITEMS:
            raise InvalidBreakdownError(f"1..{MAX_ITEMS} quantities per edit", field="items")
        for index, (key, quantity) in enumerate(items):
            if not isinstance(key, str) or not key or len(key) > 100:
                raise InvalidBreakdownError(f"item {index}: no assignee", field="assignee", item=index)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_GOAL:
                raise InvalidBreakdownError(
                    f"item {index}: quantity must be a whole number in 0..{MAX_GOAL}", field="quantity", item=index
                )
        network = self._network()
        with self.db.write() as s:
            if s.scalars(select(TaskRow.id).where(TaskRow.id == task_id).with_for_update()).first() is None:
                raise TaskNotFoundError(f"no task {task_id!r}")
            snapshot = self._load(s, task_id)
            children = _children(snapshot, network)
            visible = self._visible(caller, snapshot, children)
            scope, _ = self._anchor(caller, snapshot)
            parent_key = parent if parent is not None else scope
            if parent_key not in visible or snapshot.assignments[parent_key].is_user:
                raise AssignmentNotFoundError(f"{task_id}: no visible node {parent_key!r}", field="parent")
            kids = children.get(parent_key, [])
            new: dict[str, int] = {}
            for index, (key, quantity) in enumerate(items):
                if key not in kids or key in new:
                    raise InvalidBreakdownError(
                        f"item {index}: {key!r} is not a child of {parent_key} or comes twice",
                        field="assignee",
                        item=index,
                    )
                new[key] = quantity
            target = snapshot.assignments[parent_key].quantity
            total = sum(new.get(k, snapshot.assignments[k].quantity) for k in kids)
            if total != target:
                raise QuantitySumError(f"{task_id}: children of {parent_key} add up to {total}, not {target}")
            changes: dict[str, int] = {}
            sales = self._sales(snapshot.task, network)
            for key, quantity in new.items():
                if quantity != snapshot.assignments[key].quantity:
                    self._cascade(
                        snapshot=snapshot,
                        children=children,
                        network=network,
                        sales=sales,
                        key=key,
                        quantity=quantity,
                        changes=changes,
                    )
            now = utcnow()
            for key, quantity in changes.items():
                row = s.get(TaskAssignmentRow, snapshot.assignments[key].id)
                assert row is not None
                row.quantity, row.updated_at, row.updated_by = quantity, now, caller.user_id
        log.info(
            "task quantities set id=%s parent=%s changed=%d by=%s", task_id, parent_key, len(changes), caller.user_id
        )
        return self.task(caller=caller, task_id=task_id)

    def _cascade(
        self,
        *,
        snapshot: _Snapshot,
        children: Mapping[str, Sequence[str]],
        network: ChannelNetwork,
        sales: Callable[[ChannelNode], tuple[Fraction, Fraction]],
        key: str,
        quantity: int,
        changes: dict[str, int],
    ) -> None:
        """Record ``key``'s new quantity and rescale its children (and theirs) to add up."""
        changes[key] = quantity
        kids = [snapshot.assignments[k] for k in children.get(key, ())]
        if not kids:
            return
        nodes = [network.find(a.node_id) for a in kids]
        if all(a.is_user for a in kids) or any(n is None for n in nodes):
            fallback = [Fraction(1)] * len(kids)
        else:
            fallback = self._weights([n for n in nodes if n is not None], sales)
        parts = rescale(quantity, [a.quantity for a in kids], fallback)
        for a, part in zip(kids, parts, strict=True):
            if part != a.quantity:
                self._cascade(
                    snapshot=snapshot,
                    children=children,
                    network=network,
                    sales=sales,
                    key=a.key,
                    quantity=part,
                    changes=changes,
                )

    # ----------------------------------------------------------------- progress

    def report_progress(
        self, caller: TaskCaller, task_id: str, amount: int, note: str = "", client_id: str = ""
    ) -> ReportResult:
        """Report ``amount`` (a whole number; negative corrects one's own earlier reports)
        with a note for the caller's own share.  Idempotent by ``client_id`` per reporter:
        the same id with the same report counts once (``duplicate``); with another amount,
        note or share it is refused (``progress_conflict``) and nothing changes."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_REPORT:
            raise InvalidProgressError(f"amount must be a non-zero whole number within ±{MAX_REPORT}", field="amount")
        note = note.strip() if isinstance(note, str) else ""
        if len(note) > MAX_NOTE:
            raise InvalidProgressError(f"note over {MAX_NOTE} characters", field="note")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            raise InvalidProgressError("client_id must be 1..64 letters, digits or . _ : -", field="client_id")
        try:
            report, duplicate = self._record(caller, task_id, amount, note, client_id)
        except IntegrityError:
            # The same client id raced in from another request: what was stored decides.
            report, duplicate = self._record(caller, task_id, amount, note, client_id)
        if not duplicate:
            log.info(
                "task progress id=%s share=%s amount=%d by=%s", task_id, report.assignment_key, amount, caller.user_id
            )
        mine = self.progress_of(caller, task_id)
        return ReportResult(report=report, duplicate=duplicate, mine=mine)

    def _record(
        self, caller: TaskCaller, task_id: str, amount: int, note: str, client_id: str
    ) -> tuple[ProgressReport, bool]:
        with self.db.write() as s:
            if s.scalars(select(TaskRow.id).where(TaskRow.id == task_id).with_for_update()).first() is None:
                raise TaskNotFoundError(f"no task {task_id!r}")
            snapshot = self._load(s, task_id)
            _, own_key = self._anchor(caller, snapshot)
            if own_key is None:
                raise AssignmentNotFoundError(f"{task_id}: {caller.partner_id} has no share of its own")
            share = snapshot.assignments[own_key]
            earlier = s.scalars(
                select(TaskProgressRow).where(
                    TaskProgressRow.task_id == task_id,
                    TaskProgressRow.user_id == caller.user_id,
                    TaskProgressRow.client_id == client_id,
                )
            ).first()
            if earlier is not None:
                same = (earlier.assignment_id, earlier.amount, earlier.note) == (share.id, amount, note)
                if not same:
                    raise ProgressConflictError(f"{task_id}: client id {client_id!r} was used for another report")
                return self._report(earlier, snapshot), True
            if snapshot.own.get(own_key, 0) + amount < 0:
                raise InvalidProgressError(
                    f"{task_id}: {own_key} has {snapshot.own.get(own_key, 0)}; {amount} would go below 0",
                    field="amount",
                )
            row = TaskProgressRow(
                task_id=task_id,
                assignment_id=share.id,
                user_id=caller.user_id,
                client_id=client_id,
                amount=amount,
                note=note,
                reported_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return self._report(row, snapshot), False

    @staticmethod
    def _report(row: TaskProgressRow, snapshot: _Snapshot) -> ProgressReport:
        key = next(a.key for a in snapshot.assignments.values() if a.id == row.assignment_id)
        return ProgressReport(
            id=row.id,
            task_id=row.task_id,
            assignment_key=key,
            user_id=row.user_id,
            client_id=row.client_id,
            amount=row.amount,
            note=row.note,
            reported_at=row.reported_at,
        )

    def reports(
        self, caller: TaskCaller, task_id: str, node_id: str | None = None, limit: int = 20
    ) -> tuple[ProgressReport, ...]:
        """The latest reports on one share the caller may see (default: its own), newest first."""
        node = self.progress_of(caller, task_id, node_id)
        limit = max(1, min(limit, 200))
        with self.db.read() as s:
            snapshot = self._load(s, task_id)
            share = snapshot.assignments[node.key]
            rows = s.scalars(
                select(TaskProgressRow)
                .where(TaskProgressRow.assignment_id == share.id)
                .order_by(TaskProgressRow.reported_at.desc(), TaskProgressRow.id.desc())
                .limit(limit)
            )
            return tuple(self._report(r, snapshot) for r in rows)


def visible_keys(view: TaskView) -> frozenset[str]:
    """Every key a view shows (for tests and callers that check what reached a user)."""
    return frozenset(n.key for n in view.scope.walk())


def with_today(service: TaskService, today: date) -> TaskService:
    """The same service on another day (what-if views of flags)."""
    return TaskService(db=service.db, rebates=service.rebates, rules=service.rules, today=lambda: today)


__all__ = [
    "TaskCaller",
    "TaskService",
    "pace_file",
    "product_line_of",
    "visible_keys",
    "with_today",
]


def task_shares(service: TaskService, network_root: str) -> tuple[TaskRecord, ...]:
    """Every share of every task below ``network_root`` (a channel node's, not a
    salesperson's: those roll up into their partner), with its rolled-up progress, as the
    risk-alert engine's overdue rule reads them."""
    viewer = _System(partner_id=network_root)
    return tuple(
        TaskRecord(
            task_id=view.task.id,
            assignee_id=node.node_id,
            due=view.task.due,
            target=node.quantity,
            progress=node.progress,
        )
        for view in service.tasks_for(viewer)
        for node in view.scope.walk()
        if node.level != "sales"
    )


@dataclass(frozen=True, slots=True)
class _System:
    """The alert engine reading every task of the tree, as the tree's admin would."""

    partner_id: str
    user_id: str = "system:alerts"
    role: str = "admin"
