"""Handoff metrics: waiting time, handling time and resolved rate, per expert and per
product line (pure: computed from session and assignment rows).

* waiting: from entering the queue to the first acceptance (sessions accepted so far);
* handling: from the first acceptance to closing (sessions closed by an expert); per
  expert, the length of each of their finished assignments;
* resolved rate: per line, resolved / (resolved + closed unresolved + tickets);
  per expert, resolved / sessions they closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    product_line: str
    state: str
    resolved: bool | None
    queued_at: datetime | None
    assigned_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    session_id: str
    expert_id: str
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True, slots=True)
class Durations:
    count: int
    avg_s: float | None
    p50_s: float | None
    p95_s: float | None


@dataclass(frozen=True, slots=True)
class LineMetrics:
    product_line: str  # "*" for all lines, "" for sessions whose line was not known
    requests: int
    waiting_now: int
    active_now: int
    resolved: int
    closed_unresolved: int
    tickets: int
    cancelled: int
    resolved_rate: float | None
    waiting: Durations
    handling: Durations


@dataclass(frozen=True, slots=True)
class ExpertMetrics:
    expert_id: str
    display_name: str
    accepted: int  # assignments: acceptances and transfers in
    active_now: int
    resolved: int
    closed_unresolved: int
    transferred_out: int
    resolved_rate: float | None
    waiting: Durations  # of the sessions this expert took first
    handling: Durations


@dataclass(frozen=True, slots=True)
class Metrics:
    generated_at: datetime
    overall: LineMetrics
    by_product_line: tuple[LineMetrics, ...]
    by_expert: tuple[ExpertMetrics, ...]


def durations(values: Sequence[float]) -> Durations:
    if not values:
        return Durations(0, None, None, None)
    arr = np.asarray(values, dtype=np.float64)
    return Durations(
        count=len(values),
        avg_s=round(float(arr.mean()), 3),
        p50_s=round(float(np.percentile(arr, 50)), 3),
        p95_s=round(float(np.percentile(arr, 95)), 3),
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _rate(good: int, total: int) -> float | None:
    return round(good / total, 4) if total else None


def line_metrics(line: str, sessions: Iterable[SessionRow]) -> LineMetrics:
    rows = list(sessions)
    resolved = sum(1 for r in rows if r.state == "resolved" and r.resolved)
    unresolved = sum(1 for r in rows if r.state == "resolved" and not r.resolved)
    tickets = sum(1 for r in rows if r.state == "ticket")
    waits = [w for r in rows if (w := _seconds(r.queued_at, r.assigned_at)) is not None]
    handles = [h for r in rows if r.state == "resolved" and (h := _seconds(r.assigned_at, r.closed_at)) is not None]
    return LineMetrics(
        product_line=line,
        requests=sum(1 for r in rows if r.queued_at is not None),
        waiting_now=sum(1 for r in rows if r.state == "queued"),
        active_now=sum(1 for r in rows if r.state == "assigned"),
        resolved=resolved,
        closed_unresolved=unresolved,
        tickets=tickets,
        cancelled=sum(1 for r in rows if r.state == "cancelled"),
        resolved_rate=_rate(resolved, resolved + unresolved + tickets),
        waiting=durations(waits),
        handling=durations(handles),
    )


def compute(
    *,
    sessions: Sequence[SessionRow],
    assignments: Sequence[AssignmentRow],
    experts: Mapping[str, str],
    now: datetime,
) -> Metrics:
    """``experts``: expert id -> display name (experts without assignments are listed too)."""
    by_line: dict[str, list[SessionRow]] = {}
    for r in sessions:
        by_line.setdefault(r.product_line, []).append(r)
    session_by_id = {r.id: r for r in sessions}
    first_taker: dict[str, str] = {}
    for a in sorted(assignments, key=lambda a: a.assigned_at):
        first_taker.setdefault(a.session_id, a.expert_id)
    per_expert: list[ExpertMetrics] = []
    for expert_id, name in sorted(experts.items()):
        mine = [a for a in assignments if a.expert_id == expert_id]
        resolved = unresolved = 0
        for a in mine:
            if a.end_reason == "resolved":
                s = session_by_id.get(a.session_id)
                if s is not None and s.resolved:
                    resolved += 1
                else:
                    unresolved += 1
        waits = [
            w
            for sid, taker in first_taker.items()
            if taker == expert_id
            and (s := session_by_id.get(sid)) is not None
            and (w := _seconds(s.queued_at, s.assigned_at)) is not None
        ]
        handles = [h for a in mine if (h := _seconds(a.assigned_at, a.ended_at)) is not None]
        per_expert.append(
            ExpertMetrics(
                expert_id=expert_id,
                display_name=name,
                accepted=len(mine),
                active_now=sum(1 for a in mine if a.ended_at is None),
                resolved=resolved,
                closed_unresolved=unresolved,
                transferred_out=sum(1 for a in mine if a.end_reason == "transferred"),
                resolved_rate=_rate(resolved, resolved + unresolved),
                waiting=durations(waits),
                handling=durations(handles),
            )
        )
    return Metrics(
        generated_at=now,
        overall=line_metrics("*", sessions),
        by_product_line=tuple(line_metrics(line, rows) for line, rows in sorted(by_line.items())),
        by_expert=tuple(per_expert),
    )
