"""The experts' service hours and the callback a ticket promises.

A ticket promises a callback within ``callback_hours`` of the experts' service time, never at
an hour nobody works: requested at 20:00 with service 08:00-22:00 and 4 hours, the callback
is due at 10:00 the next service day (2 hours that evening, 2 the next morning).  Requested
outside the service hours ("晚上 10 点以后", FAQ-RA-003), it is due ``after_hours_callback_hours``
after the next opening ("下一个工作日 2 小时内回电").  The hours are data
(``service_hours`` in ``corpus/handoff/experts.yaml``); without them, the callback is due
``callback_hours`` after the request, at any hour (the old rule).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS_AHEAD = 14  # a week of service days is always found within this


class ServiceHours(BaseModel):
    """When the experts work, in their own time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opens: time
    closes: time
    timezone: str = "Asia/Shanghai"
    days: Annotated[tuple[Weekday, ...], Field(min_length=1)] = WEEKDAYS
    after_hours_callback_hours: Annotated[int, Field(ge=1, le=24)] = 2

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> ServiceHours:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes (service hours within one day)")
        return self

    def _window(self, day: datetime) -> tuple[datetime, datetime] | None:
        """The service window of ``day`` (a local date), None on a day off."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return None
        tz = ZoneInfo(self.timezone)
        return (
            datetime.combine(day.date(), self.opens, tzinfo=tz),
            datetime.combine(day.date(), self.closes, tzinfo=tz),
        )

    def callback_by(self, now: datetime, *, hours: int) -> datetime:
        """When a callback promised at ``now`` (naive UTC, as stored) is due: ``hours`` of
        service time later, or ``after_hours_callback_hours`` after the next opening when
        ``now`` is outside the service hours.  Naive UTC again."""
        local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone))
        left = timedelta(hours=hours)
        in_hours = False
        for offset in range(_MAX_DAYS_AHEAD):
            window = self._window(local + timedelta(days=offset))
            if window is None:
                continue
            opens, closes = window
            if offset == 0 and opens <= local < closes:
                in_hours = True
            elif offset == 0 and local >= closes:
                continue  # today's service is over
            if not in_hours:
                left = timedelta(hours=self.after_hours_callback_hours)
                in_hours = True  # counted from this opening on
            start = max(opens, local)
            if start + left <= closes:
                return (start + left).astimezone(UTC).replace(tzinfo=None)
            left -= closes - start
        return now + timedelta(hours=hours)  # no service day in two weeks: the plain promise
