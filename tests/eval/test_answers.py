"""The answer evaluation: its set files, its checks, and the checks every reply must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.state import DialogueState
from assistant.dialogue.types import Caller, CustomerProfile
from eval.answers import (
    ANSWERS_DIR,
    CATEGORIES,
    AnswerItem,
    AnswerSetError,
    AnswerTurn,
    Expectation,
    TurnOutcome,
    Wrap,
    appears,
    check_reply,
    evaluate,
    load_answer_set,
    load_wraps,
    universal_failures,
    wrap_items,
)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_shipped_sets_are_well_formed_and_large_enough(split: str) -> None:
    items = load_answer_set(ANSWERS_DIR / f"{split}.yaml")
    assert len(items) >= 75
    assert sum(len(i.turns) > 1 for i in items) >= len(items) // 3  # a third multi-turn
    assert {i.category for i in items} <= set(CATEGORIES)


def test_dev_and_test_share_no_item() -> None:
    dev = {i.id for i in load_answer_set(ANSWERS_DIR / "dev.yaml")}
    test = {i.id for i in load_answer_set(ANSWERS_DIR / "test.yaml")}
    assert not dev & test


def test_malformed_sets_are_refused_with_the_item_named(tmp_path: Path) -> None:
    bad = tmp_path / "set.yaml"
    bad.write_text("- {id: X-1, category: nope, turns: [{text: hi}]}\n", encoding="utf-8")
    with pytest.raises(AnswerSetError, match=r"X-1.*unknown category"):
        load_answer_set(bad)
    bad.write_text("- {id: X-1, category: faq, turns: [{text: hi, expect: {containz: [a]}}]}\n", encoding="utf-8")
    with pytest.raises(AnswerSetError, match="containz"):
        load_answer_set(bad)


def test_numbers_match_with_or_without_thousands_separators() -> None:
    assert appears("2680", "目录价 ¥2,680/台")
    assert appears("IP67", "防护等级 ip67")
    assert not appears("2680", "¥2,681")


def test_check_reply_reports_each_failed_expectation() -> None:
    expect = Expectation(contains=("12",), cites=("EG-2100#params",), not_cites=("SN-LV800#params",), dont_know=True)
    reply = {"text": "工作电压 12~36 V", "citations": [{"doc_id": "SN-LV800#params"}], "suggestions": []}
    failures = check_reply(expect, reply=reply, profile={}, handoff_open=False)
    assert any("cites" in f for f in failures)
    assert "must not cite SN-LV800#params" in failures
    assert "does not say the documents lack it" in failures and "does not offer the expert" in failures
    ok = {"text": "资料里没有这一项", "citations": [{"doc_id": "EG-2100#params"}], "handoff_offered": True}
    assert (
        check_reply(Expectation(dont_know=True, cites=("EG-2100#params",)), reply=ok, profile={}, handoff_open=False)
        == []
    )


def test_universal_checks() -> None:
    assert universal_failures("年节省约 {annual_saving} 元", {}) == ["unfilled placeholder {annual_saving}"]
    assert universal_failures("您好【客户名称】", {"customer_name": "华芯电子"})
    assert universal_failures("您好【客户名称】", {}) == []  # nothing known yet: asking is right
    assert universal_failures("标签：4G、入门", {}) == ["internal field '标签：'"]
    assert universal_failures("persona procurement", {}) == ["internal field 'procurement'"]
    assert universal_failures("客户名称 None", {}) == ["internal field 'None'"]
    assert universal_failures("调试阶段临时允许 None", {}) == []  # OPC UA's policy name


def test_no_reply_of_the_eval_sets_leaks_a_placeholder_or_an_internal_field(
    shipped_engine: DialogueEngine,
) -> None:
    """Every turn of both splits through the engine (hash-embedder index): no unfilled
    ``{slot}``, no 【placeholder】 for a fact the profile holds, no internal field."""
    caller = Caller(user_id="u-1", partner_id="P-HZ-01")
    problems = []
    for split in ("dev", "test"):
        for item in load_answer_set(ANSWERS_DIR / f"{split}.yaml"):
            profile, state, history = CustomerProfile(), DialogueState(), []
            for turn in item.turns:
                reply = shipped_engine.handle(
                    text=turn.text, profile=profile, caller=caller, history=tuple(history), state=state
                )
                profile, state = reply.profile, reply.state or state
                history.append(turn.text)
                shown = {k: str(v) for k, v in profile.known().items()}
                problems += [(item.id, turn.text, f) for f in universal_failures(reply.text, shown)]
                # a citation reads as a title, never as the index's list of search keys
                problems += [(item.id, turn.text, c.title) for c in reply.citations if "规格：" in c.title]
    assert problems == []


class _Scripted:
    """A runner whose replies are given: each turn's outcome as (passed, cited)."""

    def __init__(self, outcomes: dict[str, list[tuple[bool, bool]]]) -> None:
        self.outcomes = outcomes

    def run_item(self, item: AnswerItem) -> list[TurnOutcome]:
        return [
            TurnOutcome(item.id, n, "", "", failures=[] if ok else ["wrong"], cited=cited)
            for n, (ok, cited) in enumerate(self.outcomes[item.id])
        ]


