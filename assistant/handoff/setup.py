"""Building the handoff service from the settings (called by the API runtime)."""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.content.loader import Corpus
from assistant.handoff.errors import ExpertsFileError
from assistant.handoff.experts import load_service_hours, seed_experts
from assistant.handoff.outbox import Outbox, Presence
from assistant.handoff.service import ChatLog, HandoffConfig, HandoffService
from assistant.handoff.slots import SlotExtractor
from assistant.rebates.errors import RebateDataError
from assistant.rebates.loader import load_channels
from assistant.rebates.network import ChannelNetwork
from assistant.settings import Settings
from assistant.storage.db import Database

log = logging.getLogger(__name__)

__all__ = ["build_handoff", "handoff_config", "load_network", "seed_demo_experts", "slot_extractor"]


def seed_demo_experts(db: Database, settings: Settings) -> int:
    """Configure the experts of the experts file (demo mode: and create their accounts with
    the demo password); a bad file is logged (every request then becomes a ticket), it does
    not stop the service."""
    try:
        password = settings.demo_password if settings.demo else None
        return seed_experts(db, settings.handoff_experts_file, password=password)
    except ExpertsFileError as exc:
        log.error("experts not seeded: %s", exc)
        return 0


def handoff_config(settings: Settings) -> HandoffConfig:
    """The handoff's settings, with the experts' service hours of the experts file (a bad file
    is logged, as for the experts: callbacks are then promised at any hour)."""
    try:
        hours = load_service_hours(settings.handoff_experts_file)
    except ExpertsFileError as exc:
        log.error("experts' service hours not read: %s", exc)
        hours = None
    return HandoffConfig(
        service_hours=hours,
        queue_timeout_seconds=settings.handoff_queue_timeout_seconds,
        collect_timeout_seconds=settings.handoff_collect_timeout_seconds,
        callback_hours=settings.handoff_callback_hours,
        join_code_ttl_seconds=settings.handoff_join_code_ttl_seconds,
        ar_link_base=settings.handoff_ar_link_base,
        default_handle_minutes=settings.handoff_default_handle_minutes,
        pickup_seconds=settings.handoff_pickup_seconds,
        timezone=settings.timezone,
    )


def load_network(path: Path) -> ChannelNetwork | None:
    """The channel tree for the packet's "partner level"; None when the file has no tree."""
    if not path.exists():
        return None
    try:
        return load_channels(path).network
    except RebateDataError as exc:
        log.warning("channel tree not loaded for handoff packets (%s)", exc.code)
        return None


def slot_extractor(corpus: Corpus) -> SlotExtractor:
    return SlotExtractor(
        products={p.id: p.line for p in corpus.products},
        lines={line.id: line.name for line in corpus.product_lines},
    )


def build_handoff(
    *,
    settings: Settings,
    db: Database,
    chat: ChatLog,
    corpus: Corpus,
    outbox: Outbox | None = None,
    presence: Presence | None = None,
) -> HandoffService:
    return HandoffService(
        db=db,
        chat=chat,
        extractor=slot_extractor(corpus),
        corpus=corpus,
        network=load_network(settings.channels_file),
        config=handoff_config(settings),
        outbox=outbox,
        presence=presence,
    )
