"""Finding 1 (anyone could sign in as a portal user by default) and finding 8 (demo users
shared one password hash): demo shortcuts exist only in an explicit demo mode; without it
the service refuses to start while any is left, and operators provision users instead."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from assistant.api.runtime import Runtime
from assistant.auth import hash_password
from assistant.portals.tokens import sign_identity
from assistant.settings import PROJECT_ROOT, Settings
from assistant.startup import UnsafeStartError, preflight
from assistant.storage.db import Database, migrate
from assistant.storage.models import User
from assistant.users import UserAdminError, UserSpec, add_user, set_password
from tests.api.conftest import make_server_settings
from tests.security.conftest import PASSWORDS, Instance, operator_settings

pytestmark = pytest.mark.slow

# The fallback secret that corpus/portals.yaml used to carry for anyone to read.
OLD_COMMITTED_SECRET = "demo-portal-secret-for-local-demos-only-0f3a9c"
CHANNELS = PROJECT_ROOT / "corpus" / "rebates" / "channels.yaml"


def test_without_demo_mode_there_is_no_demo_portal_and_no_demo_user(operator: Instance) -> None:
    http = operator.server.http
    assert httpx.get(f"{http}/healthz").json()["demo"] is False
    assert httpx.post(f"{http}/demo/portal/identity?as=alice").status_code == 404
    assert httpx.get(f"{http}/demo/portal").status_code == 404
    for user in ("alice", "n_admin", "hz_manager"):
        r = httpx.post(f"{http}/api/auth/token", json={"username": user, "password": "demo1234"})
        assert r.status_code == 401, user
    assert operator.token("alice")  # the provisioned password signs in


def test_the_secret_once_committed_for_the_demo_portal_forges_nothing(tmp_path: Path) -> None:
    """The shipped portals file holds no secret; outside demo mode its demo portal is off."""
    settings = make_server_settings(tmp_path, demo=False, portals_file=PROJECT_ROOT / "corpus" / "portals.yaml")
    rt = Runtime(settings)
    rt.start_storage()
    try:
        assert rt.portals is not None and not rt.portals.registry.find("demo").enabled  # type: ignore[union-attr]
        forged = sign_identity(
            secret=OLD_COMMITTED_SECRET,
            portal="demo",
            user="hz_manager",
            partner="A-HZ",
            expires_at=int(time.time()) + 60,
        )
        with pytest.raises(Exception) as info:
            rt.portals.exchange(portal_id="demo", identity_token=forged)
        assert getattr(info.value, "code", "") == "portal_not_found"
    finally:
        rt.close()
    assert OLD_COMMITTED_SECRET not in (PROJECT_ROOT / "corpus" / "portals.yaml").read_text(encoding="utf-8")


def test_a_database_with_demo_users_stops_a_start_without_demo_mode(tmp_path: Path) -> None:
    demo = make_server_settings(tmp_path, demo=True, handoff_experts_file=tmp_path / "none.yaml")
    rt = Runtime(demo)
    rt.start_storage()  # seeds alice and bob with the demo password
    rt.close()
    real = demo.model_copy(update={"demo": False})
    problems = preflight(real)
    assert len(problems) == 1 and "alice, bob" in problems[0] and "users passwd" in problems[0]
    with pytest.raises(UnsafeStartError, match="alice, bob"):
        Runtime(real).start_storage()
    # Give both a password of their own: the instance may start.
    db = Database(real.database_url)
    set_password(db, "alice", "alice-new-password", demo_password=real.demo_password)
    generated = set_password(db, "bob", None, demo_password=real.demo_password)
    assert generated.password and len(generated.password) >= 16
    db.dispose()
    assert preflight(real) == []


def test_a_database_seeded_by_the_old_code_is_found_by_its_hash(tmp_path: Path) -> None:
    """Rows from before the demo flag (migration 0007 leaves it NULL) are verified by hash."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url)
    db = Database(url)
    shared = hash_password("demo1234")  # the old seeding: one hash for every user
    with db.write() as s:
        for name in ("n_admin", "hz_manager"):
            s.add(User(id=f"u-{name}", username=name, password_hash=shared, partner_id="N-001"))
        s.add(User(id="u-ok", username="ok", password_hash=hash_password("a-real-password"), partner_id="N-001"))
    db.dispose()
    settings = Settings(database_url=url, portals_file=tmp_path / "none.yaml", demo=False)
    [problem] = preflight(settings)
    assert "2 active user(s)" in problem and "hz_manager, n_admin" in problem
    with Database(url).read() as s:
        flags = {u.username: u.demo_password for u in s.scalars(select(User))}
    assert flags == {"n_admin": True, "hz_manager": True, "ok": False}  # recorded: checked once


