"""The shipped demo corpus loads and meets the counts the knowledge-base issue asks for."""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher
from itertools import combinations

import pytest

from assistant.content.documents import chunk_corpus
from assistant.content.loader import Corpus, load_corpus
from assistant.content.schema import FaqCategory, LessonMode, Persona, Scale, Stage
from assistant.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(PROJECT_ROOT / "corpus")


def test_products(corpus: Corpus) -> None:
    assert len(corpus.products) >= 40
    lines = Counter(p.line for p in corpus.products)
    assert len(lines) >= 5
    competitors = {t.name for t in corpus.vocab.competitors}
    for p in corpus.products:
        assert len(p.params) >= 3, p.id
        for param in p.params:  # numbers carry units (the loader enforces it; check it held)
            if re.fullmatch(r"[±+\-]?\d+(\.\d+)?([~～\-]\d+(\.\d+)?)?", str(param.value).strip()):
                assert param.unit.strip(), (p.id, param.name)
        assert p.scenarios, p.id
        assert len(p.competitors) >= 2, p.id
        assert {c.competitor for c in p.competitors} <= competitors, p.id  # named fictional competitors
        assert p.faults, p.id
        assert p.accessories, p.id


def test_scripts_cover_every_persona_and_stage(corpus: Corpus) -> None:
    assert len(corpus.scripts) >= 60
    combos = {(s.persona, s.stage) for s in corpus.scripts}
    assert combos == {(p, s) for p in Persona for s in Stage}
    line_ids = {line.id for line in corpus.product_lines}
    assert {s.product_line for s in corpus.scripts} == line_ids
    for line in line_ids:
        mine = [s for s in corpus.scripts if s.product_line == line]
        assert {s.persona for s in mine} == set(Persona), line
        assert {s.stage for s in mine} == set(Stage), line


def test_manager_scripts_carry_an_roi_calculation(corpus: Corpus) -> None:
    managers = [s for s in corpus.scripts if s.persona is Persona.ROI_MANAGER]
    assert managers
    for s in managers:
        assert s.roi is not None, s.id
        assert {"annual_saving", "payback_months"} <= set(s.slots), s.id


def test_cases(corpus: Corpus) -> None:
    assert len(corpus.cases) >= 80
    assert len({c.industry for c in corpus.cases}) >= 10
    assert {c.scale for c in corpus.cases} == set(Scale)
    assert len({c.region for c in corpus.cases}) >= 5
    for c in corpus.cases:
        assert c.pain_points and c.solution and c.products, c.id
        assert c.results and all(r.unit for r in c.results), c.id


def test_cases_list_the_products_their_text_names(corpus: Corpus) -> None:
    ids = sorted((p.id for p in corpus.products), key=len, reverse=True)
    kits = {"AR-KIT-S": {"AR-G1", "AR-LINK"}}  # a kit names what it contains
    for c in corpus.cases:
        text = " ".join([c.title, *c.pain_points, c.solution])
        named = set()
        for token in re.findall(r"[A-Z]{2}-[A-Za-z0-9\-]+", text):
            match = next((i for i in ids if token == i or token.startswith(i + "（")), None)
            if match:
                named.add(match)
        covered = set(c.products).union(*(kits.get(p, set()) for p in c.products))
        assert named <= covered, (c.id, sorted(named - covered))


def test_lora_sensors_come_with_a_base_station(corpus: Corpus) -> None:
    for c in corpus.cases:
        if {"SN-VB500-Pro", "SN-CU120"} & set(c.products):
            assert "CM-LR1" in c.products, c.id


def test_faq(corpus: Corpus) -> None:
    assert len(corpus.faqs) >= 200
    assert {f.category for f in corpus.faqs} == set(FaqCategory)


def test_no_two_faq_entries_share_an_answer(corpus: Corpus) -> None:
    near = []
    for a, b in combinations(corpus.faqs, 2):
        m = SequenceMatcher(None, a.answer, b.answer, autojunk=False)
        if m.real_quick_ratio() >= 0.8 and m.quick_ratio() >= 0.8 and m.ratio() >= 0.8:
            near.append((a.id, b.id))
    assert near == []


def test_lessons_follow_70_20_10(corpus: Corpus) -> None:
    assert len(corpus.lessons) >= 20
    assert all(8 <= lesson.duration_minutes <= 12 for lesson in corpus.lessons)
    modes = Counter(lesson.mode for lesson in corpus.lessons)
    share = {m: modes[m] / len(corpus.lessons) for m in LessonMode}
    assert share[LessonMode.PRACTICE] == pytest.approx(0.7, abs=0.05)
    assert share[LessonMode.MENTORING] == pytest.approx(0.2, abs=0.05)
    assert share[LessonMode.THEORY] == pytest.approx(0.1, abs=0.05)


def test_citations_read_as_titles_while_the_index_keeps_its_search_keys(corpus: Corpus) -> None:
    docs = {d.id: d for d in chunk_corpus(corpus)}
    params = docs["EG-2100#params"]
    assert "规格：" in params.title and "串口数量" in params.title  # people ask for the rows' names
    assert params.label.startswith("EG-2100 ") and params.label.endswith(" 技术参数")
    assert docs["EG-2100#competitors"].label.endswith(" 竞品对比")
    faq = next(d for d in docs.values() if d.kind == "faq")
    assert faq.label == faq.title  # a question is its own title
