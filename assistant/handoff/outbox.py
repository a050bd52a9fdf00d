"""From domain calls to the transport: what must be delivered, and who is online.

Handoff calls run in worker threads (they do database I/O); deliveries happen on
the server's event loop.  :class:`Outbox` is the thread-safe seam between them: the
service ``put``s, the API layer ``bind``s a sink that schedules delivery on its
loop.  Anything put before a sink is bound is kept and flushed on ``bind``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.chat.service import StoredEvent


@dataclass(frozen=True, slots=True)
class ToConversation:
    """A stored chat event for the requester's live sockets (resume covers the rest)."""

    conversation_id: str
    event: StoredEvent


@dataclass(frozen=True, slots=True)
class ToExpert:
    """An event for one expert's console sockets."""

    expert_id: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToConversationLive:
    """An event for the requester's live sockets that is not stored (a call signal)."""

    conversation_id: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """The queue of these product lines changed ("" = sessions any expert may take)."""

    lines: frozenset[str]


Delivery = ToConversation | ToConversationLive | ToExpert | QueueChanged


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sink: Callable[[Delivery], None] | None = None
        self._pending: list[Delivery] = []

    def put(self, delivery: Delivery) -> None:
        with self._lock:
            sink = self._sink
            if sink is None:
                self._pending.append(delivery)
                return
        sink(delivery)

    def bind(self, sink: Callable[[Delivery], None]) -> None:
        with self._lock:
            self._sink = sink
            pending, self._pending = self._pending, []
        for delivery in pending:
            sink(delivery)

    def unbind(self) -> None:
        with self._lock:
            self._sink = None

    def drain(self) -> list[Delivery]:
        """What is waiting for a sink (tests read deliveries this way)."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending


class Presence:
    """Which experts have a console connected (a count per expert: several tabs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()

    def connect(self, expert_id: str) -> bool:
        """Returns True when the expert just came online."""
        with self._lock:
            self._count[expert_id] += 1
            return self._count[expert_id] == 1

    def disconnect(self, expert_id: str) -> bool:
        """Returns True when the expert just went offline."""
        with self._lock:
            if self._count[expert_id] <= 0:
                return False
            self._count[expert_id] -= 1
            if self._count[expert_id] == 0:
                del self._count[expert_id]
                return True
            return False

    def online(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._count)

    def is_online(self, expert_id: str) -> bool:
        with self._lock:
            return self._count.get(expert_id, 0) > 0
