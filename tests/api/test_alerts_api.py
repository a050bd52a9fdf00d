"""Risk alerts over a real uvicorn server on the demo data (today pinned in 2026Q4): the REST
routes by role, their error codes, and a manager's dashboard socket receiving the alert an
admin's order POST causes, pushed through the hub (no polling)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from assistant.ops.alert_service import MAX_NOTE
from assistant.rebates.loader import load_orders
from assistant.rebates.quarter import Quarter
from tests.api.conftest import LiveServer, free_port
from tests.instances.support import two_instances
from tests.rebates_api.harness import PASSWORD, REBATES, TODAY, build_index, make_settings
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow

HAN = re.compile(r"[\u4e00-\u9fff]")
Q4 = "2026Q4"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("alerts-api")
    settings = make_settings(tmp)
    build_index(settings)
    srv = LiveServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tokens(server: LiveServer) -> dict[str, str]:
    names = ("n_admin", "ec_manager", "hz_manager", "su_manager", "sc_manager", "hz_sales1")
    return {name: server.token(name, PASSWORD) for name in names}


def call(server: LiveServer, token: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{server.http}{path}", headers=headers, timeout=30, **kwargs)


def alerts(server: LiveServer, token: str, **params: str) -> list[dict[str, Any]]:
    r = call(server, token, "GET", "/api/alerts", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["alerts"])
    return list(body["alerts"])


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert (r.status_code, r.json().get("code")) == (status, code), r.text
    assert HAN.search(r.json()["message"]), r.json()  # zh-CN text for the user
    return dict(r.json())


def subtree(server: LiveServer, node_id: str) -> set[str]:
    rebates = server.runtime.rebates
    assert rebates is not None
    return set(rebates.state.network.readable(node_id))


# -- reading, by role ------------------------------------------------------------------------------


def test_each_role_reads_its_subtree_only(server: LiveServer, tokens: dict[str, str]) -> None:
    everything = alerts(server, tokens["n_admin"])
    assert len(everything) > 20 and {a["status"] for a in everything} >= {"open"}
    first = everything[0]
    assert first["partner_name"] and first["firing"] is True and first["evidence"]["figures"]
    assert all(isinstance(f["value"], str) for a in everything for f in a["evidence"]["figures"])  # never floats
    for name, node in (("ec_manager", "R-EC"), ("hz_manager", "A-HZ"), ("sc_manager", "R-SC")):
        seen = alerts(server, tokens[name])
        assert {a["id"] for a in seen} == {a["id"] for a in everything if a["partner_id"] in subtree(server, node)}
        assert seen, name
    body = call(server, tokens["hz_manager"], "GET", "/api/alerts").json()
    assert body["node_id"] == "A-HZ"
    refused(call(server, tokens["hz_sales1"], "GET", "/api/alerts"), 403, "forbidden")
    refused(call(server, None, "GET", "/api/alerts"), 401, "unauthorized")


def test_bad_queries_and_paths_are_validation_errors(server: LiveServer, tokens: dict[str, str]) -> None:
    admin = tokens["n_admin"]
    refused(call(server, admin, "GET", "/api/alerts", params={"status": "closed"}), 422, "validation_error")
    refused(call(server, admin, "GET", "/api/alerts", params={"limit": "0"}), 422, "validation_error")
    refused(call(server, admin, "GET", "/api/alerts", params={"limit": "100000"}), 422, "validation_error")
    refused(call(server, admin, "POST", "/api/alerts/abc/ack"), 422, "validation_error")
    refused(call(server, admin, "POST", "/api/alerts/0/ack"), 422, "validation_error")
    refused(call(server, admin, "POST", f"/api/alerts/{2**70}/ack"), 422, "validation_error")
    some = alerts(server, admin)[0]["id"]
    path = f"/api/alerts/{some}/resolve"
    refused(call(server, admin, "POST", path, json={}), 422, "validation_error")
    refused(call(server, admin, "POST", path, json={"note": 5}), 422, "validation_error")
    refused(call(server, admin, "POST", path, json={"note": "ok", "by": "x"}), 422, "validation_error")
    refused(call(server, admin, "POST", path, json={"note": "x" * (4 * MAX_NOTE + 1)}), 422, "validation_error")
    refused(call(server, admin, "POST", path, content=b"{not json"), 422, "validation_error")
    assert call(server, admin, "GET", f"/api/alerts/{some}").json()["status"] == "open"  # nothing changed


# -- acting ------------------------------------------------------------------------------------------


def test_ack_and_resolve_with_clear_codes(server: LiveServer, tokens: dict[str, str]) -> None:
    hz, su = tokens["hz_manager"], tokens["su_manager"]
    mine = next(a for a in alerts(server, hz) if a["status"] == "open" and a["rule"] == "overstock")
    path = f"/api/alerts/{mine['id']}"

    # Another alliance's manager: exactly what a missing id gets.
    outside = refused(call(server, su, "POST", f"{path}/ack"), 404, "alert_not_found")
    missing = refused(call(server, su, "POST", "/api/alerts/999999999/ack"), 404, "alert_not_found")
    assert outside == missing
    assert refused(call(server, su, "GET", path), 404, "alert_not_found") == missing
    refused(call(server, tokens["hz_sales1"], "POST", f"{path}/ack"), 403, "forbidden")

    acked = call(server, hz, "POST", f"{path}/ack")
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == ("acknowledged", "u-hz_manager")
    assert acked.json()["acknowledged_at"]
    refused(call(server, hz, "POST", f"{path}/ack"), 409, "alert_invalid_transition")

    refused(call(server, hz, "POST", f"{path}/resolve", json={"note": "   "}), 422, "alert_note_required")
    refused(
        call(server, hz, "POST", f"{path}/resolve", json={"note": "长" * (MAX_NOTE + 1)}), 422, "alert_note_too_long"
    )
    resolved = call(server, tokens["ec_manager"], "POST", f"{path}/resolve", json={"note": " 已清理库存 "})
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["resolved_by"], body["resolution_note"]) == ("resolved", "u-ec_manager", "已清理库存")
    assert body["acknowledged_by"] == "u-hz_manager"
    refused(call(server, hz, "POST", f"{path}/resolve", json={"note": "再来"}), 409, "alert_invalid_transition")
    assert mine["id"] in {a["id"] for a in alerts(server, hz, status="resolved")}
    assert mine["id"] not in {a["id"] for a in alerts(server, hz, status="open")}


# -- the dashboard socket -------------------------------------------------------------------------


async def next_alert(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event.get("type") == "alert":
            return dict(event)


async def nothing_arrives(ws: ClientConnection, seconds: float) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


def spike_orders(partner: str, serial: int) -> dict[str, Any]:
    """A booked order and its return big enough to make the partner's Q4 return rate over 10%."""
    booked = load_orders(REBATES / "orders.csv").sales(partner, Quarter.parse(Q4)).booked
    amount = str(max(booked / 5, Decimal(60_000)).quantize(Decimal("0.01")))
    common = {"partner_id": partner, "customer_id": f"C-WS-{serial}", "new_customer": False, "product_id": "EG-2100"}
    return {
        "orders": [
            {**common, "order_id": f"SO-WS-{serial}", "amount": amount, "date": TODAY.isoformat()},
            {
                **common,
                "order_id": f"RT-WS-{serial}",
                "amount": amount,
                "date": TODAY.isoformat(),
                "status": "returned",
                "reverses": f"SO-WS-{serial}",
            },
        ]
    }


