"""deploy/compose.yaml and deploy/nginx.conf refer to each other consistently (parsed, not
run): the instances share one PostgreSQL database, one Redis, one key prefix and one
secret, each under its own instance id; nginx's upstream lists exactly the instances on
the port they serve; the proxy passes WebSocket upgrades, sends HSTS and is not sticky."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from assistant.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def nginx() -> str:
    return (DEPLOY / "nginx.conf").read_text(encoding="utf-8")


def instances(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose["services"].items()
        if "assistant" in " ".join(svc.get("command", [])) or name.startswith("assistant")
    }


def serve_port(service: dict[str, Any]) -> int:
    command = service["command"]
    assert command[:4] == ["python", "-m", "assistant", "serve"]
    return int(command[command.index("--port") + 1])


def without_interpolation(value: str) -> str:
    """``${VAR:?message}`` / ``${VAR:-default}`` as compose would fill them, with stand-ins."""
    return re.sub(r"\$\{(\w+)(?::[-?]([^}]*))?\}", lambda m: "secret" if "?" in m.group(0) else m.group(2), value)


def test_compose_runs_postgres_redis_nginx_and_at_least_two_instances(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "nginx"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert len(instances(compose)) >= 2
    for svc in instances(compose).values():
        assert (PROJECT_ROOT / "deploy" / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
        assert "ports" not in svc  # reached through nginx only


def test_instances_share_one_database_one_redis_and_one_secret(compose: dict[str, Any]) -> None:
    services = compose["services"]
    pg = services["postgres"]["environment"]
    fields = set(Settings.model_fields)
    envs = []
    for name, svc in instances(compose).items():
        env = svc["environment"]
        envs.append(env)
        url = make_url(without_interpolation(env["ASSISTANT_DATABASE_URL"]))
        assert url.drivername == "postgresql+psycopg"
        assert (url.host, url.port, url.database, url.username) == (
            "postgres",
            5432,
            pg["POSTGRES_DB"],
            pg["POSTGRES_USER"],
        )
        assert (
            "${POSTGRES_PASSWORD" in env["ASSISTANT_DATABASE_URL"] and "${POSTGRES_PASSWORD" in pg["POSTGRES_PASSWORD"]
        )
        redis_url = re.fullmatch(r"redis://([\w.-]+):(\d+)/\d+", env["ASSISTANT_REDIS_URL"])
        assert redis_url is not None and services[redis_url.group(1)]["image"].startswith("redis:")
        assert {"postgres", redis_url.group(1)} <= set(svc["depends_on"]), name
        # Every ASSISTANT_ variable is a setting (a misspelt one would be ignored silently).
        assert all(key.removeprefix("ASSISTANT_").lower() in fields for key in env if key.startswith("ASSISTANT_"))
    for shared in (
        "ASSISTANT_DATABASE_URL",
        "ASSISTANT_REDIS_URL",
        "ASSISTANT_REDIS_KEY_PREFIX",
        "ASSISTANT_SECRET_KEY",
    ):
        assert len({env[shared] for env in envs}) == 1, shared
    ids = [env["ASSISTANT_INSTANCE_ID"] for env in envs]
    assert len(set(ids)) == len(ids)  # each its own: a restarted instance takes back its own claims


def test_nginx_upstream_lists_exactly_the_instances_and_is_not_sticky(compose: dict[str, Any], nginx: str) -> None:
    upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", nginx, re.S)
    assert upstream is not None
    servers = set(re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstream.group(2), re.M))
    assert servers == {(name, str(serve_port(svc))) for name, svc in instances(compose).items()}
    for name, svc in instances(compose).items():
        assert str(serve_port(svc)) in [str(p) for p in svc["expose"]], name
    assert not re.search(r"\b(ip_hash|hash|sticky)\b", upstream.group(2))
    assert re.findall(r"proxy_pass\s+http://(\w+);", nginx) and set(
        re.findall(r"proxy_pass\s+http://(\w+);", nginx)
    ) == {upstream.group(1)}
    nginx_svc = compose["services"]["nginx"]
    assert set(instances(compose)) <= set(nginx_svc["depends_on"])
    mounts = {m.split(":")[1]: m.split(":")[0] for m in nginx_svc["volumes"]}
    assert (DEPLOY / mounts["/etc/nginx/conf.d/default.conf"]).resolve() == DEPLOY / "nginx.conf"


def test_nginx_passes_websocket_upgrades_and_sends_hsts(nginx: str) -> None:
    ws = re.search(r"location\s+/ws/\s*\{(.*?)\}", nginx, re.S)
    assert ws is not None
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", ws.group(1))
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", ws.group(1))
    assert re.search(r"proxy_http_version\s+1\.1;", nginx)
    assert re.search(r'add_header\s+Strict-Transport-Security\s+"max-age=\d{8,}[^"]*"\s+always;', nginx)
    assert re.search(r"listen\s+443\s+ssl", nginx) and re.search(r"return\s+301\s+https://", nginx)


def test_only_nginx_is_a_trusted_proxy(compose: dict[str, Any]) -> None:
    nginx_address = compose["services"]["nginx"]["networks"]["backend"]["ipv4_address"]
    subnet = ipaddress.ip_network(compose["networks"]["backend"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_address(nginx_address) in subnet
    for svc in instances(compose).values():
        assert svc["environment"]["ASSISTANT_TRUSTED_PROXIES"] == nginx_address
        assert svc["networks"] == ["backend"]


def test_the_readiness_healthcheck_asks_readyz_on_the_serving_port(compose: dict[str, Any]) -> None:
    for svc in instances(compose).values():
        check = " ".join(svc["healthcheck"]["test"])
        assert f"127.0.0.1:{serve_port(svc)}/readyz" in check


def test_the_dockerfile_serves_on_the_port_compose_expects() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^EXPOSE 8000$", text, re.M) and '"--port", "8000"' in text
    assert Path(DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()[0] == ".venv"
