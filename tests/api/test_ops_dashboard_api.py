"""``GET /api/ops/dashboard`` over a real uvicorn server on the demo data (today pinned in
2026Q4): each role gets its own node's subtree and nothing else, bounded parameters answer
clear codes, a subset of panels is computed alone, and the live ``dashboard`` events an order
and a task progress report push on the dashboard socket."""

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

from assistant.rebates.network import Level
from tests.api.conftest import LiveServer, free_port
from tests.rebates_api.harness import PASSWORD, TODAY, build_index, make_settings

pytestmark = pytest.mark.slow

HAN = re.compile(r"[\u4e00-\u9fff]")
Q4 = "2026Q4"
PANELS = ["sales", "inventory", "feedback", "tasks", "alerts"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("ops-dashboard-api")
    settings = make_settings(tmp)
    build_index(settings)
    srv = LiveServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tokens(server: LiveServer) -> dict[str, str]:
    names = ("n_admin", "ec_manager", "hz_manager", "su_manager", "hz_sales1", "hz_boss1", "n_editor", "sc_manager")
    return {name: server.token(name, PASSWORD) for name in names}


def call(server: LiveServer, token: str | None, path: str, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.http}{path}", params=params, headers=headers, timeout=30)


def dashboard(server: LiveServer, token: str, **params: str) -> dict[str, Any]:
    r = call(server, token, "/api/ops/dashboard", **params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert (r.status_code, r.json().get("code")) == (status, code), r.text
    assert HAN.search(r.json()["message"]), r.json()


def partners_under(server: LiveServer, node_id: str) -> set[str]:
    rebates = server.runtime.rebates
    assert rebates is not None
    return {n.id for n in rebates.state.network.partners_under(node_id, include_inactive=True)}


# -- roles and subtrees ----------------------------------------------------------------------------


def test_each_role_gets_its_node_and_nothing_outside(server: LiveServer, tokens: dict[str, str]) -> None:
    national = dashboard(server, tokens["n_admin"], quarter=Q4)
    assert (national["node_id"], national["level"], national["quarter"]) == ("N-001", "national", Q4)
    assert national["panels"] == PANELS and national["as_of"] == TODAY.isoformat()
    assert {g["node_id"] for g in national["sales"]["groups"]} == {"R-EC", "R-SC", "R-NC", "R-SW", "R-CC"}
    assert all(
        isinstance(g["actual"], str) and re.fullmatch(r"-?\d+\.\d\d", g["actual"]) for g in national["sales"]["groups"]
    )

    for name, node in (
        ("ec_manager", "R-EC"),
        ("hz_manager", "A-HZ"),
        ("hz_sales1", "P-HZ-01"),
        ("hz_boss1", "P-HZ-01"),
    ):
        body = dashboard(server, tokens[name], quarter=Q4)
        assert body["node_id"] == node, name
        mine = partners_under(server, node)
        assert {line["partner_id"] for line in body["inventory"]["lines"]} <= mine, name
        assert {line["partner_id"] for line in body["inventory"]["lines"]}, name
        groups = {g["node_id"] for g in body["sales"]["groups"]}
        assert all(g in mine or any(p in mine for p in partners_under(server, g)) for g in groups), name
        # The figures are the subtree's: the node's total is the sum of the national per-partner view.
        assert Decimal(body["sales"]["total"]["actual"]) <= Decimal(national["sales"]["total"]["actual"])

    # Siblings never meet: the two alliances' inventory lines do not overlap.
    hz = {line["partner_id"] for line in dashboard(server, tokens["hz_manager"])["inventory"]["lines"]}
    su = {line["partner_id"] for line in dashboard(server, tokens["su_manager"])["inventory"]["lines"]}
    assert hz and su and not hz & su

    # Alerts: counted for managers and admins only.
    assert dashboard(server, tokens["hz_sales1"])["alerts"] is None
    assert dashboard(server, tokens["hz_sales1"])["panels"] == ["sales", "inventory", "feedback", "tasks"]
    assert dashboard(server, tokens["n_editor"])["alerts"] is None
    hz_alerts = dashboard(server, tokens["hz_manager"])["alerts"]
    listed = httpx.get(
        f"{server.http}/api/alerts", headers={"Authorization": f"Bearer {tokens['hz_manager']}"}, timeout=30
    ).json()["alerts"]
    firing = [a for a in listed if a["firing"] and a["status"] == "open"]
    assert hz_alerts["open"] == len(firing)
    assert hz_alerts["open_by_severity"] == {
        s: sum(1 for a in firing if a["severity"] == s) for s in ("high", "medium", "low")
    }


def test_the_national_sales_total_is_the_sum_of_the_regions(server: LiveServer, tokens: dict[str, str]) -> None:
    body = dashboard(server, tokens["n_admin"], quarter="2026Q3")
    sales = body["sales"]
    assert Decimal(sales["total"]["actual"]) == sum(Decimal(g["actual"]) for g in sales["groups"])
    assert Decimal(sales["total"]["target"]) == sum(Decimal(g["target"]) for g in sales["groups"])
    assert sales["elapsed"] == "1"  # a closed quarter: all of it
    rebates = server.runtime.rebates
    assert rebates is not None
    leaves = [n for n in rebates.state.network if n.level is Level.PARTNER]
    assert sales["total"]["partners"] == len(leaves)


def test_panels_subset_and_bounded_parameters(server: LiveServer, tokens: dict[str, str]) -> None:
    admin = tokens["n_admin"]
    only = dashboard(server, admin, quarter=Q4, panels="tasks,sales")
    assert only["panels"] == ["sales", "tasks"]
    assert only["inventory"] is None and only["feedback"] is None and only["alerts"] is None
    for bad in (
        {"quarter": "2026Q5"},
        {"quarter": "Q4"},
        {"quarter": "2026Q4x"},
        {"panels": "sales,bogus"},
        {"panels": ""},
        {"panels": "sales," * 20},
        {"quarter": "2" * 100},
    ):
        refused(call(server, admin, "/api/ops/dashboard", **bad), 422, "validation_error")
    refused(call(server, admin, "/api/ops/dashboard", quarter="2031Q1"), 404, "quarter_not_found")
    refused(call(server, None, "/api/ops/dashboard"), 401, "unauthorized")
    refused(call(server, "not-a-token", "/api/ops/dashboard"), 401, "invalid_token")


def test_a_quarter_before_any_report_is_empty_not_an_error(server: LiveServer, tokens: dict[str, str]) -> None:
    body = dashboard(server, tokens["ec_manager"], quarter="2026Q1")
    assert body["inventory"]["week"] == "2026-03-30" and len(body["inventory"]["trend"]) == 12
    rebates = server.runtime.rebates
    assert rebates is not None
    first = str(rebates.state.policy.first_quarter)
    early = dashboard(server, tokens["ec_manager"], quarter=first)
    assert early["feedback"]["trend"][-1]["quarter"] == first


# -- live events ------------------------------------------------------------------------------------


async def next_of(ws: ClientConnection, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event.get("type") == kind:
            return dict(event)


async def nothing_of(ws: ClientConnection, kind: str, seconds: float) -> bool:
    try:
        await next_of(ws, kind, seconds)
    except TimeoutError:
        return True
    return False


def test_orders_and_task_progress_push_dashboard_events(server: LiveServer, tokens: dict[str, str]) -> None:
    async def scenario() -> None:
        async with (
            connect(server.socket_url(tokens["hz_manager"], "/ws/alerts")) as hz,
            connect(server.socket_url(tokens["sc_manager"], "/ws/alerts")) as south,
            httpx.AsyncClient(base_url=server.http, timeout=30) as client,
        ):
            assert json.loads(await hz.recv())["node_id"] == "A-HZ"
            assert json.loads(await south.recv())["node_id"] == "R-SC"
            order = {
                "partner_id": "P-HZ-02",
                "customer_id": "C-DASH-1",
                "new_customer": True,
                "product_id": "EG-2100",
                "order_id": "SO-DASH-1",
                "amount": "1000.00",
                "date": TODAY.isoformat(),
            }
            r = await client.post(
                "/api/admin/orders", json={"orders": [order]}, headers={"Authorization": f"Bearer {tokens['n_admin']}"}
            )
            assert r.status_code == 201, r.text
            event = await next_of(hz, "dashboard")
            assert event == {"type": "dashboard", "changed": ["profile", "sales"], "quarters": [Q4]}
            assert await nothing_of(south, "dashboard", 0.5)  # another region's dashboard hears nothing

            task = await client.post(
                "/api/tasks",
                json={"title": "演示任务", "kind": "demos", "goal": 50, "start": "2026-10-01", "due": "2026-12-31"},
                headers={"Authorization": f"Bearer {tokens['n_admin']}"},
            )
            assert task.status_code == 201, task.text
            assert (await next_of(hz, "dashboard"))["changed"] == ["tasks"]  # a new task with a share here
            progress = await client.post(
                f"/api/tasks/{task.json()['id']}/progress",
                json={"amount": 2, "note": "两场演示", "client_id": "dash-api-1"},
                headers={"Authorization": f"Bearer {tokens['hz_boss1']}"},
            )
            assert progress.status_code == 201, progress.text
            assert await next_of(hz, "dashboard") == {"type": "dashboard", "changed": ["tasks"], "quarters": []}
            # The panel read again shows it.
            body = (
                await client.get(
                    "/api/ops/dashboard",
                    params={"panels": "tasks"},
                    headers={"Authorization": f"Bearer {tokens['hz_manager']}"},
                )
            ).json()
            line = next(t for t in body["tasks"]["tasks"] if t["task_id"] == task.json()["id"])
            assert line["progress"] == 2
            # A refused report changes nothing and pushes nothing.
            again = await client.post(
                f"/api/tasks/{task.json()['id']}/progress",
                json={"amount": 5, "note": "不同", "client_id": "dash-api-1"},
                headers={"Authorization": f"Bearer {tokens['hz_boss1']}"},
            )
            assert again.status_code == 409
            assert await nothing_of(hz, "dashboard", 0.5)

    asyncio.run(scenario())
