"""Benchmark: risk alerts against the patterns the ops generator planted, and what evaluating costs.

``python -m eval ops --json OUT [--data corpus/ops]`` calls :func:`add_arguments` and :func:`run`.
Targets: ``alert_recall`` and ``alert_precision`` each >= 0.95.

Figures, all measured in one run on the same inputs:

* ``alert_recall`` / ``alert_precision``: every alert of a full evaluation of the corpus
  (``orders.csv`` and the ops CSVs, thresholds of ``alert_rules.yaml``) against
  ``planted.yaml``, matched on (rule, partner_id, period); ``per_rule`` gives the same per
  rule, ``missed`` and ``unexpected`` name the keys that did not match;
* ``full_eval_ms``: one full evaluation (p50/p95 over ``--full-repeat`` runs, after a first
  untimed-for-the-percentiles run, ``full_eval_first_ms``, that also fills the ledger's cache of
  quarterly sums);
* ``incremental_eval_ms``: the evaluation after one order is added (a booked order or a return
  of an order, at random, one change at a time on the unchanged corpus), scoped to what the
  order touches (p50/p95 over ``--changes`` changes); ``ledger_update_ms`` is what building
  the changed ledger costs before it (``Ledger.with_orders``: the data layer's part, not the
  engine's); every ``--verify-every``-th change is checked: the previous full result merged
  with the incremental one must equal a full evaluation of the changed inputs
  (``incremental_checked`` / ``incremental_mismatches``).

* ``alert_push_ms``: from an order batch posted to ``POST /api/admin/orders`` until the
  alert it causes arrives on an open dashboard socket (``/ws/alerts``) of a national admin
  (``--push-user``), p50/p95 over ``--push-alerts`` alerts (0: skipped).  The service runs
  as production runs it (``python -m assistant serve`` in its own process on a free port,
  :mod:`eval.service`) on a throw-away SQLite database seeded from ``--rebates`` and the ops
  corpus beside it, with today pinned to ``PUSH_TODAY`` (2026Q4 still open).  Each sample is
  a booked order and its return, for a partner without a return spike in that quarter,
  large enough to make one (a fifth of the quarter's booked amount, at least
  ``PUSH_MIN_AMOUNT``): the ``created`` event of that partner's ``return_spike`` is the
  arrival.  ``alert_push_post_ms`` is the POST's own answer time (the push goes out before
  the answer).  Target: p95 <= 200 ms.

* ``dashboard_ms``: the operations dashboard of a national admin (``--dashboard-user``'s
  node, every panel, 2026Q4 as of ``PUSH_TODAY``) over a ledger of at least
  ``--dashboard-orders`` orders (``orders.csv`` plus generated booked orders of 2026, seeded,
  when it holds fewer; 10,000 by default) and the 52 weeks of inventory of the ops corpus,
  on a throw-away SQLite database with one HQ task: ``dashboard_ms`` is the domain function
  in-process (:meth:`assistant.ops.dashboard.DashboardService.dashboard`), ``dashboard_http_ms``
  the same over HTTP (``GET /api/ops/dashboard`` of the service running as in production),
  p50/p95 over ``--dashboard-repeat`` calls after two untimed ones (0: skipped).  Target:
  p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect

from assistant.ops.alert_inputs import OPS_DIR, REBATES_DIR, load_alert_inputs
from assistant.ops.alerts import (
    DEFAULT_RULES_FILE,
    AlertInputs,
    AlertRules,
    RuleId,
    Scope,
    evaluate,
    load_rules,
    merge,
    rules_json,
)
from assistant.rebates.ledger import Ledger, Order, OrderStatus
from assistant.rebates.loader import load_channels, load_orders
from assistant.rebates.network import Level
from assistant.rebates.quarter import Quarter
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from eval.service import UNTHROTTLED_CHAT, running_service
from indexer.build import build_from_corpus

TARGET_RECALL = 0.95
TARGET_PRECISION = 0.95
TARGET_PUSH_P95_MS = 200.0
TARGET_DASHBOARD_P95_MS = 50.0
PUSH_TODAY = date(2026, 11, 27)  # in 2026Q4: Q1-Q3 statements final, Q4 open for orders
PUSH_QUARTER = "2026Q4"
PUSH_MIN_AMOUNT = Decimal(60_000)  # above the rule's min_booked (50,000) with any booked amount
PUSH_TIMEOUT_S = 10.0

Key = tuple[str, str, str]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=OPS_DIR, help="the ops corpus (inventory, feedback, planted)")
    parser.add_argument("--rebates", type=Path, default=REBATES_DIR, help="policy, channels and orders.csv")
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES_FILE, help="the thresholds file")
    parser.add_argument("--changes", type=int, default=200, help="single-order changes to time (default 200)")
    parser.add_argument("--full-repeat", type=int, default=20, help="full evaluations to time (default 20)")
    parser.add_argument("--verify-every", type=int, default=10, help="check incremental == full every N changes")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--push-alerts", type=int, default=30, help="alerts to time to the dashboard socket (0: skip)")
    parser.add_argument("--push-user", default="n_admin", help="whose dashboard socket is open (a demo user)")
    parser.add_argument("--dashboard-repeat", type=int, default=50, help="dashboard calls to time (0: skip)")
    parser.add_argument("--dashboard-orders", type=int, default=10_000, help="ledger size for dashboard_ms")
    parser.add_argument("--dashboard-user", default="n_admin", help="whose dashboard is timed (a demo user)")


def _ms(samples: list[float]) -> dict[str, float | int]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3), "n": len(ordered)}


def _timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, (time.perf_counter() - started) * 1000


def read_planted(path: Path) -> set[Key]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {(str(e["rule"]), str(e["partner_id"]), str(e["period"])) for e in entries}


def score(found: set[Key], planted: set[Key]) -> dict[str, Any]:
    """Recall and precision overall and per rule (a rule with nothing to find or nothing found
    scores 1.0 on that side: there was nothing to miss, or nothing wrong was said)."""
    per_rule: dict[str, dict[str, Any]] = {}
    for rule in RuleId:
        want = {k for k in planted if k[0] == rule.value}
        got = {k for k in found if k[0] == rule.value}
        hit = len(want & got)
        per_rule[rule.value] = {
            "planted": len(want),
            "alerts": len(got),
            "matched": hit,
            "recall": round(hit / len(want), 4) if want else 1.0,
            "precision": round(hit / len(got), 4) if got else 1.0,
        }
    matched = len(found & planted)
    return {
        "alert_recall": round(matched / len(planted), 4) if planted else 1.0,
        "alert_precision": round(matched / len(found), 4) if found else 1.0,
        "per_rule": per_rule,
        "missed": ["/".join(k) for k in sorted(planted - found)],
        "unexpected": ["/".join(k) for k in sorted(found - planted)],
    }


def random_change(rng: random.Random, ledger: Ledger, partners: list[str], serial: int) -> Order:
    """One order a partner could really add: a booked order on a day of 2026, or (one time in
    five) a return of one of its booked orders not returned yet, some days after it."""
    partner = rng.choice(partners)
    if rng.random() < 0.2:
        returned = {o.reverses for o in ledger if o.partner_id == partner and o.reverses}
        candidates = [o for o in ledger if o.partner_id == partner and not o.is_return and o.order_id not in returned]
        if candidates:
            original = rng.choice(candidates)
            return Order(
                order_id=f"RT-BENCH-{serial:05d}",
                partner_id=partner,
                customer_id=original.customer_id,
                new_customer=original.new_customer,
                product_id=original.product_id,
                amount=original.amount,
                date=min(date(2026, 12, 31), original.date + timedelta(days=rng.randint(1, 40))),
                status=OrderStatus.RETURNED,
                reverses=original.order_id,
            )
    sample = rng.choice([o for o in ledger if o.partner_id == partner and not o.is_return])
    new = rng.random() < 0.2  # a new customer, or one the partner already sold to
    return Order(
        order_id=f"SO-BENCH-{serial:05d}",
        partner_id=partner,
        customer_id=f"C-BENCH-{serial:05d}" if new else sample.customer_id,
        new_customer=new,
        product_id=sample.product_id,
        amount=Decimal(rng.randrange(8_000, 300_000)),
        date=date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    rules: AlertRules = load_rules(args.rules)
    inputs, load_ms = _timed(lambda: load_alert_inputs(args.data, rebates_dir=args.rebates))
    planted = read_planted(args.data / "planted.yaml")

    full_times: list[float] = []
    full, first_ms = _timed(lambda: evaluate(inputs, rules))  # the ledger's per-quarter sums are built here
    for _ in range(max(1, args.full_repeat)):
        full, elapsed = _timed(lambda: evaluate(inputs, rules))
        full_times.append(elapsed)
    found = {(a.rule.value, a.partner_id, a.period_label) for a in full.alerts}
    result: dict[str, Any] = score(found, planted)

    rng = random.Random(args.seed)
    ledger = inputs.ledger
    if not isinstance(ledger, Ledger):
        raise TypeError("the benchmark changes a rebates Ledger")
    partners = sorted(inputs.regions)
    update_times: list[float] = []
    incremental_times: list[float] = []
    checked = mismatches = 0
    for serial in range(1, args.changes + 1):
        order = random_change(rng, ledger, partners, serial)
        started = time.perf_counter()
        changed: AlertInputs = replace(inputs, ledger=ledger.with_orders([order]))
        scoped = time.perf_counter()
        partial = evaluate(changed, rules, Scope.for_order(order))
        done = time.perf_counter()
        update_times.append((scoped - started) * 1000)
        incremental_times.append((done - scoped) * 1000)
        if args.verify_every > 0 and serial % args.verify_every == 0:
            checked += 1
            if merge(full.alerts, partial) != evaluate(changed, rules).alerts:
                mismatches += 1

    result.update(
        {
            "targets": {"alert_recall": TARGET_RECALL, "alert_precision": TARGET_PRECISION},
            "planted": len(planted),
            "alerts": len(full.alerts),
            "rules_version": rules.version,
            "thresholds": rules_json(rules),
            "data": str(args.data),
            "load_ms": round(load_ms, 1),
            "full_eval_first_ms": round(first_ms, 3),
            "full_eval_ms": _ms(full_times),
            "incremental_eval_ms": _ms(incremental_times),
            "ledger_update_ms": _ms(update_times),
            "incremental_checked": checked,
            "incremental_mismatches": mismatches,
        }
    )
    if args.push_alerts > 0:
        result["targets"]["alert_push_ms_p95"] = TARGET_PUSH_P95_MS
        result.update(measure_push(args.rebates, count=args.push_alerts, user=args.push_user))
    if args.dashboard_repeat > 0:
        result["targets"]["dashboard_ms_p95"] = TARGET_DASHBOARD_P95_MS
        result.update(
            measure_dashboard(
                args.rebates,
                args.data,
                repeat=args.dashboard_repeat,
                orders=args.dashboard_orders,
                user=args.dashboard_user,
                seed=args.seed,
            )
        )
    return result


# --------------------------------------------------------------------------- alert_push_ms


def _push_env(tmp: Path, settings: Settings, rebates_dir: Path) -> dict[str, str]:
    """A throw-away service over the corpus: its own database, a quick hash-embedding index
    (answers play no part here), in-process dialogue engine (no worker processes to start)."""
    index = tmp / "index"
    build_from_corpus(settings.corpus_dir, out=index, settings=settings, embedder=HashEmbedder(64), progress=False)
    return {
        "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp / 'ops.db'}",
        "ASSISTANT_INDEX_DIR": str(index),
        "ASSISTANT_EMBEDDER": "hash-64",
        "ASSISTANT_ENGINE_PROCESSES": "0",
        "ASSISTANT_SECRET_KEY": "eval-ops-" + "k" * 40,
        "ASSISTANT_REBATES_DIR": str(rebates_dir),
        "ASSISTANT_CHANNELS_FILE": str(rebates_dir / "channels.yaml"),
        "ASSISTANT_REBATES_TODAY": PUSH_TODAY.isoformat(),
        **UNTHROTTLED_CHAT,
    }


async def _read_events(ws: ClientConnection, into: asyncio.Queue[tuple[float, dict[str, Any]]]) -> None:
    """Every event of the socket with the moment it arrived."""
    async for raw in ws:
        arrived = time.perf_counter()
        into.put_nowait((arrived, json.loads(raw)))


async def _push_samples(url: str, token: str, booked: dict[str, Decimal], count: int) -> dict[str, Any]:
    """``count`` alerts caused by order POSTs, each timed to its event on the open socket.
    ``booked``: each partner's booked amount of the quarter in the seeded ledger (the whole
    quarter, as the rule counts it, not the statement's to-date figure)."""
    headers = {"Authorization": f"Bearer {token}"}
    push_ms: list[float] = []
    post_ms: list[float] = []
    missed: list[str] = []
    ws_url = url.replace("http://", "ws://", 1) + "/ws/alerts"
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client,
        connect(ws_url, additional_headers=headers) as ws,
    ):
        ready = json.loads(await asyncio.wait_for(ws.recv(), PUSH_TIMEOUT_S))
        if ready.get("type") != "ready":
            raise RuntimeError(f"the dashboard socket did not say ready: {ready}")
        listed = (await client.get("/api/alerts", params={"cleared": "true"})).json()["alerts"]
        spiking = {a["partner_id"] for a in listed if a["rule"] == "return_spike" and a["period"] == PUSH_QUARTER}
        candidates = [p for p in sorted(booked) if p not in spiking][:count]
        events: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        reader = asyncio.create_task(_read_events(ws, events))
        try:
            for serial, partner in enumerate(candidates, 1):
                amount = max(booked[partner] / 5, PUSH_MIN_AMOUNT).quantize(Decimal("0.01"))  # rate >= 1/6
                customer = f"C-PUSH-{serial:04d}"
                common = {"partner_id": partner, "customer_id": customer, "new_customer": True, "product_id": "EG-2100"}
                day = PUSH_TODAY.isoformat()
                body = {
                    "orders": [
                        {**common, "order_id": f"SO-PUSH-{serial:04d}", "amount": str(amount), "date": day},
                        {
                            **common,
                            "order_id": f"RT-PUSH-{serial:04d}",
                            "amount": str(amount),
                            "date": day,
                            "status": "returned",
                            "reverses": f"SO-PUSH-{serial:04d}",
                        },
                    ]
                }
                while not events.empty():
                    events.get_nowait()
                started = time.perf_counter()
                answer = await client.post("/api/admin/orders", json=body)
                post_ms.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 201:
                    raise RuntimeError(f"orders refused for {partner}: {answer.status_code} {answer.text}")
                deadline = started + PUSH_TIMEOUT_S
                while True:
                    try:
                        arrived, event = await asyncio.wait_for(events.get(), max(0.0, deadline - time.perf_counter()))
                    except TimeoutError:
                        missed.append(partner)
                        break
                    alert = event.get("alert", {})
                    if (
                        event.get("type") == "alert"
                        and event.get("change") == "created"
                        and (alert.get("rule"), alert.get("partner_id"), alert.get("period"))
                        == ("return_spike", partner, PUSH_QUARTER)
                    ):
                        push_ms.append((arrived - started) * 1000)
                        break
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    return {"push": push_ms, "post": post_ms, "missed": missed, "candidates": len(candidates)}


