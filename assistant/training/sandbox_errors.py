"""Domain errors of the deal sandbox (issue 15, item 1, the sandbox variant of practice).

Every error is an :class:`~assistant.errors.AssistantError` with a stable snake_case
``code``; the API layer maps codes to HTTP statuses (assistant/api/app.py) and user-facing
messages in zh-CN and English (assistant/i18n.py), so ``str(exc)`` is for logs only.

A refused decision names the field at fault (``field``: ``"lines[1].unit_price"``,
``"timing"``...) and the API puts it in the error body (``public_field``), so the page can
point at it; the field is the caller's own input, never anyone else's data.
"""

from __future__ import annotations

from assistant.errors import AssistantError


class SandboxError(AssistantError):
    """Base class of every sandbox error; ``field`` names the input at fault, if any."""

    code = "sandbox_error"
    public_field = False  # whether the API shows ``field`` in the error body

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field


class SandboxUnknownProductError(SandboxError):
    """A scenario was asked for with a product the catalogue does not have."""

    code = "sandbox_unknown_product"
    public_field = True


class SandboxInvalidDecisionError(SandboxError):
    """A decision out of bounds or naming a product the catalogue does not have."""

    code = "sandbox_invalid_decision"
    public_field = True


class SandboxScenarioNotFoundError(SandboxError):
    """The scenario id is not one the sandbox issues (malformed)."""

    code = "sandbox_scenario_not_found"


class SandboxScenarioChangedError(SandboxError):
    """The corpus or the sandbox data changed since the scenario was drawn (or the quarter
    turned): the same id now gives another scenario, so the decision is not computed."""

    code = "sandbox_scenario_changed"


class SandboxDataError(SandboxError):
    """``corpus/training/sandbox.yaml`` or the corpus it reads is missing or malformed."""

    code = "sandbox_data_invalid"


# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.
