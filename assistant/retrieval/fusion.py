"""Fusing the BM25 and dense candidate lists into one ranking.

Each side hands over its candidates best first as ``(row, raw score)`` pairs, already
restricted by the metadata filters.  Two fusions, chosen by
``ASSISTANT_RETRIEVAL_FUSION``:

* ``zscore`` (default): each side's raw scores are standardised over that side's own
  candidates for this query (``z = (s - mean) / std``), and a document's fused score is
  ``(1 - w) * z_bm25 + w * z_dense``.  A document that one side did not return gets that
  side's lowest z of this query (it ranked below the side's last candidate, so it can be
  worth no more).  Standardising per query puts a BM25 score (unbounded, dependent on
  query length and idf) and a cosine similarity (bounded, model-dependent) on one scale:
  how far above this query's typical candidate a document stands, so a side that is sure
  of one candidate outvotes a side that is not, which rank fusion cannot express.

  The dense weight ``w`` adapts to the query: ``low`` while the dense side's best cosine
  is below ``cos_from``, ``high`` from ``cos_to`` on, linear in between.  A query that
  is nearly a paraphrase of a stored text (best cosine high) is the case where the
  sentence encoder is right and word overlap misleads (other wording, word-scrambled
  look-alikes); with a low best cosine the encoder is guessing and BM25 is the better
  judge: over the five benchmark sets, where the two sides' first hits disagree, the
  dense one was right in 36 of 57 such queries with a best cosine of 0.7 or more (BM25's
  in 18), and in 123 of 1,367 below 0.6 (BM25's in 982; docs/benchmarks.md).  ``high``
  stays below 1 so that BM25 still breaks the dense side's near-ties.  The cosine scale
  is the embedder's, so the settings apply the thresholds only to the embedder they were
  chosen on (``RetrievalSettings.z_fusion_for``; any other gets the fixed ``low``): re-run
  ``python -m eval fusion`` after changing the embedder.  ``high == low`` is a fixed weight.
* ``rrf``: weighted reciprocal rank, ``sum(weight_side / (rrf_k + rank_side))``; kept
  for comparison (``python -m eval fusion`` reports both).

The parameters were chosen over five Chinese sets by their worst margin against the better
single side, with each set also left out in turn to see how the choice holds on a set it
was not chosen on (``python -m eval fusion``, docs/benchmarks.md).  Everything here is pure: the retriever
and the evaluation call the same functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Fusion = Literal["zscore", "rrf"]
FUSIONS: tuple[Fusion, ...] = ("zscore", "rrf")

Ranked = Sequence[tuple[int, float]]  # (row, raw score), best first

_ABSENT = 1 << 30


@dataclass(frozen=True, slots=True)
class Fused:
    row: int
    score: float
    bm25_rank: int | None  # 1-based rank among the BM25 candidates, None if not one of them
    dense_rank: int | None
    bm25_score: float | None
    dense_score: float | None


def zscores(side: Ranked) -> dict[int, float]:
    """Each candidate's raw score standardised over this side's candidates.

    One candidate, or all scores equal: every z is 0 (the side cannot tell them apart)."""
    if not side:
        return {}
    values = [s for _, s in side]
    mean = math.fsum(values) / len(values)
    var = math.fsum((v - mean) ** 2 for v in values) / len(values)
    std = math.sqrt(var)
    if std <= 1e-12:
        return {row: 0.0 for row, _ in side}
    return {row: (s - mean) / std for row, s in side}


@dataclass(frozen=True, slots=True)
class ZFusion:
    """Dense weight ``low`` below best cosine ``cos_from``, ``high`` from ``cos_to``, linear between."""

    low: float = 0.2
    high: float = 0.95
    cos_from: float = 0.55
    cos_to: float = 0.75

    def dense_weight(self, best_cosine: float | None) -> float:
        if best_cosine is None or self.high == self.low:
            return self.low
        if self.cos_to <= self.cos_from:
            return self.high if best_cosine >= self.cos_from else self.low
        t = min(max((best_cosine - self.cos_from) / (self.cos_to - self.cos_from), 0.0), 1.0)
        return self.low + (self.high - self.low) * t


def zscore_scores(bm25: Ranked, dense: Ranked, *, dense_weight: float) -> dict[int, float]:
    """``(1 - w) * z_bm25 + w * z_dense``; a side's absent documents get its lowest z."""
    zb, zd = zscores(bm25), zscores(dense)
    floor_b = min(zb.values(), default=0.0)
    floor_d = min(zd.values(), default=0.0)
    return {
        row: (1.0 - dense_weight) * zb.get(row, floor_b) + dense_weight * zd.get(row, floor_d) for row in {*zb, *zd}
    }


def rrf_scores(bm25: Ranked, dense: Ranked, *, rrf_k: int, bm25_weight: float, dense_weight: float) -> dict[int, float]:
    fused: dict[int, float] = {}
    for rank, (row, _) in enumerate(bm25, 1):
        fused[row] = fused.get(row, 0.0) + bm25_weight / (rrf_k + rank)
    for rank, (row, _) in enumerate(dense, 1):
        fused[row] = fused.get(row, 0.0) + dense_weight / (rrf_k + rank)
    return fused


def rank(bm25: Ranked, dense: Ranked, scores: dict[int, float], k: int) -> list[Fused]:
    """The k best of ``scores``; ties go to the better BM25 rank, then the better dense
    rank, then the lower row (deterministic)."""
    b_rank = {row: i for i, (row, _) in enumerate(bm25, 1)}
    d_rank = {row: i for i, (row, _) in enumerate(dense, 1)}
    b_score, d_score = dict(bm25), dict(dense)
    order = sorted(scores, key=lambda row: (-scores[row], b_rank.get(row, _ABSENT), d_rank.get(row, _ABSENT), row))
    return [
        Fused(row, scores[row], b_rank.get(row), d_rank.get(row), b_score.get(row), d_score.get(row))
        for row in order[:k]
    ]


def fuse(
    bm25: Ranked,
    dense: Ranked,
    *,
    k: int,
    fusion: Fusion = "zscore",
    z: ZFusion = ZFusion(),  # frozen: one shared default is safe
    rrf_k: int = 5,
    bm25_weight: float = 1.0,
    dense_weight: float = 0.05,
) -> list[Fused]:
    """The k best documents of the two candidate lists under the named fusion.  For
    ``zscore`` the dense side's first raw score is its best cosine similarity."""
    if fusion == "zscore":
        w = z.dense_weight(dense[0][1] if dense else None)
        scores = zscore_scores(bm25, dense, dense_weight=w)
    elif fusion == "rrf":
        scores = rrf_scores(bm25, dense, rrf_k=rrf_k, bm25_weight=bm25_weight, dense_weight=dense_weight)
    else:
        raise ValueError(f"unknown fusion {fusion!r}")
    return rank(bm25, dense, scores, k)
