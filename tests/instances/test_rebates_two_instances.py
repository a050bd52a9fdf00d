"""An admin's change to the rebate data on instance A is enforced on instance B at the next
request: two real uvicorn servers on one fresh PostgreSQL database and one Redis, the demo
channel network (today pinned to 2026-11-27).  B loaded its snapshot before the change; it
reloads from the database because A published the change (assistant/api/rebate_sync.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveServer
from tests.instances.support import two_instances
from tests.rebates_api.harness import PASSWORD, TODAY, ask_over_socket, build_index, make_settings
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp("rebate-instances")
    with fresh_postgres_database() as database_url, redis_prefix() as prefix:
        settings = make_settings(tmp, database_url=database_url).model_copy(
            update={"redis_url": REDIS_URL, "redis_key_prefix": prefix}
        )
        build_index(settings)
        with two_instances(settings) as pair:
            yield pair


def get(server: LiveServer, path: str, token: str, **params: str) -> httpx.Response:
    return httpx.get(f"{server.http}{path}", headers={"Authorization": f"Bearer {token}"}, params=params, timeout=30)


def post(server: LiveServer, path: str, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.http}{path}", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=30)


def test_a_partner_moved_on_one_instance_changes_access_on_the_other_at_the_next_request(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    admin, hz, su = (a.token(u, PASSWORD) for u in ("n_admin", "hz_manager", "su_manager"))
    # B's snapshot has the old tree: P-HZ-02 is in 杭州's alliance.
    assert get(b, "/api/rebates/statement", hz, partner_id="P-HZ-02").status_code == 200
    assert get(b, "/api/rebates/statement", su, partner_id="P-HZ-02").status_code == 404
    assert len(asyncio.run(ask_over_socket(b, hz, "我的排名"))["cards"][0]["lines"]) == 4
    reloads = b.runtime.rebate_sync.reloads if b.runtime.rebate_sync else 0

    assert post(a, "/api/admin/partners/P-HZ-02/move", admin, {"new_parent_id": "A-SU"}).status_code == 200

    # The very next requests on B, with no wait: the old manager is refused, the new one reads it.
    gone = get(b, "/api/rebates/statement", hz, partner_id="P-HZ-02")
    assert (gone.status_code, gone.json()["code"]) == (404, "partner_not_found")
    assert get(b, "/api/rebates/statement", su, partner_id="P-HZ-02").status_code == 200
    assert "P-HZ-02" not in str(get(b, "/api/partners", hz).json())
    assert "P-HZ-02" in str(get(b, "/api/partners", su).json())
    assert b.runtime.rebate_sync is not None and b.runtime.rebate_sync.reloads == reloads + 1  # once, not per request
    # Chat on B quotes the new tree too (its model reloaded on the published message).
    ranking = asyncio.run(ask_over_socket(b, hz, "我的排名"))
    assert len(ranking["cards"][0]["lines"]) == 3 and "杭州精测" not in str(ranking)


def test_a_partner_deactivated_on_one_instance_reads_nothing_on_the_other(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    admin, sales = a.token("n_admin", PASSWORD), a.token("hz_sales1", PASSWORD)
    assert get(b, "/api/rebates/statement", sales).status_code == 200
    assert post(a, "/api/admin/partners/P-HZ-01/deactivate", admin, {}).status_code == 200
    refused = get(b, "/api/rebates/statement", sales)
    assert refused.status_code == 404 and refused.json()["code"] == "partner_not_found"
    # Its manager's tree on B shows it inactive.
    tree = str(get(b, "/api/partners", a.token("hz_manager", PASSWORD)).json())
    assert "'id': 'P-HZ-01'" in tree and "'active': False" in tree


def order(order_id: str, **fields: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "partner_id": "P-SU-01",
        "customer_id": "C-SU01-NEW1",
        "new_customer": False,
        "product_id": "EG-2100",
        "amount": "1000.00",
        "date": TODAY.isoformat(),
        **fields,
    }


def test_orders_recorded_on_either_instance_count_on_both(instances: tuple[LiveServer, LiveServer]) -> None:
    a, b = instances
    admin = a.token("n_admin", PASSWORD)

    def accrued(server: LiveServer) -> Decimal:
        st = get(server, "/api/rebates/statement", admin, partner_id="P-SU-01")
        assert st.status_code == 200, st.text
        return Decimal(st.json()["sales"]["net"])

    before_a, before_b = accrued(a), accrued(b)
    assert before_a == before_b
    assert post(a, "/api/admin/orders", admin, {"orders": [order("SO-INST-A1")]}).status_code == 201
    assert accrued(b) == before_b + Decimal("1000.00")
    assert post(b, "/api/admin/orders", admin, {"orders": [order("SO-INST-B1")]}).status_code == 201
    assert accrued(a) == accrued(b) == before_a + Decimal("2000.00")
    # A recorded id is a duplicate on the other instance too (its ledger has it).
    again = post(b, "/api/admin/orders", admin, {"orders": [order("SO-INST-A1")]})
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_order")


def test_each_instance_reloads_once_per_change_made_elsewhere(instances: tuple[LiveServer, LiveServer]) -> None:
    """The shared version moves once per change; the writer does not reload its own."""
    a, b = instances
    sa, sb = a.runtime.rebate_sync, b.runtime.rebate_sync
    assert sa is not None and sb is not None
    deadline = time.monotonic() + 5  # a listener may still be catching up the last order
    while min(sa.loaded, sb.loaded) < sa.shared_version() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sa.loaded == sb.loaded == sa.shared_version() > 0
