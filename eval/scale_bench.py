"""``python -m eval scale --docs 100000 --json OUT``

Search latency at scale, against the naive combination, in one run:

* synthesises N chunks by splicing sentences of the demo corpus (so the text,
  vocabulary and lengths are those of real content), embeds them with the
  configured embedder and builds our index (sparse BM25 + HNSW above the
  threshold);
* builds the naive combination over the same chunks and tokens:
  ``rank_bm25.BM25Okapi.get_scores`` plus an exact ``faiss.IndexFlatIP``, fused
  with the same fusion (assistant/retrieval/fusion.py, configured settings);
* runs the same queries (a few words cut from a random chunk; that chunk is
  the relevant one) through both, reporting latency percentiles (query encoding
  included), recall@10 for both, their top-10 agreement and the speed-up;
* reports build time and peak RSS for the demo corpus and for the synthetic set.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psutil
from rank_bm25 import BM25Okapi

from assistant.content.documents import Document, chunk_corpus
from assistant.content.loader import load_corpus
from assistant.retrieval.embedders import make_embedder
from assistant.retrieval.fusion import fuse
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings
from eval.metrics import percentiles
from indexer.build import build_from_corpus, build_index, corpus_terms

_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", type=int, default=100_000, help="synthetic chunks (default 100000)")
    parser.add_argument("--queries", type=int, default=300, help="queries for our retriever")
    parser.add_argument("--naive-queries", type=int, default=40, help="queries for the naive combination (slow)")
    parser.add_argument("--corpus", type=Path, default=None, help="corpus to draw sentences from (default: settings)")
    parser.add_argument("--seed", type=int, default=7)


class _PeakRss:
    """Samples this process's RSS every 20 ms; ``peak_mb`` is the increase over the start."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._start = self._proc.memory_info().rss
        self._peak = self._start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._peak = max(self._peak, self._proc.memory_info().rss)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._proc.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return round(float(self._peak - self._start) / 2**20, 1)


def synthesize(sentences: list[str], n: int, rng: random.Random) -> list[Document]:
    docs = []
    for i in range(n):
        body = "".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
        docs.append(
            Document(id=f"syn-{i}", doc_id=f"syn-{i}", kind="doc", title="", text=body, metadata={"kind": "doc"})
        )
    return docs


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    corpus_dir = args.corpus or settings.corpus_dir
    rng = random.Random(args.seed)
    embedder = make_embedder(settings.embedder, threads=settings.embed_threads, batch_size=settings.embed_batch_size)
    embedder.warm_up()
    result: dict[str, Any] = {"embedder": embedder.name}

    with tempfile.TemporaryDirectory(prefix="scale-demo-") as tmp, _PeakRss() as rss:
        t = time.perf_counter()
        report = build_from_corpus(corpus_dir, out=Path(tmp), settings=settings, embedder=embedder, progress=False)
        result["demo_build"] = {"chunks": report.manifest["n_chunks"], "build_s": round(time.perf_counter() - t, 2)}
    result["demo_build"]["peak_rss_mb"] = rss.peak_mb

    corpus = load_corpus(corpus_dir)
    sentences = [s.strip() for d in chunk_corpus(corpus) for s in _SENTENCE.findall(d.text) if len(s.strip()) >= 8]
    docs = synthesize(sentences, args.docs, rng)
    terms = corpus_terms(corpus)

    with tempfile.TemporaryDirectory(prefix="scale-syn-") as tmp:
        with _PeakRss() as rss:
            t = time.perf_counter()
            report = build_index(
                docs, out=Path(tmp), settings=settings, embedder=embedder, extra_terms=terms, progress=True
            )
            build_s = time.perf_counter() - t
        result["synthetic_build"] = {
            "chunks": len(docs),
            "vectors": report.manifest["n_vectors"],
            "dense_index": report.manifest["dense_index"],
            "build_s": round(build_s, 2),
            "peak_rss_mb": rss.peak_mb,
            "timings": report.manifest["timings"],
        }
        retriever = HybridRetriever(Path(tmp), settings=settings, embedder=embedder)
        retriever.load()

        queries: list[tuple[str, str]] = []
        for _ in range(args.queries):
            doc = rng.choice(docs)
            start = rng.randrange(max(1, len(doc.text) - 14))
            queries.append((doc.text[start : start + rng.randint(8, 14)], doc.id))

        ours_ms, ours_top, ours_hit = [], {}, 0
        for q, rel in queries:
            t = time.perf_counter()
            hits = retriever.search(q, k=10)
            ours_ms.append((time.perf_counter() - t) * 1000)
            ours_top[q] = [h.document.id for h in hits]
            ours_hit += rel in ours_top[q]

        # The naive combination over the very same tokens and vectors.
        state_tokens = retriever.tokenizer
        t = time.perf_counter()
        naive_bm25 = BM25Okapi([state_tokens.tokenize(d.text) for d in docs])
        flat = faiss.IndexFlatIP(retriever._require().vectors.shape[1])
        flat.add(retriever._require().vectors)
        naive_build_s = time.perf_counter() - t
        ids = [d.id for d in docs]
        r = settings.retrieval
        naive_ms, agree, naive_hit = [], [], 0
        for q, rel in queries[: args.naive_queries]:
            t = time.perf_counter()
            scores = naive_bm25.get_scores(state_tokens.tokenize(q))
            b_top = np.argsort(-scores)[: r.candidates]
            d_sims, d_top = flat.search(embedder.encode([q]), r.candidates)
            fused = fuse(
                [(int(row), float(scores[row])) for row in b_top if scores[row] > 0],
                [(int(row), float(sim)) for row, sim in zip(d_top[0], d_sims[0], strict=True) if row >= 0],
                k=10,
                fusion=r.fusion,
                z=r.z_fusion_for(embedder.name),
                rrf_k=r.rrf_k,
                bm25_weight=r.bm25_weight,
                dense_weight=r.dense_weight,
            )
            top = [ids[f.row] for f in fused]
            naive_ms.append((time.perf_counter() - t) * 1000)
            naive_hit += rel in top
            agree.append(len(set(top) & set(ours_top[q])) / 10)

    ours = percentiles(ours_ms)
    naive = percentiles(naive_ms)
    n_naive = min(args.naive_queries, len(queries))
    result.update(
        ours={"latency_ms": ours, "recall@10": round(ours_hit / len(queries), 4), "n_queries": len(queries)},
        naive={
            "latency_ms": naive,
            "recall@10": round(naive_hit / max(n_naive, 1), 4),
            "n_queries": n_naive,
            "build_s": round(naive_build_s, 2),
        },
        top10_agreement=round(float(np.mean(agree)) if agree else 0.0, 4),
        speedup_p50=round(naive["p50"] / ours["p50"], 1) if ours["p50"] else None,
        speedup_p95=round(naive["p95"] / ours["p95"], 1) if ours["p95"] else None,
    )
    return result
