"""Two real service instances of one settings object (the same database, Redis and secret)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from assistant.settings import Settings
from tests.api.conftest import LiveServer, free_port


@contextmanager
def two_instances(settings: Settings) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Instances A and B on free ports, started one after the other: the first migrates and
    seeds, the second finds it done.  Stopped in the reverse order."""
    a, b = LiveServer(settings, free_port()), LiveServer(settings, free_port())
    a.start()
    try:
        b.start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()
