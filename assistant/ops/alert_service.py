"""The risk-alert service (风险预警, issue 14 part 3): the rule engine's findings kept in
``ops_alerts``, updated when orders land, read and acted on by managers of the channel tree.

Domain code: no HTTP.  The engine (:mod:`assistant.ops.alerts`) decides what fires; this
service decides what is stored and who may see or change it.

* :meth:`AlertService.start` evaluates every rule over the current state (the rebate
  service's ledger, policy and channel tree; inventory and feedback from the ops tables)
  and reconciles ``ops_alerts`` with the result.
* :meth:`AlertService.on_orders` re-evaluates only what the orders can change
  (:meth:`Scope.for_order`) and reconciles the same way; the result equals a full
  evaluation (tested).  It returns what changed, for the live push.
* Reconciling: an alert fired for the first time is inserted ``open``; one whose severity,
  evidence or thresholds version changed is updated; one that no longer fires is kept
  (status, who/when, its last evidence) and marked ``cleared_at``; an alert that fires
  again after clearing loses the mark.  Status is never changed by a recomputation: people
  change it (:meth:`acknowledge`, :meth:`resolve`).
* Access (the rebate rule, :meth:`ChannelNetwork.readable`): a manager or admin sees the
  alerts of its node and every node below it.  An alert id outside that subtree is
  answered exactly like an id that does not exist (:class:`AlertNotFoundError`).  Other
  roles (sales, experts, content admins) are refused (:class:`AlertForbiddenError`).

The database is the only state: several instances share it, and the instance that
records an order updates the alerts (the rebate snapshot it computes from is the one the
order was just added to).  Computations of one instance run one at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import reduce

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.ops import alert_store
from assistant.ops.alerts import (
    AlertError,
    AlertInputs,
    AlertRules,
    Evaluation,
    FeedbackIndex,
    FeedbackRecord,
    InventoryIndex,
    Scope,
    TaskRecord,
    evaluate,
)
from assistant.ops.tables import AlertRow, AlertStatus
from assistant.rebates.ledger import Order
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level
from assistant.rebates.service import Actor as Viewer
from assistant.rebates.service import RebateService
from assistant.rebates.store import RebateState
from assistant.storage.db import Database
from assistant.storage.models import utcnow

log = logging.getLogger(__name__)

ALERT_ROLES = frozenset({"manager", "admin"})
MAX_NOTE = 1000  # characters of a resolution note
MAX_LIST = 1000  # alerts per list
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}

# --------------------------------------------------------------------------- errors

# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.


class AlertServiceError(AlertError):
    """Base class of the alert service's refusals."""

    code = "alert_service_error"


class AlertNotFoundError(AlertServiceError):
    """No alert with that id among those the viewer may see."""

    code = "alert_not_found"


class AlertForbiddenError(AlertServiceError):
    """The viewer's role does not work with alerts (managers and admins do)."""

    code = "forbidden"


class AlertTransitionError(AlertServiceError):
    """The alert's status does not allow the change (acknowledge: open only; resolve: not resolved)."""

    code = "alert_invalid_transition"


class AlertNoteRequiredError(AlertServiceError):
    code = "alert_note_required"


class AlertNoteTooLongError(AlertServiceError):
    code = "alert_note_too_long"


# --------------------------------------------------------------------------- values