def test_the_summary_counts_wrong_answers_that_carry_citations() -> None:
    turn = AnswerTurn(text="q", expect=Expectation())
    items = [AnswerItem(id=i, category="faq", user="hz_sales1", turns=(turn, turn)) for i in ("a", "b")]
    runner = _Scripted({"a": [(True, True), (False, True)], "b": [(False, False), (True, False)]})
    result, _ = evaluate(items, runner)
    assert result["cited"] == {"turns": 2, "precision": 0.5, "wrong_share": 0.25}
    assert result["turn_pass_rate"] == 0.5 and result["item_pass_rate"] == 0.0


def _item(item_id: str, category: str, *texts: str) -> AnswerItem:
    expect = Expectation(contains=("12",))
    return AnswerItem(item_id, category, "hz_sales1", tuple(AnswerTurn(t, expect) for t in texts))


def test_the_shipped_wraps_load() -> None:
    wraps = load_wraps()
    assert {"courtesy", "relay", "afterthought"} <= set(wraps)
    assert wraps["courtesy"].every and "params" in wraps["relay"].categories


def test_a_wrap_changes_the_words_around_a_message_and_nothing_else() -> None:
    items = [_item("A-1", "params", "eg2100供电多少？", "那它呢"), _item("A-2", "rebate", "返利多少")]
    wrap = Wrap(before=("客户问：",), after=(" 谢谢",), categories=frozenset({"params"}))
    (wrapped,) = wrap_items(items, wrap, seed=1)  # the rebate item is not of the wrap's kinds
    assert [t.text for t in wrapped.turns] == ["客户问：eg2100供电多少 谢谢", "那它呢"]  # the first only
    assert [t.expect for t in wrapped.turns] == [t.expect for t in items[0].turns]
    every = wrap_items(items, Wrap(before=("问下 ",), every=True), seed=1)
    assert [t.text for t in every[0].turns] == ["问下 eg2100供电多少？", "问下 那它呢"]
    drawn = Wrap(before=("你好 ", "在吗 ", "哥 "), after=("", "哈", "？？"), every=True)
    assert wrap_items(items, drawn, seed=3) == wrap_items(items, drawn, seed=3)  # the same draw each run


def test_a_malformed_wraps_file_is_refused_with_the_wrap_named(tmp_path: Path) -> None:
    bad = tmp_path / "wraps.yaml"
    bad.write_text("wraps:\n  empty: {every: true}\n", encoding="utf-8")
    with pytest.raises(AnswerSetError, match="empty"):
        load_wraps(bad)
    bad.write_text("wraps:\n  odd: {before: ['x'], categories: [nonsense]}\n", encoding="utf-8")
    with pytest.raises(AnswerSetError, match="nonsense"):
        load_wraps(bad)
