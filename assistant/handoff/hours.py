"""The experts' service hours and the callback a ticket promises.

A ticket promises a callback within ``callback_hours`` of the experts' service time, never at
an hour nobody works: requested at 20:00 with service 08:00-22:00 and 4 hours, the callback
is due at 10:00 the next service day (2 hours that evening, 2 the next morning).  Requested
outside the service hours ("晚上 10 点以后", FAQ-RA-003), it is due ``after_hours_callback_hours``
after the next opening ("下一个工作日 2 小时内回电").  The hours are data
(``service_hours`` in ``corpus/handoff/experts.yaml``); without them, the callback is due
``callback_hours`` after the request, at any hour (the old rule).

With the customer's time zone (an IANA name the request may carry), the service time counted
is only the time that is also inside the customer's callable hours (``customer_hours``,
e.g. 08:00-21:00 their local time): nobody is called at 03:00 their time.  A day whose two
windows do not overlap gives no callable time; the callback moves to the next day that has
some.  The customer's windows are built in their own zone, so a daylight-saving change is
followed (08:00 Los Angeles is 16:00 UTC in summer, 17:00 in winter).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS_AHEAD = 14  # a week of service days is always found within this
MAX_ZONE_CHARS = 64  # the longest IANA names are about 30 characters

Window = tuple[datetime, datetime]  # [opens, closes), aware, in UTC


class TimeZoneError(ValueError):
    """Not a time zone this machine knows by its IANA name."""


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` ("America/Los_Angeles"); :class:`TimeZoneError` when it is not one.
    Only names of the zone database's list: no directory ("Asia"), path or local file."""
    if not name or len(name) > MAX_ZONE_CHARS or name not in _known_zones():
        raise TimeZoneError(f"unknown time zone {name[:MAX_ZONE_CHARS]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TimeZoneError(f"unknown time zone {name!r}") from exc


class CallableHours(BaseModel):
    """When a customer may be called, in their own local time (every day)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opens: time
    closes: time

    @model_validator(mode="after")
    def _opens_before_closes(self) -> CallableHours:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes (callable hours within one day)")
        return self


def _daily(
    zone: ZoneInfo, first: date, days: int, *, opens: time, closes: time, keep: frozenset[int]
) -> Iterator[Window]:
    """``[opens, closes)`` in ``zone`` on each of ``days`` local dates from ``first`` whose
    weekday (0 = Monday) is in ``keep``, as UTC instants."""
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() in keep:
            yield (
                datetime.combine(day, opens, tzinfo=zone).astimezone(UTC),
                datetime.combine(day, closes, tzinfo=zone).astimezone(UTC),
            )


def _overlap(first: list[Window], second: list[Window]) -> list[Window]:
    """The instants inside a window of both lists (each sorted and disjoint)."""
    out: list[Window] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            out.append((start, end))
        if first[i][1] <= second[j][1]:
            i += 1
        else:
            j += 1
    return out


class ServiceHours(BaseModel):
    """When the experts work, in their own time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opens: time
    closes: time
    timezone: str = "Asia/Shanghai"
    days: Annotated[tuple[Weekday, ...], Field(min_length=1)] = WEEKDAYS
    after_hours_callback_hours: Annotated[int, Field(ge=1, le=24)] = 2
    # When a customer whose time zone is known may be called, their local time (None: any time).
    customer_hours: CallableHours | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        time_zone(value)  # a TimeZoneError is a ValueError: the file's field is named
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> ServiceHours:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes (service hours within one day)")
        return self

    def windows(self, now: datetime, *, customer_zone: str | None = None) -> list[Window]:
        """The callable windows from the experts' local day of ``now`` (naive UTC) on, for
        two weeks: the service hours, cut to the customer's callable hours when their zone
        is given and the file sets them.  Aware UTC, sorted."""
        zone = ZoneInfo(self.timezone)
        today = now.replace(tzinfo=UTC).astimezone(zone).date()
        keep = frozenset(WEEKDAYS.index(d) for d in self.days)
        found = list(_daily(zone, today, _MAX_DAYS_AHEAD, opens=self.opens, closes=self.closes, keep=keep))
        if customer_zone is None or self.customer_hours is None:
            return found
        theirs = time_zone(customer_zone)
        start = now.replace(tzinfo=UTC).astimezone(theirs).date() - timedelta(days=1)
        hours = self.customer_hours
        every_day = frozenset(range(7))
        callable_ = list(
            _daily(theirs, start, _MAX_DAYS_AHEAD + 2, opens=hours.opens, closes=hours.closes, keep=every_day)
        )
        return _overlap(found, callable_)

    def callback_by(self, now: datetime, *, hours: int, customer_zone: str | None = None) -> datetime:
        """When a callback promised at ``now`` (naive UTC, as stored) is due: ``hours`` of
        callable time later, or ``after_hours_callback_hours`` after the next opening when
        ``now`` is outside the callable time.  Callable time is the service hours, and with
        ``customer_zone`` only those inside the customer's callable hours too.  Naive UTC
        again.  :class:`TimeZoneError` for an unknown ``customer_zone``."""
        at = now.replace(tzinfo=UTC)
        left = timedelta(hours=hours)
        started = False
        for opens, closes in self.windows(now, customer_zone=customer_zone):
            if closes <= at:
                continue  # over already
            if not started and not opens <= at:
                left = timedelta(hours=self.after_hours_callback_hours)  # from this opening on
            started = True
            begin = max(opens, at)
            if begin + left <= closes:
                return (begin + left).replace(tzinfo=None)
            left -= closes - begin
        return now + timedelta(hours=hours)  # no callable time in two weeks: the plain promise
