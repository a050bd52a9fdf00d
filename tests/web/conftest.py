"""Browser tests: a real uvicorn server on a free port and Debian's Chromium, driven by
Playwright for Python (``executable_path=/usr/bin/chromium``; never ``playwright install``).

The service is reached as http://127.0.0.1:<port>; the demo partner portal is opened as
http://localhost:<port>, which the browser treats as another origin.  A second tiny server
(:class:`PortalSite`) plays a partner's own web site: http://127.0.0.1:<site port> is an
origin the test portal allows, http://localhost:<site port> one it does not.  (Pages made
up by Playwright's request interception count as public sites, which Chromium's Private
Network Access rules stop from loading anything from 127.0.0.1 at all, so they cannot
stand in for a foreign portal.)
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api.events import event_out
from assistant.portals.tokens import sign_identity
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from eval.web import CHROMIUM, launch_browser
from indexer.build import build_from_corpus
from tests.api.conftest import LiveServer, free_port
from tests.conftest import FIXTURE_CORPUS
from tests.web.artifacts import (
    DESKTOP,
    PHONE,
    artifacts_dir,  # noqa: F401  (the tests import it from here too)
)

PASSWORD = "pw-test-123"
DEMO_SECRET = "web-test-demo-portal-secret-" + "d" * 20
OTHER_SECRET = "web-test-other-portal-secret-" + "o" * 20

CHANNELS = """\
users:
  - {username: alice, display_name: 王丽, partner: P-1, role: sales}
  - {username: carol, display_name: 陈静, partner: P-1, role: manager}
  - {username: bob, display_name: 李博, partner: P-2, role: sales}
"""


def portals_yaml(port: int, site_port: int) -> str:
    return f"""\
