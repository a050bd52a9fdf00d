"""What the alert service reads and writes in the ops tables (:mod:`assistant.ops.tables`).

* The engine's inventory and feedback inputs, from ``ops_inventory_reports`` and
  ``ops_feedback`` (the same records :mod:`assistant.ops.alert_inputs` reads from the corpus
  files), optionally only of some partners and dates, so an incremental evaluation reads
  what its scope can reach and no more.
* The translation between an engine :class:`~assistant.ops.alerts.Alert` and an
  ``ops_alerts`` row: the key ``(rule, partner_id, period, subject)`` and the computed
  columns (severity, evidence as JSON, rules version).  Decimals travel as strings
  (``"0.2500"``, ``"Infinity"``), never floats.

Rows only: the decisions (what changed, who may see it) are the service's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.ops.alerts import (
    Alert,
    Evidence,
    FeedbackKind,
    FeedbackRecord,
    InventoryWeek,
    RuleId,
)
from assistant.ops.tables import AlertRow, FeedbackRow, InventoryReportRow
from assistant.rebates.errors import InvalidQuarterError
from assistant.rebates.quarter import Quarter

AlertKey = tuple[str, str, str, str]  # rule, partner_id, period label, subject
IN_CHUNK = 500  # ids per IN (...) list: well under every database's parameter limit


def chunks(values: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


# --------------------------------------------------------------------------- engine inputs


_INVENTORY_COLUMNS = (
    InventoryReportRow.week,
    InventoryReportRow.partner_id,
    InventoryReportRow.product_id,
    InventoryReportRow.sell_in_units,
    InventoryReportRow.sell_through_units,
    InventoryReportRow.stock_units,
)
_FEEDBACK_COLUMNS = (
    FeedbackRow.id,
    FeedbackRow.date,
    FeedbackRow.partner_id,
    FeedbackRow.customer_id,
    FeedbackRow.product_id,
    FeedbackRow.kind,
    FeedbackRow.score,
    FeedbackRow.category,
    FeedbackRow.status,
)


def read_inventory(s: Session, partner_ids: Collection[str] | None = None) -> tuple[InventoryWeek, ...]:
    """Weekly inventory reports (of ``partner_ids`` only, when given).  Plain rows, not ORM
    objects: an incremental evaluation reads a few hundred and must stay in milliseconds."""
    query = select(*_INVENTORY_COLUMNS)
    queries = (
        [query]
        if partner_ids is None
        else [query.where(InventoryReportRow.partner_id.in_(c)) for c in chunks(partner_ids)]
    )
    return tuple(
        InventoryWeek(
            week=week,
            partner_id=partner,
            product_id=product,
            sell_in_units=sell_in,
            sell_through_units=sell_through,
            stock_units=stock,
        )
        for q in queries
        for week, partner, product, sell_in, sell_through, stock in s.execute(q)
    )


def read_feedback(
    s: Session,
    partner_ids: Collection[str] | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
) -> tuple[FeedbackRecord, ...]:
    """End-customer feedback (of ``partner_ids``, dated ``start``..``end`` inclusive, when given)."""
    query = select(*_FEEDBACK_COLUMNS)
    if start is not None:
        query = query.where(FeedbackRow.date >= start)
    if end is not None:
        query = query.where(FeedbackRow.date <= end)
    queries = (
        [query] if partner_ids is None else [query.where(FeedbackRow.partner_id.in_(c)) for c in chunks(partner_ids)]
    )
    return tuple(
        FeedbackRecord(
            feedback_id=feedback_id,
            date=day,
            partner_id=partner,
            customer_id=customer,
            product_id=product,
            kind=FeedbackKind(kind),
            score=score,
            category=category,
            status=status,
        )
        for q in queries
        for feedback_id, day, partner, customer, product, kind, score, category, status in s.execute(q)
    )


# --------------------------------------------------------------------------- alert rows


def evidence_json(evidence: Evidence) -> dict[str, object]:
    """The evidence as JSON values (decimals and dates as strings)."""
    return {
        "figures": [
            {
                "name": f.name,
                "value": str(f.value),
                "unit": f.unit,
                "threshold": None if f.threshold is None else str(f.threshold),
            }
            for f in evidence.figures
        ],
        "order_ids": list(evidence.order_ids),
        "weeks": [w.isoformat() for w in evidence.weeks],
        "feedback_ids": list(evidence.feedback_ids),
        "task_ids": list(evidence.task_ids),
        "product_id": evidence.product_id,
        "region": evidence.region,
    }


@dataclass(frozen=True, slots=True)
class Computed:
    """The columns of a row the engine decides (everything but status and its who/when)."""

    severity: str
    evidence: dict[str, object]
    rules_version: str

    @classmethod
    def of(cls, alert: Alert) -> Computed:
        return cls(alert.severity.value, evidence_json(alert.evidence), alert.rules_version)

    def matches(self, row: AlertRow) -> bool:
        return (
            row.severity == self.severity and row.evidence == self.evidence and row.rules_version == self.rules_version
        )


def row_key(row: AlertRow) -> AlertKey:
    return (row.rule, row.partner_id, row.period, row.subject)


def period_quarter(period: str) -> Quarter | None:
    """The quarter a stored period counts in (``2026Q3``, or an overstock week's Monday);
    None for a label neither parses as."""
    try:
        return Quarter.parse(period) if "Q" in period else Quarter.of(date.fromisoformat(period))
    except (InvalidQuarterError, ValueError):
        return None


def row_unit(row: AlertRow) -> tuple[RuleId, str, Quarter] | None:
    """The (rule, partner, quarter) unit of the engine a row belongs to (None: a rule or a
    period this engine does not know, e.g. one retired since)."""
    try:
        rule = RuleId(row.rule)
    except ValueError:
        return None
    quarter = period_quarter(row.period)
    return None if quarter is None else (rule, row.partner_id, quarter)


def new_row(alert: Alert, *, now: datetime, status: str) -> AlertRow:
    computed = Computed.of(alert)
    return AlertRow(
        rule=alert.rule.value,
        partner_id=alert.partner_id,
        period=alert.period_label,
        subject=alert.subject,
        severity=computed.severity,
        evidence=computed.evidence,
        status=status,
        rules_version=computed.rules_version,
        created_at=now,
        updated_at=now,
        cleared_at=None,
    )


def rows_of_partners(s: Session, partner_ids: Collection[str] | None) -> Sequence[AlertRow]:
    """Every alert row (of ``partner_ids``, when given), for update."""
    if partner_ids is None:
        return s.scalars(select(AlertRow)).all()
    rows: list[AlertRow] = []
    for chunk in chunks(partner_ids):
        rows.extend(s.scalars(select(AlertRow).where(AlertRow.partner_id.in_(chunk))))
    return rows
