"""Keeping every instance's rebate model current after an admin change (``redis_url`` set).

:class:`assistant.rebates.service.RebateService` serves reads from an in-memory snapshot
of the rebate tables; an admin's change (a node added, moved or deactivated, orders
recorded) swaps a new snapshot in on the instance that made it, and only there.  With
several instances behind one proxy the others would go on enforcing the old channel tree
(a moved partner's statement readable by its former alliance manager) until restarted.

:class:`RebateSync` shares a version number in Redis (``<prefix>:rebates:version``):

* the writing instance, after its change is committed, increments the version and
  publishes ``{"version": n, "instance": id}`` on ``<prefix>:rebates``;
* every instance keeps the version its snapshot was loaded at and, when the shared one is
  newer, reloads the snapshot from the database: at once on the published message (a
  listener thread, so chat turns that quote rebates follow within milliseconds), and
  again, to be sure, before serving each rebate request (one ``GET``; the very next
  request after the admin's answer is served from the new tree, however late the
  message).  The version is read *before* the database is, so a change committed during a
  reload leaves the instance behind and it reloads once more.

Without ``redis_url`` there is one instance and nothing of this is built.  When Redis
cannot be reached the instance serves the snapshot it has (logged; checks pause for a few
seconds so a Redis outage does not slow every request) and catches up once Redis answers.
The domain package knows nothing of this: it only offers ``reload()``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PAUSE_AFTER_FAILURE_SECONDS = 5.0


class RebateSync:
    def __init__(
        self,
        url: str,
        *,
        reload: Callable[[], None],
        prefix: str = "assistant",
        instance: str = "",
        timeout_seconds: float = 1.0,
    ) -> None:
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
        self._reload = reload
        self._instance = instance
        self.version_key = f"{prefix}:rebates:version"
        self.channel = f"{prefix}:rebates"
        self.loaded = 0  # the shared version the in-memory snapshot includes
        self.reloads = 0  # reloads made because another instance changed the data
        self._lock = threading.Lock()  # one reload at a time; orders ``loaded`` updates
        self._paused_until = 0.0
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    # ----------------------------------------------------------------- versions

    def shared_version(self) -> int:
        value = self._redis.get(self.version_key)
        return int(value) if value is not None else 0

    def load(self, load: Callable[[], None]) -> None:
        """Run the first load (``RebateService.open``) and note the version it includes."""
        try:
            version = self.shared_version()
        except RedisError as exc:
            log.warning("rebates: shared version unreadable at start (%s); catching up later", exc)
            version = 0
        load()
        self.loaded = version

    def changed(self) -> None:
        """This instance committed a change (its own snapshot has it): tell the others."""
        try:
            version = int(self._redis.incr(self.version_key))
            self._redis.publish(self.channel, json.dumps({"version": version, "instance": self._instance}))
        except RedisError as exc:
            # The others catch up at the next change that does reach Redis, or never if none
            # does: say so loudly.
            log.error("rebates: change not shared with the other instances (Redis: %s)", exc)
            return
        with self._lock:
            if self.loaded == version - 1:  # nobody else changed anything in between
                self.loaded = version
        log.info("rebates: shared version %d (this instance's change)", version)

    def catch_up(self) -> bool:
        """Reload if another instance changed the rebate data since our snapshot.
        Returns whether a reload happened."""
        if time.monotonic() < self._paused_until:
            return False
        try:
            if self.shared_version() <= self.loaded:
                return False
            with self._lock:
                version = self.shared_version()  # again, under the lock: one reload for many waiters
                if version <= self.loaded:
                    return False
                self._reload()
                self.loaded = version
                self.reloads += 1
        except RedisError as exc:
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
            log.warning("rebates: shared version unreadable, serving the current snapshot: %s", exc)
            return False
        log.info("rebates: reloaded at shared version %d", version)
        return True

    # ----------------------------------------------------------------- listener

    def start(self) -> None:
        self._listener = threading.Thread(target=self._listen, name="rebates-sync", daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            while not self._stop.is_set():
                try:
                    if not pubsub.subscribed:
                        pubsub.subscribe(self.channel)
                        self.catch_up()  # whatever was published while not subscribed
                    message = pubsub.get_message(timeout=1.0)
                except (RedisError, OSError) as exc:
                    log.warning("rebates: listening on Redis failed: %s", exc)
                    pubsub.close()
                    pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                    self._stop.wait(1.0)
                    continue
                if message is not None and message.get("type") == "message":
                    try:
                        self.catch_up()
                    except Exception:  # a reload that fails must not end the listener
                        log.exception("rebates: reload after a change on another instance failed")
        finally:
            pubsub.close()

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
        self._redis.close()
