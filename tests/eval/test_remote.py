"""``python -m eval remote``: the summary of a run and the targets it reports (pure parts; the
browser calls themselves are exercised by tests/web/test_remote_assist.py)."""

from __future__ import annotations

import argparse

from eval.remote import (
    ANNOTATION_P95_TARGET_MS,
    DEFAULT_CALLS,
    SETUP_P95_TARGET_MS,
    add_arguments,
    stat,
    summarise,
    target_lines,
)


def ok(setup: float, *marks: float) -> dict[str, object]:
    return {"ok": True, "setup_ms": setup, "annotation_ms": list(marks)}


def test_percentiles_are_measured_values_by_nearest_rank() -> None:
    s = stat([float(v) for v in range(20, 0, -1)])  # 20..1 ms
    assert s == {"n": 20, "p50": 10.0, "p95": 19.0, "max": 20.0}
    assert stat([]) == {"n": 0, "p50": None, "p95": None, "max": None}


def test_summary_of_ten_good_calls_meets_both_targets() -> None:
    calls = [ok(300.0 + 10 * i, 2.0 + i, 3.0) for i in range(10)]
    result = summarise(calls)
    assert result["calls"] == 10 and result["failed"] == 0
    assert result["setup_ms"]["n"] == 10 and result["setup_ms"]["p50"] == 340.0 and result["setup_ms"]["p95"] == 390.0
    assert result["annotation_ms"]["n"] == 20 and result["annotation_ms"]["p95"] == 10.0
    assert all(result["targets"].values())
    assert "errors" not in result
    lines = target_lines(result)
    assert lines[0].endswith(": met") and "390.0 ms" in lines[0] and f"{SETUP_P95_TARGET_MS:.0f}" in lines[0]
    assert lines[1].endswith(": met") and f"{ANNOTATION_P95_TARGET_MS:.0f}" in lines[1]


def test_a_slow_setup_or_a_failed_call_is_not_met() -> None:
    slow = summarise([ok(SETUP_P95_TARGET_MS + 1, 5.0)])
    assert slow["targets"]["setup_p95_at_most_1500ms"] is False
    assert slow["targets"]["annotation_p95_at_most_150ms"] is True
    assert target_lines(slow)[0].endswith("NOT met")

    failed = summarise([ok(200.0, 1.0), {"ok": False, "error": "call: TimeoutError"}])
    assert failed["calls"] == 2 and failed["failed"] == 1
    assert failed["setup_ms"]["n"] == 1  # figures only from calls that completed
    assert not any(failed["targets"].values())
    assert failed["errors"] == ["call: TimeoutError"]


def test_no_call_has_no_figure() -> None:
    result = summarise([])
    assert result["setup_ms"]["p95"] is None and not result["targets"]["no_failed_call"]
    assert "no figure" in target_lines(result)[0]


def test_arguments_default_to_ten_calls() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    assert args.calls == DEFAULT_CALLS >= 10
    assert parser.parse_args(["--calls", "12"]).calls == 12
