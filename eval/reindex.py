"""``python -m eval reindex --edits 20 --sessions 20 --json OUT [--url http://host:port ...]``

Knowledge-base edits published to a live service under load: ``--sessions`` chat
sessions send turns over real WebSockets (the questions and client of ``eval load``)
for the whole run, while ``--edits`` FAQ entries are edited one after another, as a
content admin does in the editor: the entry is read, its answer gets a unique marker
in its first sentence, it is saved as a draft (``PUT /api/content/items/faq/<id>`` with
the version it was read at) and published (``POST /api/content/publish``), which builds
the index in the background and switches the serving process's engine and every engine
worker's to it between turns.  Meanwhile the entry's question is asked again and again,
each time on a new socket (a new conversation), until a reply carries the marker.

Reported: ``publish_to_answer_s`` (from sending the publish request to the first reply
with the marker: ``p50``, ``p95``, ``max``), ``publish_to_live_s`` (until the release's
status is ``live``), ``failed_turns`` (turns, of the load and of the probes, answered
with an ``error`` event, timed out, or cut by a closed socket; all of the run's, which
contains every switch), ``stale_after_live`` (turns sent after the release was seen
``live`` whose reply still lacked the marker: the switch must be complete when the
release says live), ``missed`` (edits whose marker was never seen within
``--edit-timeout-s``) and ``skipped`` (FAQ entries whose question, asked before the
edit, was not answered with the entry's first sentence: the marker could not show).
Where the time goes: ``publish_request_s`` (the publish request itself), ``queued_s``
(publish request sent to the build seen started; a build waits for the previous
release's, whose intent-model training comes after its switch) and ``build_to_live_s``;
``per_edit`` has every release stage as first seen.  ``turn_latency_ms`` is the load's,
``turn_latency_ms_during_switches`` that of its turns that overlapped an edit's
publish-to-answered window.

Without ``--url`` it starts ``python -m assistant serve --demo`` in its own process on a
free port with ``--engine-processes`` worker processes, on the configured corpus,
embedder and index (built first if missing or stale, as ``eval load`` does), with a
throw-away database, content directory, secret and NLU cache (a copy of the shipped
one's files) in ``--work-dir`` (default: a temporary directory, removed after), so
nothing under ``var/`` but the seed index is written.  With ``--url`` the content of
that service is edited for real (``--editor`` must be a content admin there).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import uvloop
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from assistant.content.store import dump_yaml
from assistant.retrieval.embedders import make_embedder
from assistant.settings import Settings
from eval.load import _connect, _questions, _session
from eval.metrics import percentiles
from eval.service import UNTHROTTLED_CHAT, running_service
from indexer.build import build_from_corpus, corpus_is_stale

SENTENCE_END = "。！？!?；;\n"
TURN_TIMEOUT_S = 30.0  # eval load's: a reply later than this is a failed turn
HTTP_TIMEOUT_S = 30.0
STOP_GRACE_S = TURN_TIMEOUT_S + 10  # sessions finish their turn in flight, then stop
AFTER_LIVE_PROBES = 3  # turns sent after the release was seen live, each must show the marker


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--edits", type=int, default=20, help="FAQ edits published one after another")
    parser.add_argument("--sessions", type=int, default=20, help="chat sessions sending turns all along")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="load sessions' mean pause before each message (default 0: back to back, as eval load)",
    )
    parser.add_argument(
        "--engine-processes",
        type=int,
        default=2,
        help="ASSISTANT_ENGINE_PROCESSES of the service started (default 2, the production default)",
    )
    parser.add_argument("--url", help="an already running service (default: start one)")
    parser.add_argument("--username", default="ec_sales1", help="who chats (the load and the probes)")
    parser.add_argument("--editor", default="n_editor", help="who edits and publishes: a content admin")
    parser.add_argument("--password", default=None, help="both users' (default: the demo password from settings)")
    parser.add_argument("--edit-timeout-s", type=float, default=60, help="give up on an edit's marker after this")
    parser.add_argument("--probe-interval-s", type=float, default=0.1, help="pause between two probe turns")
    parser.add_argument(
        "--gap-s",
        type=float,
        default=0.0,
        help="pause after an edit's new answer was served before the next is published (default 0: one after"
        " another, so an edit may wait for the previous one's intent-model training)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="the started service's database, content, NLU cache and log go here (default: a temporary"
        " directory, removed after)",
    )


# -- the load ------------------------------------------------------------------------------


class _Stop(Exception):  # noqa: N818 - a signal, not an error
    """Raised out of eval load's session loop once the run is over (after a whole turn)."""


