"""``python -m eval fusion --datasets A B C ... --json OUT``

Chooses the z-score fusion's parameters leave-one-dataset-out and shows how every
fusion does against its own single sides, on each dataset:

* per dataset (any BEIR layout, see eval/retrieval.py), builds an index with the
  configured embedder and keeps, for every judged query, both sides' candidate lists
  (``HybridRetriever.candidates``: filtered, ``candidates`` deep, raw scores);
* fuses those lists offline with the very function the retriever uses
  (``assistant.retrieval.fusion.fuse``): BM25 alone, dense alone, weighted RRF with the
  configured weights, z-score fusion with every fixed dense weight of ``--weights``, and
  with the query-adaptive dense weight (``ZFusion``: low, high, cosine from, cosine to)
  over a small grid;
* leave-one-dataset-out: for each dataset, the configuration that is best on the
  *other* datasets, and its figures on the held-out one; then the configuration chosen
  on all of them.  "Best" is the largest worst-case margin over the datasets, a
  dataset's margin being min over recall@1 and MRR@10 of (hybrid - its better single
  side), so the choice aims at "never below the better side"; ties go to the higher
  mean MRR@10.

``--cache DIR`` keeps each dataset's candidate lists, so a second run fuses without
re-embedding.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.retrieval.embedders import make_embedder
from assistant.retrieval.fusion import Ranked, ZFusion, fuse
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings
from eval.beir import load_beir
from eval.metrics import dedupe, mrr_at, ndcg_at, recall_at
from eval.retrieval import index_dataset

DEFAULT_WEIGHTS = tuple(round(0.05 * i, 2) for i in range(21))
# The query-adaptive grid: dense weight low -> high as the best cosine goes from -> to.
ADAPTIVE_GRID = tuple(
    ZFusion(low=low, high=high, cos_from=start, cos_to=round(start + width, 2))
    for low in (0.15, 0.2, 0.25, 0.3)
    for high in (0.8, 0.9, 0.95, 1.0)
    for start in (0.55, 0.6, 0.65, 0.7)
    for width in (0.1, 0.2)
)
METRICS = ("recall@1", "recall@10", "mrr@10", "ndcg@10")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", type=Path, nargs="+", required=True, help="directories in BEIR layout")
    parser.add_argument("--split", default="test", help="qrels file name under qrels/ (default: test)")
    parser.add_argument("--embedder", help="override ASSISTANT_EMBEDDER for this run")
    parser.add_argument("--limit", type=int, help="evaluate only the first N judged queries of each dataset")
    parser.add_argument("--weights", help="comma-separated dense weights to try (default 0, 0.05, ..., 1)")
    parser.add_argument("--cache", type=Path, help="directory to keep candidate lists in (reused when present)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    if args.embedder:
        settings = settings.model_copy(update={"embedder": args.embedder})
    weights = tuple(float(w) for w in args.weights.split(",")) if args.weights else DEFAULT_WEIGHTS
    runs: dict[str, QueryRuns] = {}
    for root in args.datasets:
        name = _name(root, args.datasets)
        runs[name] = _load_or_collect(root, settings=settings, split=args.split, limit=args.limit, cache=args.cache)
    return choose(runs, settings=settings, weights=weights)


# One dataset's cached evaluation input: per judged query, its relevance judgements and
# both sides' candidates as (doc id, raw score), best first.
QueryRun = dict[str, Any]
QueryRuns = list[QueryRun]


def _name(root: Path, roots: Sequence[Path]) -> str:
    """A dataset's name: its directory, or parent/directory when two share a name."""
    if sum(r.name == root.name for r in roots) > 1:
        return f"{root.parent.name}/{root.name}"
    return root.name


def _load_or_collect(root: Path, *, settings: Settings, split: str, limit: int | None, cache: Path | None) -> QueryRuns:
    key = f"{root.resolve().as_posix().strip('/').replace('/', '__')}__{split}__{settings.embedder}__{limit or 'all'}"
    path = cache / f"{key}.json" if cache else None
    if path is not None and path.exists():
        runs: QueryRuns = json.loads(path.read_text(encoding="utf-8"))
        return runs
    runs = collect(root, settings=settings, split=split, limit=limit)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(runs, ensure_ascii=False), encoding="utf-8")
    return runs


