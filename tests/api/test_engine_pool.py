"""The engine pool answers exactly as the in-process engine does, in a worker process,
hands service intents back to the serving process, and survives losing its worker."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from websockets.sync.client import connect

from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.errors import UtteranceTooLongError
from assistant.dialogue.factory import build_engine, load_components
from assistant.dialogue.nlu import MAX_UTTERANCE_CHARS
from assistant.dialogue.pool import EnginePool, sendable
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, CustomerProfile
from assistant.settings import Settings
from tests.api.conftest import LiveServer, free_port

CALLER = Caller(user_id="u-1", partner_id="P-1", display_name="王丽")
UTTERANCES = [
    "EG-2100 有几个串口",
    "网关质保多久",
    "有没有汽车厂的案例",
    "厂长关心回本，怎么开场",
    "你好",
    "今天天气怎么样",
]


@dataclass
class RecordingRebates:
    """A rebate skill that records where it was called from."""

    pids: list[int]

    def answer(
        self,
        *,
        caller: Caller,
        text: str,
        quarter: str | None,
        amount: Decimal | None,
        new_customer: bool | None = None,
        follows: Mapping[str, str] | None = None,
    ) -> SkillResult:
        self.pids.append(os.getpid())
        return SkillResult(text=f"返利问题已收到：{text}")


@pytest.fixture
def local_and_pool(server_settings: Settings) -> Iterator[tuple[DialogueEngine, EnginePool, RecordingRebates]]:
    corpus, retriever = load_components(server_settings)
    rebates = RecordingRebates([])
    local = build_engine(corpus=corpus, retriever=retriever, rebates=rebates)
    pool = EnginePool(local=local, settings=server_settings, processes=1)
    pool.start(timeout=120)
    try:
        yield local, pool, rebates
    finally:
        pool.close()


def test_pool_answers_exactly_as_the_local_engine(
    local_and_pool: tuple[DialogueEngine, EnginePool, RecordingRebates],
) -> None:
    local, pool, _ = local_and_pool
    profile = CustomerProfile(industry="汽车制造")
    for text in UTTERANCES:
        expected = local.handle(text=text, profile=profile, caller=CALLER, history=("上一句",))
        assert pool.handle(text=text, profile=profile, caller=CALLER, history=("上一句",)) == expected, text


def test_service_intents_are_answered_by_the_serving_process(
    local_and_pool: tuple[DialogueEngine, EnginePool, RecordingRebates],
) -> None:
    _, pool, rebates = local_and_pool
    reply = pool.handle(text="我这个季度返利有多少", profile=CustomerProfile(), caller=CALLER)
    assert reply.intent == "rebate_query"
    assert reply.text.startswith("返利问题已收到")
    assert rebates.pids == [os.getpid()]  # the skill ran here, not in the worker
    assert os.getpid() not in pool.worker_pids


def test_a_turn_error_in_a_worker_is_raised_here_and_the_worker_stays(
    local_and_pool: tuple[DialogueEngine, EnginePool, RecordingRebates],
) -> None:
    local, pool, _ = local_and_pool
    too_long = "串口" * MAX_UTTERANCE_CHARS
    with pytest.raises(UtteranceTooLongError):
        local.handle(text=too_long, profile=CustomerProfile(), caller=CALLER)
    with pytest.raises(UtteranceTooLongError) as raised:
        pool.handle(text=too_long, profile=CustomerProfile(), caller=CALLER)
    assert raised.value.code == "utterance_too_long"
    assert not pool.broken
    assert pool.handle(text="你好", profile=CustomerProfile(), caller=CALLER).intent == "greeting"


class _NeedsKeywordsError(Exception):
    def __init__(self, *, detail: str) -> None:
        super().__init__(detail)


def test_an_error_that_cannot_cross_the_pipe_becomes_a_runtime_error() -> None:
    assert isinstance(sendable(UtteranceTooLongError("too long")), UtteranceTooLongError)
    replaced = sendable(_NeedsKeywordsError(detail="坏了"))  # pickles, but cannot be rebuilt
    assert isinstance(replaced, RuntimeError)
    assert str(replaced) == "_NeedsKeywordsError: 坏了"


def test_a_killed_worker_costs_speed_not_answers(
    local_and_pool: tuple[DialogueEngine, EnginePool, RecordingRebates],
) -> None:
    local, pool, _ = local_and_pool
    for pid in pool.worker_pids:
        os.kill(pid, signal.SIGKILL)
    profile = CustomerProfile()
    for text in UTTERANCES[:3]:
        assert pool.handle(text=text, profile=profile, caller=CALLER) == local.handle(
            text=text, profile=profile, caller=CALLER
        )
    assert pool.broken


def test_the_service_answers_through_a_pool(server_settings: Settings) -> None:
    srv = LiveServer(server_settings.model_copy(update={"engine_processes": 1}), free_port())
    srv.start()
    try:
        assert srv.runtime.engine_pool is not None and srv.runtime.engine_pool.worker_pids
        token = srv.token()
        with connect(srv.socket_url(token)) as ws:
            ws.recv()  # ready
            ws.send('{"type": "message", "client_msg_id": "m1", "text": "EG-2100 有几个串口"}')
            events = [json.loads(ws.recv()) for _ in range(5)]
        assert [e["type"] for e in events] == ["ack", "typing", "typing", "reply", "profile"]
        assert events[3]["intent"] == "product_params" and events[3]["citations"]
        assert httpx.get(f"{srv.http}/readyz").status_code == 200
    finally:
        srv.stop()
