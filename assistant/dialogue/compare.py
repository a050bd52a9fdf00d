"""Comparisons with competitors, from the products' structured competitor blocks.

A block belongs to one of our products and one competitor model: our advantages, the
competitor's advantages, a price note.  :func:`find_matchups` finds the blocks a
question is about (our product named or in context, the competitor by company or
model); :func:`say_matchups` states our side as ours and theirs as theirs, only for
the products asked about, and cites ``<product>#competitors``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.content.schema import Competitor, Product
from assistant.dialogue.catalog import Catalog
from assistant.dialogue.compose import Composer
from assistant.dialogue.lexicon import squash
from assistant.dialogue.texts import text
from assistant.dialogue.types import Citation

# Asking only the price ("他们那个卖多少钱"), not the comparison ("比我们贵在哪").
_PRICE = re.compile(r"价格|报价|多少钱|卖多少|价钱|什么价|啥价|几块钱")
# ("他们报价便宜得多": their price said to be lower is an objection to answer, not a price asked)
_MORE_THAN_PRICE = re.compile(r"优势|劣势|区别|差在|强在|好在|比|怎么说|咋说|应对|便宜|低得多|低不少")
MAX_MATCHUPS = 2


@dataclass(frozen=True, slots=True)
class Matchup:
    product: Product
    rival: Competitor


def find_matchups(
    norm: str,
    *,
    products: Sequence[str],
    competitors: Sequence[str],
    catalog: Catalog,
    lines: Sequence[str] = (),
) -> list[Matchup]:
    """The competitor blocks a question is about, best first."""
    sq = squash(norm)
    pool = [p for pid in products if (p := catalog.product(pid))] or list(catalog.corpus.products)
    by_model = [
        Matchup(p, c) for p in pool for c in p.competitors if len(squash(c.competitor_model)) >= 3 and _has_model(sq, c)
    ]
    if by_model:
        return by_model[:MAX_MATCHUPS]
    if not competitors:
        return []
    named = set(competitors)
    if products:
        return [Matchup(p, c) for p in pool for c in p.competitors if c.competitor in named][:MAX_MATCHUPS]
    in_lines = [p for p in pool if p.line in lines] if lines else []
    blocks = [Matchup(p, c) for p in in_lines for c in p.competitors if c.competitor in named]
    # "锐拓无线振动传感器": of the line's products against that competitor, the ones whose
    # name has the words of the description (振动), not every sensor.
    fit = {b.product.id: catalog.name_words_in(b.product, sq) for b in blocks}
    best = max(fit.values(), default=0)
    if best:
        blocks = [b for b in blocks if fit[b.product.id] == best]
    return blocks[:MAX_MATCHUPS]


def _has_model(sq: str, rival: Competitor) -> bool:
    model = squash(rival.competitor_model)
    at = sq.find(model)
    if at < 0:
        return False
    after = sq[at + len(model) : at + len(model) + 1]
    # "by-g200" is not "by-g200-4g"; a longer model of the same family must not match.
    return not (after.isascii() and after.isalnum())


def say_matchups(matchups: Sequence[Matchup], *, question: str, out: Composer) -> None:
    lang = out.language
    price_only = bool(_PRICE.search(question)) and not _MORE_THAN_PRICE.search(question)
    sep = text(lang, "joiner")
    for m in matchups:
        p, c = m.product, m.rival
        cite = Citation(
            doc_id=f"{p.id}#competitors",
            title=f"{p.id} 对比 {c.competitor} {c.competitor_model}",
            snippet=sep.join(c.our_advantages)[:240],
            kind="product",
        )
        if not price_only:
            out.say(
                text(lang, "vs_ours", product=p.id, rival=f"{c.competitor} {c.competitor_model}")
                + sep.join(c.our_advantages),
                cite,
            )
            if c.their_advantages:
                out.say(text(lang, "vs_theirs") + sep.join(c.their_advantages), cite)
        if c.price_note:
            out.say(text(lang, "vs_price") + c.price_note, cite)
        elif price_only:
            out.not_in_documents(text(lang, "vs_no_price", rival=f"{c.competitor} {c.competitor_model}"))
