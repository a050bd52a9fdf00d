"""Acknowledged messages left unanswered (the service was killed between the ``ack`` and
the reply) are answered once the engine is ready, then by a periodic sweep that also
picks up what an instance that died for good left behind (``ChatService.recover_pending``).
The answers are stored first and then pushed to the conversation's connected sockets;
a client that connects later gets them by ``resume``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import APIRouter, FastAPI
from sqlalchemy.exc import SQLAlchemyError

from assistant.api import events as ev
from assistant.api.runtime import Runtime

log = logging.getLogger(__name__)


async def answer_pending(rt: Runtime) -> int:
    """One pass: answer what may be answered now and push it to live sockets."""
    chat = rt.require_chat()
    recovered = await rt.in_turn_lane(chat.recover_pending)
    for item in recovered:
        for event in item.events:
            await rt.hub.publish(item.conversation_id, ev.event_out(event))
    return len(recovered)


async def _sweep(rt: Runtime) -> None:
    while not rt.ready:
        if rt.load_error:
            return
        await asyncio.sleep(0.05)
    while True:
        try:
            await answer_pending(rt)
        except SQLAlchemyError as exc:  # e.g. the database is busy: try again next tick
            log.warning("pending-message sweep failed: %s", exc)
        except Exception:  # never end the sweep: the messages it owes would wait for ever
            log.exception("pending-message sweep failed")
        await asyncio.sleep(rt.settings.pending_sweep_seconds)


def build_router() -> APIRouter:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_sweep(app.state.runtime))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return APIRouter(lifespan=lifespan)
