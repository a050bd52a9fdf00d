"""Fixtures for the handoff: a real database (SQLite and PostgreSQL), the fixture corpus, demo experts, a
controllable clock, and (for live tests) a real uvicorn server with the experts seeded."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.chat.service import ChatService
from assistant.content.loader import Corpus, load_corpus
from assistant.dialogue.types import Caller, Citation, CustomerProfile, Reply
from assistant.handoff.experts import seed_experts
from assistant.handoff.outbox import Outbox, Presence
from assistant.handoff.service import HandoffConfig, HandoffService
from assistant.handoff.setup import slot_extractor
from assistant.settings import Settings
from assistant.storage.db import Database, migrate
from assistant.storage.models import User
from tests.api.conftest import CHANNELS, LiveServer, free_port, make_server_settings
from tests.conftest import FIXTURE_CORPUS

EXPERTS = """\
experts:
  - {username: exp_eg, display_name: 周工, skills: [EG], capacity: 2}
  - {username: exp_eg2, display_name: 吴工, skills: [EG], capacity: 1}
  - {username: exp_sn, display_name: 林工, skills: [SN], capacity: 1}
"""
PASSWORD = "pw-test-123"

ALICE = Caller(user_id="u-alice", partner_id="P-1", display_name="王丽", role="sales")
BOB = Caller(user_id="u-bob", partner_id="P-2", display_name="李博", role="sales")
EXP_EG = Caller(user_id="u-exp_eg", partner_id="N-001", display_name="周工", role="expert")
EXP_EG2 = Caller(user_id="u-exp_eg2", partner_id="N-001", display_name="吴工", role="expert")
EXP_SN = Caller(user_id="u-exp_sn", partner_id="N-001", display_name="林工", role="expert")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 2, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CitingEngine:
    """A stand-in for the dialogue engine: every answer cites the EG-2100 parameter table."""

    def handle(self, *, text: str, profile: CustomerProfile, caller: Caller, history: Sequence[str] = ()) -> Reply:
        return Reply(
            text=f"回答：{text}",
            intent="knowledge_qa",
            confidence=0.9,
            citations=(
                Citation(doc_id="EG-2100#params", title="EG-2100 技术参数", snippet="串口数量：4 个", kind="product"),
            ),
            profile=profile,
        )


@dataclass
class Domain:
    db: Database
    chat: ChatService
    service: HandoffService
    clock: Clock
    outbox: Outbox
    presence: Presence


@pytest.fixture(scope="session")
def fixture_corpus() -> Corpus:
    return load_corpus(FIXTURE_CORPUS)


@pytest.fixture
def domain(database_url: str, tmp_path: Path, fixture_corpus: Corpus) -> Iterator[Domain]:
    url = database_url
    migrate(url)
    db = Database(url)
    with db.write() as s:
        for c in (ALICE, BOB):
            s.add(
                User(
                    id=c.user_id,
                    username=c.user_id[2:],
                    display_name=c.display_name,
                    password_hash="x",
                    partner_id=c.partner_id,
                )
            )
    experts = tmp_path / "experts.yaml"
    experts.write_text(EXPERTS, encoding="utf-8")
    assert seed_experts(db, experts, password=PASSWORD) == 3
    clock = Clock()
    outbox, presence = Outbox(), Presence()
    chat = ChatService(db=db, engine=CitingEngine())
    service = HandoffService(
        db=db,
        chat=chat,
        extractor=slot_extractor(fixture_corpus),
        corpus=fixture_corpus,
        config=HandoffConfig(queue_timeout_seconds=120, collect_timeout_seconds=600, join_code_ttl_seconds=60),
        outbox=outbox,
        presence=presence,
        clock=clock,
    )
    yield Domain(db=db, chat=chat, service=service, clock=clock, outbox=outbox, presence=presence)
    db.dispose()


@pytest.fixture
def handoff_settings(tmp_path: Path, database_url: str) -> Settings:
    """The API tests' server settings, plus the experts and a fast timeout sweep."""
    experts = tmp_path / "experts.yaml"
    experts.write_text(EXPERTS, encoding="utf-8")
    return make_server_settings(
        tmp_path,
        database_url=database_url,
        handoff_experts_file=experts,
        handoff_sweep_seconds=0.1,
        handoff_queue_timeout_seconds=60,
    )


@pytest.fixture
def handoff_live(handoff_settings: Settings) -> Iterator[LiveServer]:
    srv = LiveServer(handoff_settings, free_port())
    srv.start()
    yield srv
    srv.stop()


__all__ = ["ALICE", "BOB", "CHANNELS", "EXP_EG", "EXP_EG2", "EXP_SN", "PASSWORD", "Clock", "Domain"]