def collect(root: Path, *, settings: Settings, split: str = "test", limit: int | None = None) -> QueryRuns:
    """Build an index over a BEIR dataset and keep each judged query's two candidate lists."""
    dataset = load_beir(root, split=split)
    embedder = make_embedder(settings.embedder, threads=settings.embed_threads, batch_size=settings.embed_batch_size)
    qids = dataset.judged_queries[:limit] if limit else dataset.judged_queries
    out: QueryRuns = []
    with tempfile.TemporaryDirectory(prefix="eval-fusion-") as tmp:
        index_dataset(dataset, root, out=Path(tmp), settings=settings, embedder=embedder)
        retriever = HybridRetriever(Path(tmp), settings=settings, embedder=embedder)
        retriever.load()
        for qid in qids:
            bm25, dense = retriever.candidates(dataset.queries[qid])
            out.append(
                {
                    "qid": qid,
                    "rel": dataset.qrels[qid],
                    "bm25": [[d.doc_id, s] for d, s in bm25],
                    "dense": [[d.doc_id, s] for d, s in dense],
                }
            )
    return out


def _as_rows(runs: QueryRuns) -> tuple[list[tuple[Ranked, Ranked]], list[str]]:
    """Doc ids -> ints, so the lists can go through the retriever's fusion functions."""
    ids: dict[str, int] = {}
    lists: list[tuple[Ranked, Ranked]] = []
    for q in runs:
        sides = tuple([(ids.setdefault(d, len(ids)), float(s)) for d, s in q[side]] for side in ("bm25", "dense"))
        lists.append((sides[0], sides[1]))
    names = sorted(ids, key=ids.__getitem__)
    return lists, names


def score(runs: QueryRuns, ranker: Callable[[Ranked, Ranked], list[int]]) -> dict[str, float]:
    """recall@1, recall@10, MRR@10 and nDCG@10 of a ranker over a dataset's cached lists."""
    lists, names = _as_rows(runs)
    sums = dict.fromkeys(METRICS, 0.0)
    for q, (bm25, dense) in zip(runs, lists, strict=True):
        ranked = dedupe([names[row] for row in ranker(bm25, dense)])
        rel = q["rel"]
        sums["recall@1"] += recall_at(ranked, rel, 1)
        sums["recall@10"] += recall_at(ranked, rel, 10)
        sums["mrr@10"] += mrr_at(ranked, rel, 10)
        sums["ndcg@10"] += ndcg_at(ranked, rel, 10)
    n = max(len(runs), 1)
    return {m: round(v / n, 4) for m, v in sums.items()}


def config_name(z: ZFusion) -> str:
    if z.high == z.low:
        return f"zscore@{z.low:g}"
    return f"zscore@{z.low:g}-{z.high:g}/cos{z.cos_from:g}-{z.cos_to:g}"


def configs(settings: Settings, weights: Sequence[float]) -> dict[str, ZFusion]:
    """Every z-score configuration to try: fixed weights, the adaptive grid, the configured one."""
    out = {config_name(z): z for z in (ZFusion(low=w, high=w) for w in weights)}
    out.update({config_name(z): z for z in ADAPTIVE_GRID})
    configured = _configured(settings)
    out[config_name(configured)] = configured
    return out


def rankers(settings: Settings, zs: dict[str, ZFusion]) -> dict[str, Callable[[Ranked, Ranked], list[int]]]:
    r = settings.retrieval

    def top(side: int) -> Callable[[Ranked, Ranked], list[int]]:
        return lambda b, d: [row for row, _ in (b, d)[side][:10]]

    out: dict[str, Callable[[Ranked, Ranked], list[int]]] = {
        "bm25": top(0),
        "dense": top(1),
        "rrf": lambda b, d: [
            f.row
            for f in fuse(
                b, d, k=10, fusion="rrf", rrf_k=r.rrf_k, bm25_weight=r.bm25_weight, dense_weight=r.dense_weight
            )
        ],
    }
    for name, z in zs.items():
        out[name] = lambda b, d, z=z: [f.row for f in fuse(b, d, k=10, fusion="zscore", z=z)]  # type: ignore[misc]
    return out


