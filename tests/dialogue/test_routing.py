"""The engine's routing tables (DialogueEngine._RECLASSIFY, _ROUTES): named rules, first match
wins, and the plan says which rule decided."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.nlu import Analysis
from assistant.dialogue.types import Caller, CustomerProfile, Intent

CALLER = Caller(user_id="u-1", partner_id="P-HZ-01")


def test_every_rule_is_named_once() -> None:
    names = [rule.__name__ for rule in (*DialogueEngine._RECLASSIFY, *DialogueEngine._ROUTES)]
    assert len(names) == len(set(names))
    assert all(name and not name.startswith("_") for name in names)


def _classified_as(engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch, intent: Intent) -> None:
    """The classifier's pick is forced: the tables are what is tested, not the NLU."""
    analyse = engine.nlu.analyse

    def forced(text: str, *, profile: CustomerProfile) -> Analysis:
        a = analyse(text, profile=profile)
        return replace(a, understanding=replace(a.understanding, intent=intent, confidence=0.9))

    monkeypatch.setattr(engine.nlu, "analyse", forced)


@pytest.mark.parametrize(
    ("text", "classified", "decided"),
    [
        ("练习一下：跟化工厂设备部长谈 EG-3200", "knowledge_qa", ("practice", "knowledge_qa", "practice")),
        ("EG-2100 一直报错连不上平台 帮我找个专家", "knowledge_qa", ("person_for_problem", "handoff_request", None)),
        ("要是晚上11点出问题 能找着专家不", "handoff_request", ("hypothetical_person", "knowledge_qa", None)),
        ("超额累进是啥 举个例子", "case_request", ("example_of_a_rule", "knowledge_qa", None)),
        ("南京化工园区大厂 想做预测性维护 有标杆没", "profile_update", ("facts_with_case_word", "case_request", None)),
    ],
)
def test_the_rule_that_decides_is_on_the_plan(
    shipped_engine: DialogueEngine,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    classified: Intent,
    decided: tuple[str, str, str | None],
) -> None:
    """``decided`` is (route, intent, task)."""
    _classified_as(shipped_engine, monkeypatch, classified)
    plan = shipped_engine.understand(text=text, profile=CustomerProfile(), caller=CALLER)
    assert (plan.route, plan.intent, plan.task) == decided


def test_no_rule_leaves_the_classifiers_pick(shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    _classified_as(shipped_engine, monkeypatch, "rebate_query")
    plan = shipped_engine.understand(text="我这季度返利多少", profile=CustomerProfile(), caller=CALLER)
    assert (plan.route, plan.intent, plan.task) == ("", "rebate_query", None)
