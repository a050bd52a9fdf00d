"""The experts' service hours: a ticket's callback is promised when somebody works."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.content.loader import load_corpus
from assistant.handoff.errors import ExpertsFileError, TimeZoneInvalidError
from assistant.handoff.experts import load_service_hours
from assistant.handoff.hours import CallableHours, ServiceHours, TimeZoneError, time_zone
from assistant.handoff.setup import handoff_config
from assistant.settings import PROJECT_ROOT, Settings
from tests.handoff.conftest import ALICE, Domain
from tests.handoff.test_service import FULL

HOURS = ServiceHours(opens=time(8), closes=time(22), timezone="Asia/Shanghai")
CHINA = timedelta(hours=8)  # Asia/Shanghai has no summer time


def due(local: datetime, hours: int = 4, service: ServiceHours = HOURS) -> datetime:
    """The callback for a request at China time ``local``, in China time."""
    return service.callback_by(local - CHINA, hours=hours) + CHINA


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (datetime(2026, 12, 7, 5, 45), datetime(2026, 12, 7, 10, 0)),  # before opening: 2 h after 08:00
        (datetime(2026, 12, 7, 10, 0), datetime(2026, 12, 7, 14, 0)),  # in hours: 4 h later
        (datetime(2026, 12, 7, 20, 0), datetime(2026, 12, 8, 10, 0)),  # 2 h tonight, 2 h tomorrow
        (datetime(2026, 12, 7, 22, 0), datetime(2026, 12, 8, 10, 0)),  # closed: after tomorrow's opening
        (datetime(2026, 12, 7, 23, 30), datetime(2026, 12, 8, 10, 0)),
    ],
)
def test_a_callback_is_due_inside_the_service_hours(asked: datetime, expected: datetime) -> None:
    assert due(asked) == expected


def test_days_off_are_skipped() -> None:
    weekdays = replace_days(("mon", "tue", "wed", "thu", "fri"))
    friday_evening = datetime(2026, 12, 11, 21, 0)  # a Friday
    assert due(friday_evening, service=weekdays) == datetime(2026, 12, 14, 11, 0)  # Monday: 1 h + 3 h
    assert due(datetime(2026, 12, 12, 9, 0), service=weekdays) == datetime(2026, 12, 14, 10, 0)  # Saturday


def replace_days(days: tuple[str, ...]) -> ServiceHours:
    return ServiceHours.model_validate({**HOURS.model_dump(), "days": days})


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)), st.integers(1, 30))
def test_every_promise_falls_in_service_hours_and_after_the_request(now: datetime, hours: int) -> None:
    local_due = HOURS.callback_by(now, hours=hours) + CHINA
    assert time(8) < local_due.time() <= time(22)
    assert local_due - CHINA > now


def test_bad_hours_are_refused_with_the_field_named(tmp_path: Path) -> None:
    path = tmp_path / "experts.yaml"
    base = "experts:\n  - {username: exp_a, display_name: A, skills: [EG]}\n"
    path.write_text(base, encoding="utf-8")
    assert load_service_hours(path) is None  # no section: callbacks at any hour, as before
    for bad in ('opens: "22:00"\n  closes: "08:00"', 'opens: "08:00"\n  closes: "22:00"\n  timezone: Mars/Base'):
        path.write_text(base + f"service_hours:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(ExpertsFileError, match="service_hours"):
            load_service_hours(path)


def test_the_shipped_hours_are_the_ones_the_faq_tells_partners() -> None:
    shipped = handoff_config(Settings()).service_hours
    assert shipped is not None
    faq = next(f for f in load_corpus(PROJECT_ROOT / "corpus").faqs if f.id == "FAQ-RA-002")
    opens, closes = shipped.opens, shipped.closes
    assert f"{opens.hour}:{opens.minute:02d}–{closes.hour}:{closes.minute:02d}" in faq.answer
    assert f"{shipped.after_hours_callback_hours} 小时内回电" in faq.answer


def test_a_ticket_opened_before_the_experts_start_promises_a_callback_in_their_hours(domain: Domain) -> None:
    d = domain
    d.service.config = replace(d.service.config, service_hours=HOURS)
    d.clock.now = datetime(2026, 12, 6, 21, 45)  # 05:45 in China, nobody online
    cid = d.chat.create_conversation(caller=ALICE)
    out = d.service.request(caller=ALICE, conversation_id=cid, provided=FULL)
    assert out.session.state == "ticket"
    assert "2026-12-07 10:00" in out.text  # not 09:45, and never 05:45 + 4 h at any hour


# -- the customer's time zone ------------------------------------------------------------

CALLABLE = CallableHours(opens=time(8), closes=time(21))
WITH_CUSTOMER = ServiceHours(opens=time(8), closes=time(22), timezone="Asia/Shanghai", customer_hours=CALLABLE)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def due_for(
    local: datetime, zone: str, hours: int = 4, service: ServiceHours = WITH_CUSTOMER
) -> tuple[datetime, datetime]:
    """The callback for a request at China time ``local`` by a customer in ``zone``: China
    time and the customer's local time (both naive)."""
    at = service.callback_by(local - CHINA, hours=hours, customer_zone=zone).replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI).replace(tzinfo=None), at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("asked", "zone", "china", "theirs"),
    [
        # Los Angeles in winter (UTC-8): their 08:00-21:00 is 00:00-13:00 China time, so the
        # callable time is 08:00-13:00 China time (16:00-21:00 theirs, the day before).
        (
            datetime(2026, 12, 7, 10, 0),
            "America/Los_Angeles",
            datetime(2026, 12, 8, 9, 0),
            datetime(2026, 12, 7, 17, 0),
        ),
        (
            datetime(2026, 12, 7, 15, 0),
            "America/Los_Angeles",
            datetime(2026, 12, 8, 10, 0),
            datetime(2026, 12, 7, 18, 0),
        ),
        # Dubai (UTC+4): callable 12:00-22:00 China time
        (datetime(2026, 12, 7, 9, 0), "Asia/Dubai", datetime(2026, 12, 7, 14, 0), datetime(2026, 12, 7, 10, 0)),
        (datetime(2026, 12, 7, 20, 0), "Asia/Dubai", datetime(2026, 12, 8, 14, 0), datetime(2026, 12, 8, 10, 0)),
        # Shanghai itself: the experts' hours win (their 21:00 closes the day)
        (datetime(2026, 12, 7, 19, 0), "Asia/Shanghai", datetime(2026, 12, 8, 10, 0), datetime(2026, 12, 8, 10, 0)),
    ],
)
def test_a_callback_falls_in_the_experts_hours_and_the_customers_waking_hours(
    asked: datetime, zone: str, china: datetime, theirs: datetime
) -> None:
    assert due_for(asked, zone) == (china, theirs)


