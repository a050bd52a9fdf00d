"""Reading a product question into clauses, products, attributes and kinds; the catalog's
rows, capabilities and descriptions.  Values are read from the shipped corpus itself."""

from __future__ import annotations

import pytest

from assistant.content.loader import Corpus
from assistant.content.schema import Product
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.lexicon import squash
from assistant.dialogue.reading import Reading, read
from assistant.dialogue.types import CustomerProfile
from assistant.retrieval.tokenizer import normalize


def reading(engine: DialogueEngine, text: str, *, context: str | None = None) -> Reading:
    analysis = engine.nlu.analyse(text, profile=CustomerProfile())
    return read(
        normalize(text),
        products=analysis.products,
        lines=analysis.product_lines,
        context_product=context,
        lexicon=engine.nlu.lexicon,
        attributes=engine.attributes,
        catalog=engine.catalog,
        tokenizer=engine.retriever.tokenizer,
    )


def product(corpus: Corpus, pid: str) -> Product:
    found = corpus.product(pid)
    assert found is not None
    return found


def test_an_everyday_word_finds_the_row_of_that_product(shipped_engine: DialogueEngine) -> None:
    r = reading(shipped_engine, "EG-2100 的供电电压范围")
    (clause,) = r.asking
    p = product(shipped_engine.corpus, "EG-2100")
    rows = shipped_engine.catalog.rows_for(p, clause.squashed, clause.mentions)
    assert [row.name for row in rows] == ["工作电压"]


def test_a_longer_ask_beats_a_row_named_inside_it(shipped_engine: DialogueEngine) -> None:
    p = product(shipped_engine.corpus, "SN-VB500-Pro")
    r = reading(shipped_engine, "vb500pro电池能用多久")
    (clause,) = r.asking
    rows = shipped_engine.catalog.rows_for(p, clause.squashed, clause.mentions)
    assert [row.name for row in rows] == ["电池寿命"]  # not the 电池 row


def test_the_kind_of_product_is_not_a_row(shipped_engine: DialogueEngine) -> None:
    p = product(shipped_engine.corpus, "CM-SW16-PoE")
    rows = shipped_engine.catalog.rows_for(p, squash("这个交换机功耗"), shipped_engine.attributes.mentions("功耗"))
    assert "交换容量" not in [row.name for row in rows]


def test_several_questions_are_several_clauses(shipped_engine: DialogueEngine) -> None:
    r = reading(shipped_engine, "vb500pro电池能用多久？传输多远 质保几年")
    assert [c.kind for c in r.asking] == ["value", "value", "value"]
    assert all(c.products == ("SN-VB500-Pro",) for c in r.asking)


def test_customer_facts_before_a_question_are_context_not_a_question(shipped_engine: DialogueEngine) -> None:
    r = reading(shipped_engine, "客户是宁波做注塑的 2100防水不")
    assert [c.asks for c in r.clauses] == [False, True]
    assert r.asking[0].products == ("EG-2100",)


def test_the_conversations_product_answers_a_question_naming_none(shipped_engine: DialogueEngine) -> None:
    r = reading(shipped_engine, "功耗多少", context="EG-3200")
    assert r.from_context and r.asking[0].products == ("EG-3200",)


def test_kinds_of_clause(shipped_engine: DialogueEngine) -> None:
    assert reading(shipped_engine, "th100波特率怎么改").asking[0].kind == "howto"
    assert reading(shipped_engine, "em600功率显示是负的").asking[0].kind == "fault"
    assert reading(shipped_engine, "ec300支持profinet吗").asking[0].kind == "capability"


def test_a_product_described_by_a_feature(shipped_engine: DialogueEngine) -> None:
    eight = reading(shipped_engine, "有个8串口的网关是哪款")
    expected = {p.id for p in shipped_engine.corpus.products if p.line == "EG" and _row(p, "串口数量") == "8"}
    assert set(eight.described) == expected and eight.select
    poe = reading(shipped_engine, "带poe的交换机有哪些")
    assert poe.described == ("CM-SW16-PoE",)  # the base station takes PoE power but is no switch


def test_a_feature_no_product_has_is_not_a_description(shipped_engine: DialogueEngine) -> None:
    r = reading(shipped_engine, "那个8个串口的网关多少钱 纺织厂要接200台织机")
    assert "EG-3200" in r.described


def test_a_description_in_words(shipped_engine: DialogueEngine) -> None:
    r = reading(shipped_engine, "有个卡在电机电缆上测电流的无线传感器 叫啥来着")
    assert r.described == ("SN-CU120",)


def test_capability_terms_match_versions(shipped_engine: DialogueEngine) -> None:
    p = product(shipped_engine.corpus, "CM-SW16-PoE")
    row = shipped_engine.catalog.has(p, "snmpv3")
    assert row is not None and "SNMP" in str(row.value)
    assert shipped_engine.catalog.has(p, "profinet") is None


def _row(p: Product, name: str) -> str | None:
    return next((str(r.value) for r in p.params if r.name == name), None)


@pytest.mark.parametrize("text", ["EG-2100的MTBF是多少", "2100支持TLS加密吗"])
def test_an_attribute_no_row_holds_is_left_unanswered_by_the_tables(shipped_engine: DialogueEngine, text: str) -> None:
    r = reading(shipped_engine, text)
    p = product(shipped_engine.corpus, "EG-2100")
    (clause,) = r.asking
    assert shipped_engine.catalog.rows_for(p, clause.squashed, clause.mentions) == []
