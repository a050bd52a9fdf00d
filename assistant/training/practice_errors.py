"""Domain errors of the practice sessions (issue 15, item 1: role-play with scoring, stored).

Every error is an :class:`~assistant.errors.AssistantError` with a stable snake_case
``code``; the API layer maps codes to HTTP statuses (assistant/api/app.py) and user-facing
messages in zh-CN and English (assistant/i18n.py), so ``str(exc)`` is for logs only.

An answer is never an error, whatever its text: empty, off-topic, abusive or over-long
answers are scored (low) with polite feedback by the rubric.  What is refused is the
*request*: a value the corpus does not have (the code names the field), a session that is
not the caller's (answered exactly like a missing one), a turn out of order, a second and
different answer to a turn already answered.
"""

from __future__ import annotations

from assistant.errors import AssistantError


class PracticeError(AssistantError):
    """Base class of every practice error; ``field`` names the input at fault, if any."""

    code = "practice_error"

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field


class PracticeRequestError(PracticeError):
    """A practice was asked for with a value the corpus does not have (base of the four below)."""

    code = "practice_bad_request"


class UnknownProductError(PracticeRequestError):
    code = "practice_unknown_product"


class UnknownIndustryError(PracticeRequestError):
    code = "practice_unknown_industry"


class UnknownPersonaError(PracticeRequestError):
    code = "practice_unknown_persona"


class UnknownCompetitorError(PracticeRequestError):
    """The competitor is not one of the chosen product's competitor blocks."""

    code = "practice_unknown_competitor"


class PracticeNotFoundError(PracticeError):
    """No practice session with that id among the caller's own (another user's is not found either)."""

    code = "practice_not_found"


class PracticeTurnInvalidError(PracticeError):
    """The turn number is not one of the session's turns (1..n)."""

    code = "practice_turn_invalid"


class PracticeTurnNotNextError(PracticeError):
    """An answer to a turn the customer has not reached yet: turns are answered in order."""

    code = "practice_turn_not_next"


class PracticeTurnAnsweredError(PracticeError):
    """The turn was answered already with another text: an answer counts once (the same text
    again gets the stored result back)."""

    code = "practice_turn_answered"


class PracticeFinishedError(PracticeError):
    """The session is finished: no more answers."""

    code = "practice_finished"


class PracticeNothingAnsweredError(PracticeError):
    """A session cannot be finished before its first answer (nothing to score)."""

    code = "practice_nothing_answered"


class PracticeScenarioChangedError(PracticeError):
    """The corpus changed since the session started, so its customer cannot be played again
    as he was; start a new practice."""

    code = "practice_scenario_changed"


class PracticeDataError(PracticeError):
    """The role-play data file or the corpus it reads is missing or malformed."""

    code = "practice_data_invalid"


class PracticeForbiddenError(PracticeError):
    """The caller's role may not do this (the team roll-up is for managers and admins)."""

    code = "forbidden"


# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.
