from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.content.schema import RoiModel
from assistant.dialogue.roi import RoiUndefinedError, compute_roi
from assistant.dialogue.roi_task import parse_roi
from assistant.dialogue.types import CustomerProfile, RoiFigures

MODEL = RoiModel(downtime_reduction=0.3, labour_saving_rate=0.1, source="C-001")


def test_worked_example() -> None:
    # downtime: 10 h * 12 * 20 000 * 0.3 = 720 000; labour: 80 000 * 12 * 0.1 = 96 000
    # saving 816 000 a year = 68 000 a month; payback 300 000 / 68 000 = 4.41 -> 4.4
    profile = CustomerProfile(
        downtime_hours_per_month=Decimal(10),
        downtime_cost_per_hour=Decimal(20_000),
        labour_cost_per_month=Decimal(80_000),
        order_amount=Decimal(300_000),
    )
    figures = compute_roi(MODEL, profile)
    assert isinstance(figures, RoiFigures)
    assert figures.annual_saving == Decimal(816_000)
    assert figures.payback_months == Decimal("4.4")
    assert figures.assumptions == {"downtime_reduction": Decimal("0.3"), "labour_saving_rate": Decimal("0.1")}
    assert figures.inputs["order_amount"] == Decimal(300_000)


def test_rounding_half_up() -> None:
    # 7.5 h * 12 * 1 111 * 0.3 = 29 997 exactly; payback 100 000 / 2 499.75 = 40.004 -> 40.0
    model = RoiModel(downtime_reduction=0.3, labour_saving_rate=0, source="s")
    profile = CustomerProfile(
        downtime_hours_per_month=Decimal("7.5"), downtime_cost_per_hour=Decimal(1111), order_amount=Decimal(100_000)
    )
    figures = compute_roi(model, profile)
    assert isinstance(figures, RoiFigures)
    assert figures.annual_saving == Decimal(29_997)
    assert figures.payback_months == Decimal("40.0")
    assert "labour_cost_per_month" not in figures.inputs  # not needed when the rate is 0
    # 2.5 h * 12 * 1 000 * 0.5 = 15 000 -> payback 10 000 / 1 250 = 8.0
    half = RoiModel(downtime_reduction=0.5, labour_saving_rate=0, source="s")
    exact = compute_roi(
        half,
        CustomerProfile(
            downtime_hours_per_month=Decimal("2.5"), downtime_cost_per_hour=Decimal(1000), order_amount=Decimal(10_000)
        ),
    )
    assert isinstance(exact, RoiFigures) and exact.payback_months == Decimal("8.0")


def test_missing_inputs_in_asking_order() -> None:
    missing = compute_roi(MODEL, CustomerProfile(downtime_cost_per_hour=Decimal(1)))
    assert missing == ("downtime_hours_per_month", "labour_cost_per_month", "order_amount")


def test_zero_saving_has_no_payback() -> None:
    profile = CustomerProfile(
        downtime_hours_per_month=Decimal(0),
        downtime_cost_per_hour=Decimal(100),
        labour_cost_per_month=Decimal(0),
        order_amount=Decimal(1000),
    )
    with pytest.raises(RoiUndefinedError):
        compute_roi(MODEL, profile)


@pytest.mark.parametrize(
    ("text", "hours", "cost"),
    [
        ("停一个钟一万二", None, Decimal(12000)),  # the hour a loss is counted in, not a month's downtime
        ("一个月停釜加起来二十来个小时，一个钟头损失八千来块", Decimal(20), Decimal(8000)),
    ],
)
def test_an_hour_said_as_a_zhong_is_the_hour_of_a_rate(text: str, hours: Decimal | None, cost: Decimal) -> None:
    figures = parse_roi(text)
    assert (figures.hours, figures.cost_per_hour) == (hours, cost)
