"""``python -m eval signin-storm --attempts 200 --json OUT [--baseline main]``

Memory of the serving process under a storm of failed sign-ins: ``--attempts`` wrong
passwords for random user names sent all at once to ``python -m assistant serve`` (its own
process, default settings, a throw-away database), while the serving process's resident
memory is sampled every 20 ms.  Each argon2 check holds about 64 MiB, so what bounds the
peak is how many run at once.

Two storms per service: from one address (the per-address sign-in limit refuses most
attempts early), and as if from as many addresses as attempts (per-address limits
lifted through their settings: only the cap on concurrent password hashes is left).
``--baseline REF`` runs the same storms against that git revision of this repository
(``git archive`` into a temporary directory, started the same way) in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import subprocess
import tarfile
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from assistant.retrieval.embedders import make_embedder
from assistant.settings import PROJECT_ROOT, Settings
from eval.service import free_port, spawn_service, wait_ready
from indexer.build import build_from_corpus, corpus_is_stale

MB = 1024 * 1024
# Per-address limits lifted: the storm then stands for that many addresses.
SPREAD = {
    "ASSISTANT_RATE_LIMIT_SIGN_IN_IP": "1000000/minute",
    "ASSISTANT_RATE_LIMIT_SIGN_IN_FAILURES_IP": "1000000/minute",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attempts", type=int, default=200, help="failed sign-ins sent at once")
    parser.add_argument("--baseline", default="main", help="git revision to compare with ('' for none)")


class _Sampler:
    """Peak resident memory of one process, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    def __enter__(self) -> _Sampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def _storm(url: str, attempts: int) -> tuple[Counter[int], float]:
    limits = httpx.Limits(max_connections=attempts, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one() -> int:
            body = {"username": f"storm-{secrets.token_hex(4)}", "password": secrets.token_hex(8)}
            try:
                return (await client.post(f"{url}/api/auth/token", json=body)).status_code
            except httpx.HTTPError:
                return 0  # no answer (the connection failed)

        started = time.perf_counter()
        statuses = await asyncio.gather(*(one() for _ in range(attempts)))
        return Counter(statuses), time.perf_counter() - started


def _service_storms(source: Path, env: dict[str, str], attempts: int, log: Path) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {}
    for name, extra in (("one_address", {}), ("many_addresses", SPREAD)):
        with log.open("ab") as out:
            # A tree from before demo mode has no --demo (and needs none: nobody signs in).
            demo = "--demo" in (source / "assistant" / "__main__.py").read_text(encoding="utf-8")
            proc = spawn_service({**env, **extra}, port=port, out=out, demo=demo, source=source)
            try:
                wait_ready(url, proc, log=log, timeout=300)
                with _Sampler(proc.pid) as sampler:
                    before = sampler.rss()
                    statuses, elapsed = asyncio.run(_storm(url, attempts))
                    time.sleep(0.5)
                    after = sampler.rss()
                results[name] = {
                    "rss_before_mb": round(before / MB),
                    "rss_peak_mb": round(sampler.peak / MB),
                    "rss_after_mb": round(after / MB),
                    "statuses": {str(k): v for k, v in sorted(statuses.items())},
                    "elapsed_s": round(elapsed, 2),
                }
            finally:
                proc.terminate()
                proc.wait(timeout=60)
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    embedder = make_embedder(settings.embedder)
    if corpus_is_stale(settings.corpus_dir, settings.index_dir, model=embedder.name):
        build_from_corpus(
            settings.corpus_dir, out=settings.index_dir, settings=settings, embedder=embedder, progress=False
        )
    result: dict[str, Any] = {"attempts": args.attempts, "cpu_count": os.cpu_count(), "limit_mb": 600}
    with tempfile.TemporaryDirectory(prefix="eval-signin-") as name:
        tmp = Path(name)
        env = {
            "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp / 'signin.db'}",
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "ASSISTANT_SECRET_KEY": "eval-signin-" + "k" * 40,
            "ASSISTANT_NLU_CACHE_DIR": str(settings.nlu_cache_dir or tmp / "nlu"),
        }
        result["this_tree"] = _service_storms(PROJECT_ROOT, env, args.attempts, tmp / "server.log")
        if args.baseline:
            source = tmp / "baseline"
            source.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.baseline], cwd=PROJECT_ROOT, check=True, capture_output=True
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(source, filter="data")
            env["ASSISTANT_DATABASE_URL"] = f"sqlite:///{tmp / 'baseline.db'}"
            result[f"baseline_{args.baseline}"] = _service_storms(source, env, args.attempts, tmp / "baseline.log")
    return result