class ChangeKind(StrEnum):
    CREATED = "created"  # fired for the first time
    UPDATED = "updated"  # severity, evidence or thresholds version changed, or fired again after clearing
    CLEARED = "cleared"  # stopped firing (kept, marked cleared_at)
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One row of ``ops_alerts`` as the service hands it out (evidence as JSON values)."""

    id: int
    rule: str
    partner_id: str
    period: str
    subject: str
    severity: str
    evidence: Mapping[str, object]
    status: AlertStatus
    rules_version: str
    created_at: datetime
    updated_at: datetime
    cleared_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None

    @property
    def firing(self) -> bool:
        return self.cleared_at is None

    @classmethod
    def of(cls, row: AlertRow) -> StoredAlert:
        return cls(
            id=row.id,
            rule=row.rule,
            partner_id=row.partner_id,
            period=row.period,
            subject=row.subject,
            severity=row.severity,
            evidence=dict(row.evidence),
            status=AlertStatus(row.status),
            rules_version=row.rules_version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            cleared_at=row.cleared_at,
            acknowledged_by=row.acknowledged_by,
            acknowledged_at=row.acknowledged_at,
            resolved_by=row.resolved_by,
            resolved_at=row.resolved_at,
            resolution_note=row.resolution_note,
        )


@dataclass(frozen=True, slots=True)
class AlertChange:
    kind: ChangeKind
    alert: StoredAlert


def sort_for_list(alerts: Iterable[StoredAlert]) -> list[StoredAlert]:
    """Firing before cleared, unresolved before resolved, high before low, then the newest
    period first (a quarter before the weeks in it), then by rule, partner and subject."""
    ordered = sorted(alerts, key=lambda a: (a.rule, a.partner_id, a.subject))
    ordered.sort(key=lambda a: (str(alert_store.period_quarter(a.period)), a.period), reverse=True)
    ordered.sort(
        key=lambda a: (
            0 if a.firing else 1,
            1 if a.status is AlertStatus.RESOLVED else 0,
            SEVERITY_RANK.get(a.severity, len(SEVERITY_RANK)),
        )
    )
    return ordered


def leaf_regions(network: ChannelNetwork) -> dict[str, str]:
    """Every active leaf partner and its region: the partners the rules evaluate (as
    :func:`assistant.ops.alert_inputs.load_alert_inputs` does for the corpus)."""
    return {
        partner.id: partner.region
        for root in network.roots()
        for partner in network.partners_under(root.id)
        if partner.level is Level.PARTNER
    }


# --------------------------------------------------------------------------- the service


class AlertService:
    def __init__(
        self,
        *,
        db: Database,
        rebates: RebateService,
        rules: AlertRules,
        clock: Callable[[], datetime] = utcnow,
        tasks: Callable[[], tuple[TaskRecord, ...]] = tuple,
    ) -> None:
        """``tasks``: every share of every task with its rolled-up progress, for the overdue
        rule (read when the rules run; the tasks package provides it, see alert_push)."""
        self.db = db
        self.rebates = rebates
        self.rules = rules
        self._clock = clock
        self._tasks = tasks
        self._lock = threading.Lock()  # one computation at a time on this instance

    # ----------------------------------------------------------------- computing

    def start(self) -> tuple[AlertChange, ...]:
        """Evaluate every rule over the current state and reconcile the table with it."""
        with self._lock:
            state = self.rebates.state
            evaluation = evaluate(self._inputs(state, None), self.rules)
            changes = self._reconcile(evaluation)
        log.info(
            "alerts computed: %d firing, %d changed (rules %s)",
            len(evaluation.alerts),
            len(changes),
            self.rules.version,
        )
        return changes

    def on_orders(self, orders: Iterable[Order]) -> tuple[AlertChange, ...]:
        """Orders (or returns) were recorded: re-evaluate what they can change; the changes."""
        scopes = [Scope.for_order(o) for o in orders]
        if not scopes:
            return ()
        return self.recompute(reduce(lambda a, b: a | b, scopes))

    def recompute(self, scope: Scope) -> tuple[AlertChange, ...]:
        """Re-evaluate the alerts ``scope`` can change (its partners and quarters) and reconcile."""
        with self._lock:
            state = self.rebates.state  # the newest snapshot: it holds the change being reported
            evaluation = evaluate(self._inputs(state, scope), self.rules, scope)
            return self._reconcile(evaluation)

    def _inputs(self, state: RebateState, scope: Scope | None) -> AlertInputs:
        """The engine's inputs; for a scope, only the inventory and feedback it can reach:
        the inventory of its partners (overstock reads every week of a partner), the
        feedback of their regions' partners in its quarters (complaint_rate compares a
        region in a quarter) and their own feedback from two quarters before its first
        quarter to two after its last (satisfaction_falling reads q-2..q for each quarter
        q..q+2 a change reaches)."""
        regions = leaf_regions(state.network)
        with self.db.read() as s:
            if scope is None:
                inventory = alert_store.read_inventory(s)
                feedback = alert_store.read_feedback(s)
            else:
                partners = scope.partner_ids & regions.keys()
                touched = {regions[p] for p in partners}
                members = {p for p, region in regions.items() if region in touched}
                inventory = alert_store.read_inventory(s, partners) if partners else ()
                found: dict[str, FeedbackRecord] = {}
                if partners and scope.quarters:
                    first = min(scope.quarters).previous().previous()
                    last = max(scope.quarters).next().next()
                    for record in alert_store.read_feedback(s, partners, start=first.start, end=last.end):
                        found[record.feedback_id] = record
                    for quarter in sorted(scope.quarters):
                        for record in alert_store.read_feedback(
                            s, members - partners, start=quarter.start, end=quarter.end
                        ):
                            found[record.feedback_id] = record
                feedback = tuple(found.values())
        return AlertInputs(
            ledger=state.ledger,
            policy=state.policy,
            regions=regions,
            quarters=state.policy.quarters,
            inventory=InventoryIndex.build(inventory),
            feedback=FeedbackIndex.build(feedback),
            tasks=self._tasks(),
            as_of=self.rebates.today(),
        )

    def _reconcile(self, evaluation: Evaluation) -> tuple[AlertChange, ...]:
        try:
            return self._reconcile_once(evaluation)
        except IntegrityError:
            # Another instance inserted one of these alerts meanwhile: read again and update it.
            log.info("alerts: another instance wrote the same alert; reconciling again")
            return self._reconcile_once(evaluation)

    def _reconcile_once(self, evaluation: Evaluation) -> tuple[AlertChange, ...]:
        now = self._clock()
        fired = {a.key: a for a in evaluation.alerts}
        units = evaluation.units
        partners = None if units is None else {partner for _, partner, _ in units}
        changed: list[tuple[ChangeKind, AlertRow]] = []
        with self.db.write() as s:
            covered: dict[alert_store.AlertKey, AlertRow] = {}
            for row in alert_store.rows_of_partners(s, partners):
                unit = alert_store.row_unit(row)
                if units is None or (unit is not None and ((unit[0], unit[1], None) in units or unit in units)):
                    covered[alert_store.row_key(row)] = row
            for key, alert in fired.items():
                computed = alert_store.Computed.of(alert)
                existing = covered.get(key)
                if existing is None:
                    created = alert_store.new_row(alert, now=now, status=AlertStatus.OPEN.value)
                    s.add(created)
                    changed.append((ChangeKind.CREATED, created))
                elif existing.cleared_at is not None or not computed.matches(existing):
                    existing.severity = computed.severity
                    existing.evidence = computed.evidence
                    existing.rules_version = computed.rules_version
                    existing.cleared_at = None
                    existing.updated_at = now
                    changed.append((ChangeKind.UPDATED, existing))
            for key, row in covered.items():
                if key not in fired and row.cleared_at is None:
                    row.cleared_at = now
                    row.updated_at = now
                    changed.append((ChangeKind.CLEARED, row))
            s.flush()  # ids of the new rows
            changes = tuple(AlertChange(kind, StoredAlert.of(row)) for kind, row in changed)
        if changes:
            log.info(
                "alerts changed: %s",
                ", ".join(f"{c.kind}:{c.alert.rule}/{c.alert.partner_id}/{c.alert.period}" for c in changes[:20]),
            )
        return changes

    # ----------------------------------------------------------------- reading

    def viewer_node(self, viewer: Viewer) -> ChannelNode:
        """The viewer's node, if the viewer works with alerts: :class:`AlertForbiddenError`
        for other roles, ``PartnerNotFoundError`` for an unknown or deactivated node."""
        if viewer.role not in ALERT_ROLES:
            raise AlertForbiddenError(f"role {viewer.role!r} does not work with alerts")
        return self.rebates.viewer_node(viewer)

    def _readable(self, viewer: Viewer) -> tuple[str, ...]:
        """The node ids whose alerts the viewer sees: its own and every one below it."""
        return self.rebates.state.network.readable(self.viewer_node(viewer).id)

    def alerts_for(
        self,
        viewer: Viewer,
        status: AlertStatus | None = None,
        *,
        include_cleared: bool = False,
        limit: int = MAX_LIST,
    ) -> tuple[StoredAlert, ...]:
        """The alerts of the viewer's node and its descendants (``status``: only those;
        ``include_cleared``: also the ones that stopped firing), firing and unresolved first,
        then by severity and newest period."""
        readable = self._readable(viewer)
        found: list[StoredAlert] = []
        with self.db.read() as s:
            for chunk in alert_store.chunks(readable):
                query = select(AlertRow).where(AlertRow.partner_id.in_(chunk))
                if status is not None:
                    query = query.where(AlertRow.status == status.value)
                if not include_cleared:
                    query = query.where(AlertRow.cleared_at.is_(None))
                found.extend(StoredAlert.of(row) for row in s.scalars(query))
        return tuple(sort_for_list(found)[: max(1, min(limit, MAX_LIST))])

    def alert(self, viewer: Viewer, alert_id: int) -> StoredAlert:
        """One alert of the viewer's subtree (:class:`AlertNotFoundError` otherwise)."""
        readable = set(self._readable(viewer))
        with self.db.read() as s:
            row = s.get(AlertRow, alert_id)
            if row is None or row.partner_id not in readable:
                raise AlertNotFoundError(f"no visible alert {alert_id}")
            return StoredAlert.of(row)

    def audience(self, alert: StoredAlert) -> tuple[str, ...]:
        """The nodes whose managers see ``alert``: its partner and every ancestor (an alert
        of a node no longer in the tree reaches nobody)."""
        network = self.rebates.state.network
        if network.find(alert.partner_id) is None:
            return ()
        return (alert.partner_id, *(a.id for a in network.ancestors(alert.partner_id)))

    # ----------------------------------------------------------------- acting

    def acknowledge(self, viewer: Viewer, alert_id: int) -> AlertChange:
        """open -> acknowledged, with who and when (anything else: :class:`AlertTransitionError`)."""
        return self._act(viewer, alert_id, ChangeKind.ACKNOWLEDGED, None)

    def resolve(self, viewer: Viewer, alert_id: int, note: str) -> AlertChange:
        """open or acknowledged -> resolved, with who, when and a note (1..MAX_NOTE characters
        once trimmed).  A cleared alert may be resolved too: it is kept until someone does."""
        text = note.strip() if isinstance(note, str) else ""
        if not text:
            raise AlertNoteRequiredError("a resolution note is required")
        if len(text) > MAX_NOTE:
            raise AlertNoteTooLongError(f"the note has {len(text)} characters, at most {MAX_NOTE}")
        return self._act(viewer, alert_id, ChangeKind.RESOLVED, text)

    def _act(self, viewer: Viewer, alert_id: int, kind: ChangeKind, note: str | None) -> AlertChange:
        readable = set(self._readable(viewer))
        now = self._clock()
        with self.db.write() as s:
            row = s.get(AlertRow, alert_id)
            if row is None or row.partner_id not in readable:
                raise AlertNotFoundError(f"no visible alert {alert_id}")
            status = AlertStatus(row.status)
            if kind is ChangeKind.ACKNOWLEDGED:
                if status is not AlertStatus.OPEN:
                    raise AlertTransitionError(f"alert {alert_id} is {status}, not open")
                row.status = AlertStatus.ACKNOWLEDGED.value
                row.acknowledged_by, row.acknowledged_at = viewer.user_id, now
            else:
                if status is AlertStatus.RESOLVED:
                    raise AlertTransitionError(f"alert {alert_id} is already resolved")
                row.status = AlertStatus.RESOLVED.value
                row.resolved_by, row.resolved_at, row.resolution_note = viewer.user_id, now, note
            row.updated_at = now
            s.flush()
            change = AlertChange(kind, StoredAlert.of(row))
        log.info("alert %s %s by=%s", alert_id, kind, viewer.user_id)
        return change
