"""Intent boundaries that must hold on unseen wording (eval/data/README.md, intent conventions),
the generated capability phrases, and the holdout scoring of ``python -m eval chat --holdout``
(fixture corpus: EG-2100, SN-VB500-Pro)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.content.loader import Corpus
from assistant.dialogue.cues import PROCEDURE
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.seeds import SEEDS, SEEDS_EXTRA, SEEDS_MORE, load_utterances, shipped_utterances
from assistant.dialogue.synthetic import value_phrases
from assistant.dialogue.types import INTENTS, CustomerProfile
from eval.chat import score_holdout

EMPTY = CustomerProfile()
HOLDOUT_DIR = Path(__file__).resolve().parents[2] / "eval" / "data" / "holdout"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a value of the product's table vs how to do something with it
        ("2100几个串口", "product_params"),
        ("2100串口参数怎么改", "knowledge_qa"),
        ("2100网口ip在哪里改", "knowledge_qa"),
        # the caller's own rebate figures vs how the policy is defined
        ("我q3新市场补贴能拿多少", "rebate_query"),
        ("新市场补贴一个季度封顶多少", "knowledge_qa"),
    ],
)
def test_intent_boundaries(nlu: Nlu, text: str, intent: str) -> None:
    assert nlu.understand(text, profile=EMPTY).intent == intent


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        ("th100波特率怎么改", True),
        ("在哪里设置链路备份", True),
        ("户外装要注意啥", True),
        ("485末端要不要并电阻", True),
        ("th100波特率多少", False),
        ("2100支持s7吗", False),
        ("怎么这么贵", False),
    ],
)
def test_procedure_wording(text: str, procedure: bool) -> None:
    assert bool(PROCEDURE.search(text)) is procedure


def test_value_phrases_ask_for_values_of_the_products_own_table(corpus: Corpus) -> None:
    phrases = list(value_phrases(corpus))
    assert phrases == list(value_phrases(corpus))  # deterministic
    assert phrases and {intent for _, intent in phrases} == {"product_params"}
    # SN-VB500-Pro's table says 无线制式 LoRa: "does the vb500 have LoRa" is a parameter question.
    assert any("lora" in text and ("vb500" in text) for text, _ in phrases)
    # No phrase names a value that is another product's id (compatibility is knowledge_qa).
    ids = {p.id.lower() for p in corpus.products}
    for text, _ in phrases:
        assert sum(pid in text for pid in ids) <= 1, text


def test_value_phrases_leave_out_units_and_product_ids(corpus: Corpus) -> None:
    from assistant.dialogue.synthetic import _value_pieces

    assert _value_pieces("Docker、ONNX、TensorFlow Lite") == ["docker", "onnx", "tensorflow lite"]
    assert _value_pieces("EC-300、EC-500-Pro") == []
    assert _value_pieces("2×550 W 冗余，220 V AC") == ["冗余"]
    assert "ghz" not in _value_pieces("双核 ARM 1.2 GHz")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "holdout.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_score_holdout_reports_accuracy_and_confusions(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '- {text: "a", intent: product_params}\n'
        '- {text: "b", intent: product_params}\n'
        '- {text: "c", intent: knowledge_qa}\n'
        '- {text: "d", intent: greeting}\n',
    )
    answers = {"a": "product_params", "b": "knowledge_qa", "c": "knowledge_qa", "d": "knowledge_qa"}
    seen: list[CustomerProfile] = []

    def understand(text: str, *, profile: CustomerProfile) -> SimpleNamespace:
        seen.append(profile)
        return SimpleNamespace(intent=answers[text])

    result = score_holdout(SimpleNamespace(understand=understand), path, errors=True)
    assert result["intent_accuracy"] == 0.5
    assert result["n"] == 4
    assert result["confusions"] == ["product_params -> knowledge_qa: 1", "greeting -> knowledge_qa: 1"]
    assert result["errors"] == [
        {"text": "b", "gold": "product_params", "pred": "knowledge_qa"},
        {"text": "d", "gold": "greeting", "pred": "knowledge_qa"},
    ]
    assert all(not p.known() for p in seen)  # every text is a first turn
    # a directory scores all of its files
    assert score_holdout(SimpleNamespace(understand=understand), tmp_path)["n"] == 4


def test_the_holdout_set_covers_every_intent_and_never_trains() -> None:
    files = sorted(HOLDOUT_DIR.glob("*.yaml"))
    assert files
    texts: list[str] = []
    counts: Counter[str] = Counter()
    for path in files:
        for u in load_utterances(path):
            texts.append(u.text)
            counts[u.intent] += 1
    assert set(counts) == set(INTENTS)
    assert len(texts) >= 300 and len(set(texts)) == len(texts)
    training = {u.text for u in shipped_utterances()} | {t for t, _ in (*SEEDS, *SEEDS_MORE, *SEEDS_EXTRA)}
    assert not training & set(texts)


def test_profile_facts_are_scored_one_by_one_beside_whole_turns() -> None:
    from assistant.dialogue.training import Turn
    from eval.chat import Score

    score = Score()
    label = {"customer_name": "恒泰", "region": "华东", "amount": "500000"}
    turn = Turn(item_id="C-1#1", text="t", intent="profile_update", slots={}, profile=label)
    # the name missed, the region and the order size (held as order_amount) right
    score.check_profile(turn, {"region": "华东", "order_amount": "500000"})
    score.check_profile(turn, {"customer_name": "恒泰", "region": "华东", "order_amount": "500000"})
    result = score.result()
    assert result["profile_accuracy"] == 0.5 and result["n_profile_checks"] == 2
    assert result["profile_fact_accuracy"] == round(5 / 6, 4)
    assert result["profile_fact_accuracy_by_field"]["customer_name"] == {"n": 2, "accuracy": 0.5}
    assert result["profile_fact_accuracy_by_field"]["amount"] == {"n": 2, "accuracy": 1.0}
    assert score.profile_errors == [
        {"id": "C-1#1", "text": "t", "wrong": {"customer_name": {"want": "恒泰", "have": None}}}
    ]
