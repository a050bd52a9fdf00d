from __future__ import annotations

import pytest

from assistant.content.loader import Corpus
from assistant.content.schema import CaseStudy, Result, Scale
from assistant.dialogue.errors import UnknownRecommendationKindError
from assistant.dialogue.recommender import get_recommendation
from assistant.dialogue.types import CustomerProfile
from assistant.retrieval.retriever import HybridRetriever


def test_same_industry_and_scale_case_first_with_reasons(corpus: Corpus) -> None:
    profile = CustomerProfile(industry="汽车制造", scale="medium", region="华东")
    recs = get_recommendation(profile, corpus=corpus, kind="case", k=2)
    assert [r.item_id for r in recs] == ["C-001", "C-002"]
    assert recs[0].reasons[:3] == ("同行业：汽车制造", "规模相近：中型", "同区域：华东")
    assert recs[0].score > recs[1].score


def test_water_utility_profile_prefers_the_water_case(corpus: Corpus) -> None:
    recs = get_recommendation(CustomerProfile(industry="水务", scale="small"), corpus=corpus, kind="case", k=2)
    assert recs[0].item_id == "C-002"
    assert "同行业：水务" in recs[0].reasons


def test_adjacent_scale_scores_less_than_same_scale(corpus: Corpus) -> None:
    extra = CaseStudy(
        id="C-900",
        title="t",
        customer="c",
        industry="汽车制造",
        scale=Scale.LARGE,
        region="华东",
        pain_points=["p"],
        solution="s",
        products=["EG-2100"],
        results=[Result(metric="m", value=1, unit="%")],
        year=2024,
    )
    bigger = Corpus(
        root=corpus.root,
        vocab=corpus.vocab,
        product_lines=corpus.product_lines,
        products=corpus.products,
        cases=[*corpus.cases, extra],
    )
    recs = get_recommendation(CustomerProfile(industry="汽车制造", scale="medium"), corpus=bigger, kind="case", k=3)
    assert [r.item_id for r in recs[:2]] == ["C-001", "C-900"]
    assert recs[0].score - recs[1].score == 1


def test_ties_break_by_id(corpus: Corpus) -> None:
    first = get_recommendation(CustomerProfile(), corpus=corpus, kind="case", k=5)
    assert [r.item_id for r in first] == sorted(r.item_id for r in first)
    assert first == get_recommendation(CustomerProfile(), corpus=corpus, kind="case", k=5)


def test_scripts_rank_by_persona_and_stage(corpus: Corpus) -> None:
    recs = get_recommendation(CustomerProfile(persona="it_security"), corpus=corpus, kind="script", k=2)
    assert recs[0].item_id == "S-EG-002"
    assert recs[0].reasons[0].startswith("对象匹配")
    recs = get_recommendation(CustomerProfile(), corpus=corpus, kind="script", k=2, stages=("opening",))
    assert recs[0].item_id == "S-EG-001"
    assert "阶段匹配：开场" in recs[0].reasons


def test_pain_words_from_the_query(corpus: Corpus, retriever: HybridRetriever) -> None:
    recs = get_recommendation(
        CustomerProfile(), corpus=corpus, kind="case", k=2, query="泵房分散巡检成本高的案例", retriever=retriever
    )
    assert recs[0].item_id == "C-002"
    assert any(r.startswith("痛点相似") for r in recs[0].reasons)


def test_unknown_kind(corpus: Corpus) -> None:
    with pytest.raises(UnknownRecommendationKindError):
        get_recommendation(CustomerProfile(), corpus=corpus, kind="faq", k=1)  # type: ignore[arg-type]


def test_pain_words_are_whole_words_not_tokenizer_fragments() -> None:
    from assistant.dialogue.recommender import _pain_words

    words = _pain_words("有没有钢厂做预测性维护的案例", None)
    assert "预测性维护" in words or "预测性" in words
    assert "测性" not in words and "预测" not in words


def test_the_line_sold_outranks_a_persona_match_of_another_line(shipped_corpus: Corpus) -> None:
    # Selling vibration sensors to a technical contact who "only looks at the return": the
    # sensor opening for the owner, not another line's opening for a technical contact.
    profile = CustomerProfile(product_line="SN", persona="tech_decision_maker")
    recs = get_recommendation(
        profile, corpus=shipped_corpus, kind="script", k=3, stages=("opening",), personas=("roi_manager",)
    )
    assert (recs[0].item.product_line, recs[0].item.stage.value) == ("SN", "opening")
