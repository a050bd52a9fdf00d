"""``python -m eval failover --cycles 20 --json OUT``

Failover between two instances, measured: two ``python -m assistant serve`` processes on
free ports share one fresh PostgreSQL database and one Redis (a key prefix of the run's
own), as behind a proxy without sticky sessions.  Chat sessions, spread over both, send
turns over real WebSockets; ``--cycles`` times one instance is killed with SIGKILL just
after one of its clients received an ``ack`` (the turn is then between its two
transactions), and restarted on its port.  Each client of the killed instance reconnects
to the other one and resumes there as the chat page does (``resume`` from the last
``seq`` seen; a message not yet acknowledged sent again with its ``client_msg_id``).  A
session whose own instance is back goes home again at its next pause between turns
(closing its socket cleanly and resuming there), so both instances keep clients to lose.

Reported: ``acked_lost`` (acknowledged messages the database does not hold),
``acked_unanswered`` (acknowledged messages whose reply never reached the client, live or
by resume, by the end), ``db_unanswered`` and ``duplicate_answers`` (from the database),
``in_flight_at_kill``, ``resume_s`` (from the kill to a client's first frame on the other
instance: ``p50``, ``p95``), ``restart_s`` (kill to the instance's ``/readyz`` 200) and
``seq_gaps`` (sessions whose events, by the end, do not run 1..n without a gap); and, to
explain a figure that is off, ``client_crashes`` (client tasks ended by an exception they
did not expect) and ``server_warnings`` (the instances' logged warnings and errors).

Needs PostgreSQL (``--postgres``: a maintenance database to create and drop the run's
database from) and Redis (``--redis``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from assistant.retrieval.embedders import make_embedder
from assistant.settings import Settings
from eval.chaos import USERS, _Message, _Server, _Session
from eval.load import _questions
from eval.metrics import percentiles
from eval.service import UNTHROTTLED_CHAT, free_port
from indexer.build import build_from_corpus, corpus_is_stale

POSTGRES = os.environ.get("ASSISTANT_EVAL_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("ASSISTANT_EVAL_REDIS", "redis://127.0.0.1:6379/0")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=20, help="SIGKILL one of the two instances this many times")
    parser.add_argument("--sessions", type=int, default=8, help="chat sessions, spread over both instances")
    parser.add_argument("--think-ms", type=float, default=150, help="mean pause between a reply and the next message")
    parser.add_argument("--engine-processes", type=int, default=0, help="ASSISTANT_ENGINE_PROCESSES of each instance")
    parser.add_argument("--settle-s", type=float, default=60, help="after the last restart, wait this long for answers")
    parser.add_argument("--postgres", default=POSTGRES, help="maintenance database the run's database is made from")
    parser.add_argument("--redis", default=REDIS, help="the Redis both instances share")
    parser.add_argument("--seed", type=int, default=17)


def unavailable(postgres: str = POSTGRES, redis_url: str = REDIS) -> str | None:
    """Why the eval cannot run here (None: it can)."""
    try:
        engine = create_engine(make_url(postgres), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"no PostgreSQL at {postgres} ({type(exc).__name__}: {exc})"
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"no Redis at {redis_url} ({exc})"
    finally:
        client.close()
    return None


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database for the run, dropped after it."""
    admin = make_url(admin_url)
    name = f"eval_failover_{secrets.token_hex(5)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


@contextmanager
def key_prefix(redis_url: str) -> Iterator[str]:
    """A Redis key prefix of the run's own; its keys are deleted after it."""
    prefix = f"eval-failover-{secrets.token_hex(5)}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@dataclass
class _Client(_Session):
    home: int = 0  # the instance it starts on and goes back to
    at: int | None = None  # the instance it is connected to (None: none)
    killed_at: float | None = None  # when its instance was killed under it, until it resumes
    resumes: list[float] = field(default_factory=list)  # kill to first frame on the other instance
    moves: int = 0  # clean moves back home


