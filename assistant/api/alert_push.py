"""Risk alerts pushed live to the managers' dashboards, over the hub that carries chat events.

An alert that is created or changes (new evidence, cleared, acknowledged, resolved) is
published once per node that may see it: its partner and every ancestor, on the hub keys
``ops:<node id>`` (:func:`channel`).  A dashboard socket (``/ws/alerts``,
:mod:`assistant.api.routes_alerts`) joins the key of its viewer's own node, so it receives
exactly the alerts of its subtree.  Through :class:`~assistant.api.hub.RedisConversationHub`
(several instances) the keys are Redis channels (``<prefix>:conversation:ops:<node id>``;
conversation ids are UUIDs, so they never meet these), and an alert computed on one
instance reaches the dashboards open on any other.  Nothing is stored for the push: a
dashboard that was closed reads the list again (``GET /api/alerts``) when it opens.

The event (:class:`AlertEvent`)::

    {"type": "alert", "change": "created" | "updated" | "cleared" | "acknowledged" | "resolved",
     "alert": {<the alert as GET /api/alerts lists it>}}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import anyio.from_thread
from anyio import NoEventLoopError
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from assistant.api.hub import Hub
from assistant.errors import AssistantError
from assistant.ops.alert_service import AlertChange, AlertService, StoredAlert
from assistant.ops.alerts import DEFAULT_RULES_FILE, TaskRecord, load_rules
from assistant.rebates.ledger import Order
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from assistant.tasks.model import load_pace_rules
from assistant.tasks.service import TaskService, pace_file, task_shares

log = logging.getLogger(__name__)

PREFIX = "ops:"


def channel(node_id: str) -> str:
    """The hub key of one node's dashboards."""
    return PREFIX + node_id


# --------------------------------------------------------------------------- payloads


class FigureOut(BaseModel):
    name: str
    value: str  # decimal string ("0.2500", "Infinity")
    unit: str
    threshold: str | None


class EvidenceOut(BaseModel):
    figures: list[FigureOut]
    order_ids: list[str]
    weeks: list[str]
    feedback_ids: list[str]
    task_ids: list[str]
    product_id: str | None
    region: str | None


class AlertOut(BaseModel):
    id: int
    rule: str
    partner_id: str
    partner_name: str | None  # None when the node has left the tree since
    period: str  # 2026Q3, or the Monday of an overstock run's first week
    subject: str  # the product of an overstock run, the task of an overdue task; "" otherwise
    severity: Literal["low", "medium", "high"]
    status: Literal["open", "acknowledged", "resolved"]
    firing: bool  # False: the rule no longer fires (kept, see cleared_at)
    evidence: EvidenceOut
    rules_version: str
    created_at: datetime  # UTC
    updated_at: datetime
    cleared_at: datetime | None
    acknowledged_by: str | None  # a user id
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None


class AlertEvent(BaseModel):
    type: Literal["alert"] = "alert"
    change: Literal["created", "updated", "cleared", "acknowledged", "resolved"]
    alert: AlertOut


def _evidence(raw: Any) -> EvidenceOut:
    data = raw if isinstance(raw, dict) else {}
    return EvidenceOut(
        figures=[FigureOut.model_validate(f) for f in data.get("figures", []) if isinstance(f, dict)],
        order_ids=[str(x) for x in data.get("order_ids", [])],
        weeks=[str(x) for x in data.get("weeks", [])],
        feedback_ids=[str(x) for x in data.get("feedback_ids", [])],
        task_ids=[str(x) for x in data.get("task_ids", [])],
        product_id=data.get("product_id"),
        region=data.get("region"),
    )


def alert_out(alert: StoredAlert, partner_name: str | None) -> AlertOut:
    return AlertOut(
        id=alert.id,
        rule=alert.rule,
        partner_id=alert.partner_id,
        partner_name=partner_name,
        period=alert.period,
        subject=alert.subject,
        severity=alert.severity,  # type: ignore[arg-type]  # the engine's Severity values
        status=alert.status.value,
        firing=alert.firing,
        evidence=_evidence(alert.evidence),
        rules_version=alert.rules_version,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        cleared_at=alert.cleared_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        resolved_by=alert.resolved_by,
        resolved_at=alert.resolved_at,
        resolution_note=alert.resolution_note,
    )


