"""Fixtures: the demo rebate data behind an in-process app (read-only ones shared per module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rebates_api.harness import Api, build_index, make_settings


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus's index, built once (chat needs one; its content does not matter here)."""
    tmp = tmp_path_factory.mktemp("rebates-index")
    settings = make_settings(tmp, index_dir=tmp / "index")
    build_index(settings)
    return settings.index_dir


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """REST over the demo data; tests using it must not change anything."""
    api = Api(make_settings(tmp_path_factory.mktemp("rebates-demo")))
    yield api
    api.close()


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Api]:
    """A private app and database over the demo data, for tests that change the network."""
    api = Api(make_settings(tmp_path))
    yield api
    api.close()


@pytest.fixture(scope="module")
def chat_api(tmp_path_factory: pytest.TempPathFactory, fixture_index: Path) -> Iterator[Api]:
    """REST and chat (dialogue engine with the rebate skill) over the demo data."""
    api = Api(make_settings(tmp_path_factory.mktemp("rebates-chat"), index_dir=fixture_index), chat=True)
    yield api
    api.close()
