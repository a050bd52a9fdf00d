"""The intent models' trained weights, kept once per process and on disk.

Training the NLU takes seconds; the service's engine processes and every restart
would repeat it.  Weights are stored under a key that hashes everything training
depends on (:func:`training_key`), so a change to the code, the corpus or the
examples trains again and nothing stale is ever loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.content.loader import Corpus
from assistant.dialogue.types import CustomerProfile, Intent
from assistant.retrieval.tokenizer import Tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainedWeights:
    vocab: tuple[str, ...]
    weights: npt.NDArray[np.float64]
    bias: npt.NDArray[np.float64]
    words: tuple[str, ...]  # every corpus word (the domain vocabulary)
    specificity: dict[str, float]  # corpus words rarer in general Chinese than in the corpus
    dense_weights: npt.NDArray[np.float64]  # empty without an encoder
    dense_bias: npt.NDArray[np.float64]


MEMO: dict[str, TrainedWeights] = {}
_MEMO_LOCK = threading.Lock()
# Source files whose change changes the features or the training.
CODE_FILES = (
    *sorted(Path(__file__).resolve().parent.glob("*.py")),
    *sorted((Path(__file__).resolve().parent / "data").glob("*.yaml")),  # the rewrites change features
    Path(__file__).resolve().parents[1] / "retrieval" / "tokenizer.py",
)


def training_key(
    *,
    corpus: Corpus,
    tokenizer: Tokenizer,
    training: Sequence[tuple[str, Intent, CustomerProfile, float]],
    year: int,
    options: str,
) -> str:
    """A hash of everything training depends on: the code, the corpus, the tokenizer's
    dictionary, the model ``options`` (as text), the year and every training example."""
    h = hashlib.sha256()
    h.update(options.encode())
    for path in CODE_FILES:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    root = Path(corpus.root)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    h.update(tokenizer.user_dict.dumps().encode())
    h.update(str(year).encode())
    for text, intent, profile, weight in training:
        known = sorted((k, str(v)) for k, v in profile.known().items())
        h.update(json.dumps([text, intent, known, weight], ensure_ascii=False).encode())
    return h.hexdigest()


def load(key: str, cache_dir: Path | None) -> TrainedWeights | None:
    """The weights trained for ``key``: from this process, else from ``cache_dir``."""
    with _MEMO_LOCK:
        memo = MEMO.get(key)
    if cache_dir is None:
        return memo
    path = cache_dir / f"nlu-{key[:32]}.npz"
    if memo is not None:
        if not path.is_file():
            store(key, memo, cache_dir)  # trained earlier in this process for another cache dir
        return memo
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            specific = [str(w) for w in data["specific"]]
            trained = TrainedWeights(
                vocab=tuple(str(f) for f in data["vocab"]),
                weights=np.asarray(data["weights"], dtype=np.float64),
                bias=np.asarray(data["bias"], dtype=np.float64),
                words=tuple(str(w) for w in data["words"]),
                specificity=dict(zip(specific, (float(x) for x in data["specificity"]), strict=True)),
                dense_weights=np.asarray(data["dense_weights"], dtype=np.float64),
                dense_bias=np.asarray(data["dense_bias"], dtype=np.float64),
            )
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable nlu cache %s: %s", path, exc)
        return None
    with _MEMO_LOCK:
        MEMO[key] = trained
    return trained


def store(key: str, trained: TrainedWeights, cache_dir: Path | None) -> None:
    """Keep the weights for this process and, atomically, in ``cache_dir``."""
    with _MEMO_LOCK:
        MEMO[key] = trained
    if cache_dir is None:
        return
    path = cache_dir / f"nlu-{key[:32]}.npz"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".nlu-", suffix=".npz", dir=cache_dir)
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                key=np.array(key),
                vocab=np.array(trained.vocab, dtype=str),
                weights=trained.weights,
                bias=trained.bias,
                words=np.array(trained.words, dtype=str),
                specific=np.array(list(trained.specificity), dtype=str),
                specificity=np.array(list(trained.specificity.values()), dtype=np.float64),
                dense_weights=trained.dense_weights,
                dense_bias=trained.dense_bias,
            )
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError as exc:
        log.warning("could not write nlu cache %s: %s", path, exc)
