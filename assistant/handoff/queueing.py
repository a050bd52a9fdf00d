"""Routing arithmetic: position in the queue and the estimate shown to the requester."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.handoff.types import ExpertInfo, QueueStatus


@dataclass(frozen=True, slots=True)
class Waiting:
    session_id: str
    product_line: str
    queued_at: datetime


def positions(waiting: Sequence[Waiting]) -> dict[str, int]:
    """Position within the session's own product line, oldest first (1 = next)."""
    out: dict[str, int] = {}
    counters: dict[str, int] = {}
    for w in sorted(waiting, key=lambda w: (w.queued_at, w.session_id)):
        counters[w.product_line] = counters.get(w.product_line, 0) + 1
        out[w.session_id] = counters[w.product_line]
    return out


def estimate_minutes(
    *, position: int, product_line: str, experts: Sequence[ExpertInfo], handle_minutes: float, pickup_seconds: int
) -> int | None:
    """Minutes until an expert is likely to join; None when no expert with the skill is online.

    With free slots for everyone ahead, it is the pick-up time; otherwise each full
    round of the online experts' capacity costs one average handling time."""
    eligible = [e for e in experts if e.online and e.has_skill(product_line)]
    if not eligible:
        return None
    pickup = max(1, math.ceil(pickup_seconds / 60))
    free = sum(max(0, e.capacity - e.active) for e in eligible)
    if position <= free:
        return pickup
    total = max(1, sum(e.capacity for e in eligible))
    rounds = math.ceil((position - free) / total)
    return pickup + math.ceil(rounds * handle_minutes)


def queue_status(
    *,
    session_id: str,
    product_line: str,
    table: dict[str, int],
    experts: Sequence[ExpertInfo],
    handle_minutes: float,
    pickup_seconds: int,
) -> QueueStatus | None:
    position = table.get(session_id)
    if position is None:
        return None
    return QueueStatus(
        position=position,
        estimate_minutes=estimate_minutes(
            position=position,
            product_line=product_line,
            experts=experts,
            handle_minutes=handle_minutes,
            pickup_seconds=pickup_seconds,
        ),
    )
