from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.retriever import EmptyQueryError, HybridRetriever, InvalidFilterError
from assistant.settings import RetrievalSettings, Settings
from indexer.build import build_index


def test_parameter_question_finds_the_parameter_table(retriever: HybridRetriever) -> None:
    hits = {h.document.id: h.document for h in retriever.search("EG-2100 有几个串口", k=3)}
    assert "EG-2100#params" in hits
    table = hits["EG-2100#params"].text
    assert all(row in table for row in ("串口数量：4 个", "以太网口：2 个", "防护等级：IP30"))  # one intact chunk


def test_faq_variant_counts_as_title(retriever: HybridRetriever) -> None:
    hits = retriever.search("保修几年", k=3, mode="bm25")
    assert hits[0].document.id == "FAQ-WAR-001"


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_modes_return_ranked_hits_with_side_ranks(retriever: HybridRetriever, mode: str) -> None:
    hits = retriever.search("网关 质保", k=4, mode=mode)  # type: ignore[arg-type]
    assert 0 < len(hits) <= 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    if mode == "bm25":
        assert [h.bm25_rank for h in hits] == list(range(1, len(hits) + 1))
        assert all(h.dense_rank is None for h in hits)
    if mode == "dense":
        assert [h.dense_rank for h in hits] == list(range(1, len(hits) + 1))
    if mode == "hybrid":
        assert all(h.bm25_rank is not None or h.dense_rank is not None for h in hits)


def test_rrf_fused_score_is_weighted_reciprocal_rank(
    built_index: Path, settings: Settings, hash_embedder: HashEmbedder
) -> None:
    r = RetrievalSettings(fusion="rrf")
    retriever = HybridRetriever(
        built_index, settings=settings.model_copy(update={"retrieval": r}), embedder=hash_embedder
    )
    retriever.load()
    for hit in retriever.search("网关 质保 多久", k=5):
        expected = 0.0
        if hit.bm25_rank is not None:
            expected += r.bm25_weight / (r.rrf_k + hit.bm25_rank)
        if hit.dense_rank is not None:
            expected += r.dense_weight / (r.rrf_k + hit.dense_rank)
        assert hit.score == pytest.approx(expected)


def test_weights_decide_which_side_wins(built_index: Path, settings: Settings, hash_embedder: HashEmbedder) -> None:
    def top(bm25_w: float, dense_w: float) -> tuple[int | None, int | None]:
        rrf = RetrievalSettings(fusion="rrf", bm25_weight=bm25_w, dense_weight=dense_w)
        s = settings.model_copy(update={"retrieval": rrf})
        r = HybridRetriever(built_index, settings=s, embedder=hash_embedder)
        r.load()
        hit = r.search("传感器离线 电池", k=1)[0]
        return hit.bm25_rank, hit.dense_rank

    assert top(1.0, 0.0)[0] == 1  # only BM25 counts: its first hit wins
    assert top(0.0, 1.0)[1] == 1  # only dense counts


def test_filters_apply_before_fusion(retriever: HybridRetriever) -> None:
    hits = retriever.search("网关", k=10, filters={"kind": "case"})
    assert hits and all(h.document.kind == "case" for h in hits)
    hits = retriever.search("振动 停机", k=10, filters={"kind": "case", "industry": "水务"})
    assert [h.document.id for h in hits] == ["C-002"]
    hits = retriever.search("话术", k=10, filters={"persona": ["it_security", "procurement"]})
    assert [h.document.id for h in hits] == ["S-EG-002"]
    # a case lists several products: matching any of them is enough
    assert {
        h.document.id for h in retriever.search("案例", k=10, filters={"kind": "case", "product": "SN-VB500-Pro"})
    } == {"C-001"}
    assert retriever.search("网关", filters={"industry": "不存在的行业"}) == []


def test_unknown_filter_key_is_a_clear_error(retriever: HybridRetriever) -> None:
    with pytest.raises(InvalidFilterError):
        retriever.search("网关", filters={"colour": "red"})


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_a_clear_error(retriever: HybridRetriever, query: str) -> None:
    with pytest.raises(EmptyQueryError) as info:
        retriever.search(query)
    assert info.value.code == "empty_query"


def test_very_long_query_is_cut_to_the_limit(retriever: HybridRetriever, settings: Settings) -> None:
    limit = settings.retrieval.max_query_chars
    assert len(retriever.prepare_query("网关" * 5000)) == limit
    assert retriever.search("EG-2100 串口 " + "啊" * 50_000, k=1)  # still answers


def test_empty_corpus_builds_an_index_with_no_hits(
    tmp_path: Path, settings: Settings, hash_embedder: HashEmbedder
) -> None:
    report = build_index([], out=tmp_path / "empty", settings=settings, embedder=hash_embedder, progress=False)
    assert report.manifest["n_chunks"] == 0
    r = HybridRetriever(tmp_path / "empty", settings=settings, embedder=hash_embedder)
    r.load()
    for mode in ("hybrid", "bm25", "dense"):
        assert r.search("网关", mode=mode) == []  # type: ignore[arg-type]


def test_dense_query_feeds_only_the_dense_side(retriever: HybridRetriever) -> None:
    words, other = "EG-2100 串口数量", "质保期多久"
    assert retriever.search(other, mode="dense", dense_query=words) == retriever.search(words, mode="dense")
    assert retriever.search(other, mode="bm25", dense_query=words) == retriever.search(other, mode="bm25")
    fused = retriever.search(other, dense_query=words)
    dense_ids = [h.document.id for h in retriever.search(words, mode="dense", k=50)]
    for hit in fused:
        if hit.dense_rank is not None:
            assert dense_ids[hit.dense_rank - 1] == hit.document.id


def test_words_in_chunks_are_read_from_the_index_as_tokenising_would_find_them(retriever: HybridRetriever) -> None:
    """Grounding asks the index which question words a chunk has instead of re-tokenising it."""
    docs = retriever.documents
    tokens = [set(retriever.tokenizer.tokenize(f"{d.title_field()} {d.text}")) for d in docs]
    words = [*sorted(set().union(*tokens)), "并不存在的词"]
    found = retriever.words_in_chunks(words, docs)
    assert [set(f) for f in found] == [{w for w in words if w in t} for t in tokens]
    assert retriever.words_in_chunks([], docs[:2]) == [frozenset(), frozenset()]
