"""``python -m eval load --sessions N --turns M --json OUT [--url http://host:port ...]``

End-to-end turn latency over real WebSockets: N sessions connect, then each sends M
messages one after another, the next as soon as the reply is in (``--think-ms T``
pauses a random 0.5T-1.5T before each message instead, as people do).  A turn's
latency runs from sending the message to receiving its ``reply`` (ack, typing and
the engine included).  Without
``--url`` it starts ``python -m assistant serve`` in its own process on a free
port, on the configured corpus and index (built first if missing or stale) and a
throw-away database.  ``--url`` given several times (instances of one deployment, e.g.
on one PostgreSQL and one Redis) spreads the sessions over them in turn, as a proxy
without sticky sessions would; ``--server-pid`` (repeatable) names serving processes
already running whose CPU seconds (with their children's) are reported per process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvloop
import yaml
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from assistant.retrieval.embedders import make_embedder
from assistant.settings import PROJECT_ROOT, Settings
from eval.metrics import percentiles
from eval.service import UNTHROTTLED_CHAT, cpu_seconds, running_service
from indexer.build import build_from_corpus, corpus_is_stale

FALLBACK_QUESTIONS = ["EG-2100 有几个串口", "网关质保多久", "有没有汽车厂的案例", "厂长关心回本 怎么开场", "你好"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument(
        "--url",
        action="append",
        help="an already running service (default: start one); repeat for several instances",
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="with --url: a serving process whose CPU seconds to report (repeatable)",
    )
    parser.add_argument("--username", default="ec_sales1")
    parser.add_argument("--password", default=None, help="default: the demo password from settings")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause before each message, uniform in [0.5, 1.5] x this (default 0: back to back)",
    )


def _questions() -> list[str]:
    texts: list[str] = []
    for path in sorted((PROJECT_ROOT / "eval" / "data" / "labelled").glob("questions-*.yaml")):
        texts += [str(q["text"]) for q in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
    return texts or FALLBACK_QUESTIONS


async def _connect(url: str, token: str) -> ClientConnection:
    # A non-browser client signs in with its token in the handshake header, never in the URL.
    headers = {"Authorization": f"Bearer {token}"}
    ws = await connect(url.replace("http", "ws", 1) + "/ws/chat", max_size=2**22, additional_headers=headers)
    await ws.recv()  # ready
    return ws


async def _session(
    ws: ClientConnection,
    questions: list[str],
    *,
    turns: int,
    think: tuple[float, float],
    rng: random.Random,
    latencies: list[float],
    errors: list[str],
) -> None:
    try:
        for i in range(turns):
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(*think) / 1000)
            start = time.perf_counter()
            await ws.send(
                json.dumps({"type": "message", "client_msg_id": f"t{i}", "text": questions[i % len(questions)]})
            )
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if event["type"] == "reply":
                    latencies.append((time.perf_counter() - start) * 1000)
                    break
                if event["type"] == "error":
                    errors.append(event["code"])
                    break
    except ConnectionClosed as exc:  # which side closed, and why (a keepalive timeout is 1011)
        close = exc.rcvd or exc.sent
        errors.append(f"{type(exc).__name__}:{close.code if close else 'none'}")
    except (OSError, TimeoutError, ValueError) as exc:  # connection-level failures count
        errors.append(type(exc).__name__)


@dataclass
class _Run:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_s: tuple[float, float] = (0.0, 0.0)  # server CPU while the turns ran: serving, engine processes
    watched_cpu_s: list[float] = field(default_factory=list)  # --server-pid processes (with children)
    wall_s: float = 0.0  # from the first message to the last reply
    load_avg_1m: float = 0.0


async def _drive(
    targets: list[tuple[str, str]],
    args: argparse.Namespace,
    server: psutil.Process | None,
    watched: list[psutil.Process] | None = None,
) -> _Run:
    """Every session connects first (session n to ``targets[n % len(targets)]``: a URL and
    a token for it); then all send their turns at once (a turn's latency is the message's,
    not the connection set-up's)."""
    questions = _questions()
    run = _Run()
    latencies, errors = run.latencies, run.errors
    watched = watched or []
    opened = await asyncio.gather(
        *(_connect(*targets[n % len(targets)]) for n in range(args.sessions)), return_exceptions=True
    )
    sockets = [ws for ws in opened if isinstance(ws, ClientConnection)]
    errors += [type(ws).__name__ for ws in opened if not isinstance(ws, ClientConnection)]
    think = (args.think_ms / 2, args.think_ms * 3 / 2)  # people-paced: uniform around the mean
    tasks = []
    for n, ws in enumerate(sockets):
        mine = questions[:]
        rng = random.Random(args.seed + n)
        rng.shuffle(mine)
        tasks.append(_session(ws, mine, turns=args.turns, think=think, rng=rng, latencies=latencies, errors=errors))
    run.load_avg_1m = os.getloadavg()[0]
    before = cpu_seconds(server)
    before_watched = [sum(cpu_seconds(p)) for p in watched]
    started = time.perf_counter()
    try:
        await asyncio.gather(*tasks)
    finally:
        run.wall_s = time.perf_counter() - started
        after = cpu_seconds(server)
        run.cpu_s = (after[0] - before[0], after[1] - before[1])
        run.watched_cpu_s = [sum(cpu_seconds(p)) - b for p, b in zip(watched, before_watched, strict=True)]
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return run


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    password = args.password or settings.demo_password
    if args.url:
        return _measure(args.url, args, password, server=None)
    embedder = make_embedder(settings.embedder)
    if corpus_is_stale(settings.corpus_dir, settings.index_dir, model=embedder.name):
        build_from_corpus(
            settings.corpus_dir, out=settings.index_dir, settings=settings, embedder=embedder, progress=False
        )
    with tempfile.TemporaryDirectory(prefix="eval-load-") as tmp:
        env = {
            "ASSISTANT_DATABASE_URL": f"sqlite:///{Path(tmp) / 'load.db'}",
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            **UNTHROTTLED_CHAT,
        }
        with running_service(env, log=Path(tmp) / "server.log") as (url, server):
            return _measure([url], args, password, server=server)


def _measure(
    urls: list[str], args: argparse.Namespace, password: str, *, server: psutil.Process | None
) -> dict[str, Any]:
    targets = []
    for url in urls:  # signed in on each (one secret key makes one token do, but ask each)
        response = httpx.post(f"{url}/api/auth/token", json={"username": args.username, "password": password})
        response.raise_for_status()
        targets.append((url, str(response.json()["access_token"])))
    watched = [psutil.Process(pid) for pid in args.server_pid or []]
    # uvloop, as the server uses: the load generator shares the machine's cores with the
    # server, so its own CPU per turn should be as small as it can be.
    run = uvloop.run(_drive(targets, args, server, watched))
    n = len(run.latencies)
    return {
        "urls": urls,
        "sessions": args.sessions,
        "turns": args.turns,
        "think_ms": args.think_ms,
        "errors": len(run.errors),
        "latency_ms": percentiles(run.latencies),
        "n_replies": n,
        "error_codes": sorted(set(run.errors)),
        # Own server only: CPU per reply in the serving process and in its engine
        # processes; with the 1-minute load average before the run and the core count.
        "server_cpu_ms_per_turn": (
            {"serving": round(run.cpu_s[0] * 1000 / n, 3), "engines": round(run.cpu_s[1] * 1000 / n, 3)}
            if server is not None and n
            else None
        ),
        "turns_per_s": round(n / run.wall_s, 1) if run.wall_s else None,
        # --server-pid: CPU seconds each named serving process (with its children) used
        # while the turns ran, and per reply over all of them.
        "server_cpu_s": {str(p.pid): round(c, 2) for p, c in zip(watched, run.watched_cpu_s, strict=True)} or None,
        "servers_cpu_ms_per_turn": round(sum(run.watched_cpu_s) * 1000 / n, 3) if watched and n else None,
        "load_avg_1m": round(run.load_avg_1m, 2),
        "cpu_count": os.cpu_count(),
    }
