"""A real uvicorn server on a free port, serving the fixture corpus."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.api.runtime import Runtime
from assistant.api.server import uvicorn_config
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from indexer.build import build_from_corpus
from tests.conftest import FIXTURE_CORPUS

CHANNELS = """\
users:
  - {username: alice, display_name: 王丽, partner: P-1, role: sales}
  - {username: bob, display_name: 李博, partner: P-2, role: sales}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    settings: Settings
    port: int
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    loop: asyncio.AbstractEventLoop | None = None
    app: FastAPI | None = None
    log_level: str = "warning"  # uvicorn's loggers (the access log is at info)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat"

    def start(self, timeout: float = 120, *, until_loaded: bool = False) -> None:
        """Serve in a thread with the production uvicorn configuration; wait until ready
        (``until_loaded``: until the index and engine are loaded, whatever ``/readyz`` says
        of the other dependencies)."""
        self.app = create_app(self.settings)
        settings = self.settings.model_copy(update={"host": "127.0.0.1", "port": self.port})
        self.server = uvicorn.Server(uvicorn_config(self.app, settings, log_level=self.log_level))
        self.loop = asyncio.new_event_loop()  # kept, so tests can schedule work on the server's loop
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.server.serve(),), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.http}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.runtime.load_error:
                break
            if until_loaded and self.runtime.ready:
                return
            time.sleep(0.05)
        raise RuntimeError(f"server did not become ready: {self.runtime.load_error or 'timeout'}")

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None
        runtime: Runtime = self.app.state.runtime
        return runtime

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def token(self, username: str = "alice", password: str = "pw-test-123") -> str:
        r = httpx.post(f"{self.http}/api/auth/token", json={"username": username, "password": password})
        r.raise_for_status()
        return str(r.json()["access_token"])

    def ticket(self, token: str) -> str:
        """A single-use WebSocket ticket, as the pages get one (``POST /api/ws-ticket``)."""
        r = httpx.post(f"{self.http}/api/ws-ticket", headers=bearer(token))
        r.raise_for_status()
        return str(r.json()["ticket"])

    def socket_url(self, token: str, path: str = "/ws/chat", **params: str) -> str:
        """A WebSocket URL signed in with a fresh ticket (no token in it)."""
        query = urlencode({"ticket": self.ticket(token), **params})
        return f"ws://127.0.0.1:{self.port}{path}?{query}"


def bearer(token: str) -> dict[str, str]:
    """Handshake headers of a non-browser client signing in with its access token."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server_settings(tmp_path: Path, database_url: str) -> Settings:
    return make_server_settings(tmp_path, database_url=database_url)


def make_server_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Fixture corpus, its index built with the hash embedder, alice (P-1) and bob (P-2)
    as demo users (demo mode, explicitly; ``demo=False`` for an instance without)."""
    channels = tmp_path / "channels.yaml"
    channels.write_text(CHANNELS, encoding="utf-8")
    values: dict[str, object] = {
        "corpus_dir": FIXTURE_CORPUS,
        "index_dir": tmp_path / "index",
        "database_url": f"sqlite:///{tmp_path / 'chat.db'}",
        "embedder": "hash-64",
        "secret_key": "test-secret-" + "x" * 40,
        "channels_file": channels,
        "demo": True,
        "demo_password": "pw-test-123",
        **overrides,
    }
    settings = Settings(**values)  # type: ignore[arg-type]
    build_from_corpus(
        FIXTURE_CORPUS, out=settings.index_dir, settings=settings, embedder=HashEmbedder(64), progress=False
    )
    return settings


@pytest.fixture
def live(server_settings: Settings) -> Iterator[LiveServer]:
    srv = LiveServer(server_settings, free_port())
    srv.start()
    yield srv
    srv.stop()
