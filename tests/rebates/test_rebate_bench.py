"""The benchmark entry point runs (on a small input) and reports what the brief asks."""

from __future__ import annotations

import argparse

from eval import rebates_bench


def test_bench_run_small() -> None:
    parser = argparse.ArgumentParser()
    rebates_bench.add_arguments(parser)
    result = rebates_bench.run(parser.parse_args(["--orders", "300", "--repeat", "5"]))
    assert result["orders"] == 300
    timings = result["statement_ms"]
    assert isinstance(timings, dict)
    assert 0 < timings["p50"] <= timings["p95"]
