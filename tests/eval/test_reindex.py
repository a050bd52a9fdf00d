"""``python -m eval reindex``, small: a real service (two engine worker processes) on the
fixture corpus with the hashed embedder, four chat sessions of load, and three FAQ edits
published one after another; each new answer is served, and no turn fails while the
serving process and both workers switch to the new index."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pytest

from eval.reindex import add_arguments, answers_from, marker_position, run, with_marker
from tests.conftest import FIXTURE_CORPUS

pytestmark = pytest.mark.slow


def test_the_marker_goes_at_the_end_of_the_first_sentence() -> None:
    assert marker_position("先挂导轨，再按压。拆卸时拨动卡扣。") == 8
    assert with_marker("先挂导轨，再按压。拆卸时拨动卡扣。", "（M）") == "先挂导轨，再按压（M）。拆卸时拨动卡扣。"
    assert with_marker("标准质保 24 个月", "（M）") == "标准质保 24 个月（M）"
    reply = {"text": "边缘网关标准质保 24 个月，自发货之日起计算。", "citations": [{"doc_id": "FAQ-WAR-001"}]}
    assert answers_from(reply, "FAQ-WAR-001", "边缘网关标准质保 24 个月，自发货之日起计算；人为损坏不在保修范围内。")
    assert not answers_from(reply, "FAQ-INS-001", "边缘网关标准质保 24 个月，自发货之日起计算。")
    assert not answers_from({**reply, "text": "请联系专家"}, "FAQ-WAR-001", "边缘网关标准质保 24 个月。")


def test_published_faq_edits_are_answered_under_load_without_a_failed_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fixture corpus (three FAQ entries) with the hashed embedder and no sentence encoder
    # in the NLU: the service starts, builds and trains in seconds.
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(FIXTURE_CORPUS))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash-64")
    monkeypatch.setenv("ASSISTANT_NLU_ENCODER", "")
    monkeypatch.setenv("ASSISTANT_NLU_CACHE_DIR", str(tmp_path / "nlu"))  # nothing of var/cache copied
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--edits", "3", "--sessions", "4", "--engine-processes", "2", "--work-dir", str(tmp_path / "work")]
    )
    result = run(args)

    assert result["edits"] == 3 and result["missed"] == 0 and result["edit_errors"] == []
    assert result["releases_failed"] == 0
    # Every edit's marker was served, after the publish and no later than the timeout.
    assert len(result["per_edit"]) == 3
    for edit in result["per_edit"]:
        assert edit["status"] == "live"
        assert 0 < edit["publish_to_answer_s"] < args.edit_timeout_s
        assert 0 < edit["publish_to_live_s"] < args.edit_timeout_s
    assert len({e["entry_id"] for e in result["per_edit"]}) == 3
    p95 = result["publish_to_answer_s"]["p95"]
    assert isinstance(p95, float) and math.isfinite(p95) and p95 > 0
    assert result["publish_to_answer_s"]["p50"] <= p95 <= result["publish_to_answer_s"]["max"]
    # Load ran all along, and not one turn failed while the engines switched.
    assert result["turns"] > 0 and result["turns_during_switches"] > 0 and result["probe_turns"] >= 3
    assert result["failed_turns"] == 0, result["error_codes"]
    # Once a release is live, every turn is answered from it.
    assert result["stale_after_live"] == 0
    assert result["sessions"] == 4 and result["engine_processes"] == 2 and result["unfinished_sessions"] == 0
    assert result["turn_latency_ms"]["p95"] > 0 and result["cpu_count"]
    assert result["server"]["texts_embedded_per_release"] == 1.0  # incremental: only the edited FAQ
