"""``python -m eval chaos --cycles 50 --json OUT``

Crash recovery, measured: chat sessions send turns over real WebSockets to ``python -m
assistant serve`` (its own process, a throw-away database) while the serving process is
killed with ``kill -9``, ``--cycles`` times, each time just after a client received an
``ack`` (the turn is then between its two transactions), and restarted on the same port.
The clients behave as the chat page does: a message is kept until its ``ack`` and sent
again with the same ``client_msg_id`` after a reconnect, which starts with ``resume`` from
the last ``seq`` seen.

Reported: ``acked_lost`` (acknowledged messages the database does not hold),
``acked_unanswered`` (acknowledged messages whose reply never reached the client, live or
by resume, by the end), ``db_unanswered`` and ``duplicate_answers`` (from the database),
``in_flight_at_kill`` (acked, unanswered messages when each kill landed) and ``restart_s``
(kill to ``/readyz`` 200: ``p50``, ``p95``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from assistant.retrieval.embedders import make_embedder
from assistant.settings import Settings
from eval.load import _questions
from eval.metrics import percentiles
from eval.service import UNTHROTTLED_CHAT, free_port, spawn_service, wait_ready
from indexer.build import build_from_corpus, corpus_is_stale

USERS = ("ec_sales1", "hz_sales1", "hz_sales2", "ec_manager")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=50, help="kill -9 and restart this many times")
    parser.add_argument("--sessions", type=int, default=4, help="chat sessions sending turns meanwhile")
    parser.add_argument("--think-ms", type=float, default=150, help="mean pause between a reply and the next message")
    parser.add_argument(
        "--engine-processes",
        type=int,
        default=0,
        help="ASSISTANT_ENGINE_PROCESSES of the service (0 answers in process and restarts in about a third"
        " of the time; the pool's workers, orphaned by the kill, exit on their own)",
    )
    parser.add_argument("--settle-s", type=float, default=60, help="after the last restart, wait this long for answers")
    parser.add_argument("--seed", type=int, default=13)


@dataclass
class _Message:
    client_msg_id: str
    text: str
    seq: int | None = None  # the ack's
    replies: set[int] = field(default_factory=set)  # seqs of the replies received


@dataclass
class _Session:
    n: int
    token: str
    questions: list[str]
    rng: random.Random
    conversation_id: str | None = None
    seen: set[int] = field(default_factory=set)
    messages: list[_Message] = field(default_factory=list)
    by_seq: dict[int, _Message] = field(default_factory=dict)
    early: dict[int, set[int]] = field(default_factory=dict)  # replies by the seq they answer, not yet known
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0

    @property
    def last_seq(self) -> int:
        """The last seq seen without a gap (what the chat page resumes from)."""
        seq = 0
        while seq + 1 in self.seen:
            seq += 1
        return seq

    def current(self) -> _Message | None:
        return self.messages[-1] if self.messages and not self.messages[-1].replies else None

    def on_event(self, event: dict[str, Any]) -> bool:
        """Apply one server event; True for an ack of a new message."""
        kind = event.get("type")
        if isinstance(event.get("seq"), int):
            self.seen.add(event["seq"])
        if kind in ("ack", "message"):
            # "message" is the stored user message replayed by ``resume``: stored, so acknowledged,
            # even when the ack itself was lost with the killed server.
            for m in self.messages:
                if m.client_msg_id == event.get("client_msg_id") and m.seq is None:
                    m.seq = event["seq"]
                    self.by_seq[m.seq] = m
                    m.replies.update(self.early.pop(m.seq, set()))
                    return True
        elif kind == "reply" and event.get("reply_to") in self.by_seq:
            self.by_seq[event["reply_to"]].replies.add(event["seq"])
        elif kind == "reply" and isinstance(event.get("reply_to"), int):
            # A reply replayed before the message it answers is known here (resume sends the
            # stored message and its reply together; the resent message's duplicate ack comes after).
            self.early.setdefault(event["reply_to"], set()).add(event["seq"])
        elif kind == "error":
            self.errors.append(str(event.get("code")))
        return False


class _Chaos:
    def __init__(self, url: str, sessions: list[_Session], think_ms: float) -> None:
        self.url = url
        self.sessions = sessions
        self.think = think_ms / 1000
        self.sending = True
        self.running = True
        self.acked = asyncio.Event()

    async def run_session(self, session: _Session) -> None:
        while self.running:
            try:
                query = f"?conversation_id={session.conversation_id}" if session.conversation_id else ""
                url = self.url.replace("http", "ws", 1) + "/ws/chat" + query
                headers = {"Authorization": f"Bearer {session.token}"}
                async with connect(url, max_size=2**22, additional_headers=headers) as ws:
                    await self._converse(session, ws)
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                session.reconnects += 1
                await asyncio.sleep(0.1)
            except (KeyError, ValueError) as exc:  # an unexpected frame: noted, and the session goes on
                session.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.1)

    async def _converse(self, session: _Session, ws: ClientConnection) -> None:
        ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
        session.conversation_id = ready["conversation_id"]
        await ws.send(json.dumps({"type": "resume", "last_seq": session.last_seq}))
        for m in session.messages:  # kept until acked: sent again with the same id
            if m.seq is None:
                await ws.send(json.dumps({"type": "message", "client_msg_id": m.client_msg_id, "text": m.text}))
        next_at = time.monotonic()
        while self.running:
            if self.sending and session.current() is None and time.monotonic() >= next_at:
                m = _Message(f"s{session.n}-{len(session.messages)}", session.rng.choice(session.questions))
                session.messages.append(m)
                await ws.send(json.dumps({"type": "message", "client_msg_id": m.client_msg_id, "text": m.text}))
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.05)
            except TimeoutError:
                continue
            if session.on_event(json.loads(raw)):
                self.acked.set()
            if session.current() is None:
                next_at = time.monotonic() + session.rng.uniform(0.5, 1.5) * self.think

    def in_flight(self) -> int:
        return sum(1 for s in self.sessions for m in s.messages if m.seq is not None and not m.replies)

    def answered_all(self) -> bool:
        return all(m.replies for s in self.sessions for m in s.messages if m.seq is not None)


@dataclass
class _Server:
    """The service under test, on one port for all its lives."""

    env: dict[str, str]
    port: int
    out: Any
    log: Path
    proc: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = spawn_service(self.env, port=self.port, out=self.out)
        wait_ready(self.url, self.proc, log=self.log, timeout=180)

    def kill(self) -> None:
        """``kill -9`` the serving process; its engine workers exit when their pipe closes
        (any still there after a few seconds is ended: they are this run's own processes)."""
        children = psutil.Process(self.proc.pid).children(recursive=True)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        _, alive = psutil.wait_procs(children, timeout=5)
        for p in alive:
            p.kill()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def _drive(server: _Server, args: argparse.Namespace) -> dict[str, Any]:
    url = server.url
    rng = random.Random(args.seed)
    questions = _questions()
    tokens = {}
    async with httpx.AsyncClient() as http:
        for user in USERS:
            r = await http.post(f"{url}/api/auth/token", json={"username": user, "password": Settings().demo_password})
            r.raise_for_status()
            tokens[user] = r.json()["access_token"]
    sessions = [
        _Session(n, tokens[USERS[n % len(USERS)]], questions, random.Random(args.seed + n))
        for n in range(args.sessions)
    ]
    chaos = _Chaos(url, sessions, args.think_ms)
    tasks = [asyncio.create_task(chaos.run_session(s)) for s in sessions]
    restarts: list[float] = []
    in_flight: list[int] = []
    for _ in range(args.cycles):
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        chaos.acked.clear()
        with contextlib.suppress(TimeoutError):  # kill just after an ack: the turn is between its transactions
            await asyncio.wait_for(chaos.acked.wait(), 5)
        in_flight.append(chaos.in_flight())
        await asyncio.to_thread(server.kill)
        killed = time.monotonic()
        await asyncio.to_thread(server.start)
        restarts.append(time.monotonic() - killed)
    chaos.sending = False
    deadline = time.monotonic() + args.settle_s
    while not chaos.answered_all() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    chaos.running = False
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"sessions": sessions, "restarts": restarts, "in_flight": in_flight}


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    embedder = make_embedder(settings.embedder)
    if corpus_is_stale(settings.corpus_dir, settings.index_dir, model=embedder.name):
        build_from_corpus(
            settings.corpus_dir, out=settings.index_dir, settings=settings, embedder=embedder, progress=False
        )
    with tempfile.TemporaryDirectory(prefix="eval-chaos-") as name:
        tmp = Path(name)
        db = tmp / "chaos.db"
        env = {
            "ASSISTANT_DATABASE_URL": f"sqlite:///{db}",
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "ASSISTANT_ENGINE_PROCESSES": str(args.engine_processes),
            "ASSISTANT_SECRET_KEY": "eval-chaos-" + "k" * 40,  # tokens stay valid across restarts
            **UNTHROTTLED_CHAT,
        }
        with (tmp / "server.log").open("ab") as out:
            server = _Server(env, free_port(), out, tmp / "server.log")
            server.start()
            try:
                started = time.monotonic()
                result = asyncio.run(_drive(server, args))
                elapsed = time.monotonic() - started
            finally:
                server.stop()
        figures = _from_database(db, result["sessions"])
    sessions: list[_Session] = result["sessions"]
    acked = [m for s in sessions for m in s.messages if m.seq is not None]
    return {
        "cycles": len(result["restarts"]),
        "sessions": args.sessions,
        "engine_processes": args.engine_processes,
        "messages_sent": sum(len(s.messages) for s in sessions),
        "messages_acked": len(acked),
        "never_acked": sum(1 for s in sessions for m in s.messages if m.seq is None),
        "acked_lost": figures["lost"],
        "acked_unanswered": sum(1 for m in acked if not m.replies),
        "db_unanswered": figures["unanswered"],
        "duplicate_answers": figures["duplicates"],
        "in_flight_at_kill": {
            "total": sum(result["in_flight"]),
            "cycles_with_some": sum(1 for n in result["in_flight"] if n),
        },
        "restart_s": {k: round(v / 1000, 2) for k, v in percentiles([r * 1000 for r in result["restarts"]]).items()},
        "reconnects": sum(s.reconnects for s in sessions),
        "error_codes": sorted({e for s in sessions for e in s.errors}),
        "elapsed_s": round(elapsed, 1),
        "cpu_count": os.cpu_count(),
    }


def _from_database(db: Path, sessions: list[_Session]) -> dict[str, int]:
    """What the database holds for every acknowledged message (its own file, read after the
    last server stopped)."""
    with sqlite3.connect(db) as conn:
        stored = {
            (cid, cmi): seq
            for cid, cmi, seq in conn.execute(
                "SELECT conversation_id, client_msg_id, seq FROM events WHERE type = 'message'"
            )
        }
        replies: dict[tuple[str, int], int] = {}
        for cid, reply_to, n in conn.execute(
            "SELECT conversation_id, reply_to, COUNT(*) FROM events WHERE type = 'reply'"
            " GROUP BY conversation_id, reply_to"
        ):
            replies[(cid, reply_to)] = n
    lost = unanswered = 0
    for s in sessions:
        for m in s.messages:
            if m.seq is None:
                continue
            seq = stored.get((s.conversation_id, m.client_msg_id))
            if seq is None:
                lost += 1
            elif (s.conversation_id, seq) not in replies:
                unanswered += 1
    return {"lost": lost, "unanswered": unanswered, "duplicates": sum(1 for n in replies.values() if n > 1)}
