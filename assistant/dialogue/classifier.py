"""A small multinomial logistic-regression intent classifier in numpy.

Features are strings (character n-grams of the masked utterance, jieba words and
cue flags computed by the NLU); the vocabulary is whatever the training set
contains.  Training is full-batch gradient descent with a fixed number of steps
and zero initial weights, so the same examples always give the same model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TrainingExample:
    features: tuple[str, ...]
    label: str


class IntentClassifier:
    """Softmax regression over sparse binary features (L2-normalised per example)."""

    def __init__(
        self, *, labels: Sequence[str], l2: float = 1e-4, steps: int = 1500, learning_rate: float = 8.0
    ) -> None:
        self.labels = tuple(labels)
        self.l2 = l2
        self.steps = steps
        self.learning_rate = learning_rate
        self._vocab: dict[str, int] = {}
        self._weights: FloatArray = np.zeros((0, len(self.labels)))
        self._bias: FloatArray = np.zeros(len(self.labels))

    @property
    def trained(self) -> bool:
        return bool(self._vocab)

    def fit(self, examples: Sequence[TrainingExample]) -> None:
        label_index = {label: i for i, label in enumerate(self.labels)}
        vocab: dict[str, int] = {}
        for ex in examples:
            for f in ex.features:
                vocab.setdefault(f, len(vocab))
        n, d, c = len(examples), len(vocab), len(self.labels)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        y = np.zeros((n, c))
        for row, ex in enumerate(examples):
            idx = sorted({vocab[f] for f in ex.features})
            rows.extend([row] * len(idx))
            cols.extend(idx)
            vals.extend([1.0 / math.sqrt(len(idx))] * len(idx))
            y[row, label_index[ex.label]] = 1.0
        x = sparse.csr_matrix((vals, (rows, cols)), shape=(n, d))
        xt = x.T.tocsr()
        # Balance classes so a well-represented intent does not swamp a rare one.
        counts = y.sum(axis=0)
        sample_weight = (y @ np.where(counts > 0, n / (c * np.maximum(counts, 1)), 0.0))[:, None]
        w = np.zeros((d, c))
        b = np.zeros(c)
        for _ in range(self.steps):
            p = _softmax(x @ w + b)
            g = (p - y) * sample_weight / n
            w -= self.learning_rate * (xt @ g + self.l2 * w)
            b -= self.learning_rate * g.sum(axis=0)
        self._vocab = vocab
        self._weights = w
        self._bias = b

    def predict_proba(self, features: Sequence[str]) -> dict[str, float]:
        cols = sorted({self._vocab[f] for f in features if f in self._vocab})
        logits = self._bias.copy()
        if cols:
            logits = logits + self._weights[cols].sum(axis=0) / math.sqrt(len(set(features)))
        p = _softmax(logits[None, :])[0]
        return {label: float(p[i]) for i, label in enumerate(self.labels)}


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out
