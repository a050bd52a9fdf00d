"""The labelled question set meets its counts, cites real chunks and follows eval/data/README.md."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from assistant.content.documents import chunk_corpus
from assistant.content.loader import Corpus, load_corpus
from assistant.content.schema import PROFILE_FIELDS, Persona, Scale
from assistant.dialogue.types import INTENTS
from assistant.settings import PROJECT_ROOT
from eval.labelled import DATA, Conversation, Turn, load_conversations, load_questions, split_of

SLOT_NAMES = (PROFILE_FIELDS - {"order_amount"}) | {"amount"}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="module")
def questions() -> list[Turn]:
    return load_questions()


@pytest.fixture(scope="module")
def conversations() -> list[Conversation]:
    return load_conversations()


def _all_turns(questions: list[Turn], conversations: list[Conversation]) -> list[Turn]:
    return questions + [t for c in conversations for t in c.turns]


def test_counts(questions: list[Turn], conversations: list[Conversation]) -> None:
    assert len(questions) >= 400
    out_of_scope = [q for q in questions if q.intent == "out_of_scope"]
    assert len(out_of_scope) / len(questions) >= 0.10
    assert len(conversations) >= 50
    assert all(3 <= len(c.turns) <= 6 for c in conversations)


def test_ids_are_unique_and_both_splits_are_used(questions: list[Turn], conversations: list[Conversation]) -> None:
    ids = [q.id for q in questions] + [c.id for c in conversations]
    assert len(ids) == len(set(ids))
    assert Counter(split_of(i) for i in ids).keys() == {"dev", "test"}


def test_every_relevant_id_exists(corpus: Corpus, questions: list[Turn], conversations: list[Conversation]) -> None:
    known = {d.id for d in chunk_corpus(corpus)}
    missing = {(t.id, r) for t in _all_turns(questions, conversations) for r in t.relevant if r not in known}
    assert missing == set()


def test_intents_and_slot_values_are_canonical(
    corpus: Corpus, questions: list[Turn], conversations: list[Conversation]
) -> None:
    industries = {t.name for t in corpus.vocab.industries}
    regions = {t.name for t in corpus.vocab.regions}
    lines = {line.id for line in corpus.product_lines}
    products = {p.id for p in corpus.products}
    for t in _all_turns(questions, conversations):
        assert t.intent in INTENTS, t.id
        assert set(t.slots) <= SLOT_NAMES, t.id
        s = t.slots
        assert s.get("industry", next(iter(industries))) in industries, t.id
        assert s.get("region", next(iter(regions))) in regions, t.id
        assert s.get("scale", "small") in {x.value for x in Scale}, t.id
        assert s.get("persona", "operator") in {x.value for x in Persona}, t.id
        assert s.get("product_line", "EG") in lines, t.id
        assert s.get("product_model", "EG-2100") in products, t.id
        assert re.fullmatch(r"2026Q[1-4]", str(s.get("quarter", "2026Q1"))), t.id
        for key in ("amount", "device_count"):
            if key in s:
                assert isinstance(s[key], int) and s[key] > 0, t.id


def test_out_of_scope_and_greetings_carry_nothing(questions: list[Turn], conversations: list[Conversation]) -> None:
    for t in _all_turns(questions, conversations):
        if t.intent in ("out_of_scope", "greeting"):
            assert t.slots == {} and t.relevant == (), t.id


def test_product_line_and_model_are_never_both_set(questions: list[Turn], conversations: list[Conversation]) -> None:
    both = [t.id for t in _all_turns(questions, conversations) if {"product_line", "product_model"} <= set(t.slots)]
    assert both == []


def test_profile_is_the_running_merge_of_slots(conversations: list[Conversation]) -> None:
    for conv in conversations:
        assert conv.turns[0].profile is None, conv.id
        memory: dict[str, Any] = {}
        for turn in conv.turns:
            for key, value in turn.slots.items():
                if key == "amount":
                    if turn.intent != "rebate_query":  # a rebate what-if is not the customer's order
                        memory["order_amount"] = value
                else:
                    memory[key] = value
            if turn is not conv.turns[0]:
                assert turn.profile == memory, turn.id
                assert set(memory) <= PROFILE_FIELDS, turn.id


@pytest.mark.parametrize("split", ["dev", "test"])
def test_beir_export_is_current(corpus: Corpus, split: str) -> None:
    target = DATA / f"beir-{split}"
    queries = [json.loads(line) for line in (target / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    answerable = [q for q in load_questions(split) if q.relevant]  # type: ignore[arg-type]
    assert [(q["_id"], q["text"]) for q in queries] == [(q.id, q.text) for q in answerable]
    rows = (target / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert [tuple(r.split("\t")[:2]) for r in rows] == [(q.id, r) for q in answerable for r in q.relevant]
    docs = [json.loads(line)["_id"] for line in (target / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert docs == [d.id for d in chunk_corpus(corpus)]
