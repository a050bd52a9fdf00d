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
# Templates for asking whether a product has a value of its table ("500pro支持docker吗",
# "h5有北斗不"): a capability answered by a row is a parameter question too.
_VALUE_TEMPLATES = ("{p}支持{v}吗", "{p}有没有{v}", "{p}是{v}的吗", "{p}带{v}不")
# Pieces of a value: Latin words ("docker", "opc ua") and Chinese words between separators.
# A Chinese piece is a whole item of a list ("离线中文语音指令" no, "北斗", "冗余" yes): two to
# four characters between separators, not the tail of a number phrase ("1 口专用于").
_VALUE_PIECE = re.compile(
    r"[a-z][a-z0-9+#]*(?: [a-z][a-z0-9+#]*)?"
    r"|(?<![\u4e00-\u9fff0-9a-z])(?<![0-9] )[\u4e00-\u9fff]{2,4}(?![\u4e00-\u9fff0-9a-z])"
)
_PRODUCT_ID = re.compile(r"^[a-z]{2}-|^(?:ec|eg|sn|mp|ar|cm)$")
_COMMON_PIECES = frozenset("mm ms kg mb gb tb ghz mhz dc ac ip pro max min 其中 可选 支持 标配".split())
_UNIT_FIRST = re.compile(r"^(?:[vwa]|gb|mb|tb|ghz|mhz) ")


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


def value_phrases(corpus: Corpus, *, per_row: int = 2) -> Iterator[tuple[str, Intent]]:
    """Whether a product has a value of its own table ("500pro支持docker吗"): parameter
    questions a row answers without naming the row; deterministic."""
    for product in corpus.products:
        names = _short_names(product.id)
        k = 0
        for param in product.params:
            for piece in _value_pieces(str(param.value))[:per_row]:
                template = _VALUE_TEMPLATES[k % len(_VALUE_TEMPLATES)]
                yield template.format(p=names[k % len(names)], v=piece), "product_params"
                k += 1


def _value_pieces(value: str) -> list[str]:
    """Distinctive pieces of a parameter value, not other products' ids ("EC-300": compatibility)."""
    text = value.lower()
    text = re.sub(r"[a-z]{2}-[a-z0-9-]+", " ", text)  # product ids
    pieces = [m.group(0) for m in _VALUE_PIECE.finditer(text)]
    return list(
        dict.fromkeys(
            p
            for p in pieces
            if p not in _COMMON_PIECES
            and not _PRODUCT_ID.match(p)
            and not _UNIT_FIRST.match(p)
            and not p.endswith("可选")
            # a Latin piece of two letters is a unit ("ma", "ah"), unless it has a digit ("s7")
            and (not p.isascii() or len(p.replace(" ", "")) >= 3 or any(ch.isdigit() for ch in p))
        )
    )


def _clean(text: str) -> str:
    return _END_PUNCT.sub("", text.strip())


def _short_names(pid: str) -> list[str]:
    """How people type a model: "EG-2100-Pro" -> ["eg-2100-pro", "2100pro"]."""
    parts = [p for p in pid.lower().split("-") if p]
    names = [pid.lower()]
    if len(parts) >= 2:
        names.append("".join(parts[1:]))
    return names
