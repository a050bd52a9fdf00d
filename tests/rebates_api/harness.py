"""Test harness for the rebate API: an app built once and driven in-process through
``httpx.ASGITransport`` (no server, no sockets), plus the number-tracing check of chat replies."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from websockets.asyncio.client import connect

from assistant.api.app import create_app
from assistant.api.runtime import Runtime
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from assistant.storage.models import User
from indexer.build import build_from_corpus
from tests.conftest import FIXTURE_CORPUS

ROOT = Path(__file__).resolve().parents[2]
REBATES = ROOT / "corpus" / "rebates"
TODAY = date(2026, 11, 27)  # in 2026Q4: Q1-Q3 final, Q4 accrued
SECRET = "rebates-test-secret-" + "x" * 40
PASSWORD = "pw-test-123"


def make_settings(
    tmp: Path,
    *,
    rebates_dir: Path = REBATES,
    channels_file: Path | None = None,
    index_dir: Path | None = None,
    database_url: str | None = None,
) -> Settings:
    return Settings(
        corpus_dir=FIXTURE_CORPUS,
        index_dir=index_dir or tmp / "index",
        database_url=database_url or f"sqlite:///{tmp / 'rebates.db'}",
        embedder="hash-64",
        secret_key=SECRET,
        secret_file=tmp / "secret.key",
        channels_file=channels_file or rebates_dir / "channels.yaml",
        rebates_dir=rebates_dir,
        rebates_today=TODAY,
        demo=True,  # the channel network's users are demo users with PASSWORD
        demo_password=PASSWORD,
        # These tests send hundreds of requests a minute as one user; the rate limits have
        # their own tests (tests/security/test_b_throttle.py).
        rate_limit_enabled=False,
    )


def build_index(settings: Settings) -> None:
    build_from_corpus(
        FIXTURE_CORPUS, out=settings.index_dir, settings=settings, embedder=HashEmbedder(64), progress=False
    )


class Api:
    """The whole app in-process.  ``chat=True`` also loads the index and dialogue engine."""

    def __init__(self, settings: Settings, *, chat: bool = False) -> None:
        self.settings = settings
        self.app: FastAPI = create_app(settings)
        self.runtime: Runtime = self.app.state.runtime
        self.runtime.start_storage()
        if chat:
            self.runtime.start_loading()
            assert self.runtime.wait_ready(180), self.runtime.load_error
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://rebates.test")
        self._tokens: dict[str, str] = {}
        self._conversations: dict[str, str] = {}
        self._sent = 0

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.runtime.close()

    # -- identity ---------------------------------------------------------------------

    def add_user(self, username: str, partner_id: str, role: str = "sales") -> None:
        assert self.runtime.db is not None
        with self.runtime.db.write() as s:
            s.add(
                User(
                    id=f"u-{username}",
                    username=username,
                    display_name=username,
                    password_hash="not-a-hash",
                    partner_id=partner_id,
                    role=role,
                )
            )

    def token(self, username: str) -> str:
        """A valid token for a user (the app still reads the partner from the database)."""
        if username not in self._tokens:
            assert self.runtime.db is not None and self.runtime.tokens is not None
            with self.runtime.db.read() as s:
                user = s.scalars(select(User).where(User.username == username)).one()
                token, _ = self.runtime.tokens.issue(user_id=user.id, partner_id=user.partner_id, role=user.role)
            self._tokens[username] = token
        return self._tokens[username]

    def _headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"} if user else {}

    # -- HTTP -------------------------------------------------------------------------

    def get(self, path: str, user: str | None = None, **params: Any) -> httpx.Response:
        query = {k: v for k, v in params.items() if v is not None}
        return self.loop.run_until_complete(self.client.get(path, params=query, headers=self._headers(user)))

    def post(self, path: str, user: str | None = None, json: Any = None) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(path, json=json, headers=self._headers(user)))

    def new_conversation(self, user: str) -> None:
        """The user's next chat turn starts a conversation of its own (no earlier turns)."""
        self._conversations.pop(user, None)

    def chat(self, user: str, text: str) -> dict[str, Any]:
        """One chat turn over the REST mirror; the reply event."""
        if user not in self._conversations:
            created = self.post("/api/conversations", user)
            assert created.status_code == 201, created.text
            self._conversations[user] = created.json()["id"]
        cid = self._conversations[user]
        self._sent += 1
        turn = self.post(
            f"/api/conversations/{cid}/messages", user, json={"client_msg_id": f"m{self._sent}", "text": text}
        )
        assert turn.status_code == 200, turn.text
        reply = turn.json()["reply"]
        assert reply is not None
        return dict(reply)


# -- number tracing ---------------------------------------------------------------------

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> list[str]:
    """Number tokens as written ("¥1,234.50" -> "1,234.50"; "2026Q4" -> "2026", "4")."""
    return [m.group(0).rstrip(",") for m in NUMBER.finditer(text)]


def card_text(card: dict[str, Any]) -> str:
    parts: list[str] = [card["quarter"], card["total"], card["progress"], card["partner_id"]]
    for line in card["lines"]:
        parts += [line["description"], line["amount"], line["rule"], *line["orders"]]
    return "\n".join(parts)


def untraced_numbers(reply: dict[str, Any]) -> list[str]:
    """Numbers of the reply text that appear in no line, total or progress of its card
    (every number when there is no card)."""
    cards = [c for c in reply.get("cards", []) if c.get("type") == "rebate"]
    known: set[str] = set()
    for card in cards:
        known.update(numbers(card_text(card)))
    return [n for n in numbers(reply["text"]) if n not in known]


def leaked(body: str, forbidden: Iterable[str]) -> list[str]:
    return [word for word in forbidden if word in body]


def order(order_id: Any = "SO-NEW-0001", *, partner: str = "P-HZ-01", **fields: Any) -> dict[str, Any]:
    """A valid booked order of ``partner`` dated today (``TODAY``), with ``fields`` changed."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "partner_id": partner,
        "customer_id": "C-HZ01-NEW1",
        "new_customer": False,
        "product_id": "EG-2100",
        "amount": "1000.00",
        "date": TODAY.isoformat(),
    }
    body.update(fields)
    return body


async def ask_over_socket(server: Any, token: str, text: str) -> dict[str, Any]:
    """One question over a new chat socket of a live server; the reply event."""
    async with connect(server.socket_url(token)) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"type": "message", "client_msg_id": "q1", "text": text}))
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if event["type"] == "reply":
                return dict(event)
