"""Small WebSocket/HTTP helpers for the live handoff tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

Event = dict[str, Any]


async def recv(ws: ClientConnection, timeout: float = 10) -> Event:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def until(ws: ClientConnection, pred: Callable[[Event], bool], timeout: float = 10) -> tuple[Event, list[Event]]:
    """The first event matching ``pred`` and every event received before it."""
    seen: list[Event] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = await recv(ws, max(0.01, deadline - loop.time()))
        if pred(event):
            return event, seen
        seen.append(event)


def of_type(kind: str, **fields: Any) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == kind and all(e.get(k) == v for k, v in fields.items())


async def say(ws: ClientConnection, text: str, client_msg_id: str) -> Event:
    """Send a chat message; returns the bot's reply (or the ack when no reply follows)."""
    await ws.send(json.dumps({"type": "message", "client_msg_id": client_msg_id, "text": text}))
    ack, _ = await until(ws, of_type("ack", client_msg_id=client_msg_id))
    return ack


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(base: str, path: str, token: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{base}{path}", headers=auth(token), params=params, timeout=10)


def post(base: str, path: str, token: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(f"{base}{path}", headers=auth(token), json=body or {}, timeout=10)


# Every slot a handoff asks for, filled: the request goes straight to the queue.
FULL = {
    "product_model": "EG-2100",
    "symptom": "COM1 读不到电表数据",
    "site": "宁波某汽车厂",
    "urgency": "high",
    "serial": "LT21A00077",
}
