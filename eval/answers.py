"""``python -m eval answers --split dev|test --json OUT``: end-to-end answer quality.

Every conversation of ``eval/data/answers/<split>.yaml`` (format and categories in that
folder's README) goes through the real chat service in this process, in demo mode: a fresh
SQLite database, the demo ledger with today pinned to 2026-11-27, the index of ``settings``, the
dialogue engine with its rebate and handoff skills, signed in as the item's demo user.  Each
reply is checked against the turn's expectations and against the checks every reply must
pass (no unfilled placeholder, no internal field).  An item passes when all its turns pass.

Keys: ``n_items``, ``n_turns``, ``item_pass_rate``, ``turn_pass_rate``, ``by_category``
(items and pass rate per category), ``multi_turn`` (the same for items of two turns or
more), ``latency_ms`` (``p50``, ``p95``, ``max`` of the turns, message stored to reply
stored), and with ``--errors`` the failing turns with what failed.

``--data PATH`` evaluates another file of the same format.  ``--wrap NAME`` wraps every
item's message in the courtesy, relaying or afterthought phrases of ``wraps.yaml`` (drawn with
``--seed``): the same questions as staff also type them.  The test split is for reporting:
never read its failures to tune the engine (eval/data/answers/README.md).
"""

from __future__ import annotations

import argparse
import functools
import random
import re
import tempfile
import time
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import select, text

from assistant.api.runtime import Runtime
from assistant.dialogue.texts import label
from assistant.dialogue.types import Caller
from assistant.settings import Settings
from assistant.storage.models import User
from eval.metrics import percentiles

ANSWERS_DIR = Path(__file__).parent / "data" / "answers"
DEFAULT_USER = "hz_sales1"
TODAY = date(2026, 11, 27)
CATEGORIES = (
    "params",
    "params_multi",
    "by_feature",
    "capability",
    "missing",
    "faq",
    "troubleshoot",
    "competitor",
    "roi",
    "script",
    "case",
    "rebate",
    "handoff",
    "training",
    "followup",
    "correction",
    "out_of_scope",
)
EXPECT_KEYS = frozenset(
    {"contains", "any_of", "not_contains", "cites", "not_cites", "dont_know", "handoff", "no_handoff", "card", "intent"}
)
CARD_TYPES = frozenset({"params", "script", "case", "rebate"})
# A reply that says the documents do not hold the answer (README: `dont_know`).
DONT_KNOW_MARKERS = (
    "资料里没有",
    "资料中没有",
    "没有找到",
    "没查到",
    "查不到",
    "没有提到",
    "未提及",
    "没有这一项",
    "没有相关",
    "暂无",
)
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_BRACKETED = re.compile(r"【([^】]{1,20})】")
# Internal fields that must never reach a user (README: checks every reply passes).
INTERNAL_MARKERS = (
    "标签：",
    "roi_manager",
    "tech_decision_maker",
    "procurement",
    "it_security",
    "operator",
    "discovery",
    "objection",
    "closing",
)
# A Python None printed as a value ("客户名称 None", "型号：None"); OPC UA's security policy
# "None" in a fix is the corpus's own word.
_NONE_VALUE = re.compile(r"(?:[：:]|名称|型号|客户)\s*None(?![A-Za-z])")


class AnswerSetError(ValueError):
    """The answer set file is malformed: says which item and what."""


@dataclass(frozen=True, slots=True)
class Expectation:
    contains: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    not_contains: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    not_cites: tuple[str, ...] = ()
    dont_know: bool = False
    handoff: bool = False
    no_handoff: bool = False
    card: str | None = None
    intent: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerTurn:
    text: str
    expect: Expectation


@dataclass(frozen=True, slots=True)
class AnswerItem:
    id: str
    category: str
    user: str
    turns: tuple[AnswerTurn, ...]


@dataclass(slots=True)
class TurnOutcome:
    item_id: str
    index: int
    text: str
    reply: str
    failures: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    cited: bool = False  # the reply carried citations: wrong and cited reads as if right

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class Wrap:
    """Phrases around a message that change nothing it asks (``wraps.yaml``)."""

    before: tuple[str, ...] = ("",)
    after: tuple[str, ...] = ("",)
    every: bool = False  # every message of the item, not only the first
    categories: frozenset[str] = frozenset()  # only items of these kinds (all when empty)


