"""Errors of the role-play practice.  Each carries a stable ``code`` for the chat and web faces."""

from __future__ import annotations

from assistant.errors import AssistantError


class RoleplayError(AssistantError):
    """Base class of role-play errors."""

    code = "roleplay_error"


class RoleplayDataError(RoleplayError):
    """``corpus/training/roleplay.yaml`` is missing or malformed."""

    code = "roleplay_data_invalid"


class ScenarioRequestError(RoleplayError):
    """A scenario was asked for with a product, persona, scale, industry or competitor the
    corpus does not have (``field`` names which)."""

    code = "roleplay_bad_request"

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {value!r} is not in the corpus")


class NoSuchTurnError(RoleplayError):
    """An answer was given for a turn the scenario does not have."""

    code = "roleplay_no_such_turn"
