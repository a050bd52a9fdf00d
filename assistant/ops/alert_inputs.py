"""Read the corpus files into the alert engine's inputs (:class:`assistant.ops.alerts.AlertInputs`).

Sources (the ops data contract, corpus/ops/README.md)::

    corpus/rebates/policy.yaml, channels.yaml, orders.csv   through the rebates loaders
    corpus/ops/inventory.csv    week,partner_id,product_id,sell_in_units,sell_through_units,stock_units
    corpus/ops/feedback.csv     feedback_id,date,partner_id,customer_id,product_id,kind,score,category,status,text

A small reader for the benchmark and the tests; the service will read the same records from
its database.  Every problem is reported as ``file: line N: field: problem`` and all of a
file's problems are collected before :class:`AlertInputError` is raised.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

from assistant.ops.alerts import (
    AlertError,
    AlertInputs,
    FeedbackIndex,
    FeedbackKind,
    FeedbackRecord,
    InventoryIndex,
    InventoryWeek,
)
from assistant.rebates.loader import load_channels, load_orders
from assistant.rebates.network import Level
from assistant.rebates.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
OPS_DIR = ROOT / "corpus" / "ops"
REBATES_DIR = ROOT / "corpus" / "rebates"
INVENTORY_COLUMNS = ("week", "partner_id", "product_id", "sell_in_units", "sell_through_units", "stock_units")
FEEDBACK_COLUMNS = ("feedback_id", "date", "partner_id", "customer_id", "product_id", "kind", "score", "category")

_T = TypeVar("_T")


class AlertInputError(AlertError):
    """A corpus file the alert engine reads is missing or invalid."""

    code = "alert_input_invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems[:50]))


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(columns) - set(reader.fieldnames or ())
            if missing:
                raise AlertInputError([f"{path}: header: missing columns {sorted(missing)}"])
            for row in reader:
                yield reader.line_num, row
    except OSError as exc:
        raise AlertInputError([f"{path}: -: cannot read: {exc}"]) from exc


def _read(path: Path, columns: tuple[str, ...], parse: Callable[[dict[str, str]], _T]) -> tuple[_T, ...]:
    records: list[_T] = []
    problems: list[str] = []
    for line, row in _rows(path, columns):
        try:
            records.append(parse(row))
        except _FieldError as exc:
            problems.append(f"{path}: line {line}: {exc.field}: {exc}")
    if problems:
        raise AlertInputError(problems)
    return tuple(records)


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(row: dict[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise _FieldError(name, "required")
    return value


def _count(row: dict[str, str], name: str) -> int:
    try:
        value = int(_text(row, name))
    except ValueError:
        raise _FieldError(name, f"not a whole number: {row.get(name)!r}") from None
    if value < 0:
        raise _FieldError(name, f"negative: {value}")
    return value


def _day(row: dict[str, str], name: str) -> date:
    try:
        return date.fromisoformat(_text(row, name))
    except ValueError:
        raise _FieldError(name, f"not an ISO date: {row.get(name)!r}") from None


def parse_inventory_row(row: dict[str, str]) -> InventoryWeek:
    week = _day(row, "week")
    if week.weekday() != 0:
        raise _FieldError("week", f"{week} is not a Monday")
    return InventoryWeek(
        week=week,
        partner_id=_text(row, "partner_id"),
        product_id=_text(row, "product_id"),
        sell_in_units=_count(row, "sell_in_units"),
        sell_through_units=_count(row, "sell_through_units"),
        stock_units=_count(row, "stock_units"),
    )


def parse_feedback_row(row: dict[str, str]) -> FeedbackRecord:
    try:
        kind = FeedbackKind(_text(row, "kind"))
    except ValueError:
        raise _FieldError("kind", f"expected survey or complaint: {row.get('kind')!r}") from None
    score: int | None = None
    category: str | None = (row.get("category") or "").strip() or None
    if kind is FeedbackKind.SURVEY:
        score = _count(row, "score")
        if not 1 <= score <= 5:
            raise _FieldError("score", f"a survey scores 1..5, not {score}")
    elif category is None:
        raise _FieldError("category", "a complaint needs a category")
    return FeedbackRecord(
        feedback_id=_text(row, "feedback_id"),
        date=_day(row, "date"),
        partner_id=_text(row, "partner_id"),
        customer_id=_text(row, "customer_id"),
        product_id=_text(row, "product_id"),
        kind=kind,
        score=score,
        category=category,
        status=(row.get("status") or "").strip() or "closed",
    )


def read_inventory(path: Path | str) -> tuple[InventoryWeek, ...]:
    return _read(Path(path), INVENTORY_COLUMNS, parse_inventory_row)


def read_feedback(path: Path | str) -> tuple[FeedbackRecord, ...]:
    return _read(Path(path), FEEDBACK_COLUMNS, parse_feedback_row)


def load_alert_inputs(
    ops_dir: Path | str = OPS_DIR, *, rebates_dir: Path | str = REBATES_DIR, as_of: date | None = None
) -> AlertInputs:
    """The engine's inputs from the corpus: ledger, policy and regions of the active leaf
    partners from ``rebates_dir``, inventory and feedback from ``ops_dir`` (no tasks yet)."""
    ops, rebates = Path(ops_dir), Path(rebates_dir)
    policy = load_policy(rebates / "policy.yaml")
    network = load_channels(rebates / "channels.yaml").network
    ledger = load_orders(rebates / "orders.csv")
    regions = {
        partner.id: partner.region
        for root in network.roots()
        for partner in network.partners_under(root.id)
        if partner.level is Level.PARTNER
    }
    return AlertInputs(
        ledger=ledger,
        policy=policy,
        regions=regions,
        quarters=policy.quarters,
        inventory=InventoryIndex.build(read_inventory(ops / "inventory.csv")),
        feedback=FeedbackIndex.build(read_feedback(ops / "feedback.csv")),
        as_of=as_of,
    )
