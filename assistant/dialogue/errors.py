"""Errors of the dialogue engine.  Each carries a stable ``code`` for the API layer."""

from __future__ import annotations

from assistant.errors import AssistantError


class DialogueError(AssistantError):
    """Base class of dialogue errors."""

    code = "dialogue_error"


class EmptyUtteranceError(DialogueError):
    """The user's text is empty after normalisation."""

    code = "empty_utterance"


class UtteranceTooLongError(DialogueError):
    code = "utterance_too_long"


class UnknownRecommendationKindError(DialogueError):
    code = "unknown_recommendation_kind"


class SkillError(DialogueError):
    """A pluggable skill (rebates, handoff) failed; the engine turns it into a polite reply."""

    code = "skill_failed"
