"""Errors of the portal / widget domain, each with a stable ``code``."""

from __future__ import annotations

from assistant.errors import AssistantError


class PortalError(AssistantError):
    code = "portal_error"


class PortalConfigError(PortalError):
    """The portals file is malformed (raised at start-up, with the portal named)."""

    code = "portal_config_invalid"


class PortalNotFoundError(PortalError):
    """No such portal, or the portal has no signing secret configured."""

    code = "portal_not_found"


class IdentityTokenInvalidError(PortalError):
    """Malformed token, wrong portal, bad signature, or a lifetime longer than allowed."""

    code = "identity_token_invalid"


class IdentityTokenExpiredError(PortalError):
    code = "identity_token_expired"


class IdentityTokenReplayedError(PortalError):
    """The token's nonce was used before: identity tokens are single-use."""

    code = "identity_token_replayed"


class WidgetUserRejectedError(PortalError):
    """The user does not exist, is inactive, is not in the partner the token names,
    or that partner is not served by this portal."""

    code = "widget_user_rejected"
