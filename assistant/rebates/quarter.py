"""Calendar quarters, written ``2026Q1``..``2026Q4``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.rebates.errors import InvalidQuarterError

_LABEL = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    """A calendar quarter; ordered chronologically."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4 or not 1900 <= self.year <= 9999:
            raise InvalidQuarterError(f"invalid quarter {self.year}Q{self.number}")

    @classmethod
    def parse(cls, value: str | Quarter) -> Quarter:
        """Parse ``"2026Q1"``; a :class:`Quarter` is returned unchanged."""
        if isinstance(value, Quarter):
            return value
        match = _LABEL.match(value.strip().upper()) if isinstance(value, str) else None
        if match is None:
            raise InvalidQuarterError(f"invalid quarter {value!r}: expected e.g. '2026Q1'")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter containing ``day``."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def quarter_range(first: Quarter, last: Quarter) -> tuple[Quarter, ...]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    out: list[Quarter] = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return tuple(out)
