"""The customer REST tests' app: REST and chat over the demo channel data, in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rebates_api.harness import Api, build_index, make_settings
from tests.storage_backends import database_for


@pytest.fixture(scope="session")
def customers_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus's index, built once (chat needs one; its content does not matter here)."""
    tmp = tmp_path_factory.mktemp("customers-index")
    settings = make_settings(tmp, index_dir=tmp / "index")
    build_index(settings)
    return settings.index_dir


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, customers_index: Path, module_backend: str) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("customers-api")
    with database_for(module_backend, tmp) as url:
        app = Api(make_settings(tmp, index_dir=customers_index, database_url=url), chat=True)
        yield app
        app.close()
