"""The sentence encoder runs only when its vote could matter (nlu.DENSE_SKIP_CONFIDENCE)."""

from __future__ import annotations

import pytest

from assistant.content.loader import Corpus
from assistant.dialogue import nlu_cache
from assistant.dialogue.nlu import DENSE_SKIP_CONFIDENCE, Nlu, _sure_without_dense
from assistant.dialogue.types import INTENTS, CustomerProfile
from assistant.retrieval.embedders import HashEmbedder


@pytest.fixture(scope="module")
def encoded(corpus: Corpus) -> tuple[Nlu, HashEmbedder]:
    encoder = HashEmbedder(64)
    nlu_cache.MEMO.clear()
    return Nlu(corpus=corpus, encoder=encoder), encoder


def _scores(best: str, p: float) -> dict[str, float]:
    rest = (1 - p) / (len(INTENTS) - 1)
    return {i: (p if i == best else rest) for i in INTENTS}


def test_only_a_sure_vote_for_an_intent_that_does_not_retrieve_skips_the_encoder() -> None:
    assert _sure_without_dense(_scores("greeting", 0.9))
    assert _sure_without_dense(_scores("rebate_query", DENSE_SKIP_CONFIDENCE))
    assert not _sure_without_dense(_scores("greeting", DENSE_SKIP_CONFIDENCE - 0.01))
    # knowledge and parameter answers encode the text for retrieval anyway: always mixed
    assert not _sure_without_dense(_scores("knowledge_qa", 0.99))
    assert not _sure_without_dense(_scores("product_params", 0.99))


@pytest.mark.parametrize(("text", "encodes"), [("你好", False), ("转人工", False), ("EG-2100 有几个串口", True)])
def test_the_encoder_runs_when_the_sparse_model_is_not_sure_of_a_non_retrieving_intent(
    encoded: tuple[Nlu, HashEmbedder], text: str, encodes: bool
) -> None:
    nlu, encoder = encoded
    sparse = nlu._classifier.predict_proba(nlu._features(text, CustomerProfile())[0])
    assert _sure_without_dense(sparse) is not encodes  # the premise of this case
    before = encoder.texts_encoded
    analysis = nlu.analyse(text, profile=CustomerProfile())
    assert (encoder.texts_encoded > before) is encodes
    if not encodes:  # the word model alone decided: its probabilities are the turn's
        assert analysis.scores == sparse
