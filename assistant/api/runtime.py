"""The service's components, built once: storage at start-up, then the index,
model and dialogue engine in a background thread (``/readyz`` is false until done)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import yaml
from sqlalchemy import select

from assistant.api.hub import ConversationHub
from assistant.api.metrics import Metrics
from assistant.api.throttle import Throttle
from assistant.auth import InvalidCredentialsError, TokenService, hash_password, load_or_create_secret, verify_password
from assistant.chat.service import ChatService, Engine
from assistant.errors import AssistantError
from assistant.handoff.bridge import HandoffBridge
from assistant.handoff.service import HandoffService
from assistant.handoff.setup import build_handoff, seed_demo_experts
from assistant.portals.service import WidgetService, build_widget_service
from assistant.rebates.service import RebateService
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings
from assistant.storage.db import Database, migrate
from assistant.storage.models import User

if TYPE_CHECKING:
    from assistant.dialogue.pool import EnginePool
    from assistant.rebates.chat_skill import RebateChatSkill

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotReadyError(AssistantError):
    code = "not_ready"


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db: Database | None = None
        self.tokens: TokenService | None = None
        self.retriever: HybridRetriever | None = None
        self.chat: ChatService | None = None
        self.rebates: RebateService | None = None
        self.handoff: HandoffService | None = None
        self.portals: WidgetService | None = None  # widget sign-in (assistant/portals)
        self.load_error: str | None = None
        self.hub = ConversationHub()
        self._ready = threading.Event()
        self._loader: threading.Thread | None = None
        self._turn_lane: anyio.CapacityLimiter | None = None
        self.engine_pool: EnginePool | None = None  # settings.engine_processes > 0
        self.metrics = Metrics()
        self.throttle = Throttle(settings, on_refusal=self.metrics.refused)

    # -- lifecycle ------------------------------------------------------------------

    def start_storage(self) -> None:
        migrate(self.settings.database_url)
        self.db = Database(self.settings.database_url)
        secret = self.settings.secret_key or load_or_create_secret(self.settings.secret_file)
        self.tokens = TokenService(secret, ttl=timedelta(minutes=self.settings.token_ttl_minutes))
        if self.settings.seed_demo_users:
            self.seed_users()
            seed_demo_experts(self.db, self.settings)
        self.portals = build_widget_service(settings=self.settings, db=self.db, secret=secret)
        self.start_rebates()

    def start_loading(self) -> None:
        self._loader = threading.Thread(target=self._load, name="assistant-loader", daemon=True)
        self._loader.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def _load(self) -> None:
        try:
            s = self.settings
            from assistant.dialogue.factory import build_engine, load_components

            corpus, retriever = load_components(s)
            handoff = HandoffBridge()  # the engine's handoff skill and the chat's turn router
            local = build_engine(corpus=corpus, retriever=retriever, rebates=self.rebate_skill(), handoff=handoff)
            engine: Engine = local
            if s.engine_processes > 0:
                from assistant.dialogue.pool import EnginePool

                self.engine_pool = EnginePool(local=local, settings=s, processes=s.engine_processes)
                self.engine_pool.start()
                engine = self.engine_pool
            assert self.db is not None
            self.retriever = retriever
            self.chat = ChatService(
                db=self.db,
                engine=engine,
                max_message_chars=s.max_message_chars,
                router=handoff,
                instance=s.instance_id or f"{socket.gethostname()}:{s.port}",
                claim_seconds=s.turn_claim_seconds,
            )
            self.handoff = build_handoff(settings=s, db=self.db, chat=self.chat, corpus=corpus)
            handoff.attach(self.handoff)
            self._ready.set()
            log.info("assistant ready")
        except (AssistantError, OSError) as exc:
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("loading failed: %s", self.load_error)

    def start_rebates(self) -> None:
        """Seed the rebate tables on first start, then build the rebate engine from them."""
        s = self.settings
        assert self.db is not None
        pinned = s.rebates_today
        service = RebateService(db=self.db, today=date.today if pinned is None else (lambda: pinned))
        try:
            service.open(seed_dir=s.rebates_dir or s.corpus_dir / "rebates")
        except AssistantError as exc:  # bad rebate data: chat and search still serve
            log.error("rebates not loaded (%s): %s", exc.code, exc)
        # Without rebate data every rebate question is answered "partner not found".
        self.rebates = service

    def rebate_skill(self) -> RebateChatSkill | None:
        from assistant.rebates.chat_skill import RebateChatSkill

        return RebateChatSkill(self.rebates) if self.rebates is not None and self.rebates.available else None

    def close(self) -> None:
        if self.engine_pool is not None:
            self.engine_pool.close()
        if self.db is not None:
            self.db.dispose()

    async def in_turn_lane(self, step: Callable[[], T]) -> T:
        """Run a chat turn's blocking step (store, engine, store) on the turn lane: at most
        ``settings.turn_workers`` threads.  Under load, turns then queue in arrival order
        instead of sharing the interpreter lock forty ways, and the event loop, which
        sends every frame, keeps its share of it (eval load: p95 halves at 50 sessions)."""
        if self._turn_lane is None:  # made on the event loop, on first use
            self._turn_lane = anyio.CapacityLimiter(self.settings.turn_workers)
        return await anyio.to_thread.run_sync(step, limiter=self._turn_lane)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def require_chat(self) -> ChatService:
        if self.chat is None:
            raise NotReadyError("still loading")
        return self.chat

    def retriever_manifest(self) -> dict[str, Any]:
        return self.retriever.manifest if self.retriever is not None else {}

    # -- users ----------------------------------------------------------------------

    def seed_users(self) -> None:
        """Create the demo users of the channel network (idempotent)."""
        path = self.settings.channels_file
        if not path.exists():
            return
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        assert self.db is not None
        with self.db.write() as s:
            existing = set(s.scalars(select(User.username)).all())
            password_hash = None
            for row in data.get("users", []):
                if row["username"] in existing:
                    continue
                password_hash = password_hash or hash_password(self.settings.demo_password)
                s.add(
                    User(
                        id=f"u-{row['username']}",
                        username=row["username"],
                        display_name=row.get("display_name", ""),
                        password_hash=password_hash,
                        partner_id=row["partner"],
                        role=row.get("role", "sales"),
                    )
                )

    def sign_in(self, username: str, password: str) -> tuple[str, int]:
        assert self.db is not None and self.tokens is not None
        with self.db.read() as s:
            user = s.scalars(select(User).where(User.username == username)).first()
            ok = verify_password(password, user.password_hash if user else None)
            if user is None or not ok or not user.active:
                raise InvalidCredentialsError("invalid credentials")
            token, _ = self.tokens.issue(user_id=user.id, partner_id=user.partner_id, role=user.role)
            return token, int(self.tokens.ttl.total_seconds())

    def username(self, user_id: str) -> str:
        assert self.db is not None
        with self.db.read() as s:
            user = s.get(User, user_id)
            return user.username if user else ""
