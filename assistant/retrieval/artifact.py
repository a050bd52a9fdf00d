"""The on-disk index artifact and its atomic publication.

Layout of an index directory::

    INDEX_DIR/
      current -> builds/<build_id>     symlink, swapped atomically (rename)
      builds/<build_id>/
        manifest.json                  hashes, model, dims, timings, counts
        documents.jsonl                one Document per line
        userdict.txt                   tokenizer user dictionary
        bm25_title.npz, bm25_body.npz  SparseBM25 per field
        vectors.npy                    float32 [n_vectors, dim], L2-normalised
        vector_doc.npy                 int32 [n_vectors]: document row of each vector
        vector_keys.json               content key of each vector (for reuse)
        dense.faiss                    HNSW graph (only above the size threshold)

A build is written to ``builds/<build_id>.partial`` and renamed when complete;
then ``current`` is re-pointed with a rename of a fresh symlink, which POSIX
makes atomic.  Readers always see either the old build or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from assistant.content.documents import Document
from assistant.errors import AssistantError
from assistant.retrieval.bm25 import SparseBM25
from assistant.retrieval.tokenizer import UserDictionary

MANIFEST = "manifest.json"
CURRENT = "current"
BUILDS = "builds"
FORMAT_VERSION = 1
KEEP_BUILDS = 3


class IndexNotFoundError(AssistantError):
    code = "index_not_found"


@dataclass(frozen=True)
class IndexArtifact:
    """Everything a retriever needs, loaded in memory."""

    path: Path
    manifest: dict[str, Any]
    documents: list[Document]
    user_dict: UserDictionary
    bm25_title: SparseBM25
    bm25_body: SparseBM25
    vectors: npt.NDArray[np.float32]
    vector_doc: npt.NDArray[np.int32]
    vector_keys: list[str]
    hnsw: faiss.Index | None

    @property
    def model(self) -> str:
        return str(self.manifest["model"]["name"])

    @property
    def dim(self) -> int:
        return int(self.manifest["model"]["dim"])


def resolve(index_dir: Path) -> Path:
    """The build directory an index directory currently serves (or a build dir itself)."""
    if (index_dir / MANIFEST).exists():
        return index_dir
    current = index_dir / CURRENT
    if current.exists() and (current / MANIFEST).exists():
        return current.resolve()
    raise IndexNotFoundError(f"no index at {index_dir} (run: python -m indexer build CORPUS_DIR --out {index_dir})")


def load_manifest(index_dir: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((resolve(index_dir) / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def load(index_dir: Path) -> IndexArtifact:
    path = resolve(index_dir)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexNotFoundError(f"index at {path} has format {manifest.get('format')}, expected {FORMAT_VERSION}")
    with (path / "documents.jsonl").open(encoding="utf-8") as fh:
        documents = [Document.from_json(json.loads(line)) for line in fh if line.strip()]
    hnsw_path = path / "dense.faiss"
    return IndexArtifact(
        path=path,
        manifest=manifest,
        documents=documents,
        user_dict=UserDictionary.loads((path / "userdict.txt").read_text(encoding="utf-8")),
        bm25_title=_load_bm25(path / "bm25_title.npz"),
        bm25_body=_load_bm25(path / "bm25_body.npz"),
        vectors=np.load(path / "vectors.npy"),
        vector_doc=np.load(path / "vector_doc.npy"),
        vector_keys=json.loads((path / "vector_keys.json").read_text(encoding="utf-8")),
        hnsw=faiss.read_index(str(hnsw_path)) if hnsw_path.exists() else None,
    )


def load_vectors(index_dir: Path) -> tuple[dict[str, Any], npt.NDArray[np.float32], list[str]]:
    """The manifest, vectors and their content keys of the build an index directory serves,
    without the rest (what an incremental build reuses)."""
    path = resolve(index_dir)
    manifest: dict[str, Any] = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    keys: list[str] = json.loads((path / "vector_keys.json").read_text(encoding="utf-8"))
    return manifest, np.load(path / "vectors.npy"), keys


def _load_bm25(path: Path) -> SparseBM25:
    with np.load(path, allow_pickle=True) as npz:
        return SparseBM25.from_arrays({k: npz[k] for k in npz.files})


def write_build(
    *,
    index_dir: Path,
    build_id: str,
    manifest: dict[str, Any],
    documents: Sequence[Document],
    user_dict: UserDictionary,
    bm25_title: SparseBM25,
    bm25_body: SparseBM25,
    vectors: npt.NDArray[np.float32],
    vector_doc: npt.NDArray[np.int32],
    vector_keys: Sequence[str],
    hnsw: faiss.Index | None,
) -> Path:
    """Write a complete build next to the live one and switch ``current`` to it."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    final = builds / build_id
    partial = builds / f"{build_id}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    with (partial / "documents.jsonl").open("w", encoding="utf-8") as fh:
        for doc in documents:
            fh.write(json.dumps(doc.to_json(), ensure_ascii=False) + "\n")
    (partial / "userdict.txt").write_text(user_dict.dumps(), encoding="utf-8")
    np.savez(partial / "bm25_title.npz", **bm25_title.to_arrays())  # type: ignore[arg-type]
    np.savez(partial / "bm25_body.npz", **bm25_body.to_arrays())  # type: ignore[arg-type]
    np.save(partial / "vectors.npy", vectors)
    np.save(partial / "vector_doc.npy", vector_doc)
    (partial / "vector_keys.json").write_text(json.dumps(list(vector_keys)), encoding="utf-8")
    if hnsw is not None:
        faiss.write_index(hnsw, str(partial / "dense.faiss"))
    # The manifest goes last: a directory without one is never served.
    (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    _fsync_dir(partial)
    os.rename(partial, final)
    switch_current(index_dir, final)
    _prune(builds, keep=final)
    return final


def switch_current(index_dir: Path, build: Path) -> None:
    tmp = index_dir / f".{CURRENT}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(Path(BUILDS) / build.name)
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(builds: Path, *, keep: Path) -> None:
    """Delete old builds (and abandoned partial ones), keeping the newest few."""
    complete = sorted(
        (p for p in builds.iterdir() if p.is_dir() and not p.name.endswith(".partial")), key=lambda p: p.name
    )
    for old in complete[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for partial in builds.glob("*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
