"""Values of multi-level tasks: the task, its assignments, progress reports, the pace rules,
and the pure arithmetic on them (default split, proportional rescale, pace flags).

No I/O here except :func:`load_pace_rules` (one YAML file); no HTTP, no database.

Numbers: goals, quantities and progress are whole counts (customers, visits, demos,
people); pace arithmetic uses :class:`fractions.Fraction`, so a flag at the margin's edge
never depends on a binary float.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from assistant.tasks.errors import PaceRulesError


class TaskKind(StrEnum):
    """What a task counts."""

    NEW_CUSTOMERS = "new_customers"  # new customers (of a product line) this period
    VISITS = "visits"
    DEMOS = "demos"
    TRAINING_COMPLETIONS = "training_completions"


class TaskStatus(StrEnum):
    """Where a node of a task stands today (see :func:`status_of`)."""

    NOT_STARTED = "not_started"  # before the start date
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # behind the linear pace by more than the margin
    OVERDUE = "overdue"  # past the due date, below its quantity
    DONE = "done"  # progress reached the quantity


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class KindLabel:
    label: str
    unit: str
    label_en: str
    unit_en: str


@dataclass(frozen=True, slots=True)
class PaceRules:
    """``corpus/tasks/pace.yaml``: the at-risk margin and the split's floor."""

    version: int
    margin: Fraction  # at risk below (1 - margin) of the linear expectation
    min_elapsed: Fraction  # no at-risk flag before this share of the period has passed
    floor_share: Fraction  # weight of a child without sales, as a share of an equal split's
    kinds: Mapping[TaskKind, KindLabel]


def _fraction(value: object, where: str, problems: list[str], *, high: Fraction = Fraction(1)) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"{where}: a number between 0 and {high} is required")
        return Fraction(0)
    try:
        number = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        problems.append(f"{where}: not a number: {value!r}")
        return Fraction(0)
    if not 0 <= number <= high:
        problems.append(f"{where}: {value} is outside 0..{high}")
    return number


def parse_pace_rules(data: object, *, source: str = "pace.yaml") -> PaceRules:
    """Validate the YAML document; every problem is listed as ``source: field: problem``."""
    problems: list[str] = []
    doc: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    if not isinstance(data, Mapping):
        problems.append("the file must be a mapping")
    version = doc.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append("version: a positive integer is required")
        version = 1
    at_risk = doc.get("at_risk")
    if not isinstance(at_risk, Mapping):
        problems.append("at_risk: a mapping with margin and min_elapsed is required")
        at_risk = {}
    margin = _fraction(at_risk.get("margin"), "at_risk.margin", problems)
    if margin == 1:
        problems.append("at_risk.margin: 1 would never flag anything; use a value below 1")
    min_elapsed = _fraction(at_risk.get("min_elapsed", 0), "at_risk.min_elapsed", problems)
    split = doc.get("split", {})
    if not isinstance(split, Mapping):
        problems.append("split: a mapping is required")
        split = {}
    floor_share = _fraction(split.get("floor_share", 0), "split.floor_share", problems)
    raw_kinds = doc.get("kinds")
    kinds: dict[TaskKind, KindLabel] = {}
    if not isinstance(raw_kinds, Mapping):
        problems.append("kinds: a mapping of every task kind is required")
        raw_kinds = {}
    for kind in TaskKind:
        entry = raw_kinds.get(kind.value)
        fields = ("label", "unit", "label_en", "unit_en")
        if not isinstance(entry, Mapping) or not all(isinstance(entry.get(f), str) and entry.get(f) for f in fields):
            problems.append(f"kinds.{kind.value}: label, unit, label_en and unit_en are required")
            continue
        kinds[kind] = KindLabel(*(str(entry[f]) for f in fields))
    unknown = sorted(set(map(str, raw_kinds)) - {k.value for k in TaskKind})
    if unknown:
        problems.append(f"kinds: unknown kinds {', '.join(unknown)}")
    if problems:
        raise PaceRulesError("; ".join(f"{source}: {p}" for p in problems))
    return PaceRules(version=version, margin=margin, min_elapsed=min_elapsed, floor_share=floor_share, kinds=kinds)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> PaceRules:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PaceRulesError(f"{path}: cannot be read: {exc}") from exc
    return parse_pace_rules(data, source=path)


