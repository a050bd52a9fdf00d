"""Rank sales scripts and case studies for a customer profile, with reasons.

Scores are small integers and halves so ties are common and broken
deterministically (higher score, then corpus id).  Each point comes with a
human-readable reason shown to the salesperson ("同行业：汽车制造").

Scripts: persona +3 (or +1.5 for the persona of a concern named in the question: "只认投资回报"),
stage asked for +2, product line +3 (what is being sold counts as much as whom it is sold to),
retrieval relevance to the question up to +1.5.  Cases: industry +3, same scale +2 (adjacent +1),
region +1, a product the customer looks at +2 (else the same line +1), pain words
of the question found in the case +0.5 each (at most +1.5), retrieval relevance
up to +1.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.content.loader import Corpus
from assistant.content.schema import CaseStudy, SalesScript
from assistant.dialogue.errors import UnknownRecommendationKindError
from assistant.dialogue.lexicon import STAGE_CUES, squash
from assistant.dialogue.texts import label, text
from assistant.dialogue.types import CustomerProfile
from assistant.retrieval.retriever import HybridRetriever, RetrievalError
from assistant.retrieval.tokenizer import STOPWORDS, Tokenizer

Kind = Literal["script", "case"]
_SCALES = ("small", "medium", "large")
_RELEVANCE_DEPTH = 20
# A script whose topic (its title after "：", at least this long) the question types gets this much
# relevance more than retrieval gave it.
_MIN_TOPIC_CHARS = 4
_TOPIC_NAMED = 1.0


@dataclass(frozen=True, slots=True)
class Recommendation:
    item_id: str
    score: float
    reasons: tuple[str, ...]
    item: SalesScript | CaseStudy


def get_recommendation(
    profile: CustomerProfile,
    *,
    corpus: Corpus,
    kind: Kind,
    k: int = 3,
    query: str | None = None,
    retriever: HybridRetriever | None = None,
    stages: Sequence[str] = (),
    personas: Sequence[str] = (),
    carried_stages: Sequence[str] = (),
    competitors: Sequence[str] = (),
    language: str = "zh",
) -> list[Recommendation]:
    """The ``k`` best scripts or cases for the profile (and the question, when given).

    ``stages`` and ``personas`` are cues read from the question ("太贵" -> objection);
    the profile's persona counts first.  ``carried_stages`` are the last script's, kept by a
    follow-up that names none ("换成给老板讲"): they count less than the product line.
    ``competitors`` named in the question favour the scripts written against them.
    Items scoring 0 are dropped unless nothing scores.
    """
    if kind not in ("script", "case"):
        raise UnknownRecommendationKindError(f"unknown recommendation kind {kind!r}")
    relevance = _relevance(query, kind=kind, retriever=retriever)
    if kind == "script":
        asked = squash(query) if query else ""
        ranked = [
            _score_script(
                s,
                profile=profile,
                corpus=corpus,
                stages=stages,
                personas=personas,
                carried_stages=carried_stages,
                competitors=competitors,
                relevance=relevance,
                asked=asked,
                language=language,
            )
            for s in corpus.scripts
        ]
    else:
        pains = _pain_words(query, retriever)
        ranked = [
            _score_case(c, profile=profile, corpus=corpus, pains=pains, relevance=relevance, language=language)
            for c in corpus.cases
        ]
    ranked.sort(key=lambda r: (-r.score, r.item_id))
    positive = [r for r in ranked if r.score > 0]
    return (positive or ranked)[: max(k, 0)]


def stages_in(query: str) -> tuple[str, ...]:
    sq = squash(query)
    return tuple(stage for stage, words in STAGE_CUES.items() if any(squash(w) in sq for w in words))


def _score_script(
    s: SalesScript,
    *,
    profile: CustomerProfile,
    corpus: Corpus,
    stages: Sequence[str],
    personas: Sequence[str],
    carried_stages: Sequence[str] = (),
    competitors: Sequence[str] = (),
    relevance: dict[str, float],
    asked: str = "",
    language: str,
) -> Recommendation:
    score = 0.0
    reasons: list[str] = []
    persona = profile.persona or (personas[0] if personas else None)
    if persona and s.persona.value == persona:
        score += 3
        reasons.append(text(language, "why_persona", persona=label(language, "persona", persona)))
    elif s.persona.value in personas:
        # "设备部长只认投资回报": the contact is technical, the concern is the owner's
        score += 1.5
    if s.stage.value in stages or s.stage.value in carried_stages:
        score += 2 if s.stage.value in stages else 1
        reasons.append(text(language, "why_stage", stage=label(language, "stage", s.stage.value)))
    line = _profile_line(profile, corpus)
    if line and s.product_line == line:
        score += 3
        reasons.append(text(language, "why_line", line=corpus.line_name(line)))
    if any(c in s.title or c in s.template for c in competitors):
        score += 2  # "客户说博远便宜": the script written against 博远
    rel = relevance.get(s.id, 0.0)
    # The script's own topic typed in the question ("数据不能出厂" of 《平台异议：数据不能出厂》).
    if asked and len(topic := squash(s.title.rpartition("：")[2])) >= _MIN_TOPIC_CHARS and topic in asked:
        rel += _TOPIC_NAMED
    if rel:
        score += rel
        reasons.append(text(language, "why_relevant"))
    return Recommendation(s.id, round(score, 3), tuple(reasons), s)


def _score_case(
    c: CaseStudy,
    *,
    profile: CustomerProfile,
    corpus: Corpus,
    pains: Sequence[str],
    relevance: dict[str, float],
    language: str,
) -> Recommendation:
    score = 0.0
    reasons: list[str] = []
    if profile.industry and c.industry == profile.industry:
        score += 3
        reasons.append(text(language, "why_industry", industry=c.industry))
    if profile.scale in _SCALES:
        distance = abs(_SCALES.index(profile.scale) - _SCALES.index(c.scale.value))
        if distance <= 1:
            score += 2 if distance == 0 else 1
            reasons.append(text(language, "why_scale", scale=label(language, "scale", c.scale.value)))
    if profile.region and c.region == profile.region:
        score += 1
        reasons.append(text(language, "why_region", region=c.region))
    line = _profile_line(profile, corpus)
    if profile.product_model and profile.product_model in c.products:
        score += 2
        reasons.append(text(language, "why_product", product=profile.product_model))
    elif line and any((p := corpus.product(pid)) is not None and p.line == line for pid in c.products):
        score += 1
        reasons.append(text(language, "why_case_line", line=corpus.line_name(line)))
    if pains:
        haystack = " ".join((c.title, *c.pain_points, c.solution)).lower()
        hits = [w for w in pains if w in haystack]
        if hits:
            score += min(len(hits), 3) * 0.5
            reasons.append(text(language, "why_pain", words="、".join(hits[:3])))
    rel = relevance.get(c.id, 0.0)
    if rel:
        score += rel
        reasons.append(text(language, "why_relevant"))
    return Recommendation(c.id, round(score, 3), tuple(reasons), c)


def _profile_line(profile: CustomerProfile, corpus: Corpus) -> str | None:
    if profile.product_line:
        return profile.product_line
    if profile.product_model and (p := corpus.product(profile.product_model)) is not None:
        return p.line
    return None


def _relevance(query: str | None, *, kind: Kind, retriever: HybridRetriever | None) -> dict[str, float]:
    """Up to +1.5 for the items the question retrieves, by rank (1.5, 1.0, 0.75, ...)."""
    if not query or retriever is None:
        return {}
    try:
        hits = retriever.search(query, filters={"kind": kind}, k=_RELEVANCE_DEPTH, mode="bm25")
    except RetrievalError:
        return {}
    return {h.document.doc_id: round(1.5 / (1 + 0.5 * i), 3) for i, h in enumerate(hits[:5])}


_FALLBACK_TOKENIZER: Tokenizer | None = None


def _pain_words(query: str | None, retriever: HybridRetriever | None) -> list[str]:
    global _FALLBACK_TOKENIZER  # noqa: PLW0603 - built lazily once; jieba loading is slow
    if not query:
        return []
    if retriever is not None and retriever.ready:
        tokenizer = retriever.tokenizer
    else:
        if _FALLBACK_TOKENIZER is None:
            _FALLBACK_TOKENIZER = Tokenizer()
        tokenizer = _FALLBACK_TOKENIZER
    words = [t for t in tokenizer.tokenize(query) if len(t) >= 2 and t not in STOPWORDS and t not in _NOT_PAIN]
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    # The tokenizer also emits the dictionary words inside a long word ("预测性维护" ->
    # "预测", "测性"); as reasons shown to people, only the whole words make sense.
    return [w for w in seen if not any(w != other and w in other for other in seen)]


# Words of a case request that say nothing about the customer's problem: the request itself,
# everyday verbs, and the people in it (who asks is the persona, not the pain).
_NOT_PAIN = frozenset(
    {"案例", "有没有", "类似", "客户", "项目", "成功", "参考", "同行", "行业", "用过", "做过", "给我", "推荐"}
    | {"知道", "想知道", "了解", "希望", "需要", "想要", "觉得", "看看", "关心", "担心", "问问"}
    | {"老板", "厂长", "经理", "总监", "主管", "工程师", "采购", "老总", "负责人"}
)
