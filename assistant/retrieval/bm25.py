"""BM25 Okapi as a sparse term-by-document weight matrix.

The scores are exactly those of ``rank_bm25.BM25Okapi`` (same idf with its
epsilon floor for negative idf, same k1/b normalisation, repeated query terms
counted as often as they occur) — ``tests/retrieval/test_bm25.py`` proves it —
but all per-document work happens once at build time: a query only sums the
rows of its terms, so it costs a sparse row gather, not a Python loop over
documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float32]

EPSILON = 0.25  # rank-bm25's floor for negative idf, as a share of the mean idf


@dataclass(frozen=True)
class SparseBM25:
    """``weights[t, d]`` is term t's BM25 contribution to document d (CSR, rows = terms)."""

    vocabulary: dict[str, int]
    weights: sp.csr_matrix
    n_docs: int

    @classmethod
    def build(cls, corpus: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75) -> SparseBM25:
        n_docs = len(corpus)
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        doc_len = np.zeros(n_docs, dtype=np.float64)
        for d, tokens in enumerate(corpus):
            doc_len[d] = len(tokens)
            for term, tf in Counter(tokens).items():
                rows.append(vocabulary.setdefault(term, len(vocabulary)))
                cols.append(d)
                tfs.append(tf)
        n_terms = len(vocabulary)
        if n_docs == 0 or n_terms == 0:
            return cls(vocabulary, sp.csr_matrix((n_terms, n_docs), dtype=np.float32), n_docs)

        row_arr = np.asarray(rows, dtype=np.int64)
        col_arr = np.asarray(cols, dtype=np.int64)
        tf_arr = np.asarray(tfs, dtype=np.float64)
        df = np.bincount(row_arr, minlength=n_terms).astype(np.float64)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        # rank-bm25 accumulates the idf sum term by term in insertion order; do the
        # same (math.fsum would differ in the last bits).
        idf_sum = 0.0
        for value in idf.tolist():
            idf_sum += value
        eps = EPSILON * (idf_sum / n_terms)
        idf = np.where(idf < 0, eps, idf)

        avgdl = float(doc_len.sum()) / n_docs
        norm = k1 * (1 - b + b * doc_len[col_arr] / avgdl) if avgdl > 0 else np.full(len(col_arr), k1 * (1 - b))
        data = idf[row_arr] * (tf_arr * (k1 + 1) / (tf_arr + norm))
        weights = sp.csr_matrix((data.astype(np.float32), (row_arr, col_arr)), shape=(n_terms, n_docs))
        weights.sum_duplicates()
        return cls(vocabulary, weights, n_docs)

    def query_vector(self, tokens: Sequence[str]) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Term rows and their counts for a query; unknown terms contribute nothing."""
        counts = Counter(t for t in tokens if t in self.vocabulary)
        rows = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        weights = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        return rows, weights

    def scores(self, tokens: Sequence[str]) -> FloatArray:
        """Dense array of every document's score (for parity tests and small corpora)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        doc_ids, values = self.sparse_scores(tokens)
        out[doc_ids] = values
        return out

    def sparse_scores(self, tokens: Sequence[str]) -> tuple[npt.NDArray[np.int32], FloatArray]:
        """(document indices, scores) for documents sharing at least one term with the query."""
        rows, counts = self.query_vector(tokens)
        if len(rows) == 0:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        # Gather the query terms' rows straight from the CSR arrays (scipy's fancy
        # indexing and sparse product cost more than the scoring on a short query).
        w = self.weights
        starts, ends = w.indptr[rows], w.indptr[rows + 1]
        docs = np.concatenate([w.indices[a:b] for a, b in zip(starts, ends, strict=True)])
        if len(docs) == 0:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        values = np.concatenate([w.data[a:b] * c for a, b, c in zip(starts, ends, counts, strict=True)])
        unique, inverse = np.unique(docs, return_inverse=True)
        totals = np.bincount(inverse, weights=values, minlength=len(unique))
        return unique.astype(np.int32), totals.astype(np.float32)

    # -- persistence -----------------------------------------------------------------

    def to_arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "terms": np.asarray(terms, dtype=object),
            "data": self.weights.data,
            "indices": self.weights.indices,
            "indptr": self.weights.indptr,
            "shape": np.asarray(self.weights.shape, dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]]) -> SparseBM25:
        terms = [str(t) for t in arrays["terms"].tolist()]
        shape = tuple(int(x) for x in arrays["shape"].tolist())
        weights = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        return cls({t: i for i, t in enumerate(terms)}, weights, shape[1])
