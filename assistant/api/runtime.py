"""The service's components, built once: storage at start-up, then the index,
model and dialogue engine in a background thread (``/readyz`` is false until done)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from assistant.api.alert_push import AlertPush, start_alerts
from assistant.api.content_sync import ContentSync, content_dir
from assistant.api.hub import ConversationHub, Hub, RedisConversationHub
from assistant.api.metrics import Metrics
from assistant.api.presence import RedisPresence
from assistant.api.rebate_sync import RebateSync
from assistant.api.throttle import Throttle
from assistant.auth import InvalidCredentialsError, TokenService, load_or_create_secret, verify_password
from assistant.chat.service import ChatService
from assistant.content.store import ContentStore
from assistant.customers.chat import CustomerChat
from assistant.customers.records import CustomerService, load_industries
from assistant.dialogue.factory import Sources
from assistant.errors import AssistantError
from assistant.handoff.bridge import HandoffBridge
from assistant.handoff.outbox import Presence
from assistant.handoff.service import HandoffService
from assistant.handoff.setup import build_handoff, seed_demo_experts
from assistant.ops.alert_service import AlertService
from assistant.ops.loader import seed_at_start
from assistant.ops.performance import follow as follow_performance
from assistant.portals.service import WidgetService, build_widget_service
from assistant.rebates.service import RebateService
from assistant.retrieval.embedders import Embedder, make_embedder
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import PROJECT_ROOT, Settings
from assistant.startup import UnsafeStartError, demo_leftovers
from assistant.storage.db import Database, migrate
from assistant.storage.models import User
from assistant.training.practice_kit import PracticeKitLoader
from assistant.training.sandbox import SandboxKitLoader
from assistant.users import seed_demo_users
from assistant.ws_tickets import SocketTickets

if TYPE_CHECKING:
    from assistant.dialogue.engine import DialogueEngine
    from assistant.dialogue.pool import EnginePool, InProcessEngine
    from assistant.ops.chat_skill import OpsChatSkill
    from assistant.ops.profile import ProfileService
    from assistant.rebates.chat_skill import RebateChatSkill
    from assistant.rebates.network import ChannelNetwork
    from assistant.training.advice_chat import AdviceChatSkill
    from assistant.training.mentoring import MentoringService
    from assistant.training.mentoring_chat import MentoringChatSkill

log = logging.getLogger(__name__)
T = TypeVar("T")


def build_hub(settings: Settings, kind: str = "conversation") -> Hub:
    """A hub of sockets keyed by ``kind`` (conversation ids; "expert": expert user ids):
    through Redis pub/sub when ``redis_url`` is set (several instances), else the sockets
    of this process."""
    if settings.redis_url:
        return RedisConversationHub(settings.redis_url, prefix=settings.redis_key_prefix, kind=kind)
    return ConversationHub()


def build_presence(settings: Settings, instance: str) -> Presence:
    """Which experts are online: on every instance through Redis when ``redis_url`` is set,
    else the consoles of this process."""
    if settings.redis_url:
        return RedisPresence(
            settings.redis_url,
            prefix=settings.redis_key_prefix,
            instance=instance,
            ttl_seconds=settings.handoff_presence_ttl_seconds,
        )
    return Presence()


def _industries(corpus_dir: Path) -> frozenset[str]:
    """The industries a customer record may name: ``vocab.yaml``'s, read again when it changes."""
    vocab = corpus_dir / "vocab.yaml"
    try:
        mtime = vocab.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _industries_of(vocab, mtime)


