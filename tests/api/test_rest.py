"""REST mirror, sign-in and ownership against a real server."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import LiveServer

pytestmark = pytest.mark.slow


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_readiness_and_openapi(live: LiveServer) -> None:
    assert httpx.get(f"{live.http}/healthz").json() == {"status": "ok", "demo": True}  # says it is a demo
    ready = httpx.get(f"{live.http}/readyz").json()
    assert ready["ready"] is True and ready["counts"]["faq"] == 3
    spec = httpx.get(f"{live.http}/openapi.json").json()
    assert "/api/conversations/{conversation_id}/messages" in spec["paths"]
    assert httpx.get(f"{live.http}/docs").status_code == 200


def test_sign_in(live: LiveServer) -> None:
    bad = httpx.post(f"{live.http}/api/auth/token", json={"username": "alice", "password": "wrong"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_credentials"
    nobody = httpx.post(f"{live.http}/api/auth/token", json={"username": "mallory", "password": "x"})
    assert nobody.status_code == 401 and nobody.json() == bad.json()  # no hint which part was wrong
    me = httpx.get(f"{live.http}/api/me", headers=auth(live.token()))
    assert me.json() == {
        "user_id": "u-alice",
        "username": "alice",
        "display_name": "王丽",
        "partner_id": "P-1",
        "role": "sales",
    }
    assert httpx.get(f"{live.http}/api/me").status_code == 401
    assert httpx.get(f"{live.http}/api/me", headers=auth("nonsense")).json()["code"] == "invalid_token"


def test_rest_turn_history_feedback_and_profile(live: LiveServer) -> None:
    h = auth(live.token())
    cid = httpx.post(f"{live.http}/api/conversations", headers=h).json()["id"]
    turn = httpx.post(
        f"{live.http}/api/conversations/{cid}/messages",
        headers=h,
        json={"client_msg_id": "r1", "text": "EG-2100 功耗多少", "profile": {"industry": "水务"}},
    ).json()
    assert turn["ack"]["seq"] == 1 and turn["reply"]["reply_to"] == 1
    assert turn["profile"]["profile"]["industry"] == "水务"
    again = httpx.post(
        f"{live.http}/api/conversations/{cid}/messages",
        headers=h,
        json={"client_msg_id": "r1", "text": "EG-2100 功耗多少"},
    ).json()
    assert again["ack"]["duplicate"] is True and again["reply"] == turn["reply"]

    reply_seq = turn["reply"]["seq"]
    ok = httpx.post(
        f"{live.http}/api/conversations/{cid}/feedback",
        headers=h,
        json={"message_seq": reply_seq, "rating": "down", "comment": "不够具体"},
    )
    assert ok.status_code == 204
    bad = httpx.post(
        f"{live.http}/api/conversations/{cid}/feedback", headers=h, json={"message_seq": 1, "rating": "up"}
    )
    assert bad.status_code == 404 and bad.json()["code"] == "feedback_target_not_found"
    worse = httpx.post(f"{live.http}/api/conversations/{cid}/feedback", headers=h, json={"message_seq": 2, "rating": 5})
    assert worse.status_code == 422 and worse.json()["code"] == "validation_error"

    patched = httpx.patch(
        f"{live.http}/api/conversations/{cid}/profile", headers=h, json={"scale": "large", "industry": None}
    )
    assert patched.json()["scale"] == "large" and "industry" not in patched.json()
    assert httpx.get(f"{live.http}/api/conversations/{cid}/profile", headers=h).json() == patched.json()
    wrong = httpx.patch(f"{live.http}/api/conversations/{cid}/profile", headers=h, json={"device_count": "many"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_profile"

    events = httpx.get(f"{live.http}/api/conversations/{cid}/events?after_seq=1", headers=h).json()["events"]
    # the reply, its profile, and the correction's profile (the conversation's other devices see it)
    assert [(e["seq"], e["type"]) for e in events] == [(2, "reply"), (3, "profile"), (4, "profile")]
    assert events[2]["profile"] == patched.json()
    listed = httpx.get(f"{live.http}/api/conversations", headers=h).json()
    assert [c["id"] for c in listed] == [cid]


def test_conversations_are_private(live: LiveServer) -> None:
    alice, bob = auth(live.token("alice")), auth(live.token("bob"))
    cid = httpx.post(f"{live.http}/api/conversations", headers=alice).json()["id"]
    httpx.post(
        f"{live.http}/api/conversations/{cid}/messages", headers=alice, json={"client_msg_id": "1", "text": "你好"}
    )
    for method, path, body in [
        ("GET", f"/api/conversations/{cid}/events", None),
        ("GET", f"/api/conversations/{cid}/profile", None),
        ("PATCH", f"/api/conversations/{cid}/profile", {"scale": "small"}),
        ("POST", f"/api/conversations/{cid}/messages", {"client_msg_id": "x", "text": "偷看"}),
        ("POST", f"/api/conversations/{cid}/feedback", {"message_seq": 2, "rating": "up"}),
    ]:
        r = httpx.request(method, f"{live.http}{path}", headers=bob, json=body)
        assert r.status_code == 404 and r.json()["code"] == "conversation_not_found", path
    assert httpx.get(f"{live.http}/api/conversations", headers=bob).json() == []
    unknown = httpx.get(f"{live.http}/api/conversations/no-such-id/events", headers=alice)
    assert unknown.status_code == 404


def test_oversized_and_malformed_bodies_never_500(live: LiveServer) -> None:
    h = auth(live.token())
    cid = httpx.post(f"{live.http}/api/conversations", headers=h).json()["id"]
    too_long = httpx.post(
        f"{live.http}/api/conversations/{cid}/messages", headers=h, json={"client_msg_id": "x", "text": "长" * 4001}
    )
    assert too_long.status_code == 413 and too_long.json()["code"] == "message_too_long"
    broken = httpx.post(
        f"{live.http}/api/conversations/{cid}/messages",
        headers={**h, "Content-Type": "application/json"},
        content=b"{nope",
    )
    assert broken.status_code == 422 and "Traceback" not in broken.text
    blank = httpx.post(
        f"{live.http}/api/conversations/{cid}/messages", headers=h, json={"client_msg_id": "y", "text": "   "}
    )
    assert blank.status_code == 422 and blank.json()["code"] == "empty_message"
