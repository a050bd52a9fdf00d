"""Load the channel operations data of ``corpus/ops/`` into the database.

Files (written by ``corpus/ops/generate_ops.py``; columns in ``corpus/ops/README.md``)::

    inventory.csv    -> ops_inventory_reports
    feedback.csv     -> ops_feedback
    service.csv      -> ops_service_records
    compliance.csv   -> ops_compliance_records

Like the rebate seed (:meth:`assistant.rebates.store.RebateStore.seed`) this runs on every
start and is idempotent: a table that already holds rows is left alone, so reports and
feedback recorded since survive a restart, and a second call writes nothing.  Every file
is validated in full before anything is written; every problem is reported as
``file: line N: field: problem``.  The partners must already be in ``channel_nodes`` (the
rebate seed puts them there).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from assistant.errors import AssistantError
from assistant.ops.tables import (
    ComplianceRecordRow,
    FeedbackRow,
    InventoryReportRow,
    ServiceRecordRow,
)
from assistant.rebates.tables import ChannelNodeRow
from assistant.storage.db import Database

log = logging.getLogger(__name__)

FEEDBACK_KINDS = frozenset({"survey", "complaint"})
COMPLAINT_CATEGORIES = frozenset({"quality", "delivery", "installation", "service", "billing"})
COMPLAINT_STATUSES = frozenset({"open", "in_progress", "closed"})
SERVICE_KINDS = frozenset({"ticket", "handoff"})
COMPLIANCE_KINDS = frozenset(
    {"cross_region_sale", "price_below_floor", "late_report", "unauthorised_subdealer", "data_falsification"}
)
SEVERITIES = frozenset({"low", "medium", "high"})


class OpsDataError(AssistantError):
    """A file of ``corpus/ops/`` is missing columns or holds invalid rows."""

    code = "ops_data_invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems[:50]))


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(row: dict[str, str], field: str, *, allowed: frozenset[str] | None = None, max_length: int = 64) -> str:
    value = (row.get(field) or "").strip()
    if not value:
        raise _FieldError(field, "missing")
    if allowed is not None and value not in allowed:
        raise _FieldError(field, f"{value!r} is not one of {sorted(allowed)}")
    if len(value) > max_length:
        raise _FieldError(field, f"longer than {max_length} characters")
    return value


def _int(row: dict[str, str], field: str, *, low: int = 0, high: int | None = None, blank: bool = False) -> int | None:
    raw = (row.get(field) or "").strip()
    if not raw and blank:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _FieldError(field, f"not a whole number: {raw!r}") from None
    if value < low or (high is not None and value > high):
        raise _FieldError(field, f"{value} is outside {low}..{high if high is not None else ''}")
    return value


def _required_int(row: dict[str, str], field: str, *, low: int = 0, high: int | None = None) -> int:
    value = _int(row, field, low=low, high=high)
    assert value is not None  # blank=False never answers None
    return value


def _date(row: dict[str, str], field: str) -> date:
    raw = (row.get(field) or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _FieldError(field, f"not an ISO date: {raw!r}") from None


def _inventory(row: dict[str, str]) -> dict[str, Any]:
    week = _date(row, "week")
    if week.weekday() != 0:
        raise _FieldError("week", f"{week} is not a Monday")
    return {
        "week": week,
        "partner_id": _text(row, "partner_id", max_length=32),
        "product_id": _text(row, "product_id"),
        "sell_in_units": _required_int(row, "sell_in_units"),
        "sell_through_units": _required_int(row, "sell_through_units"),
        "stock_units": _required_int(row, "stock_units"),
    }


def _feedback(row: dict[str, str]) -> dict[str, Any]:
    kind = _text(row, "kind", allowed=FEEDBACK_KINDS)
    survey = kind == "survey"
    score = _int(row, "score", low=1, high=5, blank=not survey)
    category = (row.get("category") or "").strip() or None
    if survey:
        if category is not None:
            raise _FieldError("category", "a survey has no category")
    elif score is not None:
        raise _FieldError("score", "a complaint has no score")
    elif category not in COMPLAINT_CATEGORIES:
        raise _FieldError("category", f"{category!r} is not one of {sorted(COMPLAINT_CATEGORIES)}")
    return {
        "id": _text(row, "feedback_id", max_length=32),
        "date": _date(row, "date"),
        "partner_id": _text(row, "partner_id", max_length=32),
        "customer_id": _text(row, "customer_id", max_length=32),
        "product_id": _text(row, "product_id"),
        "kind": kind,
        "score": score,
        "category": category,
        "status": _text(row, "status", allowed=COMPLAINT_STATUSES),
        "text": _text(row, "text", max_length=500),
    }


def _service(row: dict[str, str]) -> dict[str, Any]:
    raw = (row.get("opened_at") or "").strip()
    if not raw.endswith("Z"):
        raise _FieldError("opened_at", f"not an ISO UTC time ending in Z: {raw!r}")
    try:
        opened = datetime.fromisoformat(raw[:-1])
    except ValueError:
        raise _FieldError("opened_at", f"not an ISO UTC time: {raw!r}") from None
    first = _required_int(row, "first_response_minutes")
    resolved = _int(row, "resolved_minutes", blank=True)
    if resolved is not None and resolved < first:
        raise _FieldError("resolved_minutes", "resolved before the first response")
    return {
        "id": _text(row, "record_id", max_length=32),
        "partner_id": _text(row, "partner_id", max_length=32),
        "kind": _text(row, "kind", allowed=SERVICE_KINDS),
        "opened_at": opened,
        "first_response_minutes": first,
        "resolved_minutes": resolved,
    }


def _compliance(row: dict[str, str]) -> dict[str, Any]:
    return {
        "id": _text(row, "record_id", max_length=32),
        "partner_id": _text(row, "partner_id", max_length=32),
        "date": _date(row, "date"),
        "kind": _text(row, "kind", allowed=COMPLIANCE_KINDS),
        "severity": _text(row, "severity", allowed=SEVERITIES),
        "note": _text(row, "note", max_length=500),
    }


@dataclass(frozen=True, slots=True)
class OpsFile:
    name: str
    table: type[Any]
    columns: tuple[str, ...]
    parse: Callable[[dict[str, str]], dict[str, Any]]


FILES = (
    OpsFile(
        "inventory.csv",
        InventoryReportRow,
        ("week", "partner_id", "product_id", "sell_in_units", "sell_through_units", "stock_units"),
        _inventory,
    ),
    OpsFile(
        "feedback.csv",
        FeedbackRow,
        (
            "feedback_id",
            "date",
            "partner_id",
            "customer_id",
            "product_id",
            "kind",
            "score",
            "category",
            "status",
            "text",
        ),
        _feedback,
    ),
    OpsFile(
        "service.csv",
        ServiceRecordRow,
        ("record_id", "partner_id", "kind", "opened_at", "first_response_minutes", "resolved_minutes"),
        _service,
    ),
    OpsFile(
        "compliance.csv",
        ComplianceRecordRow,
        ("record_id", "partner_id", "date", "kind", "severity", "note"),
        _compliance,
    ),
)


def _lines(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(columns) - set(reader.fieldnames or ())
            if missing:
                raise OpsDataError([f"{path}: header: missing columns {sorted(missing)}"])
            for row in reader:
                yield reader.line_num, row
    except (OSError, UnicodeDecodeError) as exc:
        raise OpsDataError([f"{path}: -: cannot read: {exc}"]) from exc


def read_file(path: Path, spec: OpsFile, *, partners: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Every row of one file as column values, or :class:`OpsDataError` with all problems.
    ``partners``: the known leaf partner ids (a row of another partner is a problem)."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    keys: set[tuple[Any, ...]] = set()
    for line, raw in _lines(path, spec.columns):
        try:
            values = spec.parse(raw)
        except _FieldError as exc:
            problems.append(f"{path}: line {line}: {exc.field}: {exc}")
            continue
        if partners is not None and values["partner_id"] not in partners:
            problems.append(f"{path}: line {line}: partner_id: {values['partner_id']!r} is not a known partner")
            continue
        key = tuple(values[c] for c in _key_columns(spec))
        if key in keys:
            problems.append(f"{path}: line {line}: {'/'.join(_key_columns(spec))}: duplicate {key}")
            continue
        keys.add(key)
        rows.append(values)
    if problems:
        raise OpsDataError(problems)
    return rows


def _key_columns(spec: OpsFile) -> tuple[str, ...]:
    return tuple(column.name for column in spec.table.__table__.primary_key.columns)


def _partners(s: Session) -> frozenset[str]:
    return frozenset(s.scalars(select(ChannelNodeRow.id).where(ChannelNodeRow.level == "partner")))


def seed(db: Database, directory: Path) -> dict[str, int]:
    """Load each file of ``directory`` into its table if that table is empty.

    Returns the rows written per file (0 for a table that already held rows, so a second
    call returns zeros).  Files are all read and validated before anything is written (the
    problems of every file in one :class:`OpsDataError`); a missing file loads nothing into
    its table."""
    with db.read() as s:
        partners = _partners(s)
        empty = {spec.name: not s.scalar(select(func.count()).select_from(spec.table)) for spec in FILES}
    pending: dict[str, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for spec in FILES:
        if empty[spec.name] and (directory / spec.name).exists():
            try:
                pending[spec.name] = read_file(directory / spec.name, spec, partners=partners)
            except OpsDataError as exc:
                problems.extend(exc.problems)
    if problems:
        raise OpsDataError(problems)
    written = dict.fromkeys((spec.name for spec in FILES), 0)
    if not any(pending.values()):
        return written
    with db.write() as s:
        for spec in FILES:
            rows = pending.get(spec.name)
            # Re-check inside the write transaction: another instance may have seeded meanwhile.
            if not rows or s.scalar(select(func.count()).select_from(spec.table)):
                continue
            s.execute(insert(spec.table), rows)
            written[spec.name] = len(rows)
    log.info("seeded channel operations from %s: %s", directory, written)
    return written


def seed_at_start(db: Database, directory: Path) -> None:
    """:func:`seed` for the service's start: nothing to load (no directory, no partners yet)
    is quiet, bad data is logged and loads nothing; chat, search and rebates still serve."""
    if not directory.is_dir():
        return
    with db.read() as s:
        if not _partners(s):
            log.warning("channel operations not loaded from %s: no partners in the database", directory)
            return
    try:
        seed(db, directory)
    except OpsDataError as exc:
        log.error("channel operations not loaded (%s): %s", exc.code, exc)
