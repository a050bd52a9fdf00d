"""``python -m eval handoff --sessions 20 --turns 10 --json OUT [--url http://host:port]``

Requester <-> expert relay latency over real WebSockets.  N handoff sessions are
opened (``POST /api/handoff/request``) and accepted by experts connected to
``/ws/expert``; then all N sessions run at once, the requester and the expert taking
turns: the requester's chat message (``/ws/chat``) until the expert's console
receives it as a ``session_event``, and the expert's message until the requester's
chat receives it as ``expert_message``.  Each of those is one relay sample.  Before
each message a participant pauses ``--think-ms`` on average (random, seeded; not
counted in the latency); ``--think-ms 0`` is the worst case, every session sending
in the same instant.

Without ``--url`` it starts the service in a subprocess on a free port, on the
configured corpus with a throw-away database, a quick hash-embedding index (the bot's
answers play no part in a relay) and enough generated experts for N sessions.
With ``--url`` the service's demo experts (``--experts``) take the sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml
from websockets.asyncio.client import ClientConnection, connect

from assistant.content.loader import load_corpus
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from eval.metrics import percentiles
from eval.service import UNTHROTTLED_CHAT, cpu_seconds, running_service
from indexer.build import build_from_corpus

RELAY_TIMEOUT_S = 10.0
PER_EXPERT = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="messages each way per session")
    parser.add_argument("--url", help="an already running service (default: start one)")
    parser.add_argument("--username", default="ec_sales1", help="the requester")
    parser.add_argument("--password", default=None, help="default: the demo password from settings")
    parser.add_argument("--experts", default="exp_lead,exp_gateway,exp_control", help="with --url: expert usernames")
    parser.add_argument("--product-model", default="EG-2100")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=500,
        help="mean pause before each message, uniform in [0.5x, 1.5x] (people read and type); "
        "0 sends every session's messages in lockstep bursts",
    )
    parser.add_argument("--seed", type=int, default=7)


@dataclass
class _Run:
    r2e: list[float] = field(default_factory=list)
    e2r: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    relay_cpu_s: float = 0.0  # server CPU during the relay phase only
    # message key -> future resolved (with the arrival time) when it reaches the other side
    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def expect(self, key: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future

    def arrived(self, key: str) -> None:
        future = self.waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


async def _reader(ws: ClientConnection, run: _Run, *, expert: bool) -> None:
    """Resolves the futures of relayed messages as they arrive on this socket."""
    async for raw in ws:
        event = json.loads(raw)
        kind = event.get("type")
        if expert and kind == "session_event" and event.get("sender") == "requester":
            run.arrived(f"r:{event.get('text')}")
        elif not expert and kind == "expert_message":
            run.arrived(f"e:{event.get('client_msg_id')}")
        elif kind == "error":
            run.errors.append(str(event.get("code")))


async def _think(rng: random.Random, mean_ms: float) -> None:
    if mean_ms > 0:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * mean_ms / 1000)


async def _session(
    n: int,
    pair: tuple[ClientConnection, ClientConnection, str],
    *,
    turns: int,
    think_ms: float,
    rng: random.Random,
    run: _Run,
) -> None:
    requester, expert, session_id = pair
    for t in range(turns):
        await _think(rng, think_ms)
        text = f"s{n}-t{t} 现场 COM1 指示灯状态更新"
        arrival = run.expect(f"r:{text}")
        start = time.perf_counter()
        await requester.send(json.dumps({"type": "message", "client_msg_id": f"r{n}-{t}", "text": text}))
        try:
            run.r2e.append((await asyncio.wait_for(arrival, RELAY_TIMEOUT_S) - start) * 1000)
        except TimeoutError:
            run.errors.append("timeout_requester_to_expert")
        cmid = f"e{n}-{t}"
        await _think(rng, think_ms)
        arrival = run.expect(f"e:{cmid}")
        start = time.perf_counter()
        await expert.send(
            json.dumps({"type": "message", "session_id": session_id, "client_msg_id": cmid, "text": f"收到 {n}-{t}"})
        )
        try:
            run.e2r.append((await asyncio.wait_for(arrival, RELAY_TIMEOUT_S) - start) * 1000)
        except TimeoutError:
            run.errors.append("timeout_expert_to_requester")


async def _drive(
    url: str,
    requester_token: str,
    expert_tokens: dict[str, str],
    args: argparse.Namespace,
    server: psutil.Process | None,
) -> _Run:
    run = _Run()
    ws_base = url.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        expert_ws = {
            name: await connect(f"{ws_base}/ws/expert", additional_headers=_bearer(tok))
            for name, tok in expert_tokens.items()
        }
        for ws in expert_ws.values():
            await ws.recv()  # ready
        readers = [asyncio.create_task(_reader(ws, run, expert=True)) for ws in expert_ws.values()]
        names = list(expert_ws)
        pairs: list[tuple[ClientConnection, ClientConnection, str]] = []
        requesters: list[ClientConnection] = []
        try:
            for n in range(args.sessions):
                ws = await connect(f"{ws_base}/ws/chat", additional_headers=_bearer(requester_token))
                requesters.append(ws)
                cid = json.loads(await ws.recv())["conversation_id"]
                body = {
                    "conversation_id": cid,
                    "product_model": args.product_model,
                    "symptom": "现场安装后读不到数据",
                    "site": f"评测现场 {n}",
                    "urgency": "normal",
                    "firmware": "v3.2.1",
                }
                opened = await http.post(
                    "/api/handoff/request", json=body, headers={"Authorization": f"Bearer {requester_token}"}
                )
                session = opened.json()
                if opened.status_code != 200 or session.get("state") != "queued":
                    run.errors.append(f"request:{opened.status_code}:{session.get('state') or session.get('code')}")
                    continue
                name = names[n % len(names)]
                took = await http.post(
                    f"/api/handoff/sessions/{session['id']}/accept",
                    headers={"Authorization": f"Bearer {expert_tokens[name]}"},
                )
                if took.status_code != 200:
                    run.errors.append(f"accept:{took.json().get('code')}")
                    continue
                readers.append(asyncio.create_task(_reader(ws, run, expert=False)))
                pairs.append((ws, expert_ws[name], session["id"]))
            await asyncio.sleep(1.0)  # let the queue pushes of the accepts settle
            cpu_start = sum(cpu_seconds(server))
            await asyncio.gather(
                *(
                    _session(
                        n, pair, turns=args.turns, think_ms=args.think_ms, rng=random.Random(args.seed + n), run=run
                    )
                    for n, pair in enumerate(pairs)
                )
            )
            run.relay_cpu_s = sum(cpu_seconds(server)) - cpu_start
            for n, (_, _, sid) in enumerate(pairs):
                await http.post(
                    f"/api/handoff/sessions/{sid}/resolve",
                    json={"summary": "评测结束"},
                    headers={"Authorization": f"Bearer {expert_tokens[names[n % len(names)]]}"},
                )
        finally:
            for task in readers:
                task.cancel()
            for ws in [*requesters, *expert_ws.values()]:
                await ws.close()
    return run


def _bearer(token: str) -> dict[str, str]:
    """The handshake header a non-browser client signs in with (never a token in the URL)."""
    return {"Authorization": f"Bearer {token}"}


def _token(url: str, username: str, password: str) -> str:
    r = httpx.post(f"{url}/api/auth/token", json={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return str(r.json()["access_token"])


def _service_env(tmp: Path, settings: Settings, sessions: int) -> tuple[dict[str, str], list[str]]:
    """Settings for a throw-away service with enough eval experts for ``sessions``."""
    corpus = load_corpus(settings.corpus_dir)
    lines = [line.id for line in corpus.product_lines]
    count = max(1, math.ceil(sessions / PER_EXPERT))
    experts = [
        {"username": f"eval_exp_{i}", "display_name": f"评测专家{i}", "skills": lines, "capacity": PER_EXPERT}
        for i in range(count)
    ]
    (tmp / "experts.yaml").write_text(yaml.safe_dump({"experts": experts}, allow_unicode=True), encoding="utf-8")
    index = tmp / "index"
    build_from_corpus(settings.corpus_dir, out=index, settings=settings, embedder=HashEmbedder(64), progress=False)
    env = {
        "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp / 'handoff.db'}",
        "ASSISTANT_INDEX_DIR": str(index),
        "ASSISTANT_EMBEDDER": "hash-64",
        "ASSISTANT_HANDOFF_EXPERTS_FILE": str(tmp / "experts.yaml"),
        "ASSISTANT_SECRET_KEY": "eval-handoff-" + "k" * 40,
        "ASSISTANT_HANDOFF_QUEUE_TIMEOUT_SECONDS": "3600",
        **UNTHROTTLED_CHAT,
    }
    return env, [str(e["username"]) for e in experts]


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    password = args.password or settings.demo_password
    with tempfile.TemporaryDirectory(prefix="eval-handoff-") as tmp, contextlib.ExitStack() as stack:
        url: str = args.url
        expert_names = [e for e in args.experts.split(",") if e]
        server: psutil.Process | None = None
        if not url:
            env, expert_names = _service_env(Path(tmp), settings, args.sessions)
            url, server = stack.enter_context(running_service(env, log=Path(tmp) / "server.log"))
        requester = _token(url, args.username, password)
        experts = {name: _token(url, name, password) for name in expert_names}
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        result = asyncio.run(_drive(url, requester, experts, args, server))
        elapsed = time.perf_counter() - started
    both = result.r2e + result.e2r
    return {
        "sessions": args.sessions,
        "turns": args.turns,
        "think_ms": args.think_ms,
        "messages": len(both),
        "errors": len(result.errors),
        "relay_ms": percentiles(both),
        "requester_to_expert_ms": percentiles(result.r2e),
        "expert_to_requester_ms": percentiles(result.e2r),
        "experts": len(expert_names),
        "elapsed_s": round(elapsed, 2),
        # Server CPU per relayed message during the relay phase (own server only), and
        # the machine's load: relay times grow when the CPUs are shared.
        "server_cpu_ms_per_message": round(result.relay_cpu_s * 1000 / len(both), 3) if both and server else None,
        "load_avg_1m": round(load_before, 2),
        "error_codes": sorted(set(result.errors)),
        "cpu_count": os.cpu_count(),
    }