def measure_push(rebates_dir: Path, *, count: int, user: str) -> dict[str, Any]:
    """``alert_push_ms`` against a real service (see the module docstring)."""
    settings = Settings()
    network = load_channels(rebates_dir / "channels.yaml").network
    ledger = load_orders(rebates_dir / "orders.csv")
    quarter = Quarter.parse(PUSH_QUARTER)
    booked = {n.id: ledger.sales(n.id, quarter).booked for n in network if n.level is Level.PARTNER and n.active}
    with tempfile.TemporaryDirectory(prefix="eval-ops-push-") as tmp:
        env = _push_env(Path(tmp), settings, rebates_dir)
        with running_service(env, log=Path(tmp) / "server.log") as (url, _server):
            r = httpx.post(
                f"{url}/api/auth/token", json={"username": user, "password": settings.demo_password}, timeout=30
            )
            r.raise_for_status()
            samples = asyncio.run(_push_samples(url, str(r.json()["access_token"]), booked, count))
    push = samples["push"]
    figures: dict[str, Any] = {
        "alert_push_ms": _ms(push) if push else {"p50": None, "p95": None, "n": 0},
        "alert_push_post_ms": _ms(samples["post"]) if samples["post"] else {"p50": None, "p95": None, "n": 0},
        "alert_push_user": user,
        "alert_push_missed": samples["missed"],
    }
    if samples["candidates"] < count:
        figures["alert_push_note"] = f"only {samples['candidates']} partners without a {PUSH_QUARTER} return spike"
    return figures


