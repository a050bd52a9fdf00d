"""Handoff errors.  Each carries a stable ``code``; the API maps codes to HTTP status
(``STATUS_BY_CODE`` in ``assistant/api/app.py``) and messages (``assistant/i18n.py``)."""

from __future__ import annotations

from assistant.errors import AssistantError


class HandoffError(AssistantError):
    code = "handoff_error"


class HandoffNotFoundError(HandoffError):
    """Unknown session, or one the caller may not see (never a hint that it exists)."""

    code = "handoff_not_found"


class ExpertOnlyError(HandoffError):
    code = "expert_only"


class AlreadyTakenError(HandoffError):
    code = "handoff_already_taken"


class InvalidStateError(HandoffError):
    code = "handoff_invalid_state"


class AtCapacityError(HandoffError):
    code = "expert_at_capacity"


class TransferTargetError(HandoffError):
    code = "transfer_target_invalid"


class JoinCodeInvalidError(HandoffError):
    code = "join_code_invalid"


class JoinCodeUsedError(HandoffError):
    code = "join_code_used"


class JoinCodeExpiredError(HandoffError):
    code = "join_code_expired"


class HandoffInputError(HandoffError):
    code = "handoff_invalid_input"


class TimeZoneInvalidError(HandoffError):
    """The customer's time zone is not an IANA zone name this machine knows."""

    code = "timezone_invalid"
    field = "customer_timezone"
    public_field = True  # the refusal names the caller's own field


class ExpertsFileError(HandoffError):
    code = "experts_file_invalid"


class RtcNotAllowedError(HandoffError):
    """A call signal for a session that is not live with this caller as one of its two
    parties (unknown, someone else's, not accepted yet, ended: the same refusal)."""

    code = "rtc_not_allowed"


class RtcInvalidError(HandoffError):
    code = "rtc_invalid"


class StillTooLargeError(HandoffError):
    code = "still_too_large"


class StillTypeInvalidError(HandoffError):
    code = "still_type_invalid"


class StillNotFoundError(HandoffError):
    """Unknown still, or one of a session the caller is no party of (the same answer)."""

    code = "still_not_found"
