"""The context packet: what the expert reads before saying a word (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from assistant.content.loader import Corpus
from assistant.content.schema import FaqCategory, Product
from assistant.dialogue.texts import label
from assistant.handoff.texts import text
from assistant.handoff.types import ChannelLevel, ContextPacket, FaultHint, SessionEvent, ShownDocument, SlotValues
from assistant.rebates.network import ChannelNetwork

MAX_RECENT_MESSAGES = 8
MAX_DOCUMENTS = 8
MAX_FAULTS = 4
# FAQ topics about the device itself; pricing, ordering, rebates, training and how to reach an
# expert are not what an expert on site needs to have read.
_DEVICE_FAQ = frozenset(
    {
        FaqCategory.INSTALLATION,
        FaqCategory.CONFIGURATION,
        FaqCategory.COMPATIBILITY,
        FaqCategory.FIRMWARE,
        FaqCategory.WARRANTY,
    }
)
# Profile values shown by their display name (the others are names already: industry, region).
_LABELLED = ("persona", "scale")
_LEVEL_NAMES = {"national": "全国总代", "regional": "区域代理", "alliance": "城市蜂窝联盟", "partner": "合作伙伴"}


def _bigrams(value: str) -> set[str]:
    squashed = "".join(ch for ch in value.lower() if not ch.isspace())
    return {squashed[i : i + 2] for i in range(len(squashed) - 1)}


def fault_match(symptom: str, fault_text: str) -> float:
    """Share of the reported symptom's character bigrams found in the fault's text."""
    mine = _bigrams(symptom)
    if not mine:
        return 0.0
    return round(len(mine & _bigrams(fault_text)) / len(mine), 3)


def known_faults(corpus: Corpus | None, slots: SlotValues) -> tuple[FaultHint, ...]:
    """The device's known faults and fixes, best match to the symptom first; without a
    known model, the best matches across the product line."""
    if corpus is None:
        return ()
    product = corpus.product(slots.product_model) if slots.product_model else None
    products: Iterable[Product]
    if product is not None:
        products = (product,)
    elif slots.product_line:
        products = [p for p in corpus.products if p.line == slots.product_line]
    else:
        return ()
    hints = [
        FaultHint(
            citation=f"{p.id}#fault-{i}",
            symptom=f.symptom,
            cause=f.cause,
            fix=f.fix,
            match=fault_match(slots.symptom, f.symptom + f.cause),
        )
        for p in products
        for i, f in enumerate(p.faults, start=1)
    ]
    hints.sort(key=lambda h: -h.match)
    return tuple(hints[:MAX_FAULTS])


def channel_level(network: ChannelNetwork | None, partner_id: str) -> ChannelLevel:
    node = network.find(partner_id) if network is not None else None
    if network is None or node is None:
        return ChannelLevel(partner_id=partner_id, partner_name=partner_id, level="unknown", path=(partner_id,))
    chain = [*reversed(network.ancestors(node.id)), node]
    return ChannelLevel(
        partner_id=node.id,
        partner_name=node.name,
        level=str(node.level),
        path=tuple(f"{n.name}（{_LEVEL_NAMES.get(str(n.level), str(n.level))}）" for n in chain),
    )


def about_device(doc_id: str, corpus: Corpus | None, slots: SlotValues) -> bool:
    """A cited document the expert needs: a passage of the device (of its line when the model is
    not known), or an FAQ entry on installing, configuring, compatibility, firmware or warranty
    that is not about other products.  Scripts, cases, rebate statements and the rest of an
    earlier talk are not (without a corpus, every document is kept)."""
    if corpus is None:
        return True
    head = doc_id.split("#", 1)[0]
    product = corpus.product(head)
    if product is not None:
        if slots.product_model:
            return product.id == slots.product_model
        return not slots.product_line or product.line == slots.product_line
    entry = next((f for f in corpus.faqs if f.id == doc_id), None)
    if entry is None or entry.category not in _DEVICE_FAQ:
        return False
    if slots.product_model and entry.products:
        return slots.product_model in entry.products
    if slots.product_line and entry.product_line:
        return entry.product_line == slots.product_line
    return True


def readable_profile(profile: Mapping[str, Any], corpus: Corpus | None, language: str) -> dict[str, str]:
    """The customer profile as the expert reads it: field names and coded values by their display
    names ("对接人: 采购", not "persona procurement")."""
    out: dict[str, str] = {}
    for key, value in profile.items():
        if value is None or value == "":
            continue
        shown = str(value)
        if key in _LABELLED:
            shown = label(language, key, shown)
        elif key == "product_line" and corpus is not None:
            shown = corpus.line_name(shown) or shown
        out[label(language, "field", key)] = shown
    return out


def shown_documents(
    citations: Iterable[Mapping[str, Any]], keep: Callable[[str], bool] = lambda _doc_id: True
) -> tuple[ShownDocument, ...]:
    """Documents the bot already cited in this conversation that ``keep`` accepts, newest
    first, once each."""
    seen: dict[str, ShownDocument] = {}
    for c in citations:
        doc_id = str(c.get("doc_id", ""))
        if doc_id and doc_id not in seen and keep(doc_id):
            seen[doc_id] = ShownDocument(
                doc_id=doc_id,
                title=str(c.get("title", "")),
                snippet=str(c.get("snippet", ""))[:240],
                kind=str(c.get("kind", "")),
            )
    return tuple(seen.values())[:MAX_DOCUMENTS]


def remote_assist(events: Iterable[SessionEvent], local_time: Callable[[datetime], str]) -> dict[str, Any]:
    """The video calls and stills of a session's log, for the context packet: the call log
    as lines ("2026-12-06 10:20 视频协助开始") and the stills with their links and notes."""
    calls = [f"{local_time(e.created_at)} {e.text}" for e in events if e.kind == "call"]
    stills = [
        {
            "still_id": str(e.data.get("still_id", "")),
            "url": str(e.data.get("url", "")),
            "note": str(e.data.get("note", "")),
            "created_at": local_time(e.created_at),
        }
        for e in events
        if e.kind == "still"
    ]
    return {"calls": calls, "stills": stills}


def build_packet(
    *,
    slots: SlotValues,
    requester: str,
    partner_id: str,
    profile: Mapping[str, Any],
    user_messages: Sequence[str],
    citations_newest_first: Iterable[Mapping[str, Any]],
    corpus: Corpus | None,
    network: ChannelNetwork | None,
    line_name: str,
    language: str = "zh",
) -> ContextPacket:
    channel = channel_level(network, partner_id)
    unknown = text(language, "unknown")
    model = slots.product_model or line_name or text(language, "model_unknown")
    summary = text(
        language,
        "summary_head",
        requester=requester or unknown,
        partner=channel.partner_name,
        site=slots.site or unknown,
        model=model,
        symptom=slots.symptom or unknown,
        urgency=text(language, f"urgency_label_{slots.urgency}"),
    )
    recent = tuple(m[:300] for m in user_messages[-MAX_RECENT_MESSAGES:])
    return ContextPacket(
        summary=summary,
        requester=requester,
        slots=slots,
        profile=readable_profile(profile, corpus, language),
        recent_messages=recent,
        documents=shown_documents(citations_newest_first, lambda doc_id: about_device(doc_id, corpus, slots)),
        faults=known_faults(corpus, slots),
        channel=channel,
    )
