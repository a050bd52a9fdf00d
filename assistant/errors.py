"""Root of the domain exception hierarchy.

Every domain error carries a stable ``code`` (snake_case) that the API layer
maps to an HTTP status or a WebSocket ``error`` event.  Messages shown to users
are looked up by code in :mod:`assistant.i18n`, never taken from ``str(exc)``.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for errors the service knows how to report."""

    code: str = "internal"
