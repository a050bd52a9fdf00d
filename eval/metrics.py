"""Ranking metrics and latency percentiles."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """1.0 when at least one relevant document is in the top k (the 'success@k' reading)."""
    return 1.0 if any(relevant.get(d, 0) > 0 for d in ranked[:k]) else 0.0


def mrr_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k], start=1):
        if relevant.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 1) for i, d in enumerate(ranked[:k], start=1))
    ideal = sorted((v for v in relevant.values() if v > 0), reverse=True)[:k]
    idcg = sum(v / math.log2(i + 1) for i, v in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    if not samples_ms:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    arr = np.asarray(samples_ms, dtype=np.float64)
    return {f"p{p}": round(float(np.percentile(arr, p)), 3) for p in (50, 95, 99)}


def dedupe(doc_ids: Sequence[str]) -> list[str]:
    """Collapse chunk hits to their source documents, keeping first-seen order."""
    seen: dict[str, None] = {}
    for d in doc_ids:
        seen.setdefault(d, None)
    return list(seen)