def test_a_dashboard_socket_receives_the_alert_an_order_causes(server: LiveServer, tokens: dict[str, str]) -> None:
    partner = "P-HZ-04"
    before = alerts(server, tokens["n_admin"], cleared="true")
    assert not any(a["rule"] == "return_spike" and a["partner_id"] == partner and a["period"] == Q4 for a in before)

    async def scenario() -> None:
        async with (
            connect(server.socket_url(tokens["ec_manager"], "/ws/alerts")) as east,
            connect(server.socket_url(tokens["sc_manager"], "/ws/alerts")) as south,
        ):
            assert json.loads(await east.recv()) == {"type": "ready", "node_id": "R-EC"}
            assert json.loads(await south.recv()) == {"type": "ready", "node_id": "R-SC"}
            await east.send(json.dumps({"type": "ping"}))
            assert json.loads(await east.recv()) == {"type": "pong"}

            async with httpx.AsyncClient(base_url=server.http, timeout=30) as client:
                posted = await client.post(
                    "/api/admin/orders",
                    json=spike_orders(partner, 1),
                    headers={"Authorization": f"Bearer {tokens['n_admin']}"},
                )
                assert posted.status_code == 201, posted.text
                event = await next_alert(east)
                alert = event["alert"]
                assert (event["change"], alert["rule"], alert["partner_id"], alert["period"]) == (
                    "created",
                    "return_spike",
                    partner,
                    Q4,
                )
                assert alert["status"] == "open" and "RT-WS-1" in alert["evidence"]["order_ids"]
                assert await nothing_arrives(south, 0.5)  # another region's dashboard hears nothing of it

                # The REST list has it too, and acting on it is pushed as well.
                listed = {a["id"]: a for a in alerts(server, tokens["hz_manager"])}
                assert alert["id"] in listed
                acked = await client.post(
                    f"/api/alerts/{alert['id']}/ack", headers={"Authorization": f"Bearer {tokens['hz_manager']}"}
                )
                assert acked.status_code == 200, acked.text
                event = await next_alert(east)
                assert (event["change"], event["alert"]["id"], event["alert"]["acknowledged_by"]) == (
                    "acknowledged",
                    alert["id"],
                    "u-hz_manager",
                )

    asyncio.run(scenario())