class _Record(list[Any]):
    """A list eval load's session loop appends a turn's outcome to: each entry is timed
    (``times``: time.monotonic() when the turn ended), and once ``stopping`` the append
    ends the session (the turn in flight is counted first)."""

    def __init__(self, load: _Load) -> None:
        super().__init__()
        self.load = load
        self.times: list[float] = []

    def append(self, value: Any) -> None:
        super().append(value)
        self.times.append(time.monotonic())
        if self.load.stopping:
            raise _Stop


@dataclass
class _Load:
    stopping: bool = False
    latencies: _Record = field(init=False)  # ms of each answered turn
    errors: _Record = field(init=False)  # the failure of each failed turn (eval load's names)
    reconnects: int = 0

    def __post_init__(self) -> None:
        self.latencies = _Record(self)
        self.errors = _Record(self)


async def _load_session(url: str, token: str, n: int, args: argparse.Namespace, load: _Load) -> None:
    """eval load's session, run until the load stops: reconnected (a new conversation)
    whenever its socket fails; each failure is a failed turn."""
    questions = _questions()
    rng = random.Random(args.seed * 1000 + n)
    rng.shuffle(questions)
    think = (args.think_ms / 2, args.think_ms * 3 / 2)
    while not load.stopping:
        try:
            ws = await asyncio.wait_for(_connect(url, token), TURN_TIMEOUT_S)
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, ValueError) as exc:
            with contextlib.suppress(_Stop):
                load.errors.append(f"connect:{type(exc).__name__}")
            await asyncio.sleep(0.5)
            continue
        try:
            await _session(
                ws,
                questions,
                turns=10**9,
                think=think,
                rng=rng,
                latencies=load.latencies,
                errors=load.errors,
            )
            load.reconnects += 1  # it returns only when its socket failed (the failure is counted)
        except _Stop:
            return
        except (KeyError, TypeError) as exc:  # a frame eval load does not understand
            with contextlib.suppress(_Stop):
                load.errors.append(f"frame:{type(exc).__name__}")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)


# -- one question on its own socket ----------------------------------------------------------


class _ProbeError(Exception):
    pass


@dataclass
class _Probes:
    """Every probe turn (the question of the FAQ being edited) and its failures."""

    turns: int = 0
    failures: list[str] = field(default_factory=list)


async def _ask(url: str, token: str, text: str, probes: _Probes) -> tuple[dict[str, Any], float]:
    """Ask ``text`` in a new conversation; the reply and when its message was sent
    (time.monotonic()).  Raises _ProbeError (counted) on an error event, a timeout or a
    closed socket."""
    probes.turns += 1
    ws: ClientConnection | None = None
    try:
        ws = await asyncio.wait_for(_connect(url, token), TURN_TIMEOUT_S)
        sent = time.monotonic()
        await ws.send(json.dumps({"type": "message", "client_msg_id": "probe", "text": text}))
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), TURN_TIMEOUT_S))
            if event.get("type") == "reply":
                return event, sent
            if event.get("type") == "error":
                raise _ProbeError(str(event.get("code")))
    except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, ValueError) as exc:
        probes.failures.append(type(exc).__name__)
        raise _ProbeError(type(exc).__name__) from exc
    except _ProbeError as exc:
        probes.failures.append(str(exc))
        raise
    finally:
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)


