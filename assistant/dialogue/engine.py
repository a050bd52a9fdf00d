"""The dialogue engine: one user turn in, one :class:`Reply` out.

``DialogueEngine.handle`` reads the utterance (:mod:`nlu`), merges this turn's
slots into the customer profile (corrections overwrite), and routes to a skill:

==================  =============================================================
knowledge_qa        retrieve; answer with sentences of the retrieved chunks, each
                    cited; below the grounding threshold say "I don't know" and
                    offer the remote expert (``grounded=False``)
product_params      exact value and unit from the product's parameter table, a
                    ParamTableCard; "它的功耗呢" uses the profile's product
script_request      recommender + template slots filled from the profile; ROI
                    scripts compute RoiFigures or ask for the missing numbers
case_request        recommender; CaseCards with the reasons they match
rebate_query        the RebateSkill, or "coming soon" when none is wired
handoff_request     the HandoffSkill, or "coming soon" when none is wired
profile_update      acknowledge what was understood
greeting            hello / thanks
out_of_scope        polite refusal, remote expert offered
==================  =============================================================

Every factual sentence comes from a retrieved chunk or the corpus entry a card
shows, and carries its citation.  No HTTP here: the API layer translates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assistant.content.loader import Corpus
from assistant.content.schema import CaseStudy, Param, Product, SalesScript
from assistant.dialogue.grounding import (
    DEFAULT_MIN_GROUNDING,
    answer_sentences,
    content_words,
    grounding_scores,
)
from assistant.dialogue.lexicon import squash
from assistant.dialogue.nlu import Analysis, Nlu
from assistant.dialogue.recommender import get_recommendation, stages_in
from assistant.dialogue.roi import RoiUndefinedError, compute_roi
from assistant.dialogue.skills import HandoffSkill, RebateSkill, SkillResult
from assistant.dialogue.texts import label, text
from assistant.dialogue.types import (
    Caller,
    CaseCard,
    Citation,
    CustomerProfile,
    Intent,
    ParamRow,
    ParamTableCard,
    ProfilePatch,
    Reply,
    RoiFigures,
    ScriptCard,
)
from assistant.errors import AssistantError
from assistant.retrieval.retriever import HybridRetriever, RetrievalError

log = logging.getLogger(__name__)

# Below this intent probability the engine does not trust the classifier's pick
# and treats the turn as a knowledge question (answered only if grounded).
DEFAULT_MIN_CONFIDENCE = 0.3
_KNOWLEDGE_K = 5
_MAX_CITED_HITS = 2
_SECOND_HIT_MARGIN = 0.15
_INTENTS_KEEPING_AMOUNT_OUT = frozenset({"rebate_query"})  # "再卖 30 万" is a what-if, not the order size
# Intents answered by services of the serving process (rebates, handoff), not by the corpus.
SERVICE_INTENTS: frozenset[Intent] = frozenset({"rebate_query", "handoff_request"})


class DialogueEngine:
    """Stateless between calls: the caller passes the profile and history in."""

    def __init__(
        self,
        *,
        corpus: Corpus,
        retriever: HybridRetriever,
        nlu: Nlu,
        rebates: RebateSkill | None = None,
        handoff: HandoffSkill | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        min_grounding: float = DEFAULT_MIN_GROUNDING,
    ) -> None:
        self.corpus = corpus
        self.retriever = retriever
        self.nlu = nlu
        self.rebates = rebates
        self.handoff = handoff
        self.min_confidence = min_confidence
        self.min_grounding = min_grounding

    # -- entry point ----------------------------------------------------------------

    def handle(self, *, text: str, profile: CustomerProfile, caller: Caller, history: Sequence[str] = ()) -> Reply:
        return self.respond(self.understand(text=text, profile=profile, caller=caller, history=history))

    def understand(
        self, *, text: str, profile: CustomerProfile, caller: Caller, history: Sequence[str] = ()
    ) -> TurnPlan:
        analysis = self.nlu.analyse(text, profile=profile)
        intent = analysis.intent
        new_profile = profile.merged(self._patch(analysis))
        if analysis.understanding.confidence < self.min_confidence and intent not in ("greeting", "profile_update"):
            log.info(
                "low intent confidence %.2f for %s; answering as knowledge", analysis.understanding.confidence, intent
            )
            intent = "knowledge_qa"
        return TurnPlan(analysis=analysis, intent=intent, profile=new_profile, caller=caller, history=tuple(history))

    def respond(self, turn: TurnPlan) -> Reply:
        handler = {
            "knowledge_qa": self._knowledge,
            "product_params": self._product_params,
            "script_request": self._script,
            "case_request": self._case,
            "rebate_query": self._rebate,
            "handoff_request": self._handoff,
            "profile_update": self._profile_update,
            "greeting": self._greeting,
            "out_of_scope": self._out_of_scope,
        }[turn.intent]
        reply = handler(turn)
        log.debug(  # every turn is on record in the conversation's event log already
            "turn intent=%s confidence=%.2f grounded=%s partner=%s",
            reply.intent,
            reply.confidence,
            reply.grounded,
            turn.caller.partner_id,
        )
        return reply

    def _patch(self, analysis: Analysis) -> ProfilePatch:
        patch: ProfilePatch = {}
        for key, value in analysis.understanding.slots.values.items():
            if key == "amount":
                if analysis.intent not in _INTENTS_KEEPING_AMOUNT_OUT and isinstance(value, Decimal):
                    patch["order_amount"] = value
            elif key == "device_count":
                patch[key] = int(value)
            elif key in ("downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month"):
                patch[key] = Decimal(value)
            else:
                patch[key] = value
        # The profile keeps what the user stated: a model named in passing does not
        # overwrite the product line they said they are selling ("想推云眸平台" then
        # "2100功耗多少").  The recommender reads the line off the model when no line
        # was stated.
        return patch

    # -- skills ---------------------------------------------------------------------

    def _knowledge(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        product = a.products[0] if a.products else turn.profile.product_model
        query = a.text
        if product and not a.products:
            query = f"{product} {query}"  # a follow-up about the product in the profile
        try:
            # The model number is a lexical hint, for BM25; the sentence encoder gets the
            # user's words, whose vector the understanding step has already computed.
            hits = self.retriever.search(query, k=_KNOWLEDGE_K, dense_query=a.text)
        except RetrievalError as exc:
            log.warning("retrieval failed (%s): %s", exc.code, exc)
            hits = []
        scored = grounding_scores(query, hits, retriever=self.retriever, product=product)
        passing = [g for g in scored if g.score >= self.min_grounding]
        if not passing:
            return self._dont_know(turn)
        words = content_words(self.retriever.tokenizer.tokenize(query))
        lang = turn.caller.language
        parts: list[str] = [text(lang, "knowledge_intro")]
        citations: list[Citation] = []
        best = max(g.score for g in passing)
        # The best chunk answers; a second one is quoted only when it is about as well grounded.
        quoted = [g for g in sorted(passing, key=lambda g: -g.score) if g.score >= best - _SECOND_HIT_MARGIN]
        for g in quoted[:_MAX_CITED_HITS]:
            doc = g.hit.document
            sentences = answer_sentences(doc, words)
            if not sentences:
                continue
            citations.append(Citation(doc_id=doc.id, title=doc.title, snippet=" ".join(sentences)[:240], kind=doc.kind))
            mark = text(lang, "cite_mark", n=len(citations))
            parts.append("".join(sentences) + mark)
        if not citations:
            return self._dont_know(turn)
        return self._reply(
            turn,
            text="".join(parts),
            citations=tuple(citations),
            suggestions=self._suggest(turn, product=product),
            confidence_floor=max(g.score for g in passing),
        )

    def _dont_know(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        return self._reply(
            turn,
            text=text(lang, "dont_know"),
            grounded=False,
            handoff_offered=True,
            suggestions=(text(lang, "sg_handoff"), *self._suggest(turn)[:2]),
        )

    def _product_params(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        lang = turn.caller.language
        pid = a.products[0] if a.products else turn.profile.product_model
        product = self.corpus.product(pid) if pid else None
        if product is None:
            examples = "、".join(p.id for p in self.corpus.products[:3])
            return self._reply(
                turn,
                text=text(lang, "which_product", examples=examples),
                suggestions=tuple(text(lang, "sg_params", product=p.id) for p in self.corpus.products[:3]),
            )
        overview = Citation(
            doc_id=f"{product.id}#overview",
            title=f"{product.id} {product.name} 产品介绍",
            snippet=product.summary[:240],
            kind="product",
        )
        if a.asks_price or (a.asks_warranty and not a.param_concepts):
            price = text(
                lang,
                "price" if a.asks_price else "warranty",
                product=product.id,
                price=f"{product.price.list_price:,}",
                unit=product.price.unit,
                band=label(lang, "band", product.price.band),
                warranty=product.warranty_months,
            )
            return self._reply(
                turn,
                text=price + text(lang, "cite_mark", n=1),
                cards=(self._param_card(product, ()),),
                citations=(overview,),
                suggestions=self._suggest(turn, product=product.id),
            )
        rows = _matching_rows(product, a.param_concepts)
        if not rows and a.param_concepts:
            # The table has no such row: a knowledge answer may still cover it (FAQ, overview).
            return self._knowledge(turn)
        card = self._param_card(product, tuple(r.name for r in rows))
        params_citation = Citation(
            doc_id=f"{product.id}#params",
            title=f"{product.id} {product.name} 技术参数",
            snippet="；".join(f"{r.name}：{r.display()}" for r in (rows or product.params))[:240],
            kind="product",
        )
        if rows:
            sentences = []
            for r in rows:
                line = text(lang, "param_row", product=product.id, name=r.name, value=r.display())
                if r.note:
                    line += text(lang, "param_note", note=r.note)
                sentences.append(line)
            body = text(lang, "joiner").join(sentences) + text(lang, "sentence_end") + text(lang, "cite_mark", n=1)
        else:
            body = text(lang, "param_all", product=product.id, name=product.name) + text(lang, "cite_mark", n=1)
        return self._reply(
            turn,
            text=body,
            cards=(card,),
            citations=(params_citation,),
            suggestions=self._suggest(turn, product=product.id),
        )

    def _param_card(self, product: Product, highlight: tuple[str, ...]) -> ParamTableCard:
        return ParamTableCard(
            product_id=product.id,
            product_name=product.name,
            rows=tuple(ParamRow(name=p.name, value=str(p.value), unit=p.unit) for p in product.params),
            highlight=highlight,
            citation=f"{product.id}#params",
        )

    def _script(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        lang = turn.caller.language
        recs = get_recommendation(
            turn.profile,
            corpus=self.corpus,
            kind="script",
            k=3,
            query=a.text,
            retriever=self.retriever,
            stages=a.stages or stages_in(a.text),
            personas=a.personas_hinted,
            language=lang,
        )
        if not recs or not self.corpus.scripts:
            return self._reply(turn, text=text(lang, "script_none"), suggestions=self._suggest(turn))
        best = recs[0]
        script = best.item
        assert isinstance(script, SalesScript)
        roi: RoiFigures | None = None
        roi_text = ""
        if script.roi is not None:
            try:
                outcome = compute_roi(script.roi, turn.profile)
            except RoiUndefinedError:
                roi_text = text(lang, "roi_undefined")
            else:
                if isinstance(outcome, RoiFigures):
                    roi = outcome
                    roi_text = text(
                        lang,
                        "roi_result",
                        hours=_num(outcome.inputs["downtime_hours_per_month"]),
                        cost=_money(outcome.inputs["downtime_cost_per_hour"]),
                        saving=_money(outcome.annual_saving),
                        payback=_num(outcome.payback_months),
                        reduction=_num(outcome.assumptions["downtime_reduction"] * 100),
                        source=script.roi.source,
                    )
                else:
                    fields = "、".join(label(lang, "field", f) for f in outcome)
                    roi_text = text(lang, "roi_missing", fields=fields)
        filled, missing = fill_template(script.template, turn.profile, roi=roi, corpus=self.corpus, language=lang)
        card = ScriptCard(
            script_id=script.id,
            title=script.title,
            persona=script.persona.value,
            stage=script.stage.value,
            product_line=script.product_line,
            text=filled,
            missing_slots=missing,
            why=best.reasons,
            roi=roi,
        )
        intro = text(
            lang,
            "script_intro",
            title=script.title,
            persona=label(lang, "persona", script.persona.value),
            stage=label(lang, "stage", script.stage.value),
        )
        lines = [intro, filled + text(lang, "cite_mark", n=1)]
        if roi_text:
            lines.append(roi_text)
        slot_missing = [m for m in missing if m not in ("annual_saving", "payback_months")]
        if slot_missing:
            lines.append(text(lang, "script_missing", fields="、".join(label(lang, "field", m) for m in slot_missing)))
        if len(recs) > 1:
            lines.append(text(lang, "also", titles="、".join(f"《{r.item.title}》" for r in recs[1:])))
        citation = Citation(doc_id=script.id, title=script.title, snippet=script.template[:240], kind="script")
        return self._reply(
            turn,
            text="\n".join(lines),
            cards=(card,),
            citations=(citation,),
            suggestions=self._suggest(turn, roi_missing=roi is None and script.roi is not None),
        )

    def _case(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        recs = get_recommendation(
            turn.profile,
            corpus=self.corpus,
            kind="case",
            k=3,
            query=turn.analysis.text,
            retriever=self.retriever,
            language=lang,
        )
        if not recs:
            return self._reply(turn, text=text(lang, "case_none"), suggestions=self._suggest(turn))
        cards: list[CaseCard] = []
        citations: list[Citation] = []
        lines = [text(lang, "case_intro", n=len(recs))]
        for i, rec in enumerate(recs, 1):
            case = rec.item
            assert isinstance(case, CaseStudy)
            results = tuple(f"{r.metric} {r.value:g}{r.unit}" for r in case.results)
            cards.append(
                CaseCard(
                    case_id=case.id,
                    title=case.title,
                    customer=case.customer,
                    industry=case.industry,
                    scale=case.scale.value,
                    region=case.region,
                    products=tuple(case.products),
                    results=results,
                    why=rec.reasons,
                )
            )
            why = text(lang, "why_sep").join(rec.reasons)
            key = "case_line" if why else "case_line_plain"
            lines.append(
                text(lang, key, i=i, title=case.title, customer=case.customer, why=why) + text(lang, "cite_mark", n=i)
            )
            lines.append(text(lang, "case_results", results=text(lang, "joiner").join(results)))
            snippet = f"{case.customer}（{case.industry}，{case.region}）：{'；'.join(case.pain_points)}"
            citations.append(Citation(doc_id=case.id, title=case.title, snippet=snippet[:240], kind="case"))
        return self._reply(
            turn,
            text="\n".join(lines),
            cards=tuple(cards),
            citations=tuple(citations),
            suggestions=self._suggest(turn),
        )

    def _rebate(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        if self.rebates is None:
            return self._reply(
                turn,
                text=text(lang, "rebate_unavailable"),
                suggestions=(text(lang, "sg_rebate_policy"), text(lang, "sg_handoff")),
            )
        slots = turn.analysis.understanding.slots
        quarter = slots.get("quarter")
        amount = slots.get("amount")
        try:
            result = self.rebates.answer(
                caller=turn.caller,
                text=turn.analysis.text,
                quarter=quarter if isinstance(quarter, str) else None,
                amount=amount if isinstance(amount, Decimal) else None,
            )
        except AssistantError as exc:
            log.warning("rebate skill failed (%s): %s", exc.code, exc)
            return self._reply(turn, text=text(lang, "skill_failed", what=text(lang, "skill_rebate")), grounded=False)
        return self._from_skill(turn, result)

    def _handoff(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        if self.handoff is None:
            return self._reply(turn, text=text(lang, "handoff_unavailable"), suggestions=self._suggest(turn)[:2])
        try:
            result = self.handoff.request(
                caller=turn.caller, text=turn.analysis.text, profile=turn.profile, history=turn.history
            )
        except AssistantError as exc:
            log.warning("handoff skill failed (%s): %s", exc.code, exc)
            return self._reply(turn, text=text(lang, "skill_failed", what=text(lang, "skill_handoff")), grounded=False)
        return self._from_skill(turn, result)

    def _from_skill(self, turn: TurnPlan, result: SkillResult) -> Reply:
        return self._reply(
            turn,
            text=result.text,
            cards=result.cards,
            citations=result.citations,
            suggestions=result.suggestions or self._suggest(turn),
            handoff_offered=result.handoff_offered,
        )

    def _profile_update(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        slots = turn.analysis.understanding.slots.values
        facts = [
            text(
                lang,
                "profile_fact",
                field=label(lang, "field", "order_amount" if k == "amount" else k),
                value=_display(k, v, self.corpus, lang),
            )
            for k, v in slots.items()
        ]
        body = (
            text(lang, "profile_ack", facts=text(lang, "why_sep").join(facts))
            if facts
            else text(lang, "profile_ack_nothing")
        )
        return self._reply(turn, text=body, suggestions=self._suggest(turn))

    def _greeting(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        thanks = any(w in turn.analysis.text for w in ("谢", "thank", "辛苦"))
        return self._reply(
            turn,
            text=text(lang, "thanks" if thanks else "greeting"),
            suggestions=(text(lang, "sg_profile"), text(lang, "sg_cases"), text(lang, "sg_rebate")),
        )

    def _out_of_scope(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        return self._reply(
            turn,
            text=text(lang, "out_of_scope"),
            handoff_offered=True,
            suggestions=(text(lang, "sg_handoff"), text(lang, "sg_cases"), text(lang, "sg_script")),
        )

    # -- helpers ----------------------------------------------------------------------

    def _reply(
        self,
        turn: TurnPlan,
        *,
        text: str,
        cards: tuple[Any, ...] = (),
        citations: tuple[Citation, ...] = (),
        suggestions: tuple[str, ...] = (),
        handoff_offered: bool = False,
        grounded: bool = True,
        confidence_floor: float | None = None,
    ) -> Reply:
        confidence = turn.analysis.understanding.confidence
        if confidence_floor is not None:
            confidence = round(min(max(confidence, 0.0), 1.0) * 0.5 + confidence_floor * 0.5, 4)
        return Reply(
            text=text,
            intent=turn.intent,
            confidence=confidence,
            cards=cards,
            citations=citations,
            suggestions=tuple(dict.fromkeys(suggestions))[:3],
            profile=turn.profile,
            handoff_offered=handoff_offered,
            grounded=grounded,
        )

    def _suggest(self, turn: TurnPlan, *, product: str | None = None, roi_missing: bool = False) -> tuple[str, ...]:
        lang = turn.caller.language
        p = turn.profile
        product = product or p.product_model
        out: list[str] = []
        if turn.intent in ("knowledge_qa", "product_params") and product:
            out += [text(lang, "sg_competitors", product=product), text(lang, "sg_faults", product=product)]
            if turn.intent == "knowledge_qa":
                out.insert(0, text(lang, "sg_params", product=product))
        elif turn.intent == "script_request":
            if roi_missing:
                out.append(text(lang, "sg_roi"))
            out += [text(lang, "sg_objection"), text(lang, "sg_cases")]
        elif turn.intent == "case_request":
            out += [text(lang, "sg_case_detail"), text(lang, "sg_script")]
        elif turn.intent == "profile_update":
            out += [text(lang, "sg_cases"), text(lang, "sg_script")]
        if not out:
            out = [text(lang, "sg_cases"), text(lang, "sg_script")]
        if len(out) < 3:
            out.append(text(lang, "sg_handoff"))
        return tuple(out[:3])


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """A turn understood, not yet answered: what :meth:`DialogueEngine.respond` needs.
    Picklable, so a worker process can understand a turn and hand it back (pool.py)."""

    analysis: Analysis
    intent: Intent  # the intent answered (the classifier's, or knowledge_qa when unsure)
    profile: CustomerProfile  # with this turn's slots merged in
    caller: Caller
    history: tuple[str, ...]


def _matching_rows(product: Product, concepts: Sequence[str]) -> list[Param]:
    rows: list[Param] = []
    for concept in concepts:
        for param in product.params:
            if concept in squash(param.name) and param not in rows:
                rows.append(param)
    return rows


def fill_template(
    template: str, profile: CustomerProfile, *, roi: RoiFigures | None, corpus: Corpus, language: str = "zh"
) -> tuple[str, tuple[str, ...]]:
    """The template with every known slot filled and the others as 【placeholders】."""
    from assistant.content.schema import template_slots

    values: dict[str, str] = {}
    missing: list[str] = []
    known = profile.known()
    for slot in template_slots(template):
        if slot == "annual_saving" and roi is not None:
            values[slot] = _money(roi.annual_saving)
        elif slot == "payback_months" and roi is not None:
            values[slot] = _num(roi.payback_months)
        elif slot in known:
            values[slot] = _display(slot, known[slot], corpus, language)
        else:
            values[slot] = text(language, "placeholder", field=label(language, "field", slot))
            missing.append(slot)
    return template.format(**values), tuple(missing)


def _display(key: str, value: object, corpus: Corpus, language: str) -> str:
    if key in ("scale", "persona"):
        return label(language, key, str(value))
    if key == "product_line":
        return corpus.line_name(str(value))
    if key in ("order_amount", "amount", "downtime_cost_per_hour", "labour_cost_per_month") and isinstance(
        value, Decimal
    ):
        return _money(value)
    if isinstance(value, Decimal):
        return _num(value)
    return str(value)


def _money(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _num(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{value:.0f}"
    return format(value.normalize(), "f")
