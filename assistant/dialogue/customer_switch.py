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
introduce another customer, and those that correct a name instead, are data:
``other_customer_words`` and ``name_correction_words`` in ``corpus/lexicon.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from assistant.dialogue.lexicon import NAME_CORRECTION_WORDS, OTHER_CUSTOMER_WORDS, squash
from assistant.dialogue.types import CustomerProfile

# Kept across a switch: what the salesperson sells, not who the customer is.
KEPT_ACROSS_CUSTOMERS: tuple[str, ...] = ("product_line", "product_model")
# Slots that describe the customer company; one of them must come with an "another customer" word.
_CUSTOMER_FACTS: tuple[str, ...] = ("customer_name", "industry", "region", "scale")


def names_another_customer(profile: CustomerProfile, slots: Mapping[str, object], text: str) -> bool:
    """True when this turn is about a different customer than ``profile``: a customer name other
    than the one held ("恒达精密" after "鲜丰食品"; one name inside the other is the same
    customer, and so is a name given as a correction, "搞错了 是恒立精工"), or a word
    introducing another customer ("另外一家", "换个客户") together with a fact about it, when
    the profile already holds a customer fact."""
    name = slots.get("customer_name")
    held = profile.customer_name
    sq = squash(text)
    if isinstance(name, str) and held and not _same_name(name, held):
        # "搞错了 客户是郑州宏远汽配", "不是永泰化工": the name corrected, the same customer
        return not any(w in sq for w in NAME_CORRECTION_WORDS)
    if not any(getattr(profile, key) for key in _CUSTOMER_FACTS):
        return False  # nothing about a customer yet: the first customer, not another one
    return any(w in sq for w in OTHER_CUSTOMER_WORDS) and any(slots.get(k) for k in _CUSTOMER_FACTS)


def profile_for_turn(profile: CustomerProfile, slots: Mapping[str, object], text: str) -> CustomerProfile:
    """The profile this turn's patch applies to: ``profile`` itself, or, when the turn names
    another customer (:func:`names_another_customer`), a fresh one keeping only what is sold."""
    if not names_another_customer(profile, slots, text):
        return profile
    return replace(CustomerProfile(), **{key: getattr(profile, key) for key in KEPT_ACROSS_CUSTOMERS})


def _same_name(a: str, b: str) -> bool:
    x, y = squash(a), squash(b)
    return x in y or y in x