portals:
  - id: demo
    name: 测试门户
    allowed_origins: [http://localhost:{port}, http://127.0.0.1:{site_port}]
    partners: [P-1]
    demo_secret: {DEMO_SECRET}
  - id: other
    name: 另一个门户
    allowed_origins: [http://other.test]
    partners: [P-2]
    demo_secret: {OTHER_SECRET}
"""


def make_settings(root: Path, port: int, site_port: int) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    (root / "channels.yaml").write_text(CHANNELS, encoding="utf-8")
    (root / "portals.yaml").write_text(portals_yaml(port, site_port), encoding="utf-8")
    settings = Settings(
        corpus_dir=FIXTURE_CORPUS,
        index_dir=root / "index",
        database_url=f"sqlite:///{root / 'web.db'}",
        embedder="hash-64",
        secret_key="web-test-secret-" + "x" * 40,
        channels_file=root / "channels.yaml",
        demo=True,  # the channel network's users are demo users with PASSWORD
        demo_password=PASSWORD,
        portals_file=root / "portals.yaml",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
    )
    if not (root / "index").exists():
        build_from_corpus(
            FIXTURE_CORPUS, out=settings.index_dir, settings=settings, embedder=HashEmbedder(64), progress=False
        )
    return settings


class WebServer(LiveServer):
    def start(self, timeout: float = 180) -> None:  # a loaded CI machine: wait longer
        super().start(timeout)

    @property
    def portal_origin(self) -> str:
        """The demo portal's origin: same server, another host name."""
        return f"http://localhost:{self.port}"

    def token(self, username: str = "alice", password: str = PASSWORD) -> str:
        return super().token(username, password)

    def identity(self, *, user: str = "alice", partner: str = "P-1", ttl: int = 120, **kw: Any) -> str:
        """An identity token as the demo portal's server would sign it."""
        return sign_identity(
            secret=kw.pop("secret", DEMO_SECRET),
            portal=kw.pop("portal", "demo"),
            user=user,
            partner=partner,
            expires_at=int(time.time()) + ttl,
            **kw,
        )

    def push(self, conversation_id: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A server-pushed chat event (as the handoff feature sends): stored, then published."""
        chat = self.runtime.require_chat()
        stored = chat.append_event(conversation_id=conversation_id, event_type=event_type, payload=payload)
        event = event_out(stored)
        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(self.runtime.hub.publish(conversation_id, event), self.loop).result(10)
        return event

    def get(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"{self.http}{path}", headers=headers, timeout=10, **kw)


class PortalSite:
    """A partner's own web site on another port: pages and an identity endpoint, set per test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.routes: dict[str, tuple[str, str]] = {}  # path -> (content type, body)
        self.hits: list[tuple[str, str, str]] = []  # (method, host, path)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?")[0]
                site.hits.append((self.command, self.headers.get("host", ""), path))
                kind, body = site.routes.get(path, ("text/plain", ""))
                data = body.encode("utf-8")
                self.send_response(200 if path in site.routes else 404)
                self.send_header("Content-Type", kind + "; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def allowed(self) -> str:
        """An origin the test portal allows."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def foreign(self) -> str:
        """The same site under a host name the portal does not allow."""
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[PortalSite]:
    s = PortalSite(free_port())
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, site: PortalSite) -> Iterator[WebServer]:
    """One server for a test module (each test signs in and gets its own conversation)."""
    port = free_port()
    srv = WebServer(make_settings(tmp_path_factory.mktemp("web"), port, site.port), port)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_browser(pw)
        yield b
        b.close()


# Installed before any page script: records the typing indicator being shown, and any
# script that an injected payload might run (window.__xss).
INIT_SCRIPT = """
window.__typingShown = 0;
document.addEventListener('DOMContentLoaded', () => {
  const t = document.getElementById('typing');
  if (t) new MutationObserver(() => { if (!t.hidden) window.__typingShown += 1; })
    .observe(t, {attributes: true, attributeFilter: ['hidden']});
});
"""


def new_context(browser: Any, viewport: dict[str, int] = PHONE) -> Any:
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    ctx.add_init_script(INIT_SCRIPT)
    ctx.set_default_timeout(15_000)
    return ctx


def watched_page(context: Any) -> Any:
    """A new page whose script errors and dialogs are collected in ``page.errors``."""
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("dialog", lambda d: (pg.errors.append(f"dialog: {d.message}"), d.dismiss()))
    return pg


def device(browser: Any, viewport: dict[str, int] = PHONE) -> Any:
    """A watched page in a browser context of its own: another device of the same user."""
    return watched_page(new_context(browser, viewport))


@pytest.fixture
def devices(browser: Any) -> Iterator[list[Any]]:
    """The pages a test opens with :func:`device` (append them), closed after it."""
    opened: list[Any] = []
    yield opened
    for page in opened:
        page.context.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return watched_page(context)


@pytest.fixture(params=[PHONE, DESKTOP], ids=lambda v: f"{v['width']}px")
def sized_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at 390 px, and in a second run at 1366 px: the two widths of issue 18."""
    ctx = new_context(browser, request.param)
    yield watched_page(ctx)
    ctx.close()


def width_of(page: Any) -> int:
    return int(page.viewport_size["width"])


def sign_in(page: Any, server: WebServer, username: str = "alice", path: str = "/") -> None:
    page.goto(f"{server.http}{path}")
    page.fill("#signin-form [name=username]", username)
    page.fill("#signin-form [name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")


def ask(page_or_frame: Any, text: str) -> Any:
    """Send a message and wait for a new assistant reply; returns the reply's locator."""
    replies = page_or_frame.locator(".msg.bot[data-seq]:not(.welcome)")
    before = replies.count()
    page_or_frame.locator("#input").fill(text)
    page_or_frame.locator("#input").press("Enter")
    reply = replies.nth(before)
    reply.wait_for()
    return reply


def eventually(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll until ``check()`` is truthy (server-side effects of a click land a moment later)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def portal_site(site: PortalSite) -> PortalSite:
    """The partner site with no pages yet (each test sets its own)."""
    site.routes.clear()
    site.hits.clear()
    return site
