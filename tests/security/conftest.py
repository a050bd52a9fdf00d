"""An instance as an operator runs it: no demo mode, users provisioned through
``assistant.users`` (what ``python -m assistant users import`` does), a portal whose
secret is in the environment, and the experts file configuring a provisioned expert."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.storage.db import Database, migrate
from assistant.users import UserSpec, import_users
from tests.api.conftest import LiveServer, free_port, make_server_settings

PORTAL_SECRET = "security-test-portal-secret-" + "s" * 24
PORTAL_ORIGIN = "http://portal.example"
PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-22", "exp_eg": "expert-password-3"}
USERS = [
    UserSpec(username="alice", partner_id="P-1", role="sales", display_name="王丽", password=PASSWORDS["alice"]),
    UserSpec(username="bob", partner_id="P-2", role="sales", display_name="李博", password=PASSWORDS["bob"]),
    UserSpec(username="exp_eg", partner_id="N-001", role="expert", display_name="周工", password=PASSWORDS["exp_eg"]),
]
PORTALS = f"""\
portals:
  - id: sec
    name: 测试门户
    allowed_origins: [{PORTAL_ORIGIN}]
    partners: [P-1]
    secret_env: ASSISTANT_PORTAL_SECRET_SEC
"""
EXPERTS = "experts:\n  - {username: exp_eg, display_name: 周工, skills: [EG], capacity: 2}\n"


@dataclass
class Instance:
    server: LiveServer
    settings: Settings

    def token(self, username: str = "alice") -> str:
        return self.server.token(username, PASSWORDS[username])


def operator_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings without demo mode; the users are provisioned, not seeded."""
    (tmp_path / "portals.yaml").write_text(PORTALS, encoding="utf-8")
    (tmp_path / "experts.yaml").write_text(EXPERTS, encoding="utf-8")
    values: dict[str, object] = {
        "demo": False,
        "portals_file": tmp_path / "portals.yaml",
        "handoff_experts_file": tmp_path / "experts.yaml",
        "secret_file": tmp_path / "secret.key",
        **overrides,
    }
    settings = make_server_settings(tmp_path, **values)
    migrate(settings.database_url)
    db = Database(settings.database_url)
    import_users(db, USERS, demo_password=settings.demo_password)
    db.dispose()
    return settings


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instance]:
    monkeypatch.setenv("ASSISTANT_PORTAL_SECRET_SEC", PORTAL_SECRET)
    settings = operator_settings(tmp_path)
    server = LiveServer(settings, free_port())
    server.start()
    yield Instance(server=server, settings=settings)
    server.stop()
