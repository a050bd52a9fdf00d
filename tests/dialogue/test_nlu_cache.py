"""The trained NLU is cached: once per process in memory, and on disk with a cache_dir."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.content.loader import Corpus
from assistant.dialogue import nlu_cache
from assistant.dialogue.classifier import DenseIntentModel, IntentClassifier, TrainingExample
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.types import INTENTS, CustomerProfile
from assistant.retrieval.embedders import HashEmbedder

EXAMPLES = [("客户在宁波 做注塑的", "profile_update"), ("2100串口几个", "product_params")]
PROBES = ("eg2100功耗多少", "今天天气怎么样", "有没有汽配厂的案例", "转人工")


def _predictions(nlu: Nlu) -> list[tuple[str, float]]:
    out = []
    for text in PROBES:
        u = nlu.understand(text, profile=CustomerProfile())
        out.append((u.intent, u.confidence))
    return out


def test_weights_are_written_once_and_loaded_with_the_same_predictions(corpus: Corpus, tmp_path: Path) -> None:
    nlu_cache.MEMO.clear()
    first = Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path)
    files = list(tmp_path.glob("nlu-*.npz"))
    assert len(files) == 1
    nlu_cache.MEMO.clear()  # a new process: only the disk cache is left
    second = Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path)
    assert _predictions(second) == _predictions(first)
    assert list(tmp_path.glob("nlu-*.npz")) == files


def test_other_training_data_gets_another_cache_entry(corpus: Corpus, tmp_path: Path) -> None:
    Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path)
    Nlu(corpus=corpus, examples=[*EXAMPLES, ("你好呀", "greeting")], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("nlu-*.npz"))) == 2


def test_a_corrupt_cache_file_is_retrained(corpus: Corpus, tmp_path: Path) -> None:
    nlu_cache.MEMO.clear()
    Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path)
    (path,) = tmp_path.glob("nlu-*.npz")
    path.write_bytes(b"not an npz")
    nlu_cache.MEMO.clear()
    again = Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path)
    assert again.understand("转人工", profile=CustomerProfile()).intent == "handoff_request"


def test_with_an_encoder_the_dense_model_is_cached_too(corpus: Corpus, tmp_path: Path) -> None:
    nlu_cache.MEMO.clear()
    encoder = HashEmbedder(64)
    first = Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path, encoder=encoder)
    nlu_cache.MEMO.clear()
    second = Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path, encoder=encoder)
    assert _predictions(second) == _predictions(first)
    without = Nlu(corpus=corpus, examples=EXAMPLES, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("nlu-*.npz"))) == 2  # the encoder is part of the key
    assert without.understand("转人工", profile=CustomerProfile()).intent == "handoff_request"


def test_classifier_state_round_trip() -> None:
    examples = [TrainingExample(("a", "b"), "greeting"), TrainingExample(("c",), "out_of_scope", weight=0.5)]
    clf = IntentClassifier(labels=INTENTS, steps=50)
    clf.fit(examples)
    copy = IntentClassifier(labels=INTENTS)
    copy.restore(*clf.state())
    assert copy.predict_proba(["a"]) == clf.predict_proba(["a"])
    assert max(copy.predict_proba(["c"]).items(), key=lambda kv: kv[1])[0] == "out_of_scope"


def test_dense_model_learns_separable_vectors() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.1, (20, 8)) + np.eye(8)[0]
    b = rng.normal(0, 0.1, (20, 8)) + np.eye(8)[1]
    model = DenseIntentModel(labels=INTENTS)
    model.fit(np.vstack([a, b]), ["greeting"] * 20 + ["out_of_scope"] * 20, [1.0] * 40)
    assert max(model.predict_proba(np.eye(8)[0]).items(), key=lambda kv: kv[1])[0] == "greeting"
    assert max(model.predict_proba(np.eye(8)[1]).items(), key=lambda kv: kv[1])[0] == "out_of_scope"
