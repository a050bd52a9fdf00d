"""``python -m eval retrieval --dataset DIR --mode hybrid|bm25|dense|all --json OUT``

Builds an index over any BEIR-layout dataset with the configured embedder and
measures each mode (recall@1, @3, @10 and any ``--recall-at``, MRR@10, nDCG@10,
latency), plus, in the same run: ``hybrid_rrf``, the hybrid mode with weighted RRF
fusion when the configured fusion is another (the old default, for comparison), and
two baselines: plain ``rank_bm25`` (``BM25Okapi.get_scores`` over the same jieba
tokens of title+text) and plain dense (one title+text vector per document, exact
FAISS).  ``python -m eval fusion`` compares fusions over several datasets.

Optional extensions of the layout, used by the exported demo sets:
``corpus.jsonl`` rows may carry ``metadata.kind`` and ``metadata.alt_titles``
(FAQ variants), and ``userdict.txt`` lists words the tokenizer keeps whole.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from rank_bm25 import BM25Okapi

from assistant.retrieval.embedders import Embedder, make_embedder
from assistant.retrieval.fusion import FUSIONS
from assistant.retrieval.retriever import MODES, HybridRetriever
from assistant.retrieval.tokenizer import Tokenizer, UserDictionary
from assistant.settings import Settings
from eval.beir import BeirDataset, load_beir
from eval.metrics import dedupe, mrr_at, ndcg_at, percentiles, recall_at
from indexer.build import build_index

_MODEL_NUMBER = re.compile(r"\b[A-Za-z]{1,6}[-_]?[A-Za-z]*\d+[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\b")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", type=Path, required=True, help="directory in BEIR layout")
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all")
    parser.add_argument("--split", default="test", help="qrels file name under qrels/ (default: test)")
    parser.add_argument("--embedder", help="override ASSISTANT_EMBEDDER for this run")
    parser.add_argument("--fusion", choices=FUSIONS, help="override ASSISTANT_RETRIEVAL_FUSION for this run")
    parser.add_argument("--no-baselines", action="store_true", help="skip the rank_bm25 and plain-dense baselines")
    parser.add_argument("--limit", type=int, help="evaluate only the first N judged queries")
    parser.add_argument(
        "--recall-at",
        type=int,
        action="append",
        default=[],
        metavar="K",
        help="also report recall@K (e.g. 5); may repeat",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    if args.embedder:
        settings = settings.model_copy(update={"embedder": args.embedder})
    if args.fusion:
        retrieval = settings.retrieval.model_copy(update={"fusion": args.fusion})
        settings = settings.model_copy(update={"retrieval": retrieval})
    embedder = make_embedder(settings.embedder, threads=settings.embed_threads, batch_size=settings.embed_batch_size)
    dataset = load_beir(args.dataset, split=args.split)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    return evaluate(
        dataset,
        settings=settings,
        embedder=embedder,
        modes=modes,
        baselines=not args.no_baselines,
        limit=args.limit,
        extra_k=args.recall_at,
        dataset_root=args.dataset,
    )


def dataset_dictionary(dataset: BeirDataset, root: Path | None = None) -> UserDictionary:
    """User dictionary for a dataset: its userdict.txt if shipped, plus model-number-like tokens."""
    shipped = UserDictionary(())
    if root is not None and (root / "userdict.txt").exists():
        shipped = UserDictionary.loads((root / "userdict.txt").read_text(encoding="utf-8"))
    terms = list(shipped.words)
    for doc in dataset.documents:
        terms += [m.group(0) for m in _MODEL_NUMBER.finditer(f"{doc.title} {doc.text}") if "-" in m.group(0)]
    return UserDictionary.from_terms(terms, dict(shipped.synonyms))


def index_dataset(
    dataset: BeirDataset, root: Path | None, *, out: Path, settings: Settings, embedder: Embedder
) -> None:
    """Build the hybrid index of a BEIR dataset's documents into ``out``, with its dictionary."""
    user_dict = dataset_dictionary(dataset, root)
    build_index(
        dataset.documents,
        out=out,
        settings=settings,
        embedder=embedder,
        extra_terms=user_dict.words,
        synonyms=dict(user_dict.synonyms),
        progress=False,
    )


