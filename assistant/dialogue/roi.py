"""Return on investment for manager-facing scripts, in exact Decimal arithmetic.

The formula is the one in :class:`assistant.content.schema.RoiModel`::

    annual_saving  = downtime_hours_per_month * 12 * downtime_cost_per_hour * downtime_reduction
                   + labour_cost_per_month * 12 * labour_saving_rate
    payback_months = order_amount / (annual_saving / 12)

Rounding, done once at the end (ROUND_HALF_UP): ``annual_saving`` to whole yuan,
``payback_months`` to one decimal.  The payback uses the unrounded saving.
The labour term is needed only when the model's ``labour_saving_rate`` is above 0.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from assistant.content.schema import RoiModel
from assistant.dialogue.errors import DialogueError
from assistant.dialogue.types import CustomerProfile, RoiFigures

YUAN = Decimal(1)
TENTH = Decimal("0.1")
MONTHS_PER_YEAR = Decimal(12)

# The profile fields the formula reads, in the order the reply asks for them.
ROI_INPUTS: tuple[str, ...] = (
    "downtime_hours_per_month",
    "downtime_cost_per_hour",
    "labour_cost_per_month",
    "order_amount",
)


class RoiUndefinedError(DialogueError):
    """The inputs give no saving, so there is no payback period."""

    code = "roi_undefined"


def required_inputs(model: RoiModel) -> tuple[str, ...]:
    if Decimal(str(model.labour_saving_rate)) > 0:
        return ROI_INPUTS
    return tuple(k for k in ROI_INPUTS if k != "labour_cost_per_month")


def missing_inputs(model: RoiModel, profile: CustomerProfile) -> tuple[str, ...]:
    known = profile.known()
    return tuple(k for k in required_inputs(model) if k not in known)


def compute_roi(model: RoiModel, profile: CustomerProfile) -> RoiFigures | tuple[str, ...]:
    """The figures, or the names of the profile fields still missing (in asking order).

    Raises RoiUndefinedError when every input is known but the saving is zero.
    """
    missing = missing_inputs(model, profile)
    if missing:
        return missing
    reduction = Decimal(str(model.downtime_reduction))
    labour_rate = Decimal(str(model.labour_saving_rate))
    hours = _dec(profile.downtime_hours_per_month)
    cost = _dec(profile.downtime_cost_per_hour)
    labour = _dec(profile.labour_cost_per_month) if labour_rate > 0 else Decimal(0)
    amount = _dec(profile.order_amount)
    saving = hours * MONTHS_PER_YEAR * cost * reduction + labour * MONTHS_PER_YEAR * labour_rate
    if saving <= 0:
        raise RoiUndefinedError("the stated figures give no saving, so there is no payback period")
    payback = amount / (saving / MONTHS_PER_YEAR)
    inputs = {"downtime_hours_per_month": hours, "downtime_cost_per_hour": cost, "order_amount": amount}
    if labour_rate > 0:
        inputs["labour_cost_per_month"] = labour
    return RoiFigures(
        annual_saving=saving.quantize(YUAN, rounding=ROUND_HALF_UP),
        payback_months=payback.quantize(TENTH, rounding=ROUND_HALF_UP),
        inputs=inputs,
        assumptions={"downtime_reduction": reduction, "labour_saving_rate": labour_rate},
    )


def _dec(value: Decimal | int | None) -> Decimal:
    assert value is not None  # checked by missing_inputs
    return value if isinstance(value, Decimal) else Decimal(value)
