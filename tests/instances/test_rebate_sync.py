"""RebateSync's version bookkeeping on the machine's Redis (no servers): a change made by
one instance makes the others reload once, never the writer; an unreachable Redis leaves
the current snapshot serving."""

from __future__ import annotations

import time

from assistant.api.rebate_sync import RebateSync
from tests.api.conftest import free_port
from tests.redis_backend import REDIS_URL, redis_prefix


def test_a_change_reloads_the_other_instances_once_and_not_the_writer() -> None:
    with redis_prefix() as prefix:
        reloads = {"a": 0, "b": 0}

        def counter(name: str) -> RebateSync:
            def reload() -> None:
                reloads[name] += 1

            sync = RebateSync(REDIS_URL, reload=reload, prefix=prefix, instance=name)
            sync.load(lambda: None)
            return sync

        a, b = counter("a"), counter("b")
        try:
            assert not a.catch_up() and not b.catch_up()  # nothing changed yet
            a.changed()
            assert a.loaded == 1 and not a.catch_up()  # the writer has its own change
            assert b.catch_up() and not b.catch_up()  # once, then up to date
            b.changed()
            b.changed()
            assert b.loaded == 3 and a.catch_up()
            assert reloads == {"a": 1, "b": 1}

            b.start()  # the listener reloads on the published message, without a request
            a.changed()
            deadline = time.monotonic() + 5
            while b.loaded < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert b.loaded == 4 and reloads["b"] == 2
        finally:
            a.close()
            b.close()


def test_without_a_reachable_redis_the_snapshot_keeps_serving() -> None:
    calls: list[str] = []
    sync = RebateSync(f"redis://127.0.0.1:{free_port()}/0", reload=lambda: calls.append("reload"), timeout_seconds=0.2)
    try:
        sync.load(lambda: calls.append("load"))  # logged, not raised
        sync.changed()  # logged, not raised
        assert not sync.catch_up()
        started = time.monotonic()
        assert not sync.catch_up()  # paused after the failure: no second wait on Redis
        assert time.monotonic() - started < 0.1
        assert calls == ["load"]
    finally:
        sync.close()
