"""The portals that may embed the widget, loaded from a YAML file (``corpus/portals.yaml``).

Each portal names the origins its pages are served from (``frame-ancestors`` of the
widget page, the WebSocket ``Origin`` check, ``postMessage`` checks), the partner
nodes whose users it may sign in, and a *reference* to its signing secret::

    portals:
      - id: acme
        name: ACME 伙伴门户
        allowed_origins: [https://portal.acme.example]
        partners: [P-HZ-01]
        secret_env: ASSISTANT_PORTAL_SECRET_ACME   # the secret itself lives in the environment

Secrets are at least 32 characters.  A portal without one is loaded but disabled (its
tokens are refused as ``portal_not_found``).  Two demo shortcuts exist **only in demo
mode** (``python -m assistant serve --demo``):

* ``demo: true`` marks the demo portal: when its environment variable is unset, it gets
  a random secret made up at start (the service's own demo portal page signs with it, so
  nobody else ever needs it);
* ``demo_secret: ...`` is a secret written in the file (tests use it to sign tokens).

Outside demo mode neither is ever used, and a portal with a ``demo_secret`` (a secret
anyone who reads the file knows) stops the service from starting (``file_secret``).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from assistant.portals.errors import PortalConfigError, PortalNotFoundError

log = logging.getLogger(__name__)

MIN_SECRET_CHARS = 32
_PORTAL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, default port dropped; ValueError if not an origin."""
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {value!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"an origin has no path, query or credentials: {value!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def same_host(origin: str, host: str | None) -> bool:
    """Whether a browser's ``Origin`` names the host (and port) of the ``Host`` header:
    a request from the service's own pages."""
    if not host:
        return False
    try:
        return normalize_origin(origin).split("://", 1)[1] == normalize_origin(f"http://{host}").split("://", 1)[1]
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Portal:
    id: str
    name: str
    allowed_origins: tuple[str, ...]  # normalised origins
    partners: tuple[str, ...]  # channel nodes whose users this portal may sign in
    secret: str | None = field(default=None, repr=False)  # None: disabled
    # "env:NAME" | "demo" (demo_secret, demo mode) | "generated" (demo: true, demo mode) | ""
    # (for logs and docs, never the secret)
    secret_source: str = ""
    demo: bool = False  # the demo portal (``demo: true``)
    file_secret: bool = False  # the file holds a demo_secret for it (refused outside demo mode)

    @property
    def enabled(self) -> bool:
        return self.secret is not None

    def allows_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        try:
            return normalize_origin(origin) in self.allowed_origins
        except ValueError:
            return False

    def frame_ancestors(self) -> str:
        """The CSP ``frame-ancestors`` source list for the widget page."""
        return " ".join(self.allowed_origins) if self.allowed_origins else "'none'"


class PortalRegistry:
    def __init__(self, portals: Iterable[Portal] = ()) -> None:
        self._portals: dict[str, Portal] = {}
        for portal in portals:
            if portal.id in self._portals:
                raise PortalConfigError(f"portal {portal.id!r}: defined twice")
            self._portals[portal.id] = portal

    def __len__(self) -> int:
        return len(self._portals)

    def __iter__(self) -> Iterator[Portal]:
        return iter(self._portals.values())

    def find(self, portal_id: str) -> Portal | None:
        return self._portals.get(portal_id)

    def get(self, portal_id: str) -> Portal:
        """An enabled portal, or PortalNotFoundError."""
        portal = self._portals.get(portal_id)
        if portal is None or not portal.enabled:
            raise PortalNotFoundError(f"no enabled portal {portal_id!r}")
        return portal


def _str_list(raw: Any, *, where: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise PortalConfigError(f"{where}: must be a list of non-empty strings")
    return [x.strip() for x in raw]


def parse_portal(raw: Any, *, environ: Mapping[str, str], demo_mode: bool = False) -> Portal:
    if not isinstance(raw, dict):
        raise PortalConfigError("portals: every entry must be a mapping")
    portal_id = raw.get("id")
    if not isinstance(portal_id, str) or not _PORTAL_ID.match(portal_id):
        raise PortalConfigError(f"portal {portal_id!r}: id must match {_PORTAL_ID.pattern}")
    where = f"portal {portal_id!r}"
    unknown = sorted(set(raw) - {"id", "name", "allowed_origins", "partners", "secret_env", "demo_secret", "demo"})
    if unknown:
        raise PortalConfigError(f"{where}: unknown field(s) {unknown}")
    origins: list[str] = []
    for value in _str_list(raw.get("allowed_origins"), where=f"{where}: allowed_origins"):
        try:
            origins.append(normalize_origin(value))
        except ValueError as exc:
            raise PortalConfigError(f"{where}: allowed_origins: {exc}") from exc
    if not origins:
        raise PortalConfigError(f"{where}: allowed_origins must name at least one origin")
    partners = _str_list(raw.get("partners"), where=f"{where}: partners")
    if not partners:
        raise PortalConfigError(f"{where}: partners must name at least one channel node")
    secret_env = raw.get("secret_env")
    if secret_env is not None and (not isinstance(secret_env, str) or not secret_env.strip()):
        raise PortalConfigError(f"{where}: secret_env must be an environment variable name")
    demo_secret = raw.get("demo_secret")
    if demo_secret is not None and (not isinstance(demo_secret, str) or len(demo_secret) < MIN_SECRET_CHARS):
        raise PortalConfigError(f"{where}: the secret (demo_secret) must be at least {MIN_SECRET_CHARS} characters")
    is_demo = raw.get("demo", False)
    if not isinstance(is_demo, bool):
        raise PortalConfigError(f"{where}: demo must be true or false")
    secret: str | None = None
    source = ""
    if secret_env and environ.get(secret_env):
        secret, source = environ[secret_env], f"env:{secret_env}"
    elif demo_mode and demo_secret:
        secret, source = demo_secret, "demo"
    elif demo_mode and is_demo:
        secret, source = secrets.token_urlsafe(32), "generated"
    if secret is not None and len(secret) < MIN_SECRET_CHARS:
        raise PortalConfigError(f"{where}: the secret ({source}) must be at least {MIN_SECRET_CHARS} characters")
    if secret is None:
        log.warning("portal %s has no secret (set %s): widget sign-in disabled", portal_id, secret_env or "secret_env")
    return Portal(
        id=portal_id,
        name=str(raw.get("name") or portal_id),
        allowed_origins=tuple(dict.fromkeys(origins)),
        partners=tuple(dict.fromkeys(partners)),
        secret=secret,
        secret_source=source,
        demo=is_demo,
        file_secret=bool(demo_secret),
    )


def load_portals(path: Path, *, environ: Mapping[str, str], demo_mode: bool = False) -> PortalRegistry:
    """The registry from a YAML file; an absent file is an empty registry."""
    if not path.exists():
        return PortalRegistry()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PortalConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("portals", []), list):
        raise PortalConfigError(f"{path}: expected a mapping with a 'portals' list")
    return PortalRegistry(parse_portal(raw, environ=environ, demo_mode=demo_mode) for raw in data.get("portals", []))
