"""Finding 4: numbers are bounded at the edge.  Huge digits in chat text, unbounded profile
amounts, seqs past 64 bits and 5,000-digit integers get a 422 / error event with a stable
code, never a 500 or a dropped socket; a stored profile that older code let through does
not break later turns."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import update

from assistant.chat.service import InvalidProfileError, parse_profile_patch, profile_from_json
from assistant.dialogue.numbers import find_numbers
from assistant.storage.models import Conversation
from tests.api.conftest import LiveServer
from tests.security.b_support import auth, live_b, new_conversation, recv, recv_until, ws_connect

__all__ = ["live_b"]

HUGE = "9" * 5000


def test_number_parser_ignores_figures_past_its_bound() -> None:
    assert find_numbers("再卖 " + "9" * 29 + " 元") == []
    assert find_numbers("一" + "亿" * 12 + "元") == []
    assert [m.value for m in find_numbers("再卖 30万")] == [Decimal(300000)]
    assert [m.value for m in find_numbers("999999999999999元")] == [Decimal(999999999999999)]


@pytest.mark.parametrize(
    "patch",
    [
        {"order_amount": 1e30},
        {"order_amount": "1e30"},
        {"order_amount": float("nan")},
        {"order_amount": "Infinity"},
        {"order_amount": "9" * 60},
        {"order_amount": True},
        {"labour_cost_per_month": -1},
        {"downtime_hours_per_month": 745},
        {"device_count": "9" * 50},
        {"device_count": 10**7},
        {"device_count": 2.5},
    ],
)
def test_profile_numbers_out_of_bounds_are_refused(patch: dict[str, object]) -> None:
    with pytest.raises(InvalidProfileError):
        parse_profile_patch(patch)


def test_profile_numbers_inside_bounds_pass() -> None:
    clean = parse_profile_patch({"order_amount": "300000.50", "device_count": 120, "downtime_hours_per_month": 12})
    assert clean == {"order_amount": Decimal("300000.50"), "device_count": 120, "downtime_hours_per_month": 12}


def test_a_stored_bad_value_is_dropped_on_read() -> None:
    profile = profile_from_json({"order_amount": "1E+30", "device_count": "x", "industry": "水务"})
    assert profile.order_amount is None and profile.device_count is None and profile.industry == "水务"


@pytest.mark.slow
def test_rest_numbers_never_give_a_500(live_b: LiveServer) -> None:
    h = auth(live_b.token())
    cid = new_conversation(live_b, h["Authorization"][7:])
    base = f"{live_b.http}/api/conversations/{cid}"
    for n, text in enumerate(
        ["再卖 " + "9" * 29 + " 元能拿多少", "一" + "亿" * 50 + "元", "停机 " + "9" * 40 + " 小时"]
    ):
        turn = httpx.post(f"{base}/messages", headers=h, json={"client_msg_id": f"n{n}", "text": text})
        assert turn.status_code == 200, turn.text
        assert turn.json()["reply"]["text"]

    for body in ('{"order_amount": 1e30}', '{"order_amount": NaN}', '{"device_count": "' + "9" * 30 + '"}'):
        r = httpx.patch(f"{base}/profile", headers={**h, "content-type": "application/json"}, content=body)
        assert r.status_code == 422 and r.json()["code"] == "invalid_profile", body
    huge = httpx.patch(
        f"{base}/profile", headers={**h, "content-type": "application/json"}, content='{"device_count": ' + HUGE + "}"
    )
    assert huge.status_code == 422 and huge.json()["code"] == "validation_error"
    assert "order_amount" not in httpx.get(f"{base}/profile", headers=h).json()

    for after in (2**63, HUGE, -1):
        r = httpx.get(f"{base}/events", headers=h, params={"after_seq": after})
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
    for seq in (str(2**63), HUGE):
        r = httpx.post(
            f"{base}/feedback",
            headers={**h, "content-type": "application/json"},
            content='{"message_seq": ' + seq + ', "rating": "up"}',
        )
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
    with_amount = httpx.post(
        f"{base}/messages", headers=h, json={"client_msg_id": "p1", "text": "算 ROI", "profile": {"order_amount": 1e30}}
    )
    assert with_amount.status_code == 422 and with_amount.json()["code"] == "invalid_profile"


@pytest.mark.slow
def test_websocket_numbers_get_error_events_and_the_socket_stays(live_b: LiveServer) -> None:
    token = live_b.token()

    async def scenario() -> None:
        async with ws_connect(live_b, token) as ws:
            await recv(ws)
            for frame, code in (
                ('{"type": "resume", "last_seq": ' + str(2**63) + "}", "invalid_event"),
                ('{"type": "feedback", "message_seq": ' + str(2**63) + ', "rating": "up"}', "invalid_event"),
                ('{"type": "resume", "last_seq": ' + HUGE + "}", "invalid_json"),
                (
                    json.dumps(
                        {"type": "message", "client_msg_id": "w0", "text": "hi", "profile": {"order_amount": 1e30}}
                    ),
                    "invalid_profile",
                ),
            ):
                await ws.send(frame)
                event = await recv(ws)
                assert event["type"] == "error" and event["code"] == code, (frame[:60], event)
            await ws.send(json.dumps({"type": "message", "client_msg_id": "w1", "text": "9" * 40 + " 元"}))
            events = await recv_until(ws, "reply")
            assert events[-1]["reply_to"] == events[0]["seq"]

    asyncio.run(scenario())


@pytest.mark.slow
def test_a_poisoned_stored_profile_does_not_break_later_turns(live_b: LiveServer) -> None:
    token = live_b.token()
    h = auth(token)
    cid = new_conversation(live_b, token)
    db = live_b.runtime.db
    assert db is not None
    with db.write() as s:  # what older code could have stored
        bad = {"order_amount": "NaN", "device_count": "many", "labour_cost_per_month": "1E+30", "industry": "水务"}
        s.execute(update(Conversation).where(Conversation.id == cid).values(profile=bad))
    turn = httpx.post(
        f"{live_b.http}/api/conversations/{cid}/messages", headers=h, json={"client_msg_id": "t1", "text": "算一下 ROI"}
    )
    assert turn.status_code == 200, turn.text
    assert turn.json()["profile"]["profile"] == {"industry": "水务"}
    assert httpx.get(f"{live_b.http}/api/conversations/{cid}/profile", headers=h).json() == {"industry": "水务"}
    with db.read() as s:
        stored = s.get(Conversation, cid)
        assert stored is not None and stored.profile == {"industry": "水务"}