@functools.cache  # read once: the argument choices and the run both need it
def load_wraps(path: Path = ANSWERS_DIR / "wraps.yaml") -> dict[str, Wrap]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    wraps = raw.get("wraps") if isinstance(raw, dict) else None
    if not isinstance(wraps, dict) or not wraps:
        raise AnswerSetError(f"{path}: expected a mapping `wraps` of name -> wrap")
    out: dict[str, Wrap] = {}
    for name, entry in wraps.items():
        if not isinstance(entry, dict) or not (entry.get("before") or entry.get("after")):
            raise AnswerSetError(f"{path}: wrap {name!r} needs `before` or `after` phrases")
        unknown = set(entry.get("categories") or ()) - set(CATEGORIES)
        if unknown:
            raise AnswerSetError(f"{path}: wrap {name!r}: unknown categories {sorted(unknown)}")
        out[name] = Wrap(
            before=tuple(entry.get("before") or ("",)),
            after=tuple(entry.get("after") or ("",)),
            every=bool(entry.get("every", False)),
            categories=frozenset(entry.get("categories") or ()),
        )
    return out


def wrap_items(items: Sequence[AnswerItem], wrap: Wrap, *, seed: int) -> list[AnswerItem]:
    """``items`` (of the wrap's categories) with each message wrapped; expectations unchanged.
    A mark that ends the message ("？", "。") goes before an added ending, as typed."""
    rng = random.Random(seed)
    out = []
    for item in items:
        if wrap.categories and item.category not in wrap.categories:
            continue
        turns = list(item.turns)
        for n in range(len(turns) if wrap.every else 1):
            before, after = rng.choice(wrap.before), rng.choice(wrap.after)
            body = turns[n].text.rstrip("？?。.！! ") if after else turns[n].text
            turns[n] = replace(turns[n], text=f"{before}{body}{after}")
        out.append(replace(item, turns=tuple(turns)))
    return out


def load_answer_set(path: Path) -> list[AnswerItem]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise AnswerSetError(f"{path}: expected a list of items")
    items: list[AnswerItem] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        where = f"{path.name}: item {n} ({entry.get('id', '?') if isinstance(entry, dict) else '?'})"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise AnswerSetError(f"{where}: an item needs an id")
        if entry["id"] in seen:
            raise AnswerSetError(f"{where}: duplicate id")
        seen.add(entry["id"])
        category = entry.get("category")
        if category not in CATEGORIES:
            raise AnswerSetError(f"{where}: unknown category {category!r}")
        turns = entry.get("turns")
        if not isinstance(turns, list) or not turns:
            raise AnswerSetError(f"{where}: turns must be a non-empty list")
        parsed = []
        for t in turns:
            if not isinstance(t, dict) or not isinstance(t.get("text"), str) or not t["text"].strip():
                raise AnswerSetError(f"{where}: every turn needs a text")
            parsed.append(AnswerTurn(text=t["text"], expect=_expectation(t.get("expect") or {}, where)))
        items.append(
            AnswerItem(id=entry["id"], category=category, user=entry.get("user", DEFAULT_USER), turns=tuple(parsed))
        )
    return items


def _expectation(data: Mapping[str, Any], where: str) -> Expectation:
    unknown = set(data) - EXPECT_KEYS
    if unknown:
        raise AnswerSetError(f"{where}: unknown expectation key(s) {sorted(unknown)}")
    card = data.get("card")
    if card is not None and card not in CARD_TYPES:
        raise AnswerSetError(f"{where}: unknown card type {card!r}")

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if isinstance(value, str | int | float):
            value = [value]
        return tuple(str(v) for v in value)

    return Expectation(
        contains=strings("contains"),
        any_of=tuple(tuple(str(v) for v in group) for group in data.get("any_of") or []),
        not_contains=strings("not_contains"),
        cites=strings("cites"),
        not_cites=strings("not_cites"),
        dont_know=bool(data.get("dont_know", False)),
        handoff=bool(data.get("handoff", False)),
        no_handoff=bool(data.get("no_handoff", False)),
        card=card,
        intent=data.get("intent"),
    )


# -- checking -------------------------------------------------------------------------------


def fold(value: str) -> str:
    """Case- and width-insensitive form for comparisons."""
    return unicodedata.normalize("NFKC", value).lower()


def appears(needle: str, haystack: str) -> bool:
    """``needle`` in ``haystack`` ignoring case and width; numbers also match without
    thousands separators ("2680" finds "2,680")."""
    n, h = fold(needle), fold(haystack)
    if n in h:
        return True
    return n.replace(",", "") in re.sub(r"(?<=\d),(?=\d{3})", "", h)