def margin(figures: dict[str, dict[str, float]], name: str) -> float:
    """min over recall@1 and MRR@10 of (fusion ``name`` - the better single side)."""
    return min(figures[name][m] - max(figures["bm25"][m], figures["dense"][m]) for m in ("recall@1", "mrr@10"))


def _rank_configs(
    figures: dict[str, dict[str, dict[str, float]]], datasets: Sequence[str], names: Sequence[str]
) -> list[tuple[str, float, float]]:
    """(config, worst margin, mean MRR@10) over ``datasets``, best first."""
    rows = []
    for name in names:
        worst = round(min(margin(figures[d], name) for d in datasets), 4)
        mean_mrr = round(sum(figures[d][name]["mrr@10"] for d in datasets) / len(datasets), 4)
        rows.append((name, worst, mean_mrr))
    return sorted(rows, key=lambda row: (-row[1], -row[2], row[0]))


def choose(runs: dict[str, QueryRuns], *, settings: Settings, weights: Sequence[float]) -> dict[str, Any]:
    zs = configs(settings, weights)
    named = rankers(settings, zs)
    figures = {ds: {name: score(q, ranker) for name, ranker in named.items()} for ds, q in runs.items()}
    datasets = list(runs)
    fixed = [config_name(ZFusion(low=w, high=w)) for w in weights]
    loo = []
    for held in datasets:
        others = [d for d in datasets if d != held] or [held]
        best = _rank_configs(figures, others, list(zs))[0][0]
        best_fixed = _rank_configs(figures, others, fixed)[0][0]
        loo.append(
            {
                "held_out": held,
                "chosen_on_others": best,
                **{m: figures[held][best][m] for m in ("recall@1", "mrr@10")},
                "better_side": {
                    m: max(figures[held]["bm25"][m], figures[held]["dense"][m]) for m in ("recall@1", "mrr@10")
                },
                "margin": round(margin(figures[held], best), 4),
                "fixed_chosen_on_others": best_fixed,
                "fixed_margin": round(margin(figures[held], best_fixed), 4),
            }
        )
    ranked = _rank_configs(figures, datasets, list(zs))
    chosen = ranked[0][0]
    best_fixed = _rank_configs(figures, datasets, fixed)[0][0]
    configured = config_name(_configured(settings))
    shown = ("bm25", "dense", "rrf", best_fixed, chosen, configured)
    return {
        "n_queries": {ds: len(q) for ds, q in runs.items()},
        "chosen": {"name": chosen, **_as_dict(zs[chosen])},
        "best_fixed": best_fixed,
        "configured": {"fusion": settings.retrieval.fusion, "name": configured},
        "leave_one_out": loo,
        "per_dataset": {ds: {name: f[name] for name in dict.fromkeys(shown)} for ds, f in figures.items()},
        "margins": {
            name: {ds: round(margin(f, name), 4) for ds, f in figures.items()} for name in dict.fromkeys(shown[2:])
        },
        "top_configs": [{"name": n, "worst_margin": w, "mean_mrr@10": m} for n, w, m in ranked[:10]],
        "fixed_sweep": [
            {"name": n, "worst_margin": w, "mean_mrr@10": m} for n, w, m in _rank_configs(figures, datasets, fixed)
        ],
    }


def _configured(settings: Settings) -> ZFusion:
    """The rule the retriever applies with the configured embedder (names are cheap: nothing loads)."""
    return settings.retrieval.z_fusion_for(make_embedder(settings.embedder).name)


def _as_dict(z: ZFusion) -> dict[str, float]:
    return {"low": z.low, "high": z.high, "cos_from": z.cos_from, "cos_to": z.cos_to}


__all__ = ["add_arguments", "choose", "collect", "configs", "margin", "run", "score"]
