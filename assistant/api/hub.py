"""Live WebSocket connections per conversation, for events the server pushes on its
own (an expert joined, an expert's message), not in answer to a client frame.

Events are stored first (``ChatService.append_event``) so a client that is offline
gets them by ``resume``; the hub only delivers to whoever is connected now.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from starlette.websockets import WebSocket

log = logging.getLogger(__name__)


class ConversationHub:
    def __init__(self) -> None:
        self._sockets: dict[str, set[WebSocket]] = defaultdict(set)
        self._lock = asyncio.Lock()

    async def join(self, conversation_id: str, websocket: WebSocket) -> None:
        async with self._lock:
            self._sockets[conversation_id].add(websocket)

    async def leave(self, conversation_id: str, websocket: WebSocket) -> None:
        async with self._lock:
            sockets = self._sockets.get(conversation_id)
            if sockets is not None:
                sockets.discard(websocket)
                if not sockets:
                    del self._sockets[conversation_id]

    def connected(self, conversation_id: str) -> int:
        return len(self._sockets.get(conversation_id, ()))

    def total(self) -> int:
        """Open sockets over all conversations (the metrics gauge)."""
        return sum(len(sockets) for sockets in list(self._sockets.values()))

    async def publish(self, conversation_id: str, event: dict[str, Any]) -> int:
        """Send to every socket of the conversation; returns how many received it."""
        async with self._lock:
            targets = list(self._sockets.get(conversation_id, ()))
        delivered = 0
        for ws in targets:
            try:
                await ws.send_json(event)
                delivered += 1
            except (RuntimeError, OSError) as exc:  # closing or closed: resume will catch it up
                log.debug("publish to a closing socket failed: %s", exc)
        return delivered