def check_reply(
    expect: Expectation,
    *,
    reply: Mapping[str, Any],
    profile: Mapping[str, Any],
    handoff_open: bool,
) -> list[str]:
    """What is wrong with one reply (empty: it passes)."""
    failures: list[str] = []
    body = str(reply.get("text", ""))
    # Cards are part of what the user sees: a value in a card counts as said.
    shown = body + "\n" + _card_text(reply.get("cards") or [])
    cited = [str(c.get("doc_id", "")) for c in reply.get("citations") or []]
    failures += [f"missing {s!r}" for s in expect.contains if not appears(s, shown)]
    failures += [f"none of {list(g)}" for g in expect.any_of if not any(appears(s, shown) for s in g)]
    failures += [f"must not say {s!r}" for s in expect.not_contains if appears(s, body)]
    if expect.cites and not set(expect.cites) & set(cited):
        failures.append(f"cites {cited}, expected one of {list(expect.cites)}")
    failures += [f"must not cite {c}" for c in expect.not_cites if c in cited]
    if expect.dont_know:
        if not any(m in body for m in DONT_KNOW_MARKERS):
            failures.append("does not say the documents lack it")
        suggestions = [str(s) for s in reply.get("suggestions") or []]
        if not (reply.get("handoff_offered") or any("专家" in s for s in suggestions)):
            failures.append("does not offer the expert")
    if expect.handoff and not handoff_open:
        failures.append("no handoff started")
    if expect.no_handoff and handoff_open:
        failures.append("a handoff was started")
    if expect.card and expect.card not in {str(c.get("type")) for c in reply.get("cards") or []}:
        failures.append(f"no {expect.card} card")
    if expect.intent and reply.get("intent") != expect.intent:
        failures.append(f"intent {reply.get('intent')}, expected {expect.intent}")
    failures += universal_failures(body, profile)
    return failures


def universal_failures(body: str, profile: Mapping[str, Any]) -> list[str]:
    """The checks every reply passes (README)."""
    failures = [f"unfilled placeholder {m}" for m in _PLACEHOLDER.findall(body)]
    known_labels = {label("zh", "field", key): key for key, value in profile.items() if value not in (None, "")}
    failures += [
        f"placeholder 【{m}】 though the profile has it" for m in _BRACKETED.findall(body) if m in known_labels
    ]
    failures += [f"internal field {m!r}" for m in INTERNAL_MARKERS if re.search(rf"(?<![A-Za-z]){m}(?![A-Za-z])", body)]
    if _NONE_VALUE.search(body):
        failures.append("internal field 'None'")
    return failures


def _card_text(cards: Sequence[Mapping[str, Any]]) -> str:
    parts: list[str] = []
    for card in cards:
        for key in ("text", "total", "progress", "title", "customer"):
            if isinstance(card.get(key), str):
                parts.append(card[key])
        for row in card.get("rows") or []:
            parts.append(f"{row.get('name')} {row.get('value')} {row.get('unit')}")
        for line in card.get("lines") or []:
            parts.append(f"{line.get('description')} {line.get('amount')}")
        parts.extend(str(r) for r in card.get("results") or [])
    return "\n".join(parts)


# -- running --------------------------------------------------------------------------------


class AnswerRunner:
    """The real chat service in this process, on a throwaway database."""

    def __init__(self, settings: Settings) -> None:
        self.runtime = Runtime(settings)
        self.runtime.start_storage()
        self.runtime.start_loading()
        if not self.runtime.wait_ready(timeout=600) or self.runtime.chat is None:
            raise RuntimeError(f"service did not load: {self.runtime.load_error}")
        self._callers: dict[str, Caller] = {}

    def caller(self, username: str) -> Caller:
        if username not in self._callers:
            assert self.runtime.db is not None
            with self.runtime.db.read() as s:
                user = s.scalars(select(User).where(User.username == username)).first()
                if user is None:
                    raise AnswerSetError(f"unknown demo user {username!r}")
                self._callers[username] = Caller(
                    user_id=user.id, partner_id=user.partner_id, display_name=user.display_name, role=user.role
                )
        return self._callers[username]

    def run_item(self, item: AnswerItem) -> list[TurnOutcome]:
        chat = self.runtime.require_chat()
        caller = self.caller(item.user)
        cid = chat.create_conversation(caller=caller, title=item.id)
        outcomes = []
        for n, turn in enumerate(item.turns):
            started = time.perf_counter()
            result = chat.post_message(
                caller=caller, conversation_id=cid, client_msg_id=uuid.uuid4().hex, text=turn.text
            )
            elapsed = (time.perf_counter() - started) * 1000
            reply: dict[str, Any] = {}
            profile: dict[str, Any] = {}
            for event in result.events:
                if event.type == "reply":
                    reply = dict(event.payload)
                elif event.type == "profile":
                    profile = dict(event.payload.get("profile") or {})
            outcome = TurnOutcome(item_id=item.id, index=n, text=turn.text, reply=str(reply.get("text", "")))
            outcome.latency_ms = elapsed
            outcome.cited = bool(reply.get("citations"))
            outcome.failures = check_reply(
                turn.expect, reply=reply, profile=profile, handoff_open=self.handoff_open(cid)
            )
            outcomes.append(outcome)
        return outcomes

    def handoff_open(self, conversation_id: str) -> bool:
        """A handoff was started for the conversation and not cancelled."""
        assert self.runtime.db is not None
        with self.runtime.db.read() as s:
            states = s.execute(
                text("SELECT state FROM handoff_sessions WHERE conversation_id = :cid"), {"cid": conversation_id}
            ).scalars()
            return any(state != "cancelled" for state in states)

    def close(self) -> None:
        self.runtime.close()