def evaluate(
    dataset: BeirDataset,
    *,
    settings: Settings,
    embedder: Embedder,
    modes: Sequence[str],
    baselines: bool = True,
    limit: int | None = None,
    extra_k: Sequence[int] = (),
    dataset_root: Path | None = None,
) -> dict[str, Any]:
    qids = dataset.judged_queries[:limit] if limit else dataset.judged_queries
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="eval-index-") as tmp:
        t0 = time.perf_counter()
        index_dataset(dataset, dataset_root, out=Path(tmp), settings=settings, embedder=embedder)
        build_s = time.perf_counter() - t0
        retriever = HybridRetriever(Path(tmp), settings=settings, embedder=embedder)
        retriever.load()
        for mode in modes:
            results[mode] = _measure(
                dataset,
                qids,
                lambda q, m=mode: [h.document.doc_id for h in retriever.search(q, k=10, mode=m)],  # type: ignore[misc]
                build_s,
                extra_k,
            )
        if "hybrid" in modes and settings.retrieval.fusion != "rrf":
            rrf = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"fusion": "rrf"})})
            rrf_retriever = HybridRetriever(Path(tmp), settings=rrf, embedder=embedder)
            rrf_retriever.load()
            results["hybrid_rrf"] = _measure(
                dataset,
                qids,
                lambda q: [h.document.doc_id for h in rrf_retriever.search(q, k=10)],
                build_s,
                extra_k,
            )
        if baselines:
            tokenizer = retriever.tokenizer
            results["baseline_rank_bm25"] = _rank_bm25_baseline(dataset, qids, tokenizer, extra_k)
            results["baseline_dense"] = _dense_baseline(dataset, qids, embedder, extra_k)
    return results


def _measure(
    dataset: BeirDataset,
    qids: Sequence[str],
    search: Callable[[str], list[str]],
    build_s: float,
    extra_k: Sequence[int],
) -> dict[str, Any]:
    sums: dict[str, float] = {}
    latencies: list[float] = []
    for qid in qids:
        t = time.perf_counter()
        ranked = dedupe(search(dataset.queries[qid]))
        latencies.append((time.perf_counter() - t) * 1000)
        rel = dataset.qrels[qid]
        for k in sorted({1, 3, 10, *extra_k}):
            sums[f"recall@{k}"] = sums.get(f"recall@{k}", 0.0) + recall_at(ranked, rel, k)
        sums["mrr@10"] = sums.get("mrr@10", 0.0) + mrr_at(ranked, rel, 10)
        sums["ndcg@10"] = sums.get("ndcg@10", 0.0) + ndcg_at(ranked, rel, 10)
    n = max(len(qids), 1)
    out: dict[str, Any] = {key: round(value / n, 4) for key, value in sums.items()}
    out.update(
        latency_ms=percentiles(latencies),
        n_queries=len(qids),
        n_docs=len(dataset.documents),
        index_build_s=round(build_s, 3),
    )
    return out


def _rank_bm25_baseline(
    dataset: BeirDataset, qids: Sequence[str], tokenizer: Tokenizer, extra_k: Sequence[int]
) -> dict[str, Any]:
    t0 = time.perf_counter()
    ids = [d.doc_id for d in dataset.documents]
    bm25 = BM25Okapi([tokenizer.tokenize(f"{d.title} {d.text}") for d in dataset.documents] or [[]])
    build_s = time.perf_counter() - t0

    def search(query: str) -> list[str]:
        scores = bm25.get_scores(tokenizer.tokenize(query))
        top = np.argsort(-scores, kind="stable")[:10]
        return [ids[i] for i in top if i < len(ids) and scores[i] > 0]

    return _measure(dataset, qids, search, build_s, extra_k)


def _dense_baseline(
    dataset: BeirDataset, qids: Sequence[str], embedder: Embedder, extra_k: Sequence[int]
) -> dict[str, Any]:
    t0 = time.perf_counter()
    ids = [d.doc_id for d in dataset.documents]
    vectors = embedder.encode([f"{d.title} {d.text}"[:512] for d in dataset.documents])
    index = faiss.IndexFlatIP(int(embedder.dim))
    if len(vectors):
        index.add(vectors)
    build_s = time.perf_counter() - t0

    def search(query: str) -> list[str]:
        _, found = index.search(embedder.encode([query]), 10)
        return [ids[i] for i in found[0] if i >= 0]

    return _measure(dataset, qids, search, build_s, extra_k)


__all__ = ["add_arguments", "dataset_dictionary", "evaluate", "index_dataset", "run"]