# --------------------------------------------------------------------------- the push


class AlertPush:
    """Publishes alert changes on the hub.  ``audience``: the nodes that see an alert (its
    partner and ancestors); ``name``: a node's name for the payload (None if unknown)."""

    def __init__(
        self,
        hub: Hub,
        *,
        audience: Callable[[StoredAlert], Sequence[str]],
        name: Callable[[str], str | None],
    ) -> None:
        self.hub = hub
        self._audience = audience
        self._name = name
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's loop, once a socket has joined
        self.published = 0  # events published (one per alert change and node)

    def event(self, change: AlertChange) -> dict[str, Any]:
        alert = change.alert
        body = AlertEvent(change=change.kind.value, alert=alert_out(alert, self._name(alert.partner_id)))
        return body.model_dump(mode="json")

    async def publish(self, changes: Iterable[AlertChange]) -> int:
        """Publish each change to every node that sees it; how many deliveries the hub reported."""
        delivered = 0
        for change in changes:
            event = self.event(change)
            for node_id in self._audience(change.alert):
                delivered += await self.hub.publish(channel(node_id), event)
                self.published += 1
        return delivered

    def publish_from_thread(self, changes: Sequence[AlertChange]) -> None:
        """Publish from a worker thread of the server (a sync route): on the server's event
        loop, returning once sent.  From a thread the server did not start (a script, a test
        recording orders directly) it is handed to the loop a dashboard socket joined on,
        or dropped when there is none (nobody on this instance to tell)."""
        if not changes:
            return
        try:
            anyio.from_thread.run(self.publish, changes)
            return
        except NoEventLoopError:
            pass
        loop = self.loop
        if loop is None or loop.is_closed():
            log.debug("alerts: %d change(s) not pushed: no event loop to push from", len(changes))
            return
        asyncio.run_coroutine_threadsafe(self.publish(changes), loop)


# --------------------------------------------------------------------------- wiring


def start_alerts(
    *, db: Database, rebates: RebateService, hub: Hub, ops_dir: Path
) -> tuple[AlertService, AlertPush] | None:
    """The alert service over ``rebates`` with the thresholds of ``ops_dir/alert_rules.yaml``
    (the shipped file when that one is missing): every alert computed now, then again for
    what each batch of recorded orders can change, and the changes pushed.  None, logged,
    without rebate data or with a broken thresholds file (chat, search and rebates serve on)."""
    if not rebates.available:
        return None
    rules_file = ops_dir / "alert_rules.yaml"
    pace = pace_file(ops_dir.parent, PROJECT_ROOT / "corpus")

    def tasks() -> tuple[TaskRecord, ...]:
        roots = rebates.state.network.roots()
        if not roots:
            return ()
        service = TaskService(db=db, rebates=rebates, rules=load_pace_rules(pace))
        return tuple(r for root in roots for r in task_shares(service, root.id))

    try:
        service = AlertService(
            db=db,
            rebates=rebates,
            rules=load_rules(rules_file if rules_file.exists() else DEFAULT_RULES_FILE),
            tasks=tasks,
        )
        service.start()
    except (AssistantError, SQLAlchemyError) as exc:
        log.error("risk alerts not started: %s", exc)
        return None
    push = AlertPush(hub, audience=service.audience, name=lambda node_id: _node_name(rebates, node_id))

    def after_orders(orders: tuple[Order, ...]) -> None:
        try:
            changes = service.on_orders(orders)
        except Exception:  # the orders are recorded whatever fails here; the next start recomputes
            log.exception("alerts: recomputing after %d order(s) failed", len(orders))
            return
        push.publish_from_thread(changes)

    rebates.on_orders(after_orders)
    from assistant.api.dashboard_push import watch_dashboards  # it imports this module

    watch_dashboards(db=db, rebates=rebates, push=push)  # the dashboard's other live updates, same keys
    return service, push


def _node_name(rebates: RebateService, node_id: str) -> str | None:
    node = rebates.state.network.find(node_id)
    return None if node is None else node.name