@lru_cache(maxsize=4)
def _industries_of(vocab: Path, _mtime_ns: int) -> frozenset[str]:
    return load_industries(vocab)


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
        self.rebate_sync: RebateSync | None = None  # redis_url set: admin changes reach every instance
        self.alerts: AlertService | None = None  # risk alerts (assistant/ops/alert_service.py)
        self.alert_push: AlertPush | None = None  # their changes to the dashboards, over the hub
        self.handoff: HandoffService | None = None
        self.portals: WidgetService | None = None  # widget sign-in (assistant/portals)
        self.tickets: SocketTickets | None = None  # WebSocket sign-in tickets
        self.load_error: str | None = None
        self.hub: Hub = build_hub(settings)
        self.expert_hub: Hub = build_hub(settings, "expert")  # the expert consoles, by expert id
        self.presence: Presence = build_presence(settings, self.instance)  # experts online
        self._ready = threading.Event()
        self._loader: threading.Thread | None = None
        self._turn_lane: anyio.CapacityLimiter | None = None
        self.engine_pool: EnginePool | None = None  # settings.engine_processes > 0
        self.engine: InProcessEngine | EnginePool  # the chat's engine, switchable to new content
        self.content: ContentStore | None = None  # the knowledge base's records (assistant/content)
        self.content_sync: ContentSync | None = None  # published content -> index -> engines
        self._handoff_bridge = HandoffBridge()  # the engine's handoff skill and the chat's turn router
        self._embedder: Embedder | None = None
        self.metrics = Metrics()
        self.throttle = Throttle(settings, on_refusal=self.metrics.refused)
        # The role-play of the practice sessions, built once on first use (assistant/training/practice_kit.py).
        self.practice = PracticeKitLoader(
            corpus_dir=settings.corpus_dir, fallback_dir=PROJECT_ROOT / "corpus", max_chars=settings.max_message_chars
        )
        # The deal sandbox's catalogue, cases and factors, built once on first use (assistant/training/sandbox.py).
        self.sandbox = SandboxKitLoader(corpus_dir=settings.corpus_dir, fallback_dir=PROJECT_ROOT / "corpus")

    # -- lifecycle ------------------------------------------------------------------

    def start_storage(self) -> None:
        s = self.settings
        migrate(s.database_url)
        self.db = Database(s.database_url)
        secret = s.secret_key or load_or_create_secret(s.secret_file)
        self.tokens = TokenService(secret, ttl=timedelta(minutes=s.token_ttl_minutes))
        self.tickets = SocketTickets(self.db, ttl_seconds=s.ws_ticket_ttl_seconds)
        if s.demo:
            log.warning(
                "DEMO MODE: demo users and experts with the demo password, and the demo portal at "
                "/demo/portal signing identity tokens for anyone; never expose this instance"
            )
            seed_demo_users(self.db, s.channels_file, password=s.demo_password)
        seed_demo_experts(self.db, s)  # skills and capacity; demo mode: also the accounts
        self.portals = build_widget_service(settings=s, db=self.db, secret=secret)
        if not s.demo:
            problems = demo_leftovers(settings=s, db=self.db, registry=self.portals.registry)
            if problems:
                raise UnsafeStartError(problems)
        self.start_rebates()
        self.content = ContentStore(self.db, base_dir=s.corpus_dir)
        if isinstance(self.presence, RedisPresence):
            self.presence.start()

    def start_loading(self) -> None:
        self._loader = threading.Thread(target=self._load, name="assistant-loader", daemon=True)
        self._loader.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def _load(self) -> None:
        started = time.perf_counter()
        log.info("loading the index and the language model; chat sockets open when ready (GET /readyz)")
        try:
            s = self.settings
            from assistant.dialogue.factory import build_engine, load_components
            from assistant.dialogue.pool import EnginePool, InProcessEngine

            assert self.db is not None and self.content is not None
            sync = ContentSync(
                settings=s,
                store=self.content,
                work_dir=content_dir(s, self.instance),
                embedder=self._sentence_embedder,
                switch=self._switch_content,
            )
            sources = sync.sources_at_start()  # the seed, or the newest published content
            corpus, retriever = load_components(s, sources, embedder=self._sentence_embedder())
            handoff = self._handoff_bridge
            local = build_engine(
                corpus=corpus,
                retriever=retriever,
                rebates=self.rebate_skill(),
                handoff=handoff,
                ops=self.ops_skill(),
                advice=self.advice_skill(),
                mentoring=self.mentoring_skill(),
            )
            if s.engine_processes > 0:
                self.engine_pool = EnginePool(local=local, settings=s, processes=s.engine_processes, sources=sources)
                self.engine_pool.start()
                self.engine = self.engine_pool
            else:
                self.engine = InProcessEngine(local)
            self.retriever = retriever
            self.content_sync = sync
            sync.start()
            self.chat = ChatService(
                db=self.db,
                engine=self.engine,
                max_message_chars=s.max_message_chars,
                router=handoff,
                instance=self.instance,
                claim_seconds=s.turn_claim_seconds,
                customers=CustomerChat(self.customer_service),
            )
            self.handoff = build_handoff(settings=s, db=self.db, chat=self.chat, corpus=corpus, presence=self.presence)
            handoff.attach(self.handoff)
            self._ready.set()
            log.info("assistant ready in %.1f s: chat sockets are accepted", time.perf_counter() - started)
        except (AssistantError, OSError) as exc:
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("loading failed: %s", self.load_error)

    def _sentence_embedder(self) -> Embedder:
        """The sentence model of this process, loaded once (index builds and engines share it)."""
        if self._embedder is None:
            s = self.settings
            self._embedder = make_embedder(s.embedder, threads=s.embed_threads, batch_size=s.embed_batch_size)
        return self._embedder

    def _switch_content(self, sources: Sources, provisional: bool) -> bool:
        """Switch every engine to ``sources`` (see :class:`ContentSync`); True when one of
        them took provisional NLU weights (the new ones are not trained yet)."""
        from assistant.dialogue.pool import next_engine

        engine = self.engine

        def build_local() -> DialogueEngine:
            return next_engine(
                self.settings,
                sources,
                engine.local,
                provisional=provisional,
                rebates=self.rebate_skill(),
                handoff=self._handoff_bridge,
                ops=self.ops_skill(),
                advice=self.advice_skill(),
                mentoring=self.mentoring_skill(),
            )

        took_provisional = engine.switch(sources, build_local, provisional=provisional)
        self.retriever = engine.local.retriever
        return took_provisional

    def start_rebates(self) -> None:
        """Seed the rebate tables on first start, then build the rebate engine from them."""
        s = self.settings
        assert self.db is not None
        pinned = s.rebates_today
        service = RebateService(db=self.db, today=date.today if pinned is None else (lambda: pinned))
        sync = None
        if s.redis_url:
            sync = RebateSync(s.redis_url, reload=service.reload, prefix=s.redis_key_prefix, instance=self.instance)
        try:
            seed_dir = s.rebates_dir or s.corpus_dir / "rebates"
            if sync is None:
                service.open(seed_dir=seed_dir)
            else:
                sync.load(lambda: service.open(seed_dir=seed_dir))
        except AssistantError as exc:  # bad rebate data: chat and search still serve
            log.error("rebates not loaded (%s): %s", exc.code, exc)
        ops_dir = (s.rebates_dir or s.corpus_dir / "rebates").parent / "ops"
        seed_at_start(self.db, ops_dir)  # corpus/ops, on the first start
        alerts = start_alerts(db=self.db, rebates=service, hub=self.hub, ops_dir=ops_dir)  # now, then per order
        self.alerts, self.alert_push = alerts if alerts is not None else (None, None)
        try:
            follow_performance(db=self.db, rebates=service)  # channel_performance: now, then per order
        except (AssistantError, SQLAlchemyError) as exc:
            log.error("channel_performance not refreshed (%s)", exc)
        # Without rebate data every rebate question is answered "partner not found".
        self.rebates = service
        if sync is not None:
            sync.start()
            self.rebate_sync = sync

    def current_rebates(self) -> RebateService | None:
        """The rebate service, its snapshot first brought up to date with changes made on
        other instances (several instances; see :mod:`assistant.api.rebate_sync`)."""
        if self.rebate_sync is not None:
            self.rebate_sync.catch_up()
        return self.rebates

    def rebates_changed(self) -> None:
        """An admin's change to the rebate data is committed here: tell the other instances."""
        if self.rebate_sync is not None:
            self.rebate_sync.changed()

    @property
    def instance(self) -> str:
        """This instance's name in logs and shared state (``instance_id``, else host:port)."""
        return self.settings.instance_id or f"{socket.gethostname()}:{self.settings.port}"

    def rebate_skill(self) -> RebateChatSkill | None:
        from assistant.rebates.chat_skill import RebateChatSkill

        return RebateChatSkill(self.rebates) if self.rebates is not None and self.rebates.available else None

    def advice_skill(self) -> AdviceChatSkill | None:
        """The caller's own next lessons and practices in chat ("我该学点什么"), over the data
        files as they are when asked (read again when they change)."""
        from assistant.training.advice import AdviceService
        from assistant.training.advice_chat import AdviceChatSkill
        from assistant.training.lessons_model import load_library, training_root
        from assistant.training.path_data import load_path_data, path_root

        if self.db is None:
            return None
        db, corpus_dir, fallback = self.db, self.settings.corpus_dir, PROJECT_ROOT / "corpus"

        def service() -> AdviceService:
            root = training_root(corpus_dir, fallback)
            return AdviceService(db=db, library=load_library(root), data=load_path_data(path_root(root, fallback)))

        return AdviceChatSkill(service)

    def customer_service(self) -> CustomerService:
        """The salespeople's customer records (assistant/customers) over the database, the
        channel tree and the vocabulary as they are when asked; cheap to build (no state)."""
        if self.db is None:
            raise NotReadyError("database not open")

        def network() -> ChannelNetwork | None:
            rebates = self.current_rebates()
            return rebates.state.network if rebates is not None and rebates.available else None

        return CustomerService(self.db, network=network, industries=_industries(self.settings.corpus_dir))

    def mentoring_service(self) -> MentoringService:
        """Mentoring (assistant/training/mentoring.py) over the database, the rules file, the
        current channel tree and the lesson catalogue's product lines; cheap to build (the files
        are read again only when they change). For the REST routes and the chat alike."""
        from assistant.training.lessons_model import load_library, training_root
        from assistant.training.mentoring import MentoringService, load_rules, rules_root

        if self.db is None:
            raise NotReadyError("database not started")
        corpus_dir, fallback = self.settings.corpus_dir, PROJECT_ROOT / "corpus"
        library = load_library(training_root(corpus_dir, fallback))
        return MentoringService(
            db=self.db,
            rules=load_rules(rules_root(corpus_dir, fallback)),
            rebates=self.current_rebates(),
            product_lines=library.product_lines,
        )

    def mentoring_skill(self) -> MentoringChatSkill | None:
        """The sharing sessions open to the caller in chat ("最近有什么分享会"), over the rules
        file and the channel tree as they are when asked."""
        from assistant.training.mentoring_chat import MentoringChatSkill

        return None if self.db is None else MentoringChatSkill(self.mentoring_service, timezone=self.settings.timezone)

    def ops_skill(self) -> OpsChatSkill | None:
        """Tasks, risk alerts and channel profiles in chat, for the verified caller."""
        from assistant.ops.chat_skill import OpsChatSkill
        from assistant.tasks.model import load_pace_rules
        from assistant.tasks.service import TaskService, pace_file

        if self.db is None or self.rebates is None or not self.rebates.available:
            return None
        db = self.db

        def rebates() -> RebateService:
            current = self.current_rebates()
            if current is None:
                raise NotReadyError("rebates not loaded")
            return current

        def tasks() -> TaskService:
            rules = load_pace_rules(pace_file(self.settings.corpus_dir, PROJECT_ROOT / "corpus"))
            return TaskService(db=db, rebates=rebates(), rules=rules)

        def profiles() -> ProfileService | None:
            from assistant.api.routes_profiles import service as profile_service

            try:
                return profile_service(self)
            except NotReadyError:
                return None

        return OpsChatSkill(rebates=rebates, tasks=tasks, alerts=lambda: self.alerts, profiles=profiles)

    def close(self) -> None:
        if self.content_sync is not None:
            self.content_sync.close()
        if self.rebate_sync is not None:
            self.rebate_sync.close()
        if isinstance(self.presence, RedisPresence):
            self.presence.close()
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
