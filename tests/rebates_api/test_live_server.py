"""Rebates against a real uvicorn server: password sign-in, REST, an admin move, and the
chat WebSocket answering from the same engine with access changed at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import LiveServer, free_port
from tests.rebates_api.harness import PASSWORD, ask_over_socket, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, fixture_index: Path) -> Iterator[LiveServer]:
    srv = LiveServer(make_settings(tmp_path, index_dir=fixture_index), free_port())
    srv.start()
    yield srv
    srv.stop()


def test_rebates_over_a_real_server(server: LiveServer) -> None:
    sales = server.token("hz_sales2", PASSWORD)
    manager = server.token("hz_manager", PASSWORD)
    admin = server.token("n_admin", PASSWORD)
    h = {"Authorization": f"Bearer {sales}"}

    statement = httpx.get(f"{server.http}/api/rebates/statement", headers=h, params={"quarter": "2026Q3"}).json()
    assert statement["partner_id"] == "P-HZ-02" and statement["status"] == "final"
    sibling = httpx.get(f"{server.http}/api/rebates/statement", headers=h, params={"partner_id": "P-HZ-01"})
    assert (sibling.status_code, sibling.json()["code"]) == (404, "partner_not_found")
    what_if = httpx.get(f"{server.http}/api/rebates/what-if", headers=h, params={"amount": "-1"})
    assert (what_if.status_code, what_if.json()["code"]) == (422, "invalid_amount")
    spec = httpx.get(f"{server.http}/openapi.json").json()["paths"]
    assert {"/api/rebates/statement", "/api/rebates/what-if", "/api/admin/partners/{node_id}/move"} <= set(spec)

    reply = asyncio.run(ask_over_socket(server, sales, "我这季度返利多少"))
    card = next(c for c in reply["cards"] if c["type"] == "rebate")
    assert reply["intent"] == "rebate_query" and card["partner_id"] == "P-HZ-02"
    now = httpx.get(f"{server.http}/api/rebates/statement", headers=h).json()
    assert card["total"] == f"¥{Decimal(now['total']):,.2f}"

    assert len(asyncio.run(ask_over_socket(server, manager, "我的排名"))["cards"][0]["lines"]) == 4
    moved = httpx.post(
        f"{server.http}/api/admin/partners/P-HZ-02/move",
        headers={"Authorization": f"Bearer {admin}"},
        json={"new_parent_id": "A-SU"},
    )
    assert moved.status_code == 200
    # The very next request and chat turn see the new tree.
    gone = httpx.get(
        f"{server.http}/api/rebates/statement",
        headers={"Authorization": f"Bearer {manager}"},
        params={"partner_id": "P-HZ-02"},
    )
    assert gone.status_code == 404
    ranking = asyncio.run(ask_over_socket(server, manager, "我的排名"))
    assert len(ranking["cards"][0]["lines"]) == 3 and "杭州精测" not in str(ranking)
