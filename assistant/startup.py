"""The start-up check outside demo mode: no demo shortcut may be left in a real instance.

Demo mode (``--demo``, ``ASSISTANT_DEMO``) creates users with the public demo password
and serves a portal page that signs identity tokens for anyone.  Without it the service
refuses to start while

* any active user's password is the demo password (verified against the stored hash), or
* any portal has a secret written in the portals file (``demo_secret``),

and says which, with what to do instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from assistant.errors import AssistantError
from assistant.portals.registry import PortalRegistry, load_portals
from assistant.settings import Settings
from assistant.storage.db import Database, migrate
from assistant.users import describe, users_with_demo_password


class UnsafeStartError(AssistantError):
    code = "unsafe_start"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("refusing to start outside demo mode:\n  - " + "\n  - ".join(self.problems))


def demo_leftovers(*, settings: Settings, db: Database, registry: PortalRegistry) -> list[str]:
    """What a non-demo start must not have; empty when it may start."""
    problems: list[str] = []
    for portal in registry:
        if portal.file_secret:
            problems.append(
                f"portal {portal.id!r} has a secret written in {settings.portals_file} (demo_secret): "
                f"remove it and put the secret in the environment variable its secret_env names"
            )
    names = users_with_demo_password(db, settings.demo_password)
    if names:
        problems.append(
            f"{len(names)} active user(s) still have the demo password: {describe(names)}; give each a "
            f"password of its own with `python -m assistant users passwd USERNAME`, or start with --demo"
        )
    return problems


def preflight(settings: Settings) -> list[str]:
    """The same check, run by ``python -m assistant serve`` before the server starts, so
    the refusal is a plain message and exit code instead of a failed lifespan."""
    if settings.demo:
        return []
    migrate(settings.database_url)
    db = Database(settings.database_url)
    try:
        registry = load_portals(settings.portals_file, environ=os.environ, demo_mode=False)
        return demo_leftovers(settings=settings, db=db, registry=registry)
    finally:
        db.dispose()
