"""Domain errors of channel mentoring (issue 15, item 2: mentors and sharing sessions).

Every error is an :class:`~assistant.errors.AssistantError` with a stable snake_case
``code``; the API layer maps codes to HTTP statuses (assistant/api/app.py) and user-facing
messages in zh-CN and English (assistant/i18n.py), so ``str(exc)`` is for logs only.

A session outside the caller's line of the channel tree is answered exactly like one that
does not exist (:class:`MentoringSessionNotFoundError`), so its existence leaks nothing.
"""

from __future__ import annotations

from assistant.errors import AssistantError


class MentoringError(AssistantError):
    """Base class of every mentoring error; ``field`` names the input at fault, if any."""

    code = "mentoring_error"

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field


class MentoringSessionNotFoundError(MentoringError):
    """No session with that id the caller may see (a hidden one is not found either)."""

    code = "mentoring_session_not_found"


class MentoringSessionFullError(MentoringError):
    """Every seat of the session is taken."""

    code = "mentoring_session_full"


class MentoringSessionStartedError(MentoringError):
    """The session has started: sign-ups and cancellations are closed."""

    code = "mentoring_session_started"


class MentoringSessionNotStartedError(MentoringError):
    """Notes, a recording and attendance are recorded once the session has started."""

    code = "mentoring_session_not_started"


class MentoringHostSignUpError(MentoringError):
    """The host of a session does not sign up to it."""

    code = "mentoring_host_signup"


class NotMentorError(MentoringError):
    """The caller is neither a confirmed mentor nor an admin, so may not create a session."""

    code = "mentoring_not_mentor"


class HostNotMentorError(MentoringError):
    """The host an admin named is not a confirmed mentor."""

    code = "mentoring_host_not_mentor"


class MentorNotFoundError(MentoringError):
    """No active staff member with that id (confirm), or no mentor record (withdraw)."""

    code = "mentoring_mentor_not_found"


class NotCandidateError(MentoringError):
    """The person is not a candidate today: their partner is not in the ranking's top N,
    or their role is not one a mentor has."""

    code = "mentoring_not_candidate"


class InvalidSessionError(MentoringError):
    """Topic, start, duration, capacity or product line outside the bounds of the rules."""

    code = "mentoring_invalid_session"


class InvalidRecordError(MentoringError):
    """Notes too long, or a recording link that is not an http(s) URL within its length."""

    code = "mentoring_invalid_record"


class NotSignedUpError(MentoringError):
    """Attendance names someone who did not sign up to the session."""

    code = "mentoring_not_signed_up"


class MentoringForbiddenError(MentoringError):
    """The caller's role may not do this (admins confirm mentors; the host or an admin
    records a session)."""

    code = "forbidden"


class MentoringDataError(MentoringError):
    """The mentoring rules file is malformed (checked when loaded)."""

    code = "mentoring_data_invalid"


# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.