def test_without_the_customers_zone_or_their_hours_the_experts_hours_alone_count() -> None:
    assert due(datetime(2026, 12, 7, 10, 0), service=WITH_CUSTOMER) == datetime(2026, 12, 7, 14, 0)
    no_customer_hours = HOURS  # a file without customer_hours: the zone changes nothing
    at = no_customer_hours.callback_by(datetime(2026, 12, 7, 2, 0), hours=4, customer_zone="America/Los_Angeles")
    assert at + CHINA == datetime(2026, 12, 7, 14, 0)


def test_summer_time_moves_the_customers_window() -> None:
    """Los Angeles goes to summer time on 2026-03-08: their 21:00 is then 12:00 China time, not 13:00."""
    winter = due_for(datetime(2026, 3, 2, 9, 0), "America/Los_Angeles")  # a Monday before the change
    assert winter == (datetime(2026, 3, 2, 13, 0), datetime(2026, 3, 1, 21, 0))
    summer = due_for(datetime(2026, 3, 9, 9, 0), "America/Los_Angeles")  # the Monday after
    assert summer == (datetime(2026, 3, 10, 9, 0), datetime(2026, 3, 9, 18, 0))  # 3 h Monday, 1 h Tuesday


def test_days_without_an_overlap_are_skipped_to_the_next_day_that_has_one() -> None:
    """A New York customer callable 09:00-17:00: in winter (UTC-5) that is 22:00-06:00 China time,
    no overlap with 08:00-22:00 at all; from their summer time (2026-03-08, UTC-4) it is
    21:00-05:00, one hour a day (21:00-22:00)."""
    office = ServiceHours.model_validate(
        {**WITH_CUSTOMER.model_dump(), "customer_hours": {"opens": time(9), "closes": time(17)}}
    )
    china, theirs = due_for(datetime(2026, 3, 5, 10, 0), "America/New_York", service=office)  # a Thursday
    # no callable time Thursday to Saturday; Sunday 21:00-22:00 (1 h of the 2), Monday 21:00 + 1 h
    assert china == datetime(2026, 3, 9, 22, 0) and theirs == datetime(2026, 3, 9, 10, 0)


