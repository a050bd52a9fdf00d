"""How closely an utterance matches what the corpus says a parameter question or a
knowledge question is about.

* **Parameter rows.**  For the product the utterance is about (named, or the one in
  the profile), the best share of a row name's character bigrams found in the
  utterance ("最短停机判定时间" vs "最短能设到几秒"), and whether a distinctive token of a
  row's value appears ("0.5s", "python", "band").
* **Knowledge entries.**  The best share of the utterance's bigrams found in one FAQ
  question or variant, or one fault symptom of the product.

Both become bucketed classifier features: the corpus, not a word list, says which
questions the parameter table answers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.content.loader import Corpus
from assistant.dialogue.lexicon import squash

_KEEP = re.compile(r"[\u4e00-\u9fffa-z0-9]")
_VALUE_TOKEN = re.compile(r"[a-z][a-z0-9.+#]{1,}|\d+(?:\.\d+)?[a-z]+")
_COMMON_VALUE_TOKENS = frozenset({"mm", "ms", "kg", "mb", "gb", "v", "w", "dc", "ac", "ip", "pro", "max", "min"})


def bigrams(text: str) -> frozenset[str]:
    chars = "".join(ch for ch in squash(text) if _KEEP.match(ch))
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


@dataclass(frozen=True, slots=True)
class _Row:
    name: frozenset[str]
    value_tokens: frozenset[str]


class Prototypes:
    """Parameter rows per product and knowledge phrasings, as bigram sets."""

    def __init__(self, corpus: Corpus) -> None:
        self._rows: dict[str, tuple[_Row, ...]] = {}
        self._faults: dict[str, tuple[frozenset[str], ...]] = {}
        for p in corpus.products:
            rows = []
            for param in p.params:
                value = squash(f"{param.value} {param.note}")
                tokens = {t for t in _VALUE_TOKEN.findall(value) if t not in _COMMON_VALUE_TOKENS}
                rows.append(_Row(bigrams(param.name), frozenset(tokens)))
            self._rows[p.id] = tuple(rows)
            self._faults[p.id] = tuple(bigrams(f.symptom) for f in p.faults)
        faq: list[frozenset[str]] = []
        for entry in corpus.faqs:
            faq.append(bigrams(entry.question))
            faq.extend(bigrams(v) for v in entry.variants)
        self._faq = tuple(b for b in faq if b)
        # bigram -> the FAQ phrasings holding it: a lookup counts shared bigrams per
        # phrasing from the utterance's few postings instead of intersecting every set.
        self._faq_postings: dict[str, list[int]] = {}
        for i, grams in enumerate(self._faq):
            for gram in grams:
                self._faq_postings.setdefault(gram, []).append(i)

    def param_match(self, grams: frozenset[str], squashed: str, product: str | None) -> tuple[float, bool]:
        """(best row-name coverage, a value token hit) for the product's rows."""
        if not product or product not in self._rows:
            return 0.0, False
        best = 0.0
        value_hit = False
        for row in self._rows[product]:
            if row.name:
                best = max(best, len(row.name & grams) / len(row.name))
            value_hit = value_hit or any(t in squashed for t in row.value_tokens)
        return best, value_hit

    def knowledge_match(self, grams: frozenset[str], product: str | None) -> float:
        """Best share of the utterance's bigrams found in one FAQ phrasing or fault symptom."""
        if not grams:
            return 0.0
        shared = Counter(i for gram in grams for i in self._faq_postings.get(gram, ()))
        best = max(shared.values(), default=0)
        for symptom in self._faults.get(product, ()) if product else ():
            best = max(best, len(grams & symptom))
        return best / len(grams)