# -- the edits --------------------------------------------------------------------------------


@dataclass
class _Edit:
    entry_id: str
    marker: str
    release: int = 0
    publish_to_answer_s: float | None = None
    publish_to_live_s: float | None = None
    publish_request_s: float = 0.0  # the publish request itself (it checks the whole corpus)
    status: str = ""  # the release's last seen
    stages: dict[str, float] = field(default_factory=dict)  # stage -> s after publish, first seen
    stale_after_live: int = 0
    window: tuple[float, float] = (0.0, 0.0)  # publish .. live and marker seen (monotonic)


def marker_position(answer: str) -> int:
    """Where the marker goes: at the end of the answer's first sentence (before its
    punctuation), or at the end of an answer of one unpunctuated sentence."""
    for i, ch in enumerate(answer):
        if ch in SENTENCE_END and i > 0:
            return i
    return len(answer.rstrip())


def with_marker(answer: str, marker: str) -> str:
    pos = marker_position(answer)
    return answer[:pos] + marker + answer[pos:]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def answers_from(reply: dict[str, Any], entry_id: str, answer: str) -> bool:
    """Whether ``reply`` answers from the FAQ entry: it cites it, and it carries the
    first sentence the marker will be put in (whitespace aside)."""
    cited = {str(c.get("doc_id", "")) for c in reply.get("citations") or []}
    first = _squash(answer[: marker_position(answer)])
    return entry_id in cited and bool(first) and first in _squash(str(reply.get("text", "")))


def _http_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{exc.response.status_code} {exc.request.method} {exc.request.url.path}: {exc.response.text[:300]}"
    return f"{type(exc).__name__}: {exc}"


