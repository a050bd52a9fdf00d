"""Finding 6: throttling.  Sign-in locks after failures (even the right password waits),
attempts, chat messages (REST and WebSocket), widget session exchanges and expensive routes
are limited with 429 + Retry-After; a socket that keeps sending while refused is closed
with 1008; password hashes run a few at a time; a body is refused while it is still arriving."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from assistant.api.throttle import SignInBusyError, Throttle
from assistant.settings import Settings
from tests.api.conftest import LiveServer
from tests.security.b_support import auth, new_conversation, recv, start_live, ws_connect

pytestmark = pytest.mark.slow

SIGN_IN = "/api/auth/token"


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[LiveServer]:
    # Limits per hour, not per minute: the sliding-window counter weighs the previous window by the
    # time left of it, so a test that straddles a window's end may see one more request allowed.
    srv = start_live(
        tmp_path,
        rate_limit_messages_user="3/hour",
        rate_limit_ws_refusals="2/hour",
        rate_limit_widget_session_ip="2/hour",
        rate_limit_expensive="2/hour",
        max_body_bytes=64 * 1024,
    )
    yield srv
    srv.stop()


def sign_in(live: LiveServer, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{live.http}{SIGN_IN}", json={"username": username, "password": password})


def test_failed_sign_ins_lock_the_name_with_a_growing_wait(tmp_path: Path) -> None:
    live = start_live(tmp_path, rate_limit_sign_in_failures_user="3/minute;5/hour")
    try:
        for _ in range(3):
            assert sign_in(live, "alice", "wrong").json()["code"] == "invalid_credentials"
        locked = sign_in(live, "alice", "pw-test-123")  # the right password waits too
        assert locked.status_code == 429 and locked.json()["code"] == "sign_in_locked"
        wait = int(locked.headers["Retry-After"])
        assert 1 <= wait <= 60 and locked.json()["retry_after"] == wait
        assert "锁定" in locked.json()["message"]
        assert sign_in(live, " ALICE", "x").json()["code"] == "sign_in_locked"  # names compare folded
        assert sign_in(live, "bob", "pw-test-123").status_code == 200  # another name is not locked
    finally:
        live.stop()


def test_the_lock_grows_with_more_failures(tmp_path: Path) -> None:
    # The long tier is a day, not an hour: its window ends on the clock's boundary, and an hour's
    # would leave less than a minute to wait in the last minute of every hour.  The short tier's
    # counter slides over two-second windows, so failures that straddle a window's edge may
    # need one more to lock: the test counts on "within a few", not on an exact number.
    live = start_live(tmp_path, rate_limit_sign_in_failures_user="2/2 seconds;5/day")
    try:
        first = locked_after(live, attempts=4)
        assert first is not None and first <= 60  # the short tier
        # The short tier frees up: the sliding-window counter still weighs the previous window's
        # failures during the next one, so it is free for sure after two windows.
        time.sleep(4.5)
        assert sign_in(live, "alice", "wrong").json()["code"] == "invalid_credentials"
        waits = []
        for _ in range(6):  # more failures, each after any short lock has passed, until the day's tier holds
            wait = locked_after(live, attempts=1)
            if wait is not None and wait > 60:
                break
            if wait is not None:
                waits.append(wait)
                time.sleep(wait + 0.2)
        second = sign_in(live, "alice", "pw-test-123")
        assert second.json()["code"] == "sign_in_locked"
        assert int(second.headers["Retry-After"]) > 60 >= first  # now the day's tier holds it
        assert all(w <= 60 for w in waits)
    finally:
        live.stop()


def locked_after(live: LiveServer, *, attempts: int) -> int | None:
    """Fail to sign in as alice up to ``attempts`` times; the Retry-After of the first refusal."""
    for _ in range(attempts):
        r = sign_in(live, "alice", "wrong")
        if r.json()["code"] == "sign_in_locked":
            return int(r.headers["Retry-After"])
        assert r.json()["code"] == "invalid_credentials"
    return None


def test_a_success_clears_earlier_failures(live_ok: LiveServer) -> None:
    for _ in range(4):
        sign_in(live_ok, "alice", "wrong")
    assert sign_in(live_ok, "alice", "pw-test-123").status_code == 200
    for _ in range(4):  # four more failures: not locked, the count started again
        assert sign_in(live_ok, "alice", "wrong").json()["code"] == "invalid_credentials"


@pytest.fixture
def live_ok(tmp_path: Path) -> Iterator[LiveServer]:
    srv = start_live(tmp_path)
    yield srv
    srv.stop()


def test_sign_in_attempts_per_address_are_limited(tmp_path: Path) -> None:
    # Per hour, as in ``tight`` (a window's end crossed mid-test let a sixth attempt through on CI).
    live = start_live(tmp_path, rate_limit_sign_in_ip="5/hour", rate_limit_sign_in_failures_ip="100/minute")
    try:
        codes = [sign_in(live, f"nobody{n}", "x").status_code for n in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        refused = sign_in(live, "alice", "pw-test-123")
        assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    finally:
        live.stop()


def test_rest_messages_are_limited_and_the_refused_one_is_not_stored(tight: LiveServer) -> None:
    token = tight.token()
    cid = new_conversation(tight, token)
    url = f"{tight.http}/api/conversations/{cid}/messages"
    statuses = [
        httpx.post(url, headers=auth(token), json={"client_msg_id": f"m{n}", "text": "你好"}).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    events = httpx.get(f"{tight.http}/api/conversations/{cid}/events", headers=auth(token)).json()["events"]
    assert sum(1 for e in events if e["type"] == "ack") == 3


def test_websocket_messages_get_rate_limited_then_the_socket_is_closed(tight: LiveServer) -> None:
    token = tight.token()

    async def scenario() -> tuple[list[dict[str, object]], int | None]:
        seen: list[dict[str, object]] = []
        async with ws_connect(tight, token) as ws:
            await recv(ws)
            try:
                for n in range(8):
                    await ws.send(json.dumps({"type": "message", "client_msg_id": f"w{n}", "text": "你好"}))
                    while True:
                        event = await recv(ws)
                        seen.append(event)
                        if event["type"] in ("profile", "error"):
                            break
            except ConnectionClosed:
                pass
            await ws.wait_closed()
            return seen, ws.close_code

    seen, close_code = asyncio.run(scenario())
    errors = [e for e in seen if e["type"] == "error"]
    assert sum(1 for e in seen if e["type"] == "reply") == 3
    assert [e["code"] for e in errors] == ["rate_limited", "rate_limited"]
    assert all(isinstance(e["retry_after"], int) and e["retry_after"] >= 1 for e in errors)
    assert errors[0]["client_msg_id"] == "w3"
    assert close_code == 1008


def test_websocket_frames_of_any_kind_are_limited(tmp_path: Path) -> None:
    live = start_live(tmp_path, rate_limit_ws_frames="5/hour")
    token = live.token()

    async def scenario() -> list[str]:
        async with ws_connect(live, token) as ws:
            await recv(ws)
            for _ in range(6):
                await ws.send(json.dumps({"type": "resume", "last_seq": 0}))
            await ws.send("not json")
            return [str((await recv(ws))["code"]) for _ in range(2)]

    try:
        assert asyncio.run(scenario()) == ["rate_limited", "rate_limited"]
    finally:
        live.stop()


def test_video_call_signals_have_their_own_frame_budget(tmp_path: Path) -> None:
    # A call sends dozens of signals (ICE candidates through TURN, restarts): they do not eat the
    # chat frames' budget, and have a budget of their own.
    live = start_live(tmp_path, rate_limit_ws_frames="5/hour", rate_limit_ws_rtc_frames="12/hour")
    token = live.token()
    signal = {"type": "rtc", "session_id": "no-such-session", "signal": {"kind": "ice", "candidate": {}}}

    async def scenario() -> tuple[list[str], list[str]]:
        async with ws_connect(live, token) as ws:
            await recv(ws)
            for _ in range(12):
                await ws.send(json.dumps(signal))
            rtc = [str((await recv(ws))["code"]) for _ in range(12)]
            await ws.send(json.dumps(signal))  # the 13th signal: over its own budget
            rtc.append(str((await recv(ws))["code"]))
            await ws.send("not json")  # the chat budget is untouched by the signals
            return rtc, [str((await recv(ws))["code"])]

    try:
        rtc, chat = asyncio.run(scenario())
        assert rtc == ["rtc_not_allowed"] * 12 + ["rate_limited"]
        assert chat == ["invalid_json"]
    finally:
        live.stop()


def test_widget_session_exchange_and_expensive_routes_are_limited(tight: LiveServer) -> None:
    body = {"portal_id": "nope", "identity_token": "x"}
    codes = [httpx.post(f"{tight.http}/api/widget/session", json=body).status_code for _ in range(3)]
    assert codes[2] == 429 and 429 not in codes[:2]
    h = auth(tight.token())
    statuses = [httpx.get(f"{tight.http}/api/rebates/history", headers=h).status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]
    refused = httpx.get(f"{tight.http}/api/rebates/history", headers=h)
    assert refused.json()["code"] == "rate_limited" and refused.headers["Retry-After"].isdigit()


def test_password_hashes_run_a_few_at_a_time() -> None:
    throttle = Throttle(Settings(max_concurrent_password_hashes=2, password_hash_wait_seconds=0.3))
    running, peak, lock = [0], [0], threading.Lock()

    def slow_hash() -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return "ok"

    async def storm() -> list[object]:
        results: list[object] = []

        async def one() -> None:
            try:
                results.append(await throttle.hashing(slow_hash))
            except SignInBusyError as exc:
                results.append(exc.code)

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
        return results

    results = asyncio.run(storm())
    assert peak[0] == 2
    assert results.count("ok") in (2, 4) and results.count("sign_in_busy") == 10 - results.count("ok")


def test_parallel_sign_ins_beyond_the_hash_slots_get_503_not_500(tmp_path: Path) -> None:
    live = start_live(
        tmp_path,
        max_concurrent_password_hashes=1,
        password_hash_wait_seconds=0.01,
        rate_limit_sign_in_ip="1000/minute",
        rate_limit_sign_in_failures_ip="1000/minute",
    )

    async def storm() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(f"{live.http}{SIGN_IN}", json={"username": f"x{n}", "password": "y"})
                        for n in range(20)
                    )
                )
            )

    try:
        responses = asyncio.run(storm())
        statuses = {r.status_code for r in responses}
        assert statuses <= {401, 503} and 503 in statuses
        busy = next(r for r in responses if r.status_code == 503)
        assert busy.json()["code"] == "sign_in_busy" and busy.headers["Retry-After"] == "1"
    finally:
        live.stop()


def test_a_large_body_is_refused_before_it_is_all_read(tight: LiveServer) -> None:
    # A declared 100 MB body: refused at once, nothing of it sent.
    with socket.create_connection(("127.0.0.1", tight.port), timeout=10) as sock:
        sock.sendall(b"POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 413")
    big = httpx.post(f"{tight.http}{SIGN_IN}", content=b"x" * (65 * 1024), headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["code"] == "body_too_large"

    # Chunked, no Content-Length: up to 64 MiB offered, the 413 comes after the first 64 KiB.
    with socket.create_connection(("127.0.0.1", tight.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (16 * 1024, b"x" * 16 * 1024)
        sent, answer = 0, b""
        sock.settimeout(0.05)
        while sent < 64 * 1024 * 1024:
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 16 * 1024
        sock.settimeout(5)
        while b"\r\n\r\n" not in answer or b"}" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"body_too_large"' in answer
    assert sent < 8 * 1024 * 1024  # refused long before the 64 MiB were sent
