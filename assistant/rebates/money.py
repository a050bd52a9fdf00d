"""Money helpers: amounts are :class:`decimal.Decimal` yuan, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from assistant.rebates.errors import InvalidAmountError

CENT = Decimal("0.01")
ZERO = Decimal("0")
ZERO_CENTS = Decimal("0.00")  # a rounded line amount of zero


def round_cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (the policy's one rounding step per statement line)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to(amount: Decimal, unit: Decimal) -> Decimal:
    """Round half-up to a multiple of ``unit`` (e.g. 10,000 yuan for baselines)."""
    return (amount / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit


def check_money(value: object, *, what: str = "amount", positive: bool = False) -> Decimal:
    """Validate a money amount: a finite Decimal (or int) with at most two decimals.

    Floats are refused on purpose: money never goes through binary floating point.
    Raise :class:`InvalidAmountError` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidAmountError(f"{what} must be a Decimal, got {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidAmountError(f"{what} must be finite, got {amount}")
    try:
        exact = amount == amount.quantize(CENT)
    except InvalidOperation:
        exact = False
    if not exact:
        raise InvalidAmountError(f"{what} has more than two decimals: {amount}")
    if amount < 0 or (positive and amount == 0):
        raise InvalidAmountError(f"{what} must be {'positive' if positive else 'non-negative'}, got {amount}")
    return amount


def plain(amount: Decimal) -> str:
    """``1500000`` rather than ``1.5E+6``: a Decimal without exponent or trailing zeros."""
    text = format(amount.normalize(), "f")
    return text


def yuan(amount: Decimal) -> str:
    """Format for users: ``¥1,234,567.00`` (``-¥1,000.00`` for negatives)."""
    rounded = round_cents(amount)
    sign = "-" if rounded < 0 else ""
    return f"{sign}¥{abs(rounded):,.2f}"


def percent(rate: Decimal) -> str:
    """Format a rate for users: ``Decimal('0.04')`` -> ``4%``, ``0.025`` -> ``2.5%``."""
    return f"{plain(rate * 100)}%"