ZONES = ["America/Los_Angeles", "America/New_York", "Asia/Dubai", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo"]


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    st.integers(1, 12),
    st.sampled_from(ZONES),
)
def test_every_promise_falls_in_both_windows_and_after_the_request(now: datetime, hours: int, zone: str) -> None:
    at = WITH_CUSTOMER.callback_by(now, hours=hours, customer_zone=zone).replace(tzinfo=UTC)
    china, theirs = at.astimezone(SHANGHAI).time(), at.astimezone(ZoneInfo(zone)).time()
    assert time(8) < china <= time(22) and time(8) < theirs <= time(21), (now, zone, at)
    assert at.replace(tzinfo=None) > now


@pytest.mark.parametrize(
    "bad", ["Mars/Base", "", "Asia", "/etc/localtime", "../../etc/passwd", " Asia/Dubai", "A" * 65]
)
def test_a_name_that_is_no_time_zone_is_refused(bad: str) -> None:
    with pytest.raises(TimeZoneError):
        time_zone(bad)
    with pytest.raises(TimeZoneError):
        WITH_CUSTOMER.callback_by(datetime(2026, 12, 7, 2, 0), hours=4, customer_zone=bad)


def test_the_shipped_file_keeps_customers_callable_hours_as_data() -> None:
    shipped = handoff_config(Settings()).service_hours
    assert shipped is not None and shipped.customer_hours is not None
    assert shipped.customer_hours.opens < shipped.customer_hours.closes


def test_a_ticket_tells_the_callback_in_the_customers_time_too(domain: Domain) -> None:
    d = domain
    d.service.config = replace(d.service.config, service_hours=WITH_CUSTOMER)
    d.clock.now = datetime(2026, 12, 7, 7, 0)  # 15:00 in China, 23:00 in Los Angeles, nobody online
    cid = d.chat.create_conversation(caller=ALICE)
    out = d.service.request(caller=ALICE, conversation_id=cid, provided=FULL, customer_timezone="America/Los_Angeles")
    assert out.session.state == "ticket"
    assert "北京时间 2026-12-08 10:00（客户当地时间 2026-12-07 18:00，America/Los_Angeles）" in out.text
    # asked again while the ticket is open: the same promise, in both times, in English too
    english = replace(ALICE, language="en")
    again = d.service.request(caller=english, conversation_id=cid)
    assert "2026-12-08 10:00 China time (2026-12-07 18:00 the customer's local time, America/Los_Angeles)" in again.text
    # a customer whose clock shows China time: one time, no second one
    other = d.chat.create_conversation(caller=ALICE)
    same = d.service.request(caller=ALICE, conversation_id=other, provided=FULL, customer_timezone="Asia/Hong_Kong")
    assert "2026-12-07 19:00" in same.text and "客户当地" not in same.text  # 15:00 + 4 h
    with pytest.raises(TimeZoneInvalidError):
        d.service.request(caller=ALICE, conversation_id=other, customer_timezone="Mars/Base")
