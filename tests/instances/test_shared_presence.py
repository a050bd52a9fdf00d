"""RedisPresence on the machine's Redis (no servers): experts online on one instance count
on another; the last console closing, a clean shutdown, or a dead instance's expiry takes
them off; an unreachable Redis leaves this instance's own experts counted."""

from __future__ import annotations

import time

from assistant.api.presence import RedisPresence
from tests.api.conftest import free_port
from tests.redis_backend import REDIS_URL, redis_prefix


def test_experts_online_on_one_instance_count_on_the_other() -> None:
    with redis_prefix() as prefix:
        a = RedisPresence(REDIS_URL, prefix=prefix, instance="a:1")
        b = RedisPresence(REDIS_URL, prefix=prefix, instance="b:2")
        try:
            assert a.connect("u-exp1") and not a.connect("u-exp1")  # two tabs: online once
            assert b.connect("u-exp2")
            assert a.online() == b.online() == {"u-exp1", "u-exp2"}
            assert b.is_online("u-exp1")
            assert not a.disconnect("u-exp1")  # one tab left: still online everywhere
            assert "u-exp1" in b.online()
            assert a.disconnect("u-exp1")
            assert b.online() == {"u-exp2"}
            b.close()  # shutdown takes its experts off at once
            assert a.online() == frozenset()
        finally:
            a.close()


def test_a_dead_instance_stops_counting_its_experts_after_the_ttl_and_a_live_one_is_renewed() -> None:
    with redis_prefix() as prefix:
        dead = RedisPresence(REDIS_URL, prefix=prefix, instance="dead:1", ttl_seconds=0.6)
        live = RedisPresence(REDIS_URL, prefix=prefix, instance="live:2", ttl_seconds=0.6)
        live.start()  # heartbeat every 0.2 s; the dead one never beats (as after SIGKILL)
        try:
            dead.connect("u-gone")
            live.connect("u-here")
            assert live.online() == {"u-gone", "u-here"}
            time.sleep(1.2)  # two TTLs
            assert live.online() == {"u-here"}
        finally:
            live.close()


def test_without_a_reachable_redis_this_instances_experts_still_count() -> None:
    p = RedisPresence(f"redis://127.0.0.1:{free_port()}/0", instance="x:1", timeout_seconds=0.2)
    try:
        assert p.connect("u-exp1")  # logged, not raised
        assert p.online() == {"u-exp1"}
        assert p.disconnect("u-exp1") and p.online() == frozenset()
    finally:
        p.close()
