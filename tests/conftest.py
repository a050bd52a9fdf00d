"""Shared fixtures: the small fixture corpus, settings, and a real index built from it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.content.loader import Corpus, load_corpus
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.nlu import Nlu
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import PROJECT_ROOT, Settings
from indexer.build import build_from_corpus
from tests.storage_backends import BACKENDS, database_for

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"

# Test servers answer in process: a worker process per server would add seconds to each
# of the many server start-ups.  tests/api/test_engine_pool.py covers the pool itself.
os.environ.setdefault("ASSISTANT_ENGINE_PROCESSES", "0")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private, editable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite (a file) and once on PostgreSQL (a fresh database,
    dropped afterwards; skipped, with the reason, where no server answers)."""
    with database_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> str:
    """The backend of fixtures shared by a module's tests ("sqlite", "postgresql"); each such
    fixture makes its own database with ``tests.storage_backends.database_for``."""
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # SQLite only: the retrieval tests that use these settings never open the database.
    return Settings(index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path / 'test.db'}", embedder="hash")


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder(64)


@pytest.fixture
def built_index(corpus_dir: Path, settings: Settings, hash_embedder: HashEmbedder) -> Path:
    build_from_corpus(corpus_dir, out=settings.index_dir, settings=settings, embedder=hash_embedder, progress=False)
    return settings.index_dir


@pytest.fixture
def retriever(built_index: Path, settings: Settings, hash_embedder: HashEmbedder) -> Iterator[HybridRetriever]:
    r = HybridRetriever(built_index, settings=settings, embedder=hash_embedder)
    r.load()
    yield r


@pytest.fixture(scope="session")
def shipped_corpus() -> Corpus:
    return load_corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="session")
def shipped_engine(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Corpus) -> DialogueEngine:
    """The dialogue engine over the shipped corpus, with a real index built by the
    deterministic hash embedder (the sentence encoder is the one slow seam faked here)."""
    tmp = tmp_path_factory.mktemp("shipped")
    settings = Settings(index_dir=tmp / "index", embedder="hash", nlu_cache_dir=tmp / "nlu", nlu_encoder="")
    embedder = HashEmbedder(64)
    build_from_corpus(
        PROJECT_ROOT / "corpus", out=settings.index_dir, settings=settings, embedder=embedder, progress=False
    )
    retriever = HybridRetriever(settings.index_dir, settings=settings, embedder=embedder)
    retriever.load()
    nlu = Nlu(corpus=shipped_corpus, tokenizer=retriever.tokenizer, cache_dir=settings.nlu_cache_dir)
    return DialogueEngine(corpus=shipped_corpus, retriever=retriever, nlu=nlu)


@pytest.fixture(scope="session")
def served_engine(shipped_engine: DialogueEngine, shipped_corpus: Corpus) -> DialogueEngine:
    """:func:`shipped_engine` with the NLU the service trains (seeds plus the labelled dev split,
    assistant.dialogue.factory): routing rules that guard against its readings are tested here."""
    from assistant.dialogue.training import dev_examples

    nlu = Nlu(corpus=shipped_corpus, tokenizer=shipped_engine.retriever.tokenizer, examples=dev_examples())
    return DialogueEngine(corpus=shipped_corpus, retriever=shipped_engine.retriever, nlu=nlu)
