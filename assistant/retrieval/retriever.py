"""Hybrid retrieval: BM25 (jieba tokens, two fields) + dense (FAISS), fused per query
(z-scores of each side by default, weighted RRF selectable: see fusion.py).

``HybridRetriever.search(query, *, filters=None, k=10, mode="hybrid")`` returns
typed :class:`Hit` objects carrying the document, the fused score and each
side's rank and raw score.  Metadata filters are applied to each side before
fusion.  ``candidates()`` returns the two sides' lists themselves (the fusion
evaluation caches them and fuses offline).  ``reload()`` swaps in a newly
published index without a restart; a search in flight keeps using the state it
started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from assistant.content.documents import FILTER_KEYS, Document
from assistant.errors import AssistantError
from assistant.retrieval import artifact
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.fusion import Ranked, fuse
from assistant.retrieval.tokenizer import Tokenizer, normalize
from assistant.settings import Settings

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "bm25", "dense"]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
Filters = Mapping[str, str | Sequence[str]]

# Below this many allowed vectors a filtered dense search is an exact numpy
# product over the subset; above it, FAISS with an id selector.
_EXACT_SUBSET_LIMIT = 20_000


class RetrievalError(AssistantError):
    code = "retrieval_error"


class EmptyQueryError(RetrievalError):
    code = "empty_query"


class InvalidFilterError(RetrievalError):
    code = "invalid_filter"


class ModelMismatchError(RetrievalError):
    code = "model_mismatch"


@dataclass(frozen=True, slots=True)
class Hit:
    document: Document
    score: float  # fused score (or the side's own score in single-side modes)
    bm25_rank: int | None  # 1-based rank on the BM25 side, None if not a candidate there
    dense_rank: int | None
    bm25_score: float | None
    dense_score: float | None  # cosine similarity of the best-matching vector


class _State:
    """An immutable loaded index plus the structures derived from it."""

    def __init__(self, art: artifact.IndexArtifact, *, hnsw_ef_search: int) -> None:
        self.artifact = art
        self.documents = art.documents
        self.tokenizer = Tokenizer(art.user_dict)
        self.n_docs = len(art.documents)
        # Inverted metadata index: key -> value -> sorted doc rows.
        postings: dict[str, dict[str, list[int]]] = {}
        for row, doc in enumerate(art.documents):
            for key, value in doc.metadata.items():
                if key not in FILTER_KEYS:
                    continue
                for part in value.split(","):
                    if part:
                        postings.setdefault(key, {}).setdefault(part, []).append(row)
        self.postings = {
            k: {v: np.asarray(rows, dtype=np.int32) for v, rows in vals.items()} for k, vals in postings.items()
        }
        self.vectors = art.vectors
        self.vector_doc = art.vector_doc
        self.is_hnsw = art.hnsw is not None
        if art.hnsw is not None:
            hnsw: Any = art.hnsw
            hnsw.hnsw.efSearch = hnsw_ef_search
            self.dense_index: faiss.Index | None = art.hnsw
        elif len(art.vectors):
            flat = faiss.IndexFlatIP(art.vectors.shape[1])
            flat.add(art.vectors)
            self.dense_index = flat
        else:
            self.dense_index = None
        self.row_of = {doc.id: row for row, doc in enumerate(self.documents)}
        for bm25 in (art.bm25_title, art.bm25_body):
            bm25.weights.sort_indices()  # each term's chunk rows ascending (words_in_chunks searches them)
        # How many vectors a document has at most: search that many more to fill k docs.
        self.max_vectors_per_doc = int(np.bincount(art.vector_doc).max()) if len(art.vector_doc) else 1

    def rows_with(self, word: str, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """For each chunk row, whether ``word`` is one of its title or text tokens: read
        from the BM25 matrices (a term's row lists the chunks that have it)."""
        found = np.zeros(len(rows), dtype=bool)
        for bm25 in (self.artifact.bm25_title, self.artifact.bm25_body):
            term = bm25.vocabulary.get(word)
            if term is None:
                continue
            w = bm25.weights
            chunks = w.indices[w.indptr[term] : w.indptr[term + 1]]
            if len(chunks) == 0:
                continue
            at = np.minimum(np.searchsorted(chunks, rows), len(chunks) - 1)
            found |= chunks[at] == rows
        return found


class HybridRetriever:
    """Searches an index directory.  Construct cheaply, then ``load()`` once."""

    def __init__(self, index_dir: Path, *, settings: Settings, embedder: Embedder) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.embedder = embedder
        self._state: _State | None = None
        self._reload_lock = threading.Lock()
        # One query per request: more native threads only contend for the cores.  On a
        # shared 2-core machine numpy's default BLAS pool made one 1,100 x 512
        # matrix-vector product take 8 ms instead of 0.03 ms.
        faiss.omp_set_num_threads(1)
        threadpool_limits(limits=1, user_api="blas")

    # -- lifecycle ------------------------------------------------------------------

    def load(self) -> None:
        """Load the current index and warm the embedder (the slow, explicit step)."""
        self.embedder.warm_up()
        self.reload()

    def reload(self) -> bool:
        """Switch to the index ``current`` points at.  Returns True if it changed."""
        with self._reload_lock:
            path = artifact.resolve(self.index_dir)
            if self._state is not None and self._state.artifact.path == path:
                return False
            art = artifact.load(self.index_dir)
            if art.model != self.embedder.name or (len(art.vectors) and art.dim != self.embedder.dim):
                raise ModelMismatchError(
                    f"index {path} was built with {art.model!r} (dim {art.dim}); "
                    f"the configured embedder is {self.embedder.name!r}: rebuild the index"
                )
            self._state = _State(art, hnsw_ef_search=self.settings.hnsw_ef_search)
            log.info("retriever serving index %s (%d chunks)", path.name, self._state.n_docs)
            return True

    @property
    def ready(self) -> bool:
        return self._state is not None

    @property
    def manifest(self) -> dict[str, object]:
        return dict(self._require().artifact.manifest)

    @property
    def documents(self) -> list[Document]:
        return self._require().documents

    @property
    def tokenizer(self) -> Tokenizer:
        return self._require().tokenizer

    def _require(self) -> _State:
        if self._state is None:
            raise RetrievalError("retriever not loaded: call load() first")
        return self._state

    def words_in_chunks(self, words: Sequence[str], documents: Sequence[Document]) -> list[frozenset[str]]:
        """For each chunk, which of ``words`` are tokens of its title or text.  The index
        tokenised every chunk already: this reads its BM25 matrices, so no question
        tokenises a chunk again and nothing is kept per chunk."""
        state = self._require()
        rows = np.array([state.row_of.get(d.id, -1) for d in documents], dtype=np.int64)
        current = [row >= 0 and state.documents[row] is doc for row, doc in zip(rows.tolist(), documents, strict=True)]
        found: list[set[str]] = [set() for _ in documents]
        for word in words:
            for n in np.flatnonzero(state.rows_with(word, rows)).tolist():
                found[n].add(word)
        for n, doc in enumerate(documents):
            if not current[n]:  # a chunk of an index since replaced: tokenise it
                tokens = set(state.tokenizer.tokenize(f"{doc.title_field()} {doc.text}"))
                found[n] = {w for w in words if w in tokens}
        return [frozenset(f) for f in found]

    def word_weight(self, word: str) -> float:
        """How telling a word is in this index: its inverse chunk frequency in the body field
        (BM25's idf; 0 for a word no chunk has).  "记账" says more than "返利"."""
        state = self._require()
        bm25 = state.artifact.bm25_body
        term = bm25.vocabulary.get(word)
        if term is None or state.n_docs == 0:
            return 0.0
        df = int(bm25.weights.indptr[term + 1] - bm25.weights.indptr[term])
        return float(np.log((state.n_docs - df + 0.5) / (df + 0.5) + 1.0))

    # -- search ---------------------------------------------------------------------

    def prepare_query(self, query: str) -> str:
        text = normalize(query)
        if not text:
            raise EmptyQueryError("query is empty")
        return text[: self.settings.retrieval.max_query_chars]

    def search(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        k: int = 10,
        mode: Mode = "hybrid",
        dense_query: str | None = None,
    ) -> list[Hit]:
        """The k best chunks for ``query``.  ``dense_query``, when given, is what the
        sentence encoder sees instead (the dialogue engine passes the user's own words
        while BM25 also gets the product a follow-up is about)."""
        if mode not in MODES:
            raise RetrievalError(f"unknown mode {mode!r}")
        if k < 1:
            raise RetrievalError("k must be at least 1")
        state = self._require()
        r = self.settings.retrieval
        n = max(k, r.candidates) if mode == "hybrid" else k
        bm25, dense = self._candidates(state, query, filters=filters, n=n, mode=mode, dense_query=dense_query)
        if mode == "bm25":
            return [self._hit(state, row, s, bm25_rank=i, bm25_score=s) for i, (row, s) in enumerate(bm25, 1)]
        if mode == "dense":
            return [self._hit(state, row, s, dense_rank=i, dense_score=s) for i, (row, s) in enumerate(dense, 1)]
        fused = fuse(
            bm25,
            dense,
            k=k,
            fusion=r.fusion,
            z=r.z_fusion_for(self.embedder.name),
            rrf_k=r.rrf_k,
            bm25_weight=r.bm25_weight,
            dense_weight=r.dense_weight,
        )
        return [
            Hit(state.documents[f.row], f.score, f.bm25_rank, f.dense_rank, f.bm25_score, f.dense_score) for f in fused
        ]

    def candidates(
        self, query: str, *, filters: Filters | None = None, n: int | None = None, dense_query: str | None = None
    ) -> tuple[list[tuple[Document, float]], list[tuple[Document, float]]]:
        """Both sides' candidates before fusion, best first, as (chunk, raw score): what
        ``search(mode="hybrid")`` fuses (``n`` defaults to the candidates setting)."""
        state = self._require()
        depth = n if n is not None else self.settings.retrieval.candidates
        bm25, dense = self._candidates(state, query, filters=filters, n=depth, mode="hybrid", dense_query=dense_query)
        return (
            [(state.documents[row], s) for row, s in bm25],
            [(state.documents[row], s) for row, s in dense],
        )

    def _candidates(
        self, state: _State, query: str, *, filters: Filters | None, n: int, mode: Mode, dense_query: str | None
    ) -> tuple[Ranked, Ranked]:
        text = self.prepare_query(query)
        allowed = self._allowed_rows(state, filters)
        if state.n_docs == 0 or (allowed is not None and len(allowed) == 0):
            return [], []
        bm25: list[tuple[int, float]] = []
        dense: list[tuple[int, float]] = []
        if mode in ("hybrid", "bm25"):
            bm25 = self._bm25(state, text, allowed, n)
        if mode in ("hybrid", "dense"):
            dense_text = self.prepare_query(dense_query) if dense_query else text
            dense = self._dense(state, dense_text, allowed, n)
        return bm25, dense

    @staticmethod
    def _hit(
        state: _State,
        row: int,
        score: float,
        *,
        bm25_rank: int | None = None,
        dense_rank: int | None = None,
        bm25_score: float | None = None,
        dense_score: float | None = None,
    ) -> Hit:
        return Hit(state.documents[row], float(score), bm25_rank, dense_rank, bm25_score, dense_score)

    def _allowed_rows(self, state: _State, filters: Filters | None) -> npt.NDArray[np.int32] | None:
        if not filters:
            return None
        unknown = set(filters) - FILTER_KEYS
        if unknown:
            raise InvalidFilterError(f"unknown filter key(s): {sorted(unknown)}")
        allowed: npt.NDArray[np.int32] | None = None
        for key, wanted in filters.items():
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            postings = state.postings.get(key, {})
            parts = [postings[v] for v in values if v in postings]
            rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int32)
            allowed = rows if allowed is None else np.intersect1d(allowed, rows, assume_unique=True)
        return allowed

    def _bm25(self, state: _State, text: str, allowed: npt.NDArray[np.int32] | None, n: int) -> list[tuple[int, float]]:
        tokens = state.tokenizer.tokenize(text)
        if not tokens:
            return []
        r = self.settings.retrieval
        total = np.zeros(state.n_docs, dtype=np.float32)
        touched: list[npt.NDArray[np.int32]] = []
        for bm25, weight in ((state.artifact.bm25_title, r.title_weight), (state.artifact.bm25_body, r.body_weight)):
            if weight == 0:
                continue
            rows, values = bm25.sparse_scores(tokens)
            total[rows] += weight * values
            touched.append(rows)
        if not touched:
            return []
        candidates = np.unique(np.concatenate(touched))
        if allowed is not None:
            candidates = np.intersect1d(candidates, allowed, assume_unique=True)
        candidates = candidates[total[candidates] > 0]
        return _top(candidates, total[candidates], n)

    def _dense(
        self, state: _State, text: str, allowed: npt.NDArray[np.int32] | None, n: int
    ) -> list[tuple[int, float]]:
        if state.dense_index is None:
            return []
        qvec = self.embedder.encode([text])
        if allowed is not None:
            vec_rows = np.flatnonzero(np.isin(state.vector_doc, allowed))
            if len(vec_rows) <= _EXACT_SUBSET_LIMIT:
                sims = state.vectors[vec_rows] @ qvec[0]
                return _best_per_doc(state.vector_doc[vec_rows], sims, n)
            params: Any = faiss.SearchParameters()
            if state.is_hnsw:
                params = getattr(faiss, "SearchParametersHNSW")()  # noqa: B009 - missing from faiss's stubs
                params.efSearch = self.settings.hnsw_ef_search
            selector = faiss.IDSelectorBatch(vec_rows.astype(np.int64))
            params.sel = selector
            sims, ids = state.dense_index.search(qvec, n * state.max_vectors_per_doc, params=params)
        else:
            sims, ids = state.dense_index.search(qvec, n * state.max_vectors_per_doc)
        valid = ids[0] >= 0
        return _best_per_doc(state.vector_doc[ids[0][valid]], sims[0][valid], n)


def _top(rows: npt.NDArray[np.int32], scores: npt.NDArray[np.float32], n: int) -> list[tuple[int, float]]:
    if len(rows) == 0:
        return []
    if len(rows) > n:
        part = np.argpartition(-scores, n - 1)[:n]
        rows, scores = rows[part], scores[part]
    order = np.lexsort((rows, -scores))  # score descending, then row for determinism
    return [(int(rows[i]), float(scores[i])) for i in order]


def _best_per_doc(doc_rows: npt.NDArray[np.int32], sims: npt.NDArray[np.float32], n: int) -> list[tuple[int, float]]:
    """Collapse vector hits to documents, keeping each document's best similarity."""
    if len(doc_rows) == 0:
        return []
    order = np.lexsort((doc_rows, -sims))
    seen: dict[int, float] = {}
    for i in order:
        row = int(doc_rows[i])
        if row not in seen:
            seen[row] = float(sims[i])
            if len(seen) == n:
                break
    return list(seen.items())
