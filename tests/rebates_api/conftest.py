"""Fixtures: the demo rebate data behind an in-process app (read-only ones shared per module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rebates_api.harness import Api, build_index, make_settings
from tests.storage_backends import database_for


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus's index, built once (chat needs one; its content does not matter here)."""
    tmp = tmp_path_factory.mktemp("rebates-index")
    settings = make_settings(tmp, index_dir=tmp / "index")
    build_index(settings)
    return settings.index_dir


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Api]:
    """REST over the demo data; tests using it must not change anything."""
    tmp = tmp_path_factory.mktemp("rebates-demo")
    with database_for(module_backend, tmp) as url:
        api = Api(make_settings(tmp, database_url=url))
        yield api
        api.close()


@pytest.fixture
def fresh_api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    """A private app and database over the demo data, for tests that change the network."""
    api = Api(make_settings(tmp_path, database_url=database_url))
    yield api
    api.close()


@pytest.fixture(scope="module")
def chat_api(tmp_path_factory: pytest.TempPathFactory, fixture_index: Path, module_backend: str) -> Iterator[Api]:
    """REST and chat (dialogue engine with the rebate skill) over the demo data."""
    tmp = tmp_path_factory.mktemp("rebates-chat")
    with database_for(module_backend, tmp) as url:
        api = Api(make_settings(tmp, index_dir=fixture_index, database_url=url), chat=True)
        yield api
        api.close()