class _Failover:
    def __init__(self, servers: list[_Server], clients: list[_Client], think_ms: float) -> None:
        self.servers = servers
        self.clients = clients
        self.think = think_ms / 1000
        self.up = [True, True]
        self.sending = True
        self.running = True
        self.acked = [asyncio.Event(), asyncio.Event()]  # an ack arrived from instance 0 / 1

    async def run_client(self, client: _Client) -> None:
        target = client.home
        while self.running:
            try:
                query = f"?conversation_id={client.conversation_id}" if client.conversation_id else ""
                url = self.servers[target].url.replace("http", "ws", 1) + "/ws/chat" + query
                headers = {"Authorization": f"Bearer {client.token}"}
                async with connect(url, max_size=2**22, additional_headers=headers) as ws:
                    client.at = target
                    await self._converse(client, ws)
                target = client.home  # left cleanly: to go home
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                client.reconnects += 1
                target = 1 - target  # the instance it was on is gone: the other one
                await asyncio.sleep(0.05)
            except (KeyError, ValueError) as exc:  # an unexpected frame: noted, and the session goes on
                client.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.1)
            finally:
                client.at = None

    async def _converse(self, client: _Client, ws: ClientConnection) -> None:
        ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if client.killed_at is not None:
            client.resumes.append(time.monotonic() - client.killed_at)
            client.killed_at = None
        client.conversation_id = ready["conversation_id"]
        await ws.send(json.dumps({"type": "resume", "last_seq": client.last_seq}))
        for m in client.messages:  # kept until acked: sent again with the same id
            if m.seq is None:
                await ws.send(json.dumps({"type": "message", "client_msg_id": m.client_msg_id, "text": m.text}))
        next_at = time.monotonic()
        at = client.at
        assert at is not None
        while self.running:
            idle = client.current() is None
            if idle and at != client.home and self.up[client.home] and self.sending:
                client.moves += 1
                return  # between turns, home is back: go there (a clean close)
            if self.sending and idle and time.monotonic() >= next_at:
                m = _Message(f"s{client.n}-{len(client.messages)}", client.rng.choice(client.questions))
                client.messages.append(m)
                await ws.send(json.dumps({"type": "message", "client_msg_id": m.client_msg_id, "text": m.text}))
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.05)
            except TimeoutError:
                continue
            if client.on_event(json.loads(raw)):
                self.acked[at].set()
            if client.current() is None:
                next_at = time.monotonic() + client.rng.uniform(0.5, 1.5) * self.think

    def in_flight(self, instance: int) -> int:
        return sum(
            1 for c in self.clients if c.at == instance for m in c.messages if m.seq is not None and not m.replies
        )

    def answered_all(self) -> bool:
        return all(m.replies for c in self.clients for m in c.messages if m.seq is not None)

    async def kill(self, victim: int) -> tuple[float, float]:
        """SIGKILL ``victim``, restart it; (when it was killed, seconds until it was ready again)."""
        self.up[victim] = False
        for c in self.clients:
            if c.at == victim:
                c.killed_at = time.monotonic()
        await asyncio.to_thread(self.servers[victim].kill)
        killed = time.monotonic()
        await asyncio.to_thread(self.servers[victim].start)
        self.up[victim] = True
        return killed, time.monotonic() - killed


