"""Which experts are online, over every instance (``redis_url`` set).

:class:`assistant.handoff.outbox.Presence` counts the expert consoles connected to this
process.  Behind a proxy an expert's console may be on instance A while a salesperson's
request arrives on B; B must count the expert as online (queue the request and offer it,
not turn it into an offline ticket) and push the queue to the expert's console on A.

:class:`RedisPresence` keeps the local count (``connect``/``disconnect`` still say when an
expert came online or went offline *here*) and mirrors it into one Redis sorted set,
``<prefix>:handoff:presence``: a member per (expert, instance), scored with the time it
expires.  A heartbeat thread renews this instance's members every ``ttl/3`` seconds, so an
instance that dies without saying goodbye (SIGKILL, a lost machine) stops counting its
experts within ``ttl`` seconds; a clean shutdown and an expert's last console closing
remove them at once.  ``online()`` is every expert with an unexpired member on any instance.

The queue then reaches the expert wherever the console is: the instance where the queue
changed pushes it to every online expert through the expert consoles' hub, which is Redis
pub/sub too (:mod:`assistant.api.hub`).

When Redis cannot be reached ``online()`` falls back to this instance's experts (logged):
a request is then queued if an expert is here, else it becomes a ticket as before.
Clocks: expiry times are this machine's wall clock; instances whose clocks differ by more
than a few seconds shorten or lengthen each other's grace period by as much.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from redis.exceptions import RedisError

from assistant.handoff.outbox import Presence

log = logging.getLogger(__name__)

SEPARATOR = "\n"  # between expert id and instance in a member (neither contains one)


class RedisPresence(Presence):
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "assistant",
        instance: str,
        ttl_seconds: float = 30.0,
        timeout_seconds: float = 1.0,
    ) -> None:
        super().__init__()
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
        self.key = f"{prefix}:handoff:presence"
        self._instance = instance
        self._ttl = ttl_seconds
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def _member(self, expert_id: str) -> str:
        return f"{expert_id}{SEPARATOR}{self._instance}"

    # ----------------------------------------------------------------- local changes

    def connect(self, expert_id: str) -> bool:
        came_online = super().connect(expert_id)
        self._announce([expert_id])
        return came_online

    def disconnect(self, expert_id: str) -> bool:
        went_offline = super().disconnect(expert_id)
        if went_offline:
            try:
                self._redis.zrem(self.key, self._member(expert_id))
            except RedisError as exc:  # the member expires by itself
                log.warning("presence: could not remove %s (expires in %ss): %s", expert_id, self._ttl, exc)
        return went_offline

    def _announce(self, expert_ids: list[str]) -> None:
        if not expert_ids:
            return
        expires = time.time() + self._ttl
        try:
            self._redis.zadd(self.key, {self._member(e): expires for e in expert_ids})
        except RedisError as exc:
            log.warning("presence: could not announce %d expert(s) online: %s", len(expert_ids), exc)

    # ----------------------------------------------------------------- every instance

    def online(self) -> frozenset[str]:
        local = super().online()
        try:
            members = self._redis.zrangebyscore(self.key, time.time(), "+inf")
        except RedisError as exc:
            log.warning("presence: Redis unreadable, counting this instance's experts only: %s", exc)
            return local
        shared = {_text(m).split(SEPARATOR, 1)[0] for m in members}
        return local | frozenset(shared)

    def is_online(self, expert_id: str) -> bool:
        return expert_id in self.online()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._heartbeat = threading.Thread(target=self._beat, name="presence-heartbeat", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(self._ttl / 3):
            self._announce(sorted(super().online()))
            try:  # members of instances that died without removing theirs
                self._redis.zremrangebyscore(self.key, "-inf", time.time())
            except RedisError as exc:
                log.warning("presence: could not drop expired members: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=3)
        members = [self._member(e) for e in super().online()]
        try:
            if members:
                self._redis.zrem(self.key, *members)
        except RedisError as exc:
            log.warning("presence: could not remove this instance's experts at shutdown: %s", exc)
        finally:
            self._redis.close()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
