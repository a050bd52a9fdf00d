"""Training phrases generated from the corpus itself.

The corpus already says what a knowledge question and a parameter question look
like: every FAQ entry has a question and colloquial variants, every product lists
fault symptoms ("4G 灯一直慢闪"), and every parameter row has a name a salesperson
asks about ("EG-2100 功耗多少").  These phrases teach the classifier the
vocabulary of the whole catalogue, not just the products the hand-written seeds
and the labelled dev items happen to mention.  They count less than written
examples (``weight``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.content.loader import Corpus
from assistant.dialogue.types import Intent

_END_PUNCT = re.compile(r"[。？！?!]+$")
# Templates for a parameter question; {p} a way to name the product, {n} the row name.
_PARAM_TEMPLATES = ("{p}{n}多少", "{p}的{n}是多少", "{p} {n}", "{n}呢", "{p}{n}是啥")


def corpus_phrases(corpus: Corpus) -> Iterator[tuple[str, Intent]]:
    """(phrase, intent) pairs in corpus order; deterministic."""
    for faq in corpus.faqs:
        yield _clean(faq.question), "knowledge_qa"
        for variant in faq.variants:
            yield _clean(variant), "knowledge_qa"
    for product in corpus.products:
        names = _short_names(product.id)
        for i, fault in enumerate(product.faults):
            symptom = _clean(fault.symptom)
            yield (f"{names[i % len(names)]} {symptom}" if i % 2 else symptom), "knowledge_qa"
        for i, param in enumerate(product.params):
            template = _PARAM_TEMPLATES[i % len(_PARAM_TEMPLATES)]
            yield template.format(p=names[i % len(names)], n=param.name), "product_params"


def _clean(text: str) -> str:
    return _END_PUNCT.sub("", text.strip())


def _short_names(pid: str) -> list[str]:
    """How people type a model: "EG-2100-Pro" -> ["eg-2100-pro", "2100pro"]."""
    parts = [p for p in pid.lower().split("-") if p]
    names = [pid.lower()]
    if len(parts) >= 2:
        names.append("".join(parts[1:]))
    return names
