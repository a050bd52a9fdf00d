"""Fixtures for the dialogue tests: the fixture corpus and an NLU built from it."""

from __future__ import annotations

import pytest

from assistant.content.loader import Corpus, load_corpus
from assistant.dialogue.nlu import Nlu
from tests.conftest import FIXTURE_CORPUS


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(FIXTURE_CORPUS)


@pytest.fixture(scope="session")
def nlu(corpus: Corpus) -> Nlu:
    return Nlu(corpus=corpus)
