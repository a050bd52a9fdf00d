"""Shared fixtures: the small fixture corpus, settings, and a real index built from it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings
from indexer.build import build_from_corpus

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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
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