def test_a_portal_secret_written_in_the_file_stops_a_start_without_demo_mode(tmp_path: Path) -> None:
    portals = tmp_path / "portals.yaml"
    portals.write_text(
        "portals:\n  - {id: acme, allowed_origins: [http://a.example], partners: [P-1],"
        f" secret_env: ACME_SECRET, demo_secret: {'x' * 40}}}\n",
        encoding="utf-8",
    )
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", portals_file=portals, demo=False)
    [problem] = preflight(settings)
    assert "portal 'acme'" in problem and "demo_secret" in problem and "x" * 40 not in problem


def test_serve_refuses_to_start_and_says_which(tmp_path: Path) -> None:
    demo = make_server_settings(tmp_path, demo=True, handoff_experts_file=tmp_path / "none.yaml")
    rt = Runtime(demo)
    rt.start_storage()
    rt.close()
    env = {
        **os.environ,
        "ASSISTANT_DATABASE_URL": demo.database_url,
        "ASSISTANT_CHANNELS_FILE": str(demo.channels_file),
        "ASSISTANT_DEMO_PASSWORD": demo.demo_password,
        "ASSISTANT_INDEX_DIR": str(demo.index_dir),
        "ASSISTANT_SECRET_FILE": str(tmp_path / "secret.key"),
    }
    env.pop("ASSISTANT_DEMO", None)
    done = subprocess.run(  # noqa: PLW1510 (the exit code is asserted)
        [sys.executable, "-m", "assistant", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 2
    assert "demo password: alice, bob" in done.stderr and "--demo" in done.stderr


def test_demo_users_each_have_their_own_salt(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'd.db'}", channels_file=CHANNELS, demo=True)
    rt = Runtime(settings)
    rt.start_storage()
    try:
        assert rt.db is not None
        with rt.db.read() as s:
            hashes = [u.password_hash for u in s.scalars(select(User))]
        assert len(hashes) > 50 and len(set(hashes)) == len(hashes)
        assert len({h.rsplit("$", 2)[1] for h in hashes}) == len(hashes)  # a salt each
    finally:
        rt.close()


def test_users_cli_imports_the_channel_network_with_passwords_shown_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "ASSISTANT_DATABASE_URL": url}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: PLW1510 (the exit code is asserted)
            [sys.executable, "-m", "assistant", "users", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=PROJECT_ROOT,
        )

    imported = cli("import", str(CHANNELS))
    assert imported.returncode == 0, imported.stderr
    printed = dict(line.split("\t") for line in imported.stdout.splitlines())
    assert "n_admin" in printed and len(printed) > 50 and len(set(printed.values())) == len(printed)
    again = cli("import", str(CHANNELS))  # existing users are left alone, nothing is shown twice
    assert again.returncode == 0 and again.stdout == "" and "exists, left as is" in again.stderr
    refused = cli("passwd", "n_admin", "--password-stdin", stdin="demo1234\n")
    assert refused.returncode == 2 and "demo password" in refused.stderr
    added = cli(
        "add", "li_lei", "--partner", "P-HZ-01", "--role", "sales", "--password-stdin", stdin="li-lei-pw-2026\n"
    )
    assert added.returncode == 0 and added.stdout == ""
    db = Database(url)
    with db.read() as s:
        users = {u.username: u for u in s.scalars(select(User))}
    assert users["li_lei"].partner_id == "P-HZ-01" and users["li_lei"].demo_password is False
    assert len({u.password_hash for u in users.values()}) == len(users)  # finding 8: a hash each
    with pytest.raises(UserAdminError, match="exists already"):
        add_user(db, UserSpec(username="li_lei", partner_id="P-HZ-01"), demo_password="demo1234")
    db.dispose()
    assert preflight(Settings(database_url=url, portals_file=tmp_path / "none.yaml")) == []


def test_a_provisioned_instance_serves_its_users(operator: Instance) -> None:
    me = httpx.get(
        f"{operator.server.http}/api/me", headers={"Authorization": f"Bearer {operator.token('bob')}"}
    ).json()
    assert me["username"] == "bob" and me["partner_id"] == "P-2"
    assert PASSWORDS["bob"] not in str(me)


def test_operator_settings_fixture_provisions_without_demo(tmp_path: Path) -> None:
    settings = operator_settings(tmp_path)
    assert settings.demo is False and preflight(settings) == []