async def _drive(servers: list[_Server], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    questions = _questions()
    tokens = {}
    async with httpx.AsyncClient() as http:
        for user in USERS:  # one secret key: a token from one instance holds on both
            r = await http.post(
                f"{servers[0].url}/api/auth/token", json={"username": user, "password": Settings().demo_password}
            )
            r.raise_for_status()
            tokens[user] = r.json()["access_token"]
    clients = [
        _Client(n, tokens[USERS[n % len(USERS)]], questions, random.Random(args.seed + n), home=n % 2)
        for n in range(args.sessions)
    ]
    failover = _Failover(servers, clients, args.think_ms)
    tasks = [asyncio.create_task(failover.run_client(c)) for c in clients]
    restarts: list[float] = []
    in_flight: list[int] = []
    hit: list[int] = []
    for cycle in range(args.cycles):
        victim = cycle % 2
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        deadline = time.monotonic() + 10
        while not any(c.at == victim for c in clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # its clients are on their way home
        failover.acked[victim].clear()
        with contextlib.suppress(TimeoutError):  # kill just after one of its acks: mid-turn
            await asyncio.wait_for(failover.acked[victim].wait(), 5)
        in_flight.append(failover.in_flight(victim))
        hit.append(sum(1 for c in clients if c.at == victim))
        _, restart = await failover.kill(victim)
        restarts.append(restart)
    failover.sending = False
    deadline = time.monotonic() + args.settle_s
    while not failover.answered_all() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    failover.running = False
    ended = await asyncio.gather(*tasks, return_exceptions=True)
    crashes = [f"client {c.n}: {type(e).__name__}: {e}" for c, e in zip(clients, ended, strict=True) if e is not None]
    return {"clients": clients, "restarts": restarts, "in_flight": in_flight, "hit": hit, "crashes": crashes}


def run(args: argparse.Namespace) -> dict[str, Any]:
    reason = unavailable(args.postgres, args.redis)
    if reason is not None:
        raise SystemExit(f"eval failover needs PostgreSQL and Redis: {reason}")
    settings = Settings()
    embedder = make_embedder(settings.embedder)
    if corpus_is_stale(settings.corpus_dir, settings.index_dir, model=embedder.name):
        build_from_corpus(
            settings.corpus_dir, out=settings.index_dir, settings=settings, embedder=embedder, progress=False
        )
    with (
        tempfile.TemporaryDirectory(prefix="eval-failover-") as name,
        fresh_database(args.postgres) as database_url,
        key_prefix(args.redis) as prefix,
    ):
        tmp = Path(name)
        env = {
            "ASSISTANT_DATABASE_URL": database_url,
            "ASSISTANT_REDIS_URL": args.redis,
            "ASSISTANT_REDIS_KEY_PREFIX": prefix,
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "ASSISTANT_ENGINE_PROCESSES": str(args.engine_processes),
            "ASSISTANT_SECRET_KEY": "eval-failover-" + "k" * 40,  # tokens hold on both, across restarts
            **UNTHROTTLED_CHAT,
        }
        with (tmp / "a.log").open("ab") as out_a, (tmp / "b.log").open("ab") as out_b:
            servers = [_Server(env, free_port(), out_a, tmp / "a.log"), _Server(env, free_port(), out_b, tmp / "b.log")]
            servers[0].start()  # one after the other: the first migrates and seeds
            try:
                servers[1].start()
                try:
                    started = time.monotonic()
                    result = asyncio.run(_drive(servers, args))
                    elapsed = time.monotonic() - started
                finally:
                    servers[1].stop()
            finally:
                servers[0].stop()
        figures = _from_database(database_url, result["clients"])
        warnings = _warnings(tmp / "a.log", "a") + _warnings(tmp / "b.log", "b")
    clients: list[_Client] = result["clients"]
    acked = [m for c in clients for m in c.messages if m.seq is not None]
    resumes = [r for c in clients for r in c.resumes]
    return {
        "cycles": len(result["restarts"]),
        "instances": 2,
        "sessions": args.sessions,
        "engine_processes": args.engine_processes,
        "messages_sent": sum(len(c.messages) for c in clients),
        "messages_acked": len(acked),
        "never_acked": sum(1 for c in clients for m in c.messages if m.seq is None),
        "acked_lost": figures["lost"],
        "acked_unanswered": sum(1 for m in acked if not m.replies),
        "db_unanswered": figures["unanswered"],
        "duplicate_answers": figures["duplicates"],
        "seq_gaps": figures["gaps"],
        "sessions_hit_per_kill": round(sum(result["hit"]) / max(1, len(result["hit"])), 2),
        "in_flight_at_kill": {
            "total": sum(result["in_flight"]),
            "cycles_with_some": sum(1 for n in result["in_flight"] if n),
        },
        "resume_s": {k: round(v / 1000, 3) for k, v in percentiles([r * 1000 for r in resumes]).items()},
        "resumes": len(resumes),
        "restart_s": {k: round(v / 1000, 2) for k, v in percentiles([r * 1000 for r in result["restarts"]]).items()},
        "reconnects": sum(c.reconnects for c in clients),
        "moves_home": sum(c.moves for c in clients),
        "error_codes": sorted({e for c in clients for e in c.errors}),
        "client_crashes": result["crashes"],  # a client task that ended on an exception it did not expect
        "elapsed_s": round(elapsed, 1),
        "cpu_count": os.cpu_count(),
        "server_warnings": warnings[-_WARNINGS_KEPT:],
    }


_WARNINGS_KEPT = 30


def _warnings(log: Path, name: str) -> list[str]:
    """The instance's logged warnings and errors (the evidence when a figure is off)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [f"{name}: {line[:300]}" for line in lines if "WARNING" in line or "ERROR" in line or "Traceback" in line]


def _from_database(url: str, clients: list[_Client]) -> dict[str, int]:
    """What the database holds for every acknowledged message, read after both instances stopped."""
    engine = create_engine(make_url(url))
    try:
        with engine.connect() as conn:
            stored = {
                (cid, cmi): seq
                for cid, cmi, seq in conn.execute(
                    text("SELECT conversation_id, client_msg_id, seq FROM events WHERE type = 'message'")
                )
            }
            replies: dict[tuple[str, int], int] = {}
            for cid, reply_to, n in conn.execute(
                text(
                    "SELECT conversation_id, reply_to, COUNT(*) FROM events WHERE type = 'reply'"
                    " GROUP BY conversation_id, reply_to"
                )
            ):
                replies[(cid, reply_to)] = n
            seqs: dict[str, list[int]] = {}
            for cid, seq in conn.execute(text("SELECT conversation_id, seq FROM events ORDER BY seq")):
                seqs.setdefault(cid, []).append(seq)
    finally:
        engine.dispose()
    lost = unanswered = 0
    for c in clients:
        for m in c.messages:
            if m.seq is None:
                continue
            seq = stored.get((c.conversation_id, m.client_msg_id))
            if seq is None:
                lost += 1
            elif (c.conversation_id, seq) not in replies:
                unanswered += 1
    # No gap: what the database holds runs 1..n, and every client saw all of it.
    gaps = sum(
        1
        for c in clients
        if c.conversation_id is not None
        and (
            seqs.get(c.conversation_id, []) != list(range(1, len(seqs.get(c.conversation_id, [])) + 1))
            or c.last_seq != len(seqs.get(c.conversation_id, []))
        )
    )
    return {
        "lost": lost,
        "unanswered": unanswered,
        "duplicates": sum(1 for n in replies.values() if n > 1),
        "gaps": gaps,
    }
