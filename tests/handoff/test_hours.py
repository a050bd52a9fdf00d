"""The experts' service hours: a ticket's callback is promised when somebody works."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.content.loader import load_corpus
from assistant.handoff.errors import ExpertsFileError
from assistant.handoff.experts import load_service_hours
from assistant.handoff.hours import ServiceHours
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
