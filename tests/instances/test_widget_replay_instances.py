"""A one-time widget identity token used on instance A is refused on instance B (issue 17,
item 4): the nonce is spent in the shared database, not in one process's memory."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from assistant.portals.tokens import sign_identity
from tests.api.conftest import LiveServer, make_server_settings
from tests.instances.support import two_instances
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow

SECRET = "instances-portal-secret-" + "s" * 24
PORTALS = f"""\
portals:
  - id: shop
    name: 测试门户
    allowed_origins: [http://portal.test]
    partners: [P-1]
    demo_secret: {SECRET}
"""


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp("widget-instances")
    portals = tmp / "portals.yaml"
    portals.write_text(PORTALS, encoding="utf-8")
    with fresh_postgres_database() as database_url, redis_prefix() as prefix:
        settings = make_server_settings(
            tmp, database_url=database_url, redis_url=REDIS_URL, redis_key_prefix=prefix, portals_file=portals
        )
        with two_instances(settings) as pair:
            yield pair


def exchange(server: LiveServer, token: str) -> httpx.Response:
    body = {"portal_id": "shop", "identity_token": token}
    return httpx.post(f"{server.http}/api/widget/session", json=body, timeout=10)


def test_an_identity_token_spent_on_one_instance_is_refused_on_the_other(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    token = sign_identity(secret=SECRET, portal="shop", user="alice", partner="P-1", expires_at=int(time.time()) + 120)
    first = exchange(a, token)
    assert first.status_code == 200, first.text
    assert first.json()["partner_id"] == "P-1"
    again = exchange(b, token)
    assert again.status_code == 401 and again.json()["code"] == "identity_token_replayed"
    # A fresh token for the same user is fine on B: only the spent nonce is refused.
    fresh = sign_identity(secret=SECRET, portal="shop", user="alice", partner="P-1", expires_at=int(time.time()) + 120)
    assert exchange(b, fresh).status_code == 200
