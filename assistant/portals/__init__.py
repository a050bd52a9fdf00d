"""Partner portals that embed the chat widget: the registry of portals (allowed
origins, signing secret), the signed identity token a portal's server issues for
its signed-in user, and the exchange of that token for an ordinary access token.

Pure domain code (no HTTP): :mod:`assistant.api.routes_web` translates.
"""

from assistant.portals.errors import (
    IdentityTokenExpiredError,
    IdentityTokenInvalidError,
    IdentityTokenReplayedError,
    PortalConfigError,
    PortalError,
    PortalNotFoundError,
    WidgetUserRejectedError,
)
from assistant.portals.registry import Portal, PortalRegistry, load_portals, normalize_origin
from assistant.portals.service import WidgetService, WidgetSessionGrant
from assistant.portals.tokens import IdentityClaims, sign_identity, verify_identity

__all__ = [
    "IdentityClaims",
    "IdentityTokenExpiredError",
    "IdentityTokenInvalidError",
    "IdentityTokenReplayedError",
    "Portal",
    "PortalConfigError",
    "PortalError",
    "PortalNotFoundError",
    "PortalRegistry",
    "WidgetService",
    "WidgetSessionGrant",
    "WidgetUserRejectedError",
    "load_portals",
    "normalize_origin",
    "sign_identity",
    "verify_identity",
]
