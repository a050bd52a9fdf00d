"""Grounded answers: is a retrieved chunk good enough to answer from, and which sentences.

**Confidence.**  Fused RRF scores are rank-based and say nothing absolute, and
dense cosine depends on the embedder, so the answer/decline decision uses a
score that is comparable across queries and embedders: the share of the
question's content words (jieba tokens, stop words and model-number tokens
left out) that occur in the hit's title or text, considered only for hits the
BM25 side found (``Hit.bm25_rank`` is not None).  A question made only of a
model number counts as covered by a chunk of that product.

**Calibration.**  ``DEFAULT_MIN_GROUNDING`` was chosen on the dev split with
``python -m eval chat --split dev --calibrate``: for every dev question labelled
knowledge_qa, product_params or out_of_scope, :func:`calibration_report` takes
the best score of the top-3 hybrid hits and sweeps the threshold 0..1 in steps of
0.05; answering is right when a top-3 hit is among the question's ``relevant``
ids (never for out_of_scope), declining is right otherwise.  The best decision
accuracy was 0.808 at 0.30 (250 dev questions, 190 answerable; corpus of
2026-11-27, hash embedder), against 0.768 at 0.50 and 0.76 when always answering.
Rerun the command when the corpus grows and update the constant.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.content.documents import Document
from assistant.retrieval.retriever import Hit, HybridRetriever, RetrievalError
from assistant.retrieval.tokenizer import STOPWORDS, normalize

# Calibrated on dev (see module docstring): share of the question's content words found in the chunk.
DEFAULT_MIN_GROUNDING = 0.3
_SENTENCE_END = re.compile(r"(?<=[。！？；;!?])\s*|\n+")
_MODEL_TOKEN = re.compile(r"^[a-z]*\d[a-z0-9]*$|^[a-z]{1,3}$")


@dataclass(frozen=True, slots=True)
class GroundedHit:
    hit: Hit
    score: float  # 0..1


def content_words(tokens: Sequence[str]) -> list[str]:
    """Tokens that carry the question's meaning (no stop words, no model-number parts)."""
    out: list[str] = []
    for t in tokens:
        if t in STOPWORDS or _MODEL_TOKEN.match(t) or "-" in t:
            continue
        if len(t) < 2 and not t.isascii():
            continue
        if t not in out:
            out.append(t)
    return out


def grounding_scores(
    query: str,
    hits: Sequence[Hit],
    *,
    retriever: HybridRetriever,
    product: str | None = None,
    words: Sequence[str] | None = None,
) -> list[GroundedHit]:
    """Each hit with its grounding score, in the hits' order (``words``: the question's
    content words, when the caller has them already)."""
    if words is None:
        words = content_words(retriever.tokenizer.tokenize(query))
    present = retriever.words_in_chunks(list(words), [hit.document for hit in hits])
    out: list[GroundedHit] = []
    for hit, tokens in zip(hits, present, strict=True):
        if hit.bm25_rank is None:
            out.append(GroundedHit(hit, 0.0))
            continue
        doc = hit.document
        if not words:
            about = product is not None and doc.doc_id == product
            out.append(GroundedHit(hit, 1.0 if about else 0.0))
            continue
        haystack = _haystack(doc.title_field(), doc.text)
        found = sum(1 for w in words if w in tokens or w in haystack)
        out.append(GroundedHit(hit, round(found / len(words), 4)))
    return out


@functools.lru_cache(maxsize=8192)
def _haystack(title: str, text: str) -> str:
    """A chunk's normalised text: the same for every question that finds it."""
    return normalize(f"{title} {text}")


def answer_sentences(doc: Document, query_words: Sequence[str], *, limit: int = 2) -> list[str]:
    """The chunk's sentences that best answer the question, in document order.

    A fault chunk answers with its cause and fix; otherwise the sentences sharing
    the most content words with the question (the first sentence when none does).
    """
    if "#fault-" in doc.id:
        # "现象：…。原因：…。处理方法：…": the fix may list steps separated by "；", keep it whole.
        parts = [s.strip() + "。" for s in doc.text.split("。") if s.strip()]
        picked = [s for s in parts if s.startswith(("原因", "处理方法"))]
        if picked:
            return picked
    sentences = [s.strip() for s in _SENTENCE_END.split(doc.text) if s and s.strip()]
    if not sentences:
        return []
    scored = []
    for i, s in enumerate(sentences):
        low = normalize(s)
        scored.append((sum(1 for w in query_words if w in low), i, s))
    best = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1]))[:limit]
    if not best:
        return sentences[:1]
    return [s for _, _, s in sorted(best, key=lambda x: x[1])]


def calibration_report(*, engine: Any, questions: Sequence[Any]) -> dict[str, Any]:
    """Sweep the grounding threshold over dev questions (see module docstring)."""
    rows: list[tuple[float, bool]] = []  # (best score, answering would be correct)
    for item in questions:
        turn = item.turns[0]
        if turn.intent not in ("knowledge_qa", "product_params", "out_of_scope"):
            continue
        relevant = set(turn.relevant)
        try:
            hits = engine.retriever.search(turn.text, k=3)
        except RetrievalError:  # an unsearchable question counts as declined
            hits = []
        scored = grounding_scores(turn.text, hits, retriever=engine.retriever)
        best = max((g.score for g in scored), default=0.0)
        correct = bool(relevant) and any(g.hit.document.id in relevant for g in scored)
        rows.append((best, correct))
    sweep = []
    for step in range(0, 21):
        t = step / 20
        ok = sum((score >= t) == correct for score, correct in rows)
        sweep.append({"threshold": t, "accuracy": round(ok / len(rows), 4) if rows else 0.0})
    best_row = max(sweep, key=lambda r: (r["accuracy"], -abs(r["threshold"] - 0.5)))
    return {"n": len(rows), "n_answerable": sum(c for _, c in rows), "best": best_row, "sweep": sweep}
