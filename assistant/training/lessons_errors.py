"""Domain errors of the micro-lessons (issue 15, item 3: catalogue, quiz, completion).

Every error is an :class:`~assistant.errors.AssistantError` with a stable snake_case
``code``; the API layer maps codes to HTTP statuses (assistant/api/app.py) and user-facing
messages in zh-CN and English (assistant/i18n.py), so ``str(exc)`` is for logs only.

An attempt id of another user is answered exactly like an id that does not exist
(:class:`QuizAttemptNotFoundError`); a channel node outside the caller's subtree is the
rebates' ``partner_not_found``, as everywhere else in the tree.
"""

from __future__ import annotations

from assistant.errors import AssistantError


class TrainingError(AssistantError):
    """Base class of every micro-lesson error; ``field`` names the input at fault, if any."""

    code = "training_error"

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field


class LessonNotFoundError(TrainingError):
    """No lesson with that id in the catalogue."""

    code = "lesson_not_found"


class InvalidLessonFilterError(TrainingError):
    """A catalogue filter names a role, topic, mode, product line or week the catalogue does not have."""

    code = "invalid_lesson_filter"


class QuizAttemptNotFoundError(TrainingError):
    """No quiz attempt with that id among the caller's own (another user's is not found either)."""

    code = "quiz_attempt_not_found"


class QuizAttemptFinishedError(TrainingError):
    """The attempt was submitted already: answers are graded once, a replay changes nothing."""

    code = "quiz_attempt_finished"


class QuizAttemptExpiredError(TrainingError):
    """The attempt is older than the quiz allows, or the quiz changed since it started."""

    code = "quiz_attempt_expired"


class InvalidQuizAnswersError(TrainingError):
    """The answers are not one option position per question, each within that question's options."""

    code = "invalid_quiz_answers"


class TrainingForbiddenError(TrainingError):
    """The caller's role may not do this (the team roll-up is for managers and admins)."""

    code = "forbidden"


class TrainingDataError(TrainingError):
    """The lessons, quizzes or catalogue files are malformed or disagree (checked when loaded)."""

    code = "training_data_invalid"


# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.
