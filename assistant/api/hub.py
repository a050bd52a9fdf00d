"""Live WebSocket connections per conversation, for events the server pushes on its
own (an expert joined, an expert's message), not in answer to a client frame.

Events are stored first (``ChatService.append_event``) so a client that is offline
gets them by ``resume``; the hub only delivers to whoever is connected now.

Two implementations of one interface (:class:`Hub`), chosen by
:func:`assistant.api.runtime.build_hub`:

* :class:`ConversationHub` (the default): the sockets of this process, in a dictionary;
  ``publish`` sends to them directly.
* :class:`RedisConversationHub` (``ASSISTANT_REDIS_URL`` set): for several instances
  behind one proxy.  ``publish`` sends the event once to the conversation's Redis
  channel; every instance holding a socket of that conversation is subscribed to the
  channel and delivers to its own sockets (the publishing instance included, through
  Redis like the others, so no socket gets an event twice).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from contextlib import suppress
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)


class Hub(Protocol):
    async def join(self, conversation_id: str, websocket: WebSocket) -> None: ...

    async def leave(self, conversation_id: str, websocket: WebSocket) -> None: ...

    def connected(self, conversation_id: str) -> int:
        """Sockets of the conversation open on this instance."""
        ...

    def total(self) -> int:
        """Open sockets of this instance over all conversations (the metrics gauge)."""
        ...

    async def publish(self, conversation_id: str, event: dict[str, Any], *, skip: WebSocket | None = None) -> int:
        """Deliver ``event`` to every socket of the conversation, on whichever instance
        (``skip``: the socket that has it already, the one whose turn it answers)."""
        ...

    async def close(self) -> None: ...


class ConversationHub:
    """The sockets of this process (see the module docstring)."""

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

    async def publish(self, conversation_id: str, event: dict[str, Any], *, skip: WebSocket | None = None) -> int:
        """Send to every socket of the conversation but ``skip``; returns how many received it."""
        async with self._lock:
            targets = [ws for ws in self._sockets.get(conversation_id, ()) if ws is not skip]
        delivered = 0
        for ws in targets:
            try:
                await ws.send_json(event)
                delivered += 1
            # Closing or closed (Starlette raises WebSocketDisconnect for a peer that is
            # gone): resume will catch it up, and the other sockets still get the event.
            except (RuntimeError, OSError, WebSocketDisconnect) as exc:
                log.debug("publish to a closing socket failed: %r", exc)
        return delivered

    async def close(self) -> None:
        """Nothing to release (the sockets close with their handlers)."""


class RedisConversationHub:
    """Conversation events through Redis pub/sub, one channel per conversation
    (``<prefix>:conversation:<id>``; the expert consoles' hub: ``<prefix>:expert:<user id>``).
    An instance subscribes to a conversation's channel while it holds at least one of its
    sockets, so ``publish`` reaches exactly the instances that have someone to deliver to.
    One connection per instance carries every subscription; a reader task delivers what
    arrives to the local sockets."""

    def __init__(
        self, url: str, *, prefix: str = "assistant", kind: str = "conversation", confirm_seconds: float = 5.0
    ) -> None:
        self._redis = Redis.from_url(url)
        self._pubsub = self._redis.pubsub()
        self._prefix = f"{prefix}:{kind}:"  # kind: what the keys name ("expert": the expert consoles)
        self._local = ConversationHub()
        self._lock = asyncio.Lock()  # orders (un)subscribe with the local joins and leaves
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._confirm_seconds = confirm_seconds
        # Each local socket's name on the wire, so an event can skip the socket it came from.
        self._names: dict[WebSocket, str] = {}
        self._by_name: dict[str, WebSocket] = {}

    def _channel(self, conversation_id: str) -> str:
        return self._prefix + conversation_id

    async def join(self, conversation_id: str, websocket: WebSocket) -> None:
        """Add the socket; the conversation's first socket on this instance subscribes, and
        join returns once Redis confirms it (an event published after join reaches it)."""
        async with self._lock:
            first = self._local.connected(conversation_id) == 0
            name = self._names.setdefault(websocket, uuid.uuid4().hex)
            self._by_name[name] = websocket
            await self._local.join(conversation_id, websocket)
            if not first:
                return
            channel = self._channel(conversation_id)
            confirmed = asyncio.get_running_loop().create_future()
            self._confirmed[channel] = confirmed
            try:
                await self._pubsub.subscribe(channel)
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.create_task(self._read(), name="hub-redis-reader")
                await asyncio.wait_for(confirmed, self._confirm_seconds)
            except BaseException:
                self._confirmed.pop(channel, None)
                await self._local.leave(conversation_id, websocket)
                self._forget(websocket)
                raise

    async def leave(self, conversation_id: str, websocket: WebSocket) -> None:
        async with self._lock:
            await self._local.leave(conversation_id, websocket)
            self._forget(websocket)
            if self._local.connected(conversation_id) == 0:
                try:
                    await self._pubsub.unsubscribe(self._channel(conversation_id))
                except RedisError as exc:  # the connection is gone: so is the subscription
                    log.warning("hub: unsubscribe failed: %s", exc)

    def connected(self, conversation_id: str) -> int:
        return self._local.connected(conversation_id)

    def total(self) -> int:
        return self._local.total()

    def _forget(self, websocket: WebSocket) -> None:
        name = self._names.pop(websocket, None)
        if name is not None:
            self._by_name.pop(name, None)

    async def publish(self, conversation_id: str, event: dict[str, Any], *, skip: WebSocket | None = None) -> int:
        """Send the event once to the conversation's channel; returns how many instances
        were subscribed (each delivers to its own sockets), 0 when Redis cannot be reached
        (the event is stored: the clients get it by ``resume``)."""
        body = {"event": event, "skip": self._names.get(skip) if skip is not None else None}
        try:
            return int(await self._redis.publish(self._channel(conversation_id), json.dumps(body, ensure_ascii=False)))
        except RedisError as exc:
            log.warning("hub: publish to Redis failed (clients catch up by resume): %s", exc)
            return 0

    async def _read(self) -> None:
        """Deliver what arrives on the subscribed channels to this instance's sockets."""
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:  # redis-py reconnects and resubscribes
                log.warning("hub: reading from Redis failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = _text(message.get("channel"))
            if message["type"] == "subscribe":
                waiting = self._confirmed.pop(channel, None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)
            elif message["type"] == "message" and channel.startswith(self._prefix):
                try:
                    body = json.loads(message["data"])
                    event, skip = body["event"], body.get("skip")
                except (TypeError, ValueError, KeyError) as exc:
                    log.warning("hub: undecodable message on %s: %s", channel, exc)
                    continue
                try:
                    await self._local.publish(channel[len(self._prefix) :], event, skip=self._by_name.get(skip or ""))
                except Exception:  # never end the reader: every later event would be lost
                    log.exception("hub: delivering an event on %s failed", channel)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        with suppress(RedisError, OSError):
            await self._pubsub.aclose()
        with suppress(RedisError, OSError):
            await self._redis.aclose()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
