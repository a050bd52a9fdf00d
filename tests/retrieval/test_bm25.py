"""Our sparse BM25 must score exactly like rank_bm25.BM25Okapi."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from assistant.retrieval.bm25 import SparseBM25
from assistant.retrieval.tokenizer import Tokenizer

WORDS = [f"w{i}" for i in range(40)]
doc_strategy = st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=30), min_size=1, max_size=60)
query_strategy = st.lists(st.sampled_from([*WORDS, "unknown"]), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(corpus=doc_strategy, query=query_strategy)
def test_scores_match_rank_bm25(corpus: list[list[str]], query: list[str]) -> None:
    if sum(len(d) for d in corpus) == 0:
        return  # rank_bm25 divides by zero on an all-empty corpus; ours returns zeros
    expected = BM25Okapi(corpus).get_scores(query)
    ours = SparseBM25.build(corpus).scores(query)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_parity_on_chinese_text_with_negative_idf_terms() -> None:
    tok = Tokenizer()
    texts = [
        "网关支持 Modbus 和 OPC UA 协议",
        "网关的质保期是 24 个月",
        "网关可以通过 4G 上网",
        "振动传感器电池寿命五年",
    ]
    corpus = [tok.tokenize(t) for t in texts]
    query = tok.tokenize("网关 质保 多久 网关")  # '网关' occurs in 3/4 docs: negative idf -> epsilon floor
    np.testing.assert_allclose(SparseBM25.build(corpus).scores(query), BM25Okapi(corpus).get_scores(query), rtol=1e-6)


def test_sparse_scores_only_touch_matching_documents() -> None:
    bm25 = SparseBM25.build([["a", "b"], ["c"], ["a"], [], ["d"]])
    rows, values = bm25.sparse_scores(["a"])
    assert sorted(rows.tolist()) == [0, 2]
    assert np.all(values != 0)
    assert bm25.sparse_scores(["zzz"])[0].size == 0


def test_empty_corpus() -> None:
    bm25 = SparseBM25.build([])
    assert bm25.n_docs == 0
    assert bm25.scores(["a"]).size == 0


def test_persistence_round_trip() -> None:
    corpus = [["a", "b", "b"], ["c", "a"], ["d"]]
    bm25 = SparseBM25.build(corpus)
    again = SparseBM25.from_arrays(bm25.to_arrays())
    np.testing.assert_array_equal(again.scores(["a", "b"]), bm25.scores(["a", "b"]))