def load_pace_rules(path: Path) -> PaceRules:
    """The rules of ``path``, read again when the file changes."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise PaceRulesError(f"{path}: missing: {exc}") from exc
    return _load_cached(str(path), mtime)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    title: str
    kind: TaskKind
    product_line: str | None  # e.g. "EG"; None: any
    goal: int
    root_node_id: str  # the node whose quantity is the goal (HQ's own node by default)
    start: date
    due: date  # inclusive
    basis_quarter: str  # the quarter whose net sales drove the default split, e.g. "2026Q3"
    created_by: str  # user id
    created_at: datetime
    description: str = ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """One node's share of a task: a channel node, or a salesperson of a partner.

    ``key`` names it within the task: the node id (``"R-EC"``) or, for a salesperson,
    ``"<partner id>/<username>"`` (``"P-HZ-01/hz_sales1"``)."""

    id: int
    task_id: str
    key: str
    node_id: str  # the channel node (a salesperson's partner)
    user_id: str | None  # a salesperson's user id; None for a channel node
    username: str | None
    display_name: str
    quantity: int

    @property
    def is_user(self) -> bool:
        return self.user_id is not None


def user_key(node_id: str, username: str) -> str:
    return f"{node_id}/{username}"


@dataclass(frozen=True, slots=True)
class ProgressReport:
    id: int
    task_id: str
    assignment_key: str
    user_id: str  # who reported
    client_id: str
    amount: int  # may be negative: a correction of one's own earlier reports
    note: str
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class NodeProgress:
    """One node of a task as a caller sees it, with everything below it rolled up.

    ``progress`` = the node's own reports + its children's ``progress``; ``children_quantity``
    is the sum of the children's quantities (equal to ``quantity`` unless the channel tree
    changed since the split, e.g. a partner moved in)."""

    key: str
    node_id: str
    name: str
    level: str  # national | regional | alliance | partner | sales
    username: str | None
    quantity: int
    own_progress: int
    progress: int
    expected: Fraction  # by the linear pace, end of yesterday
    status: TaskStatus
    children_quantity: int
    children: tuple[NodeProgress, ...]

    @property
    def overdue(self) -> bool:
        return self.status is TaskStatus.OVERDUE

    @property
    def at_risk(self) -> bool:
        return self.status is TaskStatus.AT_RISK

    def find(self, key: str) -> NodeProgress | None:
        """This node or one below it, by key."""
        if self.key == key:
            return self
        for child in self.children:
            found = child.find(key)
            if found is not None:
                return found
        return None

    def walk(self) -> tuple[NodeProgress, ...]:
        """This node and every node below it, depth first."""
        return (self, *(n for c in self.children for n in c.walk()))


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task as one caller sees it: ``scope`` is the caller's node with everything below it;
    ``mine`` is the caller's own assignment (a salesperson's own share, else ``scope``), None
    for a caller above the task's root (HQ watching a region's task), which has no share."""

    task: Task
    scope: NodeProgress
    mine: NodeProgress | None
    today: date
    unit: KindLabel
    root_id: str | None  # the task's root node, when the caller may read it (else None)


@dataclass(frozen=True, slots=True)
class ReportResult:
    report: ProgressReport
    duplicate: bool  # the same client id and payload came before: counted once
    mine: NodeProgress  # the reporter's node after the report


# --------------------------------------------------------------------------- arithmetic


def largest_remainder(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` that add up to ``total``
    exactly (Hamilton's method: floors, then one more to the largest remainders, ties to the
    earlier position).  All-zero (or no positive) weights split equally."""
    if total < 0:
        raise ValueError("total must not be negative")
    n = len(weights)
    if n == 0:
        return []
    clean = [Fraction(max(Fraction(w), Fraction(0))) for w in weights]
    whole = sum(clean, Fraction(0))
    if whole == 0:
        clean, whole = [Fraction(1)] * n, Fraction(n)
    exact = [total * w / whole for w in clean]
    parts = [math.floor(x) for x in exact]
    left = total - sum(parts)
    order = sorted(range(n), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def split_weights(sales: Sequence[Fraction], floor_share: Fraction) -> list[Fraction]:
    """Weights of a default split from each child's net sales (negatives count as 0): a
    child without sales weighs ``floor_share`` of an equal split's share of the total."""
    positive = [max(s, Fraction(0)) for s in sales]
    total = sum(positive, Fraction(0))
    if total == 0 or not positive:
        return [Fraction(1)] * len(positive)
    floor = floor_share * total / len(positive)
    return [max(p, floor) for p in positive]


def expected_by(quantity: int, start: date, due: date, today: date) -> tuple[Fraction, Fraction]:
    """(elapsed share of the period by the end of yesterday, expected progress by then)."""
    total = (due - start).days + 1
    elapsed = Fraction(min(max((today - start).days, 0), total), total)
    return elapsed, quantity * elapsed


def status_of(*, quantity: int, progress: int, start: date, due: date, today: date, rules: PaceRules) -> TaskStatus:
    """Done, overdue, not started, at risk or on track.

    At risk: at least ``min_elapsed`` of the period has passed and ``progress`` is below
    ``(1 - margin)`` of the linear expectation (exactly on the line is not at risk)."""
    if progress >= quantity:
        return TaskStatus.DONE
    if today > due:
        return TaskStatus.OVERDUE
    if today < start:
        return TaskStatus.NOT_STARTED
    elapsed, expected = expected_by(quantity, start, due, today)
    if elapsed >= rules.min_elapsed and elapsed > 0 and progress < (1 - rules.margin) * expected:
        return TaskStatus.AT_RISK
    return TaskStatus.ON_TRACK


def rescale(new_total: int, old: Sequence[int], fallback: Sequence[Fraction]) -> list[int]:
    """Children's quantities for a parent whose quantity became ``new_total``: proportional
    to their ``old`` quantities, or to ``fallback`` weights when those add up to nothing."""
    if sum(old) > 0:
        return largest_remainder(new_total, [Fraction(q) for q in old])
    return largest_remainder(new_total, list(fallback))
