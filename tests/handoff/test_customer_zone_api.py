"""The customer's time zone over REST: a name that is no zone is ``timezone_invalid`` (422,
the field named, in the page's language); a known one puts the promised callback in the
customer's waking hours and the ticket's text says it in their local time too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.handoff.clients import auth, get, post
from tests.handoff.conftest import EXPERTS

pytestmark = pytest.mark.slow

HOURS = """\
service_hours:
  opens: "08:00"
  closes: "22:00"
  timezone: Asia/Shanghai
  customer_hours: {opens: "08:00", closes: "21:00"}
"""
BODY = {"product_model": "SN-400", "symptom": "读数跳变", "site": "宁波", "serial": "LT1", "urgency": "high"}


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    """No sensor expert online (none is signed in): a request becomes a ticket at once."""
    experts = tmp_path / "experts.yaml"
    experts.write_text(EXPERTS + HOURS, encoding="utf-8")
    settings = make_server_settings(tmp_path, database_url=database_url, handoff_experts_file=experts)
    srv = LiveServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def test_the_customers_zone_is_checked_and_used_for_the_callback(live: LiveServer) -> None:
    alice = live.token("alice")
    cid = httpx.post(f"{live.http}/api/conversations", headers=auth(alice), timeout=10).json()["id"]
    for bad in ("Mars/Base", "Asia", "../../etc/passwd", "/etc/localtime", "asia/shanghai "):
        r = post(live.http, "/api/handoff/request", alice, {"conversation_id": cid, "customer_timezone": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["code"] == "timezone_invalid" and r.json()["field"] == "customer_timezone"
        assert "IANA" in r.json()["message"]
    english = httpx.post(
        f"{live.http}/api/handoff/request",
        headers={**auth(alice), "Accept-Language": "en"},
        json={"conversation_id": cid, "customer_timezone": "Nowhere/City"},
        timeout=10,
    )
    assert english.status_code == 422 and english.json()["message"].startswith("Invalid customer time zone")
    too_long = post(live.http, "/api/handoff/request", alice, {"conversation_id": cid, "customer_timezone": "A" * 65})
    assert too_long.status_code == 422 and too_long.json()["code"] == "validation_error"
    assert get(live.http, f"/api/handoff/conversations/{cid}", alice).json() is None  # nothing was opened

    r = post(
        live.http,
        "/api/handoff/request",
        alice,
        {"conversation_id": cid, "customer_timezone": "America/Los_Angeles", **BODY},
    )
    assert r.status_code == 200, r.text
    session = r.json()
    assert session["state"] == "ticket"
    due = datetime.fromisoformat(session["callback_by"].removesuffix("Z")).replace(tzinfo=UTC)
    china, theirs = due.astimezone(ZoneInfo("Asia/Shanghai")), due.astimezone(ZoneInfo("America/Los_Angeles"))
    assert time(8) < china.time() <= time(22) and time(8) < theirs.time() <= time(21)
    events = get(live.http, f"/api/conversations/{cid}/events", alice).json()["events"]
    [told] = [e["text"] for e in events if e["type"] == "handoff_status" and e.get("ticket_id")]
    assert f"北京时间 {china:%Y-%m-%d %H:%M}（客户当地时间 {theirs:%Y-%m-%d %H:%M}，America/Los_Angeles）" in told
