"""The independent training utterances (assistant/dialogue/data/utterances.yaml) and their loader."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from assistant.dialogue.seeds import (
    SEEDS,
    SEEDS_EXTRA,
    SEEDS_MORE,
    UTTERANCES_PATH,
    UtteranceDataError,
    load_utterances,
    shipped_utterances,
)
from assistant.dialogue.types import INTENTS

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "utterances.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_valid_file_loads_in_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path, '- {text: "2100几个串口", intent: product_params}\n- {text: "转人工吧", intent: handoff_request}\n'
    )
    loaded = load_utterances(path)
    assert [(u.text, u.intent) for u in loaded] == [("2100几个串口", "product_params"), ("转人工吧", "handoff_request")]


def test_an_unknown_intent_is_rejected_with_the_entry_named(tmp_path: Path) -> None:
    path = _write(tmp_path, '- {text: "你好", intent: greeting}\n- {text: "查下物流", intent: shipping_query}\n')
    with pytest.raises(UtteranceDataError, match=r"entry 2 .*shipping_query"):
        load_utterances(path)


def test_a_duplicate_text_is_rejected(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '- {text: "有钢厂案例吗", intent: case_request}\n'
        '- {text: "你好", intent: greeting}\n'
        '- {text: " 有钢厂案例吗 ", intent: knowledge_qa}\n',
    )
    with pytest.raises(UtteranceDataError, match=r"entry 3: duplicate text .*first at entry 1"):
        load_utterances(path)


@pytest.mark.parametrize(
    "body",
    ['- {text: "", intent: greeting}\n', '- {text: "你好"}\n', "text: 你好\nintent: greeting\n", "- [unclosed\n"],
)
def test_empty_text_missing_keys_and_bad_yaml_are_rejected(tmp_path: Path, body: str) -> None:
    with pytest.raises(UtteranceDataError):
        load_utterances(_write(tmp_path, body))


def test_the_shipped_file_covers_every_intent_and_is_not_the_seeds() -> None:
    loaded = shipped_utterances()
    counts = Counter(u.intent for u in loaded)
    assert set(counts) == set(INTENTS)
    assert all(counts[i] >= 10 for i in INTENTS), counts
    assert len(loaded) >= 400
    seeds = {t for t, _ in (*SEEDS, *SEEDS_MORE, *SEEDS_EXTRA)}
    assert not seeds & {u.text for u in loaded}


def test_the_shipped_file_is_declared_as_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["assistant.dialogue"]
    package_dir = REPO / "assistant" / "dialogue"
    shipped = {p.resolve() for pattern in patterns for p in package_dir.glob(pattern)}
    assert UTTERANCES_PATH.resolve() in shipped
