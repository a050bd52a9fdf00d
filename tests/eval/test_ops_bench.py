"""``python -m eval ops`` on the real ops corpus: the alerts find what the generator planted."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.ops.alert_inputs import OPS_DIR
from eval import ops
from eval.__main__ import main


def test_score_counts_matches_per_rule() -> None:
    planted = {("return_spike", "P-A", "2026Q1"), ("return_spike", "P-B", "2026Q1"), ("overstock", "P-A", "2026-03-02")}
    found = {("return_spike", "P-A", "2026Q1"), ("overstock", "P-A", "2026-03-02"), ("overstock", "P-C", "2026-03-02")}
    result = ops.score(found, planted)
    assert (result["alert_recall"], result["alert_precision"]) == (round(2 / 3, 4), round(2 / 3, 4))
    assert result["per_rule"]["return_spike"] == {
        "planted": 2,
        "alerts": 1,
        "matched": 1,
        "recall": 0.5,
        "precision": 1.0,
    }
    assert result["per_rule"]["overstock"]["precision"] == 0.5
    assert result["missed"] == ["return_spike/P-B/2026Q1"]
    assert result["unexpected"] == ["overstock/P-C/2026-03-02"]


def test_ops_benchmark_on_the_corpus_meets_its_targets(tmp_path: Path) -> None:
    out = tmp_path / "ops.json"
    args = ["ops", "--json", str(out), "--changes", "30", "--full-repeat", "2", "--verify-every", "3"]
    assert main(args) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["alert_recall"] >= ops.TARGET_RECALL, result["missed"]
    assert result["alert_precision"] >= ops.TARGET_PRECISION, result["unexpected"]
    assert result["planted"] > 0 and result["alerts"] > 0
    assert set(result["per_rule"]) == {
        "return_spike",
        "quarter_end_stuffing",
        "tier_edge_no_new",
        "overstock",
        "complaint_rate",
        "satisfaction_falling",
        "overdue_task",
    }
    for rule in ("return_spike", "quarter_end_stuffing", "tier_edge_no_new", "overstock", "complaint_rate"):
        assert result["per_rule"][rule]["planted"] > 0, rule  # every data rule has something to find
    for key in ("full_eval_ms", "incremental_eval_ms", "ledger_update_ms"):
        assert 0 < result[key]["p50"] <= result[key]["p95"], key
    assert result["incremental_eval_ms"]["n"] == 30
    assert (result["incremental_checked"], result["incremental_mismatches"]) == (10, 0)
    assert result["rules_version"] == result["thresholds"]["version"] != ""


def test_ops_benchmark_reads_another_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "ops"
    data.mkdir()
    for name in ("inventory.csv", "feedback.csv"):
        (data / name).write_text((OPS_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (data / "planted.yaml").write_text("- {rule: overstock, partner_id: P-NONE-01, period: '2026-01-05'}\n")
    parser = argparse.ArgumentParser()
    ops.add_arguments(parser)
    result = ops.run(parser.parse_args(["--data", str(data), "--changes", "2", "--full-repeat", "1"]))
    assert result["alert_recall"] == 0.0  # the one planted key is not in the data
    assert result["missed"] == ["overstock/P-NONE-01/2026-01-05"]
    assert result["alert_precision"] == 0.0 and result["alerts"] > 0
