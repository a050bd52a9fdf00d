"""``python -m eval failover``, a few cycles: two real instances (``python -m assistant
serve`` processes) on a fresh PostgreSQL database and one Redis; one of them is killed
with SIGKILL mid-conversation and its clients resume on the other, and no acknowledged
message is lost or left unanswered."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from eval.failover import POSTGRES, REDIS, add_arguments, run, unavailable
from tests.conftest import FIXTURE_CORPUS

pytestmark = pytest.mark.slow


def test_two_kills_lose_nothing_and_clients_resume_on_the_other_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = unavailable(POSTGRES, REDIS)
    if reason is not None:
        pytest.skip(reason)
    # The fixture corpus with the hashed embedder: the instances start (and restart) in seconds.
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(FIXTURE_CORPUS))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash-64")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--cycles", "2", "--sessions", "4", "--think-ms", "100", "--settle-s", "40"])
    result = run(args)
    shown = {k: v for k, v in result.items() if k != "server_warnings"} | {"warnings": result["server_warnings"]}
    assert result["cycles"] == 2
    assert result["client_crashes"] == [], shown
    assert result["messages_acked"] > 0 and result["never_acked"] == 0, shown
    assert result["acked_lost"] == 0 and result["acked_unanswered"] == 0, shown
    assert result["db_unanswered"] == 0 and result["duplicate_answers"] == 0 and result["seq_gaps"] == 0, shown
    # Each kill had clients on the victim, and every one of them resumed on the other instance.
    assert result["sessions_hit_per_kill"] >= 1, shown
    assert result["resumes"] >= 2 and 0 < result["resume_s"]["p95"] < 10, shown
