"""The portals file: origins, partners and secret references."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.portals.errors import PortalConfigError, PortalNotFoundError
from assistant.portals.registry import load_portals, normalize_origin, same_host
from assistant.settings import PROJECT_ROOT

GOOD = """\
portals:
  - id: acme
    name: ACME
    allowed_origins: ["HTTPS://Portal.Example:443/", "http://localhost:8000"]
    partners: [P-1]
    secret_env: ACME_SECRET
  - id: demo
    allowed_origins: [http://127.0.0.1:8000]
    partners: [P-2]
    secret_env: DEMO_SECRET
    demo_secret: demo-secret-demo-secret-demo-secret-123
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portals.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_secrets_come_from_the_environment_and_demo_secrets_are_a_fallback_in_demo_mode(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    registry = load_portals(path, environ={}, demo_mode=True)
    with pytest.raises(PortalNotFoundError):
        registry.get("acme")  # no secret: loaded, but disabled
    assert registry.get("demo").secret_source == "demo"
    outside = load_portals(path, environ={})  # outside demo mode a written secret is never used
    with pytest.raises(PortalNotFoundError):
        outside.get("demo")
    assert outside.find("demo").file_secret  # and the start-up check refuses it
    registry = load_portals(path, environ={"ACME_SECRET": "e" * 40, "DEMO_SECRET": "f" * 40}, demo_mode=True)
    acme = registry.get("acme")
    assert acme.secret == "e" * 40 and acme.secret_source == "env:ACME_SECRET"
    assert registry.get("demo").secret == "f" * 40  # the environment wins over the demo secret
    assert "e" * 40 not in repr(acme)  # never in logs
    assert acme.allowed_origins == ("https://portal.example", "http://localhost:8000")
    assert acme.frame_ancestors() == "https://portal.example http://localhost:8000"
    assert acme.allows_origin("https://portal.example") and not acme.allows_origin("https://evil.example")
    assert not acme.allows_origin(None) and not acme.allows_origin("null")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("portals:\n  - {id: Bad Id, allowed_origins: [http://a], partners: [P]}", "id must match"),
        ("portals:\n  - {id: a, allowed_origins: [], partners: [P]}", "at least one origin"),
        ("portals:\n  - {id: a, allowed_origins: ['http://a/path'], partners: [P]}", "no path"),
        ("portals:\n  - {id: a, allowed_origins: ['ftp://a'], partners: [P]}", r"not an http\(s\) origin"),
        ("portals:\n  - {id: a, allowed_origins: [http://a], partners: []}", "partners"),
        ("portals:\n  - {id: a, allowed_origins: [http://a], partners: [P], demo_secret: short}", "32 characters"),
        ("portals:\n  - {id: a, allowed_origins: [http://a], partners: [P], secret: x}", "unknown field"),
        (
            "portals:\n  - {id: a, allowed_origins: [http://a], partners: [P]}\n"
            "  - {id: a, allowed_origins: [http://b], partners: [P]}",
            "defined twice",
        ),
    ],
)
def test_bad_portal_files_are_rejected_naming_the_portal(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(PortalConfigError, match=problem):
        load_portals(write(tmp_path, text), environ={})


def test_the_shipped_portals_file_has_no_secret_and_a_demo_portal_for_demo_mode() -> None:
    shipped = PROJECT_ROOT / "corpus" / "portals.yaml"
    assert "demo_secret" not in shipped.read_text(encoding="utf-8").split("portals:", 1)[1]
    demo = load_portals(shipped, environ={}, demo_mode=True).get("demo")
    assert demo.secret_source == "generated" and "http://localhost:8000" in demo.allowed_origins
    again = load_portals(shipped, environ={}, demo_mode=True).get("demo")
    assert again.secret != demo.secret  # made up at each start, known to no one else
    outside = load_portals(shipped, environ={}).find("demo")
    assert outside is not None and not outside.enabled and not outside.file_secret
    assert load_portals(PROJECT_ROOT / "no-such-file.yaml", environ={}).find("demo") is None


def test_origins_are_normalised_and_compared_with_the_host() -> None:
    assert normalize_origin("HTTP://LocalHost:80") == "http://localhost"
    assert normalize_origin("http://[::1]:8000") == "http://[::1]:8000"
    assert same_host("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not same_host("http://127.0.0.1:8001", "127.0.0.1:8000")
    assert not same_host("null", "127.0.0.1:8000") and not same_host("http://a", None)
