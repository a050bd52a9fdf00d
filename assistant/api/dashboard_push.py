"""Live updates of the operations dashboard: which panels to fetch again, pushed over the hub
keys the alerts use (``ops:<node id>``, :func:`assistant.api.alert_push.channel`), so the
dashboard's one socket (``/ws/alerts``) carries both.

The event (:class:`DashboardEvent`), sent to the node the change belongs to and every
ancestor (the nodes whose dashboards show it)::

    {"type": "dashboard", "changed": ["sales", "profile"], "quarters": ["2026Q4"]}

* orders or returns recorded (the rebate service's ``on_orders`` hook): ``sales`` and
  ``profile`` (the capability radar reads the ledger), for each order's partner, with the
  quarters of the orders' dates;
* task progress reported, a task created or its quantities edited: ``tasks``, for the node
  of each changed share (a salesperson's: their partner).  Tasks have no hook of their own
  (the service is built per request), so this watches the database session: rows of
  ``task_progress`` / ``task_assignments`` / ``tasks`` written by a committed transaction of
  this instance's database (REST, chat, scripts alike);
* rows of ``ops_inventory_reports`` or ``ops_feedback`` written the same way: ``inventory`` /
  ``feedback`` for their partners.

Alert changes travel as ``alert`` events (:mod:`assistant.api.alert_push`); the page updates
its alert list and counts from those.  Nothing is stored for the push: a dashboard that was
closed reads everything again when it opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, Literal

import anyio.from_thread
from anyio import NoEventLoopError
from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from assistant.api.alert_push import AlertPush, channel
from assistant.ops.tables import FeedbackRow, InventoryReportRow
from assistant.rebates.ledger import Order
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService
from assistant.storage.db import Database
from assistant.tasks.tables import TaskAssignmentRow, TaskProgressRow, TaskRow

log = logging.getLogger(__name__)

PanelName = Literal["sales", "inventory", "feedback", "tasks", "alerts", "profile"]
_PENDING = "dashboard_push"  # key of Session.info: what a transaction changed, until it commits


class DashboardEvent(BaseModel):
    type: Literal["dashboard"] = "dashboard"
    changed: list[PanelName]
    quarters: list[str]  # the quarters the change touches; [] when not known (fetch again anyway)


class _Pending:
    """What one transaction wrote that dashboards show."""

    def __init__(self) -> None:
        self.partners: dict[str, set[str]] = {}  # panel -> node ids
        self.assignment_ids: set[int] = set()  # task shares whose progress changed (nodes looked up)

    def add(self, panel: str, node_id: str | None) -> None:
        if node_id:
            self.partners.setdefault(panel, set()).add(node_id)


class DashboardPush:
    """Publishes :class:`DashboardEvent` on the hub for the nodes that see a change."""

    def __init__(self, push: AlertPush, *, rebates: RebateService) -> None:
        self.push = push  # its hub, and the server's loop once a dashboard socket joined
        self.rebates = rebates
        self.published = 0
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's loop, once seen
        self._tasks: set[asyncio.Task[int]] = set()

    def audience(self, node_ids: Iterable[str]) -> set[str]:
        """The nodes and every ancestor of theirs (unknown nodes reach nobody)."""
        if not self.rebates.available:
            return set()
        network = self.rebates.state.network
        nodes: set[str] = set()
        for node_id in node_ids:
            if network.find(node_id) is None:
                continue
            nodes.add(node_id)
            nodes.update(a.id for a in network.ancestors(node_id))
        return nodes

    async def publish(self, changes: dict[str, set[str]], quarters: Iterable[str] = ()) -> int:
        """One event per node: the panels that changed for it (``changes``: panel -> node ids)."""
        by_node: dict[str, set[str]] = {}
        for panel, node_ids in changes.items():
            for node_id in self.audience(node_ids):
                by_node.setdefault(node_id, set()).add(panel)
        delivered = 0
        labels = sorted(set(quarters))
        for node_id, panels in sorted(by_node.items()):
            body = DashboardEvent(changed=sorted(panels), quarters=labels)  # type: ignore[arg-type]
            delivered += await self.push.hub.publish(channel(node_id), body.model_dump(mode="json"))
            self.published += 1
        return delivered

    def publish_from_thread(self, changes: dict[str, set[str]], quarters: Iterable[str] = ()) -> None:
        """Hand the publication to the server's event loop and return at once (a write, whose
        commit this may follow, never waits on sockets or Redis).  From a thread the server
        did not start, the loop a dashboard socket joined on; with none, dropped (nobody on
        this instance to tell)."""
        if not any(changes.values()):
            return
        coro = self.publish(changes, tuple(quarters))
        try:
            running = asyncio.get_running_loop()  # on the loop's own thread (sync code inside async code)
        except RuntimeError:
            running = None
        if running is not None:
            task = running.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        loop = self._server_loop()
        if loop is None:
            coro.close()
            log.debug("dashboard: change not pushed: no event loop to push from")
            return
        asyncio.run_coroutine_threadsafe(coro, loop)

    def _server_loop(self) -> asyncio.AbstractEventLoop | None:
        with contextlib.suppress(NoEventLoopError, RuntimeError):  # a worker thread of the server: its loop
            self.loop = anyio.from_thread.run_sync(asyncio.get_running_loop)
        for loop in (self.loop, self.push.loop):
            if loop is not None and not loop.is_closed():
                return loop
        return None

    # ----------------------------------------------------------------- sources

    def orders_landed(self, orders: tuple[Order, ...]) -> None:
        partners = {o.partner_id for o in orders}
        quarters = {str(Quarter.of(o.date)) for o in orders}
        self.publish_from_thread({"sales": partners, "profile": set(partners)}, quarters)

    def committed(self, db: Database, pending: _Pending) -> None:
        changes = {panel: set(ids) for panel, ids in pending.partners.items()}
        if pending.assignment_ids:
            try:
                with db.read() as s:
                    nodes = s.scalars(
                        select(TaskAssignmentRow.node_id).where(
                            TaskAssignmentRow.id.in_(sorted(pending.assignment_ids))
                        )
                    )
                    changes.setdefault("tasks", set()).update(nodes)
            except SQLAlchemyError:
                log.exception("dashboard: task shares of a progress report not read; not pushed")
        self.publish_from_thread(changes)


def _collect(session: Session) -> _Pending | None:
    """What this flush wrote that dashboards show (kept in the session until commit)."""
    pending: _Pending | None = session.info.get(_PENDING)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, TaskProgressRow):
            pending = pending or _Pending()
            pending.assignment_ids.add(obj.assignment_id)
        elif isinstance(obj, TaskAssignmentRow):
            pending = pending or _Pending()
            pending.add("tasks", obj.node_id)
        elif isinstance(obj, TaskRow):
            pending = pending or _Pending()
            pending.add("tasks", obj.root_node_id)
        elif isinstance(obj, InventoryReportRow):
            pending = pending or _Pending()
            pending.add("inventory", obj.partner_id)
        elif isinstance(obj, FeedbackRow):
            pending = pending or _Pending()
            pending.add("feedback", obj.partner_id)
    return pending


def watch_dashboards(*, db: Database, rebates: RebateService, push: AlertPush) -> DashboardPush:
    """Push dashboard updates for orders recorded by ``rebates`` and for task, inventory and
    feedback rows committed through ``db``'s write sessions."""
    dashboards = DashboardPush(push, rebates=rebates)
    rebates.on_orders(_guarded(dashboards.orders_landed))

    # Listen on this database's write sessions only, not every session of the process.
    factory = db.write_sessions

    def after_flush(session: Session, _context: Any) -> None:
        pending = _collect(session)
        if pending is not None:
            session.info[_PENDING] = pending

    def after_commit(session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        if isinstance(pending, _Pending):
            _guarded(lambda p: dashboards.committed(db, p))(pending)

    def after_rollback(session: Session) -> None:
        session.info.pop(_PENDING, None)

    event.listen(factory, "after_flush", after_flush)
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_soft_rollback", lambda session, _previous: after_rollback(session))
    return dashboards


def _guarded(action: Callable[[Any], None]) -> Callable[[Any], None]:
    """The action, its failures logged: what was recorded stays recorded whatever happens here."""

    def run(value: Any) -> None:
        try:
            action(value)
        except Exception:  # a push never fails the write it follows
            log.exception("dashboard: live update not pushed")

    return run