class ItemRunner(Protocol):
    """What :func:`evaluate` needs of a runner: the outcome of each turn of an item."""

    def run_item(self, item: AnswerItem) -> list[TurnOutcome]: ...


def evaluate(items: Sequence[AnswerItem], runner: ItemRunner) -> tuple[dict[str, Any], list[TurnOutcome]]:
    outcomes: list[TurnOutcome] = []
    per_item: dict[str, bool] = {}
    for item in items:
        turns = runner.run_item(item)
        outcomes.extend(turns)
        per_item[item.id] = all(t.passed for t in turns)
    by_category: dict[str, list[bool]] = defaultdict(list)
    multi: list[bool] = []
    for item in items:
        by_category[item.category].append(per_item[item.id])
        if len(item.turns) > 1:
            multi.append(per_item[item.id])
    latencies = [t.latency_ms for t in outcomes]
    cited = [t for t in outcomes if t.cited]
    result = {
        "n_items": len(items),
        "n_turns": len(outcomes),
        "item_pass_rate": _rate(per_item.values()),
        "turn_pass_rate": _rate(t.passed for t in outcomes),
        "by_category": {c: {"items": len(v), "pass_rate": _rate(v)} for c, v in sorted(by_category.items())},
        "multi_turn": {"items": len(multi), "pass_rate": _rate(multi)},
        # Of the turns answered with citations, the share right; and the wrong-but-cited turns'
        # share of all turns: the answers that look grounded and are not (issue 12).
        "cited": {
            "turns": len(cited),
            "precision": _rate(t.passed for t in cited),
            "wrong_share": _rate(t.cited and not t.passed for t in outcomes),
        },
        "latency_ms": {**percentiles(latencies), "max": round(max(latencies, default=0.0), 3)},
    }
    return result, outcomes


def _rate(values: Any) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--data", type=Path, help="an answer-set file instead of the split's")
    parser.add_argument("--category", action="append", help="only items of this category (repeatable)")
    parser.add_argument("--errors", action="store_true", help="list the failing turns")
    parser.add_argument("--index-dir", type=Path, help="index to answer from (default: settings)")
    parser.add_argument("--wrap", choices=sorted(load_wraps()), help="wrap each message (eval/data/answers/wraps.yaml)")
    parser.add_argument("--seed", type=int, default=7, help="the draw of the wrap's phrases")


def run(args: argparse.Namespace) -> dict[str, Any]:
    path = args.data or ANSWERS_DIR / f"{args.split}.yaml"
    items = load_answer_set(path)
    if args.category:
        items = [i for i in items if i.category in set(args.category)]
    if args.wrap:
        items = wrap_items(items, load_wraps()[args.wrap], seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="eval-answers-") as tmp:
        overrides: dict[str, Any] = {
            "database_url": f"sqlite:///{Path(tmp) / 'answers.db'}",
            "rebates_today": TODAY,
            "engine_processes": 0,
            "secret_file": Path(tmp) / "secret.key",
            "demo": True,  # the demo users ask the questions
        }
        if args.index_dir:
            overrides["index_dir"] = args.index_dir
        runner = AnswerRunner(Settings(**overrides))
        try:
            result, outcomes = evaluate(items, runner)
        finally:
            runner.close()
    result = {"dataset": str(path), **({"wrap": args.wrap, "seed": args.seed} if args.wrap else {}), **result}
    if args.errors:
        result["errors"] = [
            {"item": o.item_id, "turn": o.index, "text": o.text, "reply": o.reply[:400], "failures": o.failures}
            for o in outcomes
            if not o.passed
        ]
    return result