def test_dashboard_sockets_are_refused_to_roles_without_alerts(server: LiveServer, tokens: dict[str, str]) -> None:
    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as sales:
            async with connect(server.socket_url(tokens["hz_sales1"], "/ws/alerts")):
                pass
        assert sales.value.response.status_code == 403
        with pytest.raises(InvalidStatus) as anonymous:
            async with connect(f"ws://127.0.0.1:{server.port}/ws/alerts"):
                pass
        assert anonymous.value.response.status_code == 403
        async with connect(server.socket_url(tokens["n_admin"], "/ws/alerts")) as ws:
            assert json.loads(await ws.recv())["node_id"] == "N-001"
            await ws.send("not json")
            assert json.loads(await ws.recv())["code"] == "invalid_json"

    asyncio.run(scenario())


def test_an_order_path_failure_in_alerts_does_not_fail_the_orders(
    server: LiveServer, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = server.runtime.alerts
    assert service is not None

    def broken(_orders: object) -> None:
        raise RuntimeError("a bug in the alert rules")

    monkeypatch.setattr(service, "on_orders", broken)
    posted = call(server, tokens["n_admin"], "POST", "/api/admin/orders", json=spike_orders("P-HZ-03", 2))
    assert posted.status_code == 201, posted.text  # recorded; the next start recomputes the alerts
    assert posted.json()["recorded"] == 2


# -- several instances: PostgreSQL and Redis ----------------------------------------------------------


def test_an_alert_computed_on_one_instance_reaches_a_dashboard_on_another(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Instance A records the order and computes the alert; the manager's dashboard is open
    on instance B: the event travels through Redis (the hub's ``ops:<node>`` channels)."""
    tmp = tmp_path_factory.mktemp("alerts-instances")
    with fresh_postgres_database() as database_url, redis_prefix() as prefix:
        settings = make_settings(tmp, database_url=database_url).model_copy(
            update={"redis_url": REDIS_URL, "redis_key_prefix": prefix}
        )
        build_index(settings)
        with two_instances(settings) as (a, b):
            admin, east = a.token("n_admin", PASSWORD), a.token("ec_manager", PASSWORD)

            async def scenario() -> None:
                async with connect(b.socket_url(east, "/ws/alerts")) as ws:
                    assert json.loads(await ws.recv())["type"] == "ready"
                    async with httpx.AsyncClient(base_url=a.http, timeout=30) as client:
                        posted = await client.post(
                            "/api/admin/orders",
                            json=spike_orders("P-SU-01", 3),
                            headers={"Authorization": f"Bearer {admin}"},
                        )
                        assert posted.status_code == 201, posted.text
                    event = await next_alert(ws)
                    alert = event["alert"]
                    assert (event["change"], alert["rule"], alert["partner_id"], alert["period"]) == (
                        "created",
                        "return_spike",
                        "P-SU-01",
                        Q4,
                    )
                    # B lists it too (one database), though B computed nothing.
                    listed = httpx.get(
                        f"{b.http}/api/alerts", headers={"Authorization": f"Bearer {east}"}, timeout=30
                    ).json()
                    assert alert["id"] in {x["id"] for x in listed["alerts"]}

            asyncio.run(scenario())