class _Editor:
    def __init__(
        self, url: str, http: httpx.AsyncClient, chat_token: str, args: argparse.Namespace, probes: _Probes
    ) -> None:
        self.url = url
        self.http = http
        self.chat_token = chat_token
        self.args = args
        self.probes = probes
        self.rng = random.Random(args.seed)
        self.edits: list[_Edit] = []
        self.skipped: list[str] = []
        self.errors: list[str] = []  # edits the service refused or failed
        self.tried = 0

    async def faq_ids(self) -> list[str]:
        ids: list[str] = []
        while True:
            r = await self.http.get("/api/content/items", params={"kind": "faq", "limit": 200, "offset": len(ids)})
            r.raise_for_status()
            page = r.json()
            ids += [str(i["entry_id"]) for i in page["items"]]
            if not page["items"] or len(ids) >= int(page["total"]):
                return ids

    async def run(self) -> None:
        ids = await self.faq_ids()
        self.rng.shuffle(ids)
        for entry_id in ids:
            if len(self.edits) >= self.args.edits:
                return
            self.tried += 1
            try:
                edit = await self.edit(entry_id)
            except httpx.HTTPError as exc:  # a refused save or publish: noted, and the next entry
                self.errors.append(f"{entry_id}: {_http_error(exc)}")
                continue
            if edit is None:
                self.skipped.append(entry_id)
                continue
            self.edits.append(edit)
            if self.args.gap_s > 0 and len(self.edits) < self.args.edits:
                await asyncio.sleep(self.args.gap_s)

    async def edit(self, entry_id: str) -> _Edit | None:
        r = await self.http.get(f"/api/content/items/faq/{entry_id}")
        r.raise_for_status()
        detail = r.json()
        body = dict(detail["body"])
        question, answer = str(body["question"]), str(body["answer"])
        try:
            before, _ = await _ask(self.url, self.chat_token, question, self.probes)
        except _ProbeError:
            return None
        if not answers_from(before, entry_id, answer):
            return None
        n = len(self.edits) + 1
        marker = f"（测试标记 R{n}-{self.rng.randrange(16**4):04X}）"
        body["answer"] = with_marker(answer, marker)
        r = await self.http.put(
            f"/api/content/items/faq/{entry_id}",
            json={
                "yaml": dump_yaml(body),
                "base_version": detail["item"]["latest_version"],
                "note": "eval reindex",
            },
        )
        r.raise_for_status()
        version = int(r.json()["item"]["latest_version"])
        edit = _Edit(entry_id, marker)
        started = time.monotonic()
        r = await self.http.post(
            "/api/content/publish",
            json={"items": [{"kind": "faq", "entry_id": entry_id, "version": version}], "note": "eval reindex"},
        )
        r.raise_for_status()
        edit.release = int(r.json()["id"])
        edit.publish_request_s = time.monotonic() - started
        deadline = started + self.args.edit_timeout_s
        live_at: list[float] = []
        await asyncio.gather(
            self._follow(edit, started, deadline, live_at), self._probe(edit, question, started, deadline, live_at)
        )
        edit.window = (started, time.monotonic())
        return edit

    async def _follow(self, edit: _Edit, started: float, deadline: float, live_at: list[float]) -> None:
        """Poll the release until live or failed (or the deadline)."""
        while time.monotonic() < deadline:
            try:
                r = await self.http.get(f"/api/content/releases/{edit.release}")
                r.raise_for_status()
                release = r.json()
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            now = time.monotonic()
            edit.status = str(release["status"])
            edit.stages.setdefault(str(release["stage"]), now - started)
            if edit.status == "live":
                edit.publish_to_live_s = now - started
                live_at.append(now)
                return
            if edit.status == "failed":
                return
            await asyncio.sleep(0.05)

    async def _probe(self, edit: _Edit, question: str, started: float, deadline: float, live_at: list[float]) -> None:
        """Ask until a reply carries the marker; then until AFTER_LIVE_PROBES turns sent
        after the release was seen live have been answered (each should carry it)."""
        after_live = 0
        while time.monotonic() < deadline:
            try:
                reply, sent = await _ask(self.url, self.chat_token, question, self.probes)
            except _ProbeError:
                await asyncio.sleep(self.args.probe_interval_s)
                continue
            marked = edit.marker in str(reply.get("text", ""))
            if marked and edit.publish_to_answer_s is None:
                edit.publish_to_answer_s = time.monotonic() - started
            if live_at and sent > live_at[0]:
                after_live += 1
                edit.stale_after_live += 0 if marked else 1
            if edit.publish_to_answer_s is not None and after_live >= AFTER_LIVE_PROBES:
                return
            if edit.status == "failed" and edit.publish_to_answer_s is None:
                return  # the previous content keeps serving: the marker cannot come
            await asyncio.sleep(self.args.probe_interval_s)


# -- the run ----------------------------------------------------------------------------------


async def _drive(url: str, args: argparse.Namespace, password: str) -> dict[str, Any]:
    timeout = httpx.Timeout(HTTP_TIMEOUT_S)
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as anonymous:
        tokens = {}
        for user in {args.username, args.editor}:
            r = await anonymous.post("/api/auth/token", json={"username": user, "password": password})
            r.raise_for_status()
            tokens[user] = str(r.json()["access_token"])
    load = _Load()
    probes = _Probes()
    headers = {"Authorization": f"Bearer {tokens[args.editor]}"}
    async with httpx.AsyncClient(base_url=url, timeout=timeout, headers=headers) as http:
        editor = _Editor(url, http, tokens[args.username], args, probes)
        load_avg = os.getloadavg()[0]
        started = time.monotonic()
        sessions = [
            asyncio.create_task(_load_session(url, tokens[args.username], n, args, load)) for n in range(args.sessions)
        ]
        try:
            await asyncio.sleep(1.0)  # the load under way before the first edit
            await editor.run()
        finally:
            load.stopping = True
            _, pending = await asyncio.wait(sessions, timeout=STOP_GRACE_S) if sessions else (set(), set())
            for task in pending:
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)
        elapsed = time.monotonic() - started
    return {
        "editor": editor,
        "load": load,
        "probes": probes,
        "unfinished_sessions": len(pending),
        "elapsed_s": elapsed,
        "load_avg_1m": load_avg,
    }


