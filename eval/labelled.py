"""The labelled question set: loading, the dev/test split rule, BEIR export.

``python -m eval.labelled export`` writes ``eval/data/beir-dev`` and
``eval/data/beir-test``: every chunk of the corpus as a document (its id is the
chunk id the assistant cites), the answerable single questions of the split as
queries, and their relevant chunks as qrels.  Conversation turns are left out:
"它的功耗多少" cannot be retrieved without the turns before it (the chat eval
covers them).  ``userdict.txt`` carries the corpus dictionary so the eval
tokenises exactly like the service.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.content.documents import chunk_corpus
from assistant.content.loader import load_corpus
from assistant.dialogue.training import Split, split_of
from assistant.settings import PROJECT_ROOT
from indexer.build import corpus_user_dictionary

DATA = PROJECT_ROOT / "eval" / "data"
LABELLED = DATA / "labelled"


@dataclass(frozen=True)
class Turn:
    id: str
    text: str
    intent: str
    slots: dict[str, Any]
    relevant: tuple[str, ...]
    profile: dict[str, Any] | None = None


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...] = field(default_factory=tuple)


def _turn(item_id: str, raw: dict[str, Any]) -> Turn:
    return Turn(
        id=item_id,
        text=str(raw["text"]),
        intent=str(raw["intent"]),
        slots=dict(raw.get("slots") or {}),
        relevant=tuple(str(r) for r in raw.get("relevant") or ()),
        profile=dict(raw["profile"]) if raw.get("profile") is not None else None,
    )


def load_questions(split: Split | None = None, root: Path = LABELLED) -> list[Turn]:
    out: list[Turn] = []
    for path in sorted(root.glob("questions-*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if split is None or split_of(str(raw["id"])) == split:
                out.append(_turn(str(raw["id"]), raw))
    return out


def load_conversations(split: Split | None = None, root: Path = LABELLED) -> list[Conversation]:
    out: list[Conversation] = []
    for path in sorted(root.glob("conversations-*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cid = str(raw["id"])
            if split is None or split_of(cid) == split:
                turns = tuple(_turn(f"{cid}#{i}", t) for i, t in enumerate(raw["turns"], start=1))
                out.append(Conversation(cid, turns))
    return out


def export_beir(corpus_dir: Path, out_root: Path = DATA) -> dict[str, dict[str, int]]:
    corpus = load_corpus(corpus_dir)
    docs = chunk_corpus(corpus)
    known = {d.id for d in docs}
    report: dict[str, dict[str, int]] = {}
    for split in ("dev", "test"):
        target = out_root / f"beir-{split}"
        (target / "qrels").mkdir(parents=True, exist_ok=True)
        with (target / "corpus.jsonl").open("w", encoding="utf-8") as fh:
            for d in docs:
                meta = {"kind": d.kind, "doc_id": d.doc_id, "alt_titles": list(d.alt_titles)}
                fh.write(
                    json.dumps({"_id": d.id, "title": d.title, "text": d.text, "metadata": meta}, ensure_ascii=False)
                    + "\n"
                )
        questions = [q for q in load_questions(split) if q.relevant]
        missing = sorted({r for q in questions for r in q.relevant} - known)
        if missing:
            raise ValueError(f"labelled questions cite unknown chunk ids: {missing[:10]}")
        with (target / "queries.jsonl").open("w", encoding="utf-8") as fh:
            for q in questions:
                fh.write(json.dumps({"_id": q.id, "text": q.text}, ensure_ascii=False) + "\n")
        with (target / "qrels" / "test.tsv").open("w", encoding="utf-8") as fh:
            fh.write("query-id\tcorpus-id\tscore\n")
            for q in questions:
                for r in q.relevant:
                    fh.write(f"{q.id}\t{r}\t1\n")
        (target / "userdict.txt").write_text(corpus_user_dictionary(corpus).dumps(), encoding="utf-8")
        report[split] = {"documents": len(docs), "queries": len(questions)}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.labelled")
    parser.add_argument("command", choices=["export", "stats"])
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "corpus")
    args = parser.parse_args(argv)
    if args.command == "export":
        print(json.dumps(export_beir(args.corpus), ensure_ascii=False))
        return 0
    for split in ("dev", "test"):
        qs = load_questions(split)
        convs = load_conversations(split)
        intents = Counter(q.intent for q in qs)
        print(
            split,
            len(qs),
            "questions",
            len(convs),
            "conversations",
            sum(len(c.turns) for c in convs),
            "turns",
            dict(intents),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
