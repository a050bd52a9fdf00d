"""A small multinomial logistic-regression intent classifier in numpy.

Features are strings (character n-grams of the masked utterance, jieba words and
cue flags computed by the NLU); the vocabulary is whatever the training set
contains.  Training is full-batch gradient descent with a fixed number of steps
and zero initial weights, so the same examples always give the same model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TrainingExample:
    features: tuple[str, ...]
    label: str
    weight: float = 1.0  # how much the example counts (generated examples count less than written ones)


class IntentClassifier:
    """Softmax regression over sparse binary features (L2-normalised per example)."""

    def __init__(
        self,
        *,
        labels: Sequence[str],
        l2: float = 1e-4,
        steps: int = 1500,
        learning_rate: float = 8.0,
        group_weights: Mapping[str, float] | None = None,
    ) -> None:
        self.labels = tuple(labels)
        # A feature's value is the weight of its group (the prefix before ":"), 1 by default.
        self.group_weights = dict(group_weights or {})
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
            values = self._values(ex.features)
            norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
            for f, v in sorted(values.items(), key=lambda fv: vocab[fv[0]]):
                rows.append(row)
                cols.append(vocab[f])
                vals.append(v / norm)
            y[row, label_index[ex.label]] = 1.0
        x = sparse.csr_matrix((vals, (rows, cols)), shape=(n, d))
        xt = x.T.tocsr()
        # Balance classes so a well-represented intent does not swamp a rare one.
        own = np.array([ex.weight for ex in examples])
        counts = (y * own[:, None]).sum(axis=0)
        total = float(own.sum())
        sample_weight = (own * (y @ np.where(counts > 0, total / (c * np.maximum(counts, 1e-9)), 0.0)))[:, None]
        w = np.zeros((d, c))
        b = np.zeros(c)
        for _ in range(self.steps):
            p = _softmax(x @ w + b)
            g = (p - y) * sample_weight / total
            w -= self.learning_rate * (xt @ g + self.l2 * w)
            b -= self.learning_rate * g.sum(axis=0)
        self._vocab = vocab
        self._weights = w
        self._bias = b

    def state(self) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
        """(vocabulary in column order, weights, bias): everything :meth:`restore` needs."""
        return tuple(self._vocab), self._weights, self._bias

    def restore(self, vocab: Sequence[str], weights: FloatArray, bias: FloatArray) -> None:
        if weights.shape != (len(vocab), len(self.labels)) or bias.shape != (len(self.labels),):
            raise ValueError("classifier state does not match the labels")
        self._vocab = {f: i for i, f in enumerate(vocab)}
        self._weights = weights
        self._bias = bias

    def predict_proba(self, features: Sequence[str]) -> dict[str, float]:
        values = self._values(features)
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        known = [(self._vocab[f], v / norm) for f, v in values.items() if f in self._vocab]
        logits = self._bias.copy()
        if known:
            cols, vals = zip(*known, strict=True)
            logits = logits + np.asarray(vals) @ self._weights[list(cols)]
        p = _softmax(logits[None, :])[0]
        return {label: float(p[i]) for i, label in enumerate(self.labels)}

    def _values(self, features: Sequence[str]) -> dict[str, float]:
        weights = self.group_weights
        return {f: weights.get(f.split(":", 1)[0], 1.0) for f in features}


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


class DenseIntentModel:
    """Softmax regression over sentence-embedding vectors (class-balanced, L2-regularised),
    fitted with L-BFGS from zero weights: the same inputs always give the same model.

    The sparse model above knows the wording; this one knows what sentences mean, so an
    off-topic question in words no training phrase used still lands near other off-topic
    questions.  The NLU mixes the two models' probabilities."""

    def __init__(self, *, labels: Sequence[str], c: float = 10.0, max_iter: int = 500) -> None:
        self.labels = tuple(labels)
        self.c = c
        self.max_iter = max_iter
        self._weights: FloatArray = np.zeros((0, len(self.labels)))
        self._bias: FloatArray = np.zeros(len(self.labels))

    @property
    def trained(self) -> bool:
        return bool(self._weights.size)

    def fit(self, vectors: npt.NDArray[np.floating], labels: Sequence[str], weights: Sequence[float]) -> None:
        from scipy.optimize import minimize

        x = np.asarray(vectors, dtype=np.float64)
        n, d = x.shape
        c = len(self.labels)
        index = {label: i for i, label in enumerate(self.labels)}
        y = np.zeros((n, c))
        y[np.arange(n), [index[label] for label in labels]] = 1.0
        own = np.asarray(weights, dtype=np.float64)
        counts = (y * own[:, None]).sum(axis=0)
        total = float(own.sum())
        sw = own * (y @ np.where(counts > 0, total / (c * np.maximum(counts, 1e-9)), 0.0))

        def loss(theta: FloatArray) -> tuple[float, FloatArray]:
            w = theta[: d * c].reshape(d, c)
            b = theta[d * c :]
            p = _softmax(x @ w + b)
            value = -float((sw * np.log(np.maximum((p * y).sum(axis=1), 1e-300))).sum()) + 0.5 / self.c * float(
                (w * w).sum()
            )
            g = (p - y) * sw[:, None]
            grad = np.concatenate([(x.T @ g + w / self.c).ravel(), g.sum(axis=0)])
            return value, grad

        result = minimize(loss, np.zeros(d * c + c), jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self._weights = result.x[: d * c].reshape(d, c)
        self._bias = result.x[d * c :]

    def state(self) -> tuple[FloatArray, FloatArray]:
        return self._weights, self._bias

    def restore(self, weights: FloatArray, bias: FloatArray) -> None:
        if weights.ndim != 2 or weights.shape[1] != len(self.labels) or bias.shape != (len(self.labels),):
            raise ValueError("dense model state does not match the labels")
        self._weights = weights
        self._bias = bias

    def predict_proba(self, vector: npt.NDArray[np.floating]) -> dict[str, float]:
        p = _softmax((np.asarray(vector, dtype=np.float64) @ self._weights + self._bias)[None, :])[0]
        return {label: float(p[i]) for i, label in enumerate(self.labels)}