# --------------------------------------------------------------------------- dashboard_ms


def extra_orders(ledger: Ledger, partners: list[str], count: int, seed: int) -> list[Order]:
    """``count`` booked orders of 2026 up to ``PUSH_TODAY`` (seeded): customers and products the
    partners already sell to, one in five a new customer."""
    rng = random.Random(seed)
    sold = {p: [o for o in ledger if o.partner_id == p and not o.is_return] for p in partners}
    days = (PUSH_TODAY - date(2026, 1, 1)).days + 1
    out: list[Order] = []
    for serial in range(1, count + 1):
        partner = rng.choice(partners)
        sample = rng.choice(sold[partner])
        new = rng.random() < 0.2
        out.append(
            Order(
                order_id=f"SO-DASH-{serial:06d}",
                partner_id=partner,
                customer_id=f"C-DASH-{serial:06d}" if new else sample.customer_id,
                new_customer=new,
                product_id=sample.product_id,
                amount=Decimal(rng.randrange(2_000, 60_000)),
                date=date(2026, 1, 1) + timedelta(days=rng.randrange(days)),
            )
        )
    return out


def _prepare_dashboard_db(url: str, rebates_dir: Path, ops_dir: Path, *, orders: int, seed: int) -> dict[str, Any]:
    """Seed a database as the service would on first start, then grow the ledger to ``orders``."""
    from assistant.ops.loader import seed as seed_ops
    from assistant.rebates.service import RebateService
    from assistant.storage.db import Database, migrate

    migrate(url)
    db = Database(url)
    try:
        rebates = RebateService(db=db, today=lambda: PUSH_TODAY)
        rebates.open(seed_dir=rebates_dir)
        state = rebates.state
        partners = sorted({o.partner_id for o in state.ledger if not o.is_return})
        shipped = len(state.ledger)
        if shipped < orders:
            rebates.record_orders(extra_orders(state.ledger, partners, orders - shipped, seed))
        seed_ops(db, ops_dir)
        with db.read() as s:
            weeks = s.scalar(text("SELECT COUNT(DISTINCT week) FROM ops_inventory_reports"))
            rows = s.scalar(text("SELECT COUNT(*) FROM ops_inventory_reports"))
        return {
            "orders_shipped": shipped,
            "orders": len(rebates.state.ledger),
            "inventory_weeks": weeks,
            "inventory_rows": rows,
        }
    finally:
        db.dispose()


