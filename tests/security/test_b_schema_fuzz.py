"""No 500 anywhere: schemathesis generates requests for every operation of the OpenAPI
schema (valid and invalid ones), as an admin and as a partner's sales user, against a
live server on the demo channel network; no answer may be a 5xx.

The budget is bounded (``EXAMPLES`` per operation and mode, a few minutes at most on two
cores); ``SCHEMA_FUZZ_EXAMPLES`` raises it for a deeper run.  Rate limits are off here, so
the requests reach the routes instead of 429."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import PROJECT_ROOT, Settings
from indexer.build import build_from_corpus
from tests.api.conftest import LiveServer, free_port
from tests.conftest import FIXTURE_CORPUS

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "10"))
MAX_SECONDS = int(os.environ.get("SCHEMA_FUZZ_SECONDS", "90"))  # per user
REBATES = PROJECT_ROOT / "corpus" / "rebates"
PASSWORD = "pw-fuzz-123"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("fuzz")
    cfg = Settings(
        corpus_dir=FIXTURE_CORPUS,
        index_dir=tmp / "index",
        database_url=f"sqlite:///{tmp / 'fuzz.db'}",
        embedder="hash-64",
        secret_key="fuzz-secret-" + "x" * 40,
        secret_file=tmp / "secret.key",
        rebates_dir=REBATES,
        channels_file=REBATES / "channels.yaml",
        rebates_today=date(2026, 11, 27),
        demo=True,  # the demo channel network's users, with PASSWORD
        demo_password=PASSWORD,
        rate_limit_enabled=False,
    )
    build_from_corpus(FIXTURE_CORPUS, out=cfg.index_dir, settings=cfg, embedder=HashEmbedder(64), progress=False)
    srv = LiveServer(cfg, free_port())
    srv.start()
    yield srv
    srv.stop()


def _fuzz(live: LiveServer, username: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """schemathesis's own runner (its CLI): the coverage phase sends the boundary values
    (huge integers, empty and over-long strings, wrong types) a random search rarely finds."""
    token = live.token(username, PASSWORD)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live.http}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--seed",
        "13",
        "--no-shrink",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--continue-on-failure",
        "--report-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    return subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=MAX_SECONDS + 120, env=env, cwd=tmp_path
    )


@pytest.mark.parametrize("username", ["n_admin", "hz_sales1"])
def test_no_operation_answers_5xx(demo: LiveServer, username: str, tmp_path: Path) -> None:
    run = _fuzz(demo, username, tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Server error" not in run.stdout and " passed" in run.stdout  # it ran, and found none
