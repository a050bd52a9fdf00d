"""The service under measurement, started as production runs it: ``python -m assistant
serve`` in its own process on a free port (the load generator must not share its
interpreter lock), with the benchmark's settings passed as ``ASSISTANT_*`` variables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

from assistant.settings import PROJECT_ROOT

# Load generators stand for many people behind one account and one address: the chat's
# rate limits (still applied, so their cost is measured) set far above what they send.
UNTHROTTLED_CHAT = {
    "ASSISTANT_RATE_LIMIT_MESSAGES_USER": "1000000/minute",
    "ASSISTANT_RATE_LIMIT_MESSAGES_IP": "1000000/minute",
    "ASSISTANT_RATE_LIMIT_WS_FRAMES": "1000000/minute",
    "ASSISTANT_RATE_LIMIT_EXPENSIVE": "1000000/minute",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_service(
    env: Mapping[str, str], *, log: Path, timeout: float = 180, demo: bool = True
) -> Iterator[tuple[str, psutil.Process]]:
    """Start the service with ``env`` added to this process's environment, wait until
    ``/readyz`` answers 200, yield (base URL, the server process), stop it after.
    ``demo``: in demo mode (``--demo``), whose users and experts have the demo password."""
    port = free_port()
    with log.open("wb") as out:
        proc = spawn_service(env, port=port, out=out, demo=demo)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc, log=log, timeout=timeout)
            yield url, psutil.Process(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def spawn_service(
    env: Mapping[str, str], *, port: int, out: IO[bytes], demo: bool = True, source: Path = PROJECT_ROOT
) -> subprocess.Popen[bytes]:
    """``python -m assistant serve`` on ``port`` with ``env`` added, its output to ``out``
    (``demo``: with ``--demo``); ``source``: the source tree to run (another checkout, to
    compare with in the same run; a tree from before demo mode takes ``demo=False``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + (["--demo"] if demo else []),
        env={**os.environ, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=source,
    )


def wait_ready(url: str, proc: subprocess.Popen[bytes], *, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"the service exited with code {proc.returncode}; {log} ends:\n{tail}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the service did not become ready within {timeout:.0f} s; see {log}")


def cpu_seconds(server: psutil.Process | None) -> tuple[float, float]:
    """CPU seconds used so far by the serving process and by its children (the engine
    processes): a figure the machine's other load inflates far less than latency."""
    if server is None:
        return 0.0, 0.0

    def used(p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return float(t.user + t.system)

    return used(server), sum(used(c) for c in server.children(recursive=True))


@contextmanager
def in_process_service(prefix: str, **overrides: Any) -> Iterator[tuple[str, Any]]:
    """The service in this process (uvicorn in a thread) on a free port, over the configured
    corpus and index (built first if stale), a throw-away SQLite database and demo mode, with
    ``overrides`` of the settings; yields (base URL, the settings) once ``/readyz`` answers.
    For the browser measurements, where the load is in the browser, not in this process."""
    import uvicorn

    from assistant.api.app import create_app
    from assistant.api.server import uvicorn_config
    from assistant.retrieval.embedders import make_embedder
    from assistant.settings import Settings
    from indexer.build import build_from_corpus, corpus_is_stale

    settings = Settings()
    embedder = make_embedder(settings.embedder)
    if corpus_is_stale(settings.corpus_dir, settings.index_dir, model=embedder.name):
        build_from_corpus(settings.corpus_dir, out=settings.index_dir, settings=settings, embedder=embedder)
    with tempfile.TemporaryDirectory(prefix=f"eval-{prefix}-") as tmp:
        port = free_port()
        settings = settings.model_copy(
            update={
                "database_url": f"sqlite:///{Path(tmp) / 'eval.db'}",
                "host": "127.0.0.1",
                "port": port,
                "public_url": "",
                "demo": True,  # the demo users and experts, with the demo password
                **overrides,
            }
        )
        server = uvicorn.Server(uvicorn_config(create_app(settings), settings, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            yield url, settings
        finally:
            server.should_exit = True
            time.sleep(0.5)