def _seconds(samples: list[float], *, with_max: bool = False) -> dict[str, float | None]:
    if not samples:
        out: dict[str, float | None] = {"p50": None, "p95": None}
        return {**out, "max": None} if with_max else out
    arr = np.asarray(samples, dtype=np.float64)
    out = {"p50": round(float(np.percentile(arr, 50)), 3), "p95": round(float(np.percentile(arr, 95)), 3)}
    return {**out, "max": round(float(arr.max()), 3)} if with_max else out


def _summary(result: dict[str, Any], args: argparse.Namespace, engine_processes: int | None) -> dict[str, Any]:
    editor: _Editor = result["editor"]
    load: _Load = result["load"]
    probes: _Probes = result["probes"]
    edits = editor.edits
    answered = [e.publish_to_answer_s for e in edits if e.publish_to_answer_s is not None]
    live = [e.publish_to_live_s for e in edits if e.publish_to_live_s is not None]
    windows = [e.window for e in edits]

    def in_switch(end: float, latency_ms: float = 0.0) -> bool:
        start = end - latency_ms / 1000
        return any(start <= b and end >= a for a, b in windows)

    during = [ms for ms, t in zip(load.latencies, load.latencies.times, strict=True) if in_switch(t, ms)]
    failed_during = sum(1 for t in load.errors.times if in_switch(t))
    failed = len(load.errors) + len(probes.failures)
    # From sending the publish request until the release's build was seen started (its stage
    # left "queued": a build waits for the one before it, intent-model training included),
    # and from then until it was live.
    waited: list[float] = []
    built: list[float] = []
    for e in edits:
        started = [s for stage, s in e.stages.items() if stage not in ("queued", "")]
        if e.publish_to_live_s is not None and started:
            waited.append(min(started))
            built.append(e.publish_to_live_s - min(started))
    return {
        "edits": len(edits),
        "missed": sum(1 for e in edits if e.publish_to_answer_s is None),
        "skipped": len(editor.skipped),
        "publish_to_answer_s": _seconds(answered, with_max=True),
        "publish_to_live_s": _seconds(live, with_max=True),
        "publish_request_s": _seconds([e.publish_request_s for e in edits], with_max=True),
        "queued_s": _seconds(waited, with_max=True),
        "build_to_live_s": _seconds(built, with_max=True),
        # Turns that failed: all of the run's (it is switches back to back), the load's and
        # the probes'; and the load's that ended inside an edit's publish..live+answered window.
        "failed_turns": failed,
        "failed_turns_during_switches": failed_during,
        "failed_probe_turns": len(probes.failures),
        "error_codes": sorted(set(load.errors) | set(probes.failures)),
        "stale_after_live": sum(e.stale_after_live for e in edits),
        "releases_failed": sum(1 for e in edits if e.status == "failed"),
        "turns": len(load.latencies) + len(load.errors),
        "turns_during_switches": len(during) + failed_during,
        "probe_turns": probes.turns,
        "turn_latency_ms": {k: v for k, v in percentiles(list(load.latencies)).items() if k != "p99"},
        "turn_latency_ms_during_switches": {k: v for k, v in percentiles(during).items() if k != "p99"},
        "per_edit": [
            {
                "entry_id": e.entry_id,
                "marker": e.marker,
                "release": e.release,
                "status": e.status,
                "publish_to_answer_s": None if e.publish_to_answer_s is None else round(e.publish_to_answer_s, 3),
                "publish_to_live_s": None if e.publish_to_live_s is None else round(e.publish_to_live_s, 3),
                "publish_request_s": round(e.publish_request_s, 3),
                "stale_after_live": e.stale_after_live,
                # each stage of the release as first seen, seconds after the publish request
                "stages_s": {k: round(v, 2) for k, v in e.stages.items()},
            }
            for e in edits
        ],
        "skipped_entries": editor.skipped,
        "edit_errors": editor.errors,
        "reconnects": load.reconnects,
        "unfinished_sessions": result["unfinished_sessions"],
        "sessions": args.sessions,
        "think_ms": args.think_ms,
        "gap_s": args.gap_s,
        "engine_processes": engine_processes,
        "elapsed_s": round(result["elapsed_s"], 1),
        "load_avg_1m": round(result["load_avg_1m"], 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


@contextmanager
def _work_dir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="eval-reindex-") as name:
        yield Path(name)


def _server_log(log: Path) -> dict[str, Any]:
    """What the service logged of each release: seconds from its build's start to serving
    it ("serving after"), texts embedded, and failures."""
    serving: list[float] = []
    embedded: list[int] = []
    errors = 0
    if not log.exists():
        return {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        message = str(record.get("event") or record.get("message") or "")
        if m := re.match(r"release \d+ serving after ([0-9.]+)s", message):
            serving.append(float(m.group(1)))
        elif m := re.match(r"release \d+ indexed: (\d+) texts embedded", message):
            embedded.append(int(m.group(1)))
        if str(record.get("level", "")).lower() in ("error", "critical"):
            errors += 1
    return {
        "build_and_switch_s": _seconds(serving, with_max=True),
        "texts_embedded_per_release": _seconds([float(n) for n in embedded])["p50"],
        "logged_errors": errors,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    password = args.password or settings.demo_password
    if args.url:
        result = uvloop.run(_drive(args.url.rstrip("/"), args, password))
        return _summary(result, args, engine_processes=None)
    embedder = make_embedder(settings.embedder)
    if corpus_is_stale(settings.corpus_dir, settings.index_dir, model=embedder.name):
        build_from_corpus(
            settings.corpus_dir, out=settings.index_dir, settings=settings, embedder=embedder, progress=False
        )
    with _work_dir(args.work_dir) as work:
        nlu_cache = work / "nlu"
        nlu_cache.mkdir(exist_ok=True)
        if settings.nlu_cache_dir is not None and settings.nlu_cache_dir.is_dir():
            for weights in settings.nlu_cache_dir.glob("*.npz"):  # the seed's weights: no training at start
                if not (nlu_cache / weights.name).exists():
                    shutil.copy2(weights, nlu_cache / weights.name)
        env = {
            "ASSISTANT_DATABASE_URL": f"sqlite:///{work / 'reindex.db'}",
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "ASSISTANT_CONTENT_DIR": str(work / "content"),
            "ASSISTANT_NLU_CACHE_DIR": str(nlu_cache),
            "ASSISTANT_ENGINE_PROCESSES": str(args.engine_processes),
            "ASSISTANT_SECRET_KEY": "eval-reindex-" + secrets.token_hex(24),
            **UNTHROTTLED_CHAT,
        }
        log = work / "server.log"
        server: psutil.Process | None = None
        outcome: dict[str, Any] | None = None
        stop_timed_out = False
        try:
            with running_service(env, log=log) as (url, server):
                outcome = uvloop.run(_drive(url, args, password))
        except subprocess.TimeoutExpired:  # it did not stop within 30 s of SIGTERM: ended here
            stop_timed_out = True
            _kill_tree(server)
            if outcome is None:
                raise
        assert outcome is not None
        summary = _summary(outcome, args, engine_processes=args.engine_processes)
        summary["server"] = {**_server_log(log), "stop_timed_out": stop_timed_out}
        return summary


def _kill_tree(server: psutil.Process | None) -> None:
    """SIGKILL the service this run started and its engine workers."""
    if server is None:
        return
    with contextlib.suppress(psutil.Error):
        victims = [*server.children(recursive=True), server]
        for p in victims:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(victims, timeout=10)