def measure_dashboard(
    rebates_dir: Path, ops_dir: Path, *, repeat: int, orders: int, user: str, seed: int
) -> dict[str, Any]:
    """``dashboard_ms`` in-process and ``dashboard_http_ms`` over a running service (see the
    module docstring), on the same database."""
    from assistant.dialogue.types import Caller
    from assistant.ops.alert_service import AlertService
    from assistant.ops.dashboard import DashboardService
    from assistant.rebates.service import RebateService
    from assistant.settings import PROJECT_ROOT
    from assistant.storage.db import Database
    from assistant.tasks.model import load_pace_rules
    from assistant.tasks.service import TaskService, pace_file

    settings = Settings()
    network = load_channels(rebates_dir / "channels.yaml").network
    viewer_user = network.user(user)
    if viewer_user is None:
        raise ValueError(f"no user {user!r} in {rebates_dir / 'channels.yaml'}")
    with tempfile.TemporaryDirectory(prefix="eval-ops-dashboard-") as tmp:
        env = _push_env(Path(tmp), settings, rebates_dir)
        url = env["ASSISTANT_DATABASE_URL"]
        sizes = _prepare_dashboard_db(url, rebates_dir, ops_dir, orders=orders, seed=seed)
        http_ms: list[float] = []
        with running_service(env, log=Path(tmp) / "server.log") as (base, _server):
            token = httpx.post(
                f"{base}/api/auth/token", json={"username": user, "password": settings.demo_password}, timeout=30
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                created = client.post(
                    "/api/tasks",
                    json={
                        "title": "四季度客户拜访",
                        "kind": "visits",
                        "goal": 400,
                        "start": "2026-10-01",
                        "due": "2026-12-31",
                    },
                )
                if created.status_code != 201:
                    raise RuntimeError(f"task not created: {created.status_code} {created.text}")
                for i in range(repeat + 2):
                    answer, elapsed = _timed(lambda: client.get("/api/ops/dashboard", params={"quarter": PUSH_QUARTER}))
                    if answer.status_code != 200:
                        raise RuntimeError(f"dashboard refused: {answer.status_code} {answer.text}")
                    if i >= 2:
                        http_ms.append(elapsed)
                body = answer.json()
        # In-process, on the same database (the server has stopped): the domain function alone.
        db = Database(url)
        try:
            rebates = RebateService(db=db, today=lambda: PUSH_TODAY)
            rebates.reload()
            rules = load_rules(DEFAULT_RULES_FILE)
            AlertService(db=db, rebates=rebates, rules=rules)  # alerts are stored already
            tasks = TaskService(
                db=db,
                rebates=rebates,
                rules=load_pace_rules(pace_file(settings.corpus_dir, PROJECT_ROOT / "corpus")),
            )
            service = DashboardService(db=db, rebates=rebates, rules=rules, tasks=tasks)
            viewer = Caller(user_id=f"u-{user}", partner_id=viewer_user.partner_id, role=str(viewer_user.role))
            domain_ms: list[float] = []
            for i in range(repeat + 2):
                board, elapsed = _timed(lambda: service.dashboard(viewer, quarter=PUSH_QUARTER))
                if i >= 2:
                    domain_ms.append(elapsed)
        finally:
            db.dispose()
    return {
        "dashboard_ms": _ms(domain_ms),
        "dashboard_http_ms": _ms(http_ms),
        "dashboard_user": user,
        "dashboard_data": {
            **sizes,
            "inventory_lines": body["inventory"]["line_count"],
            "tasks": body["tasks"]["total"],
            "open_alerts": body["alerts"]["open"],
            "partners": board.sales.total.partners if board.sales is not None else 0,
        },
    }
