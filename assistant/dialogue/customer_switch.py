"""Switching customers inside one conversation: a different customer starts a fresh profile.

The profile the engine carries is about one customer company.  When the salesperson turns to
another one ("另外一家宁波的注塑厂 规模不大", or a name other than the one in the profile), the
earlier customer's facts (industry, region, scale, contact, figures) must not describe the new
one.  :func:`profile_for_turn` is the one place that rule lives: it returns the profile this
turn's patch is merged into, the same one or a fresh one.  What the salesperson sells (product
line and model) is the conversation's subject, not a customer fact, and is kept.

Applied by ``DialogueEngine.understand`` before the turn's patch is merged.  The labelled set
(``eval/data/README.md``) labels a conversation's ``profile`` as the running merge of every
turn's slots; none of its conversations names a second customer, so the two agree there.  With
customer records (assistant/customers) the fresh profile is what the chat offers to save as the
new customer, while the conversation's customer record keeps its own facts.  The words that
introduce another customer, those that correct a name instead, and those that put a name forward
as the customer's are data: ``other_customer_words``, ``name_correction_words`` and
``name_intro_words`` in ``corpus/lexicon.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from assistant.dialogue.lexicon import NAME_CORRECTION_WORDS, NAME_INTRO_WORDS, OTHER_CUSTOMER_WORDS, squash
from assistant.dialogue.types import CustomerProfile

# Kept across a switch: what the salesperson sells, not who the customer is.
KEPT_ACROSS_CUSTOMERS: tuple[str, ...] = ("product_line", "product_model")
# Slots that describe the customer company; one of them must come with an "another customer" word.
_CUSTOMER_FACTS: tuple[str, ...] = ("customer_name", "industry", "region", "scale")
# Facts about a company besides its name: a new name with one of them describes another customer.
_COMPANY_FACTS: tuple[str, ...] = ("industry", "region", "scale")


def names_another_customer(profile: CustomerProfile, slots: Mapping[str, object], text: str) -> bool:
    """True when this turn is about a different customer than ``profile``: a word introducing
    another customer ("另外一家", "换个客户") together with a fact about it, when the profile
    already holds a customer fact; or a customer name other than the one held ("恒达精密" after
    "鲜丰食品"; one name inside the other is the same customer) that the turn puts forward as the
    customer ("客户叫恒达精密", or with a fact about the company).  A name given as a correction
    ("搞错了 是恒立精工", "全称叫…") is the same customer renamed, and a different name met only
    in passing is not taken (:func:`name_in_passing`)."""
    name = slots.get("customer_name")
    held = profile.customer_name
    sq = squash(text)
    if isinstance(name, str) and held and not _same_name(name, held):
        # "搞错了 客户是郑州宏远汽配", "不是永泰化工": the name corrected, the same customer
        if any(w in sq for w in NAME_CORRECTION_WORDS):
            return False
        if _put_forward(name, sq) or any(slots.get(k) for k in _COMPANY_FACTS):
            return True
    if not any(getattr(profile, key) for key in _CUSTOMER_FACTS):
        return False  # nothing about a customer yet: the first customer, not another one
    return any(w in sq for w in OTHER_CUSTOMER_WORDS) and any(slots.get(k) for k in _CUSTOMER_FACTS)


def name_in_passing(profile: CustomerProfile, slots: Mapping[str, object], text: str) -> bool:
    """A name other than the one held, met in passing in a turn about something else ("罐区要装
    可燃气报警 …探头几年换一次"): neither put forward as the customer, nor a correction, nor
    with another customer's facts.  The held name stays; a new one read off a passing phrase
    would otherwise rename the customer, or start another and drop every fact gathered."""
    name = slots.get("customer_name")
    held = profile.customer_name
    if not (isinstance(name, str) and held) or _same_name(name, held):
        return False
    sq = squash(text)
    return not (
        any(w in sq for w in NAME_CORRECTION_WORDS)
        or any(w in sq for w in OTHER_CUSTOMER_WORDS)
        or _put_forward(name, sq)
        or any(slots.get(k) for k in _COMPANY_FACTS)
    )


def _put_forward(name: str, squashed: str) -> bool:
    """The name follows a word that says it is the customer's: "客户叫X", "厂子叫X", "客户是X"."""
    at = squashed.find(squash(name))
    return at > 0 and any(squashed[:at].endswith(w) for w in NAME_INTRO_WORDS)


def profile_for_turn(profile: CustomerProfile, slots: Mapping[str, object], text: str) -> CustomerProfile:
    """The profile this turn's patch applies to: ``profile`` itself, or, when the turn names
    another customer (:func:`names_another_customer`), a fresh one keeping only what is sold."""
    if not names_another_customer(profile, slots, text):
        return profile
    return replace(CustomerProfile(), **{key: getattr(profile, key) for key in KEPT_ACROSS_CUSTOMERS})


def _same_name(a: str, b: str) -> bool:
    x, y = squash(a), squash(b)
    return x in y or y in x
