"""Domain errors of the rebate engine.

Every error is an :class:`~assistant.errors.AssistantError` with a stable
snake_case ``code``; the API layer maps codes to HTTP statuses and user-facing
messages, so ``str(exc)`` is for logs and developers only.
"""

from __future__ import annotations

from assistant.errors import AssistantError


class RebateError(AssistantError):
    """Base class of every rebate-domain error.

    A refusal of one order of a batch says which: ``item`` (its index in the batch, set by
    the service) and ``field`` (the field at fault, set where the rule is checked).  The
    API adds both to the error body; neither ever carries another partner's data.
    """

    code = "rebate_error"

    def __init__(self, *args: object, field: str | None = None, item: int | None = None) -> None:
        super().__init__(*args)
        self.field = field
        self.item = item
        self.order: object | None = None  # the order at fault, as given (set by the ledger)


class _ProblemListError(RebateError):
    """An error listing every problem found in a file as ``file: field: problem``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(self.problems[:50])
        more = f"\n... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} problem(s):\n{shown}{more}")


class PolicyInvalidError(_ProblemListError):
    """``policy.yaml`` is malformed or inconsistent (tiers with gaps or overlaps, ...)."""

    code = "policy_invalid"


class RebateDataError(_ProblemListError):
    """``channels.yaml`` or the order file is malformed or inconsistent."""

    code = "rebate_data_invalid"


class InvalidQuarterError(RebateError):
    """A quarter label is not of the form ``2026Q1``."""

    code = "invalid_quarter"


class QuarterNotFoundError(RebateError):
    """The quarter is not covered by the policy (or precedes the partner's first quarter)."""

    code = "quarter_not_found"


class PartnerNotFoundError(RebateError):
    """No channel node / rebate partner with that id."""

    code = "partner_not_found"


class InvalidAmountError(RebateError):
    """A money amount is negative, zero where it must be positive, not a Decimal, or has sub-cent digits."""

    code = "invalid_amount"


class InvalidOrderError(RebateError):
    """An order is inconsistent (duplicate id, a return of an unknown order, over-return, ...)."""

    code = "invalid_order"


class QuarterClosedError(InvalidOrderError):
    """An order or return dated in a quarter whose statement is final (DECISIONS 2026-12-04 #4).

    A return of such an order is booked in the current quarter instead."""

    code = "quarter_closed"


class PartnerInactiveError(InvalidOrderError):
    """An order for a deactivated partner (DECISIONS 2026-12-04 #4)."""

    code = "partner_inactive"


class DuplicateOrderError(InvalidOrderError):
    """Orders added to a ledger reuse an id already recorded *for the same partner*, or the
    same partner's id twice in one batch (a conflict with what is recorded, unlike a
    malformed order).  Order ids are unique per partner (DECISIONS 2026-12-04 #5), so a
    clash never tells one partner that another partner's id exists."""

    code = "duplicate_order"


class NetworkChangeError(RebateError):
    """A change to the channel tree would break it (cycle, wrong level, duplicate id, ...)."""

    code = "invalid_network_change"


class AllianceSizeError(NetworkChangeError):
    """A change would put a sixth active partner in a city alliance, or take a complete
    one below three (see ``network.ALLIANCE_PARTNERS``)."""

    code = "alliance_size"


class PartnerRequiredError(RebateError):
    """The node asked about (by default the caller's own) is not a leaf partner, so it has no
    statement of its own: name one of the partners below it."""

    code = "partner_required"


class ForbiddenError(RebateError):
    """The caller's role may not make this change (channel-network changes are for admins)."""

    code = "forbidden"


class OrderNotFoundError(RebateError):
    """No order with that id among the partners the caller may read."""

    code = "order_not_found"
