"""Read a dataset in BEIR layout: corpus.jsonl, queries.jsonl, qrels/test.tsv."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from assistant.content.documents import Document


@dataclass(frozen=True)
class BeirDataset:
    name: str
    documents: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}

    @property
    def judged_queries(self) -> list[str]:
        """Queries with at least one relevant document, in file order."""
        return [q for q in self.queries if any(v > 0 for v in self.qrels.get(q, {}).values())]


def load_beir(root: Path, *, split: str = "test") -> BeirDataset:
    documents: list[Document] = []
    with (root / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            extra = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
            kind = str(extra.get("kind", "doc"))
            documents.append(
                Document(
                    id=str(row["_id"]),
                    doc_id=str(row["_id"]),  # in BEIR the `_id` is the unit the qrels judge
                    kind=kind,
                    title=str(row.get("title") or ""),
                    text=str(row.get("text") or ""),
                    alt_titles=tuple(str(a) for a in extra.get("alt_titles", [])),
                    metadata={"kind": kind},
                )
            )
    queries: dict[str, str] = {}
    with (root / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = str(row["text"])
    qrels: dict[str, dict[str, int]] = {}
    with (root / "qrels" / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header and header[0] != "query-id":  # tolerate a missing header
            qrels.setdefault(header[0], {})[header[1]] = int(header[2])
        for qid, did, score, *_ in reader:
            qrels.setdefault(qid, {})[did] = int(score)
    return BeirDataset(root.name, documents, queries, qrels)
