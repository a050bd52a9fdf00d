"""Benchmark: the role-play rubric's verdicts against hand labels, and its speed.

``python -m eval roleplay --json OUT`` calls :func:`add_arguments` and :func:`run` over
``eval/data/roleplay/answers.yaml`` (README.md there: how the answers and labels were written).

* ``agreement``: share of answers whose verdict (pass / partial / fail) equals the hand label,
  on all answers and per split (sha256(id) first hex digit 0-7 = test; thresholds are chosen
  on dev only).  Target >= 0.90 on test.  ``agreement_by_batch``: the same per batch of
  answers (batch B was written after the rubric was tuned and never used to tune it).
* ``flags``: of the answers labelled with a wrong figure or an invented fact, the share where
  the labelled dimension flags it (a wrong value check or an issue, and a score below 1).
* ``score_ms``: one ``Roleplay.score`` call (reading, matching, feedback) per answer, after one
  warm-up pass; ``p50`` and ``p95`` over ``--repeat`` timings of every answer.  Target p95 <= 30 ms.

The scenarios the answers reply to are rebuilt from their requests and checked against the
scenario id, turn kinds and a hash of each turn's ideal wording recorded when the labels were
written: if the scenario builder changed them, the labels are stale and the run stops.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.content.loader import load_corpus, load_yaml
from assistant.dialogue.training import split_of
from assistant.training.roleplay import Roleplay, Scenario, ScenarioRequest, TurnScore

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "eval" / "data" / "roleplay" / "answers.yaml"
TARGET_AGREEMENT = 0.90
TARGET_P95_MS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DATA, help="answers file (default: eval/data/roleplay)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=5, help="timed scorings of every answer (default 5)")
    parser.add_argument("--split", choices=("all", "dev", "test"), default="all", help="answers to list when wrong")


class StaleLabelsError(RuntimeError):
    """The scenario builder no longer builds the customer turns the labels were written for."""


def run(args: argparse.Namespace) -> dict[str, Any]:
    raw = load_yaml(Path(args.data).read_text(encoding="utf-8"))
    roleplay = Roleplay.from_corpus(load_corpus(args.corpus))
    scenarios = {key: _scenario(roleplay, key, spec) for key, spec in raw["scenarios"].items()}
    answers: list[dict[str, Any]] = raw["answers"]

    def score(item: dict[str, Any]) -> TurnScore:
        return roleplay.score(scenarios[item["scenario"]], int(item["turn"]), item.get("answer") or "")

    scores = {item["id"]: score(item) for item in answers}  # also the warm-up pass
    timings: list[float] = []
    for _ in range(max(1, args.repeat)):
        for item in answers:
            start = time.perf_counter()
            score(item)
            timings.append((time.perf_counter() - start) * 1000)

    agree: dict[str, list[bool]] = {"all": [], "dev": [], "test": []}
    by_batch: dict[str, dict[str, list[bool]]] = {}
    confusion: dict[str, Counter[str]] = {"dev": Counter(), "test": Counter()}
    flags = {"n": 0, "flagged": 0}
    wrong: list[dict[str, Any]] = []
    for item in answers:
        result = scores[item["id"]]
        split = split_of(item["id"])
        ok = result.verdict == item["label"]
        agree["all"].append(ok)
        agree[split].append(ok)
        batch = by_batch.setdefault(str(item.get("batch", "A")), {"all": [], "dev": [], "test": []})
        batch["all"].append(ok)
        batch[split].append(ok)
        confusion[split][f"{item['label']}->{result.verdict}"] += 1
        flagged = True
        if item.get("flag"):
            flags["n"] += 1
            flagged = _flagged(result, item["flag"])
            flags["flagged"] += int(flagged)
        if (not ok or not flagged) and args.split in ("all", split):
            wrong.append(
                {
                    "id": item["id"],
                    "split": split,
                    "category": item.get("category", ""),
                    "label": item["label"],
                    "verdict": result.verdict,
                    "overall": result.overall,
                    "dimensions": {d.key: d.score for d in result.dimensions},
                    **({"flag": item["flag"], "flagged": flagged} if item.get("flag") else {}),
                }
            )
    ordered = sorted(timings)
    return {
        "n_answers": len(answers),
        "n_by_split": {s: len(agree[s]) for s in ("dev", "test")},
        "agreement": {s: round(sum(v) / len(v), 3) if v else None for s, v in agree.items()},
        "agreement_target": TARGET_AGREEMENT,
        "agreement_by_batch": {
            b: {s: round(sum(v) / len(v), 3) if v else None for s, v in splits.items()} | {"n": len(splits["all"])}
            for b, splits in sorted(by_batch.items())
        },
        "confusion": {s: dict(sorted(c.items())) for s, c in confusion.items()},
        "flags": {**flags, "recall": round(flags["flagged"] / flags["n"], 3) if flags["n"] else None},
        "score_ms": {
            "p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
            "max": round(ordered[-1], 2),
            "n": len(ordered),
            "target_p95": TARGET_P95_MS,
        },
        "disagreements": wrong,
    }


def _scenario(roleplay: Roleplay, key: str, spec: dict[str, Any]) -> Scenario:
    scenario = roleplay.scenario(ScenarioRequest(**spec["request"]))
    problems: list[str] = []
    if scenario.id != spec["scenario_id"]:
        problems.append(f"id {scenario.id} != {spec['scenario_id']}")
    built = {t.index: t for t in scenario.turns}
    for index, expected in spec["turns"].items():
        turn = built.get(int(index))
        if turn is None:
            problems.append(f"turn {index} missing")
            continue
        digest = hashlib.sha256(turn.ideal.encode("utf-8")).hexdigest()[:16]
        if turn.kind != expected["kind"] or digest != expected["ideal_sha256"]:
            problems.append(f"turn {index} ({turn.kind}) is no longer the turn the labels were written for")
    if problems:
        raise StaleLabelsError(f"scenario {key}: " + "; ".join(problems))
    return scenario


def _flagged(result: TurnScore, dimension: str) -> bool:
    """The labelled dimension flags the answer: a score below 1 with a wrong check or an issue."""
    dim = next((d for d in result.dimensions if d.key == dimension), None)
    if dim is None or dim.score is None or dim.score >= 1:
        return False
    if dimension == "values":
        return any(not c.correct for c in result.values)
    return any(i.kind in ("wrong_value", "invented_model", "below_floor", "contradicts") for i in result.issues)
