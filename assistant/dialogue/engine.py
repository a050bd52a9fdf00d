"""The dialogue engine: one user turn in, one :class:`Reply` out.

``DialogueEngine.handle`` runs in two steps, so worker processes can do the first
(``understand``) and hand service turns back (:mod:`pool`):

**understand** reads the utterance (:mod:`nlu`), then decides the task by two ordered
tables of named rules (``DialogueEngine._RECLASSIFY``, ``_ROUTES``; first match wins, the
plan records the rule that decided):

* a follow-up that changes one thing of the last task re-runs it (:mod:`followup`,
  with the :class:`~assistant.dialogue.state.DialogueState` the conversation keeps);
* a person asked for together with a problem on site is a handoff, whatever else the
  message says; asking about people with no problem in sight only offers the expert;
* an ROI asked directly with its figures is computed (:mod:`roi_task`);
* a training question goes to the academy (:mod:`academy`);
* a question about products or knowledge is read into clauses (:mod:`reading`), also
  when it comes with customer facts the NLU took for a profile update; a competitor
  named against our product is a comparison (:mod:`compare`).

**respond** answers:

==================  =============================================================
knowledge/params    each asked point from the product's own facts (:mod:`facts`),
                    the rest from grounded passages (:mod:`knowledge`); what no
                    document says is said so, with the remote expert offered
script_request      recommender + template slots filled from the profile
case_request        recommender; CaseCards with the reasons they match
rebate_query        the RebateSkill (follow-ups keep the what-if's amount)
handoff_request     the HandoffSkill
profile_update      acknowledge what was understood
greeting            hello / thanks
out_of_scope        polite refusal, remote expert offered
==================  =============================================================

Every factual sentence comes from a corpus entry or a retrieved passage and carries
its citation.  No HTTP here: the API layer translates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from assistant.content.documents import case_document
from assistant.content.loader import Corpus
from assistant.content.schema import CaseStudy, SalesScript
from assistant.dialogue import academy
from assistant.dialogue.attributes import Attribute, AttributeLexicon, load_attribute_lexicon
from assistant.dialogue.catalog import Catalog
from assistant.dialogue.compare import find_matchups, say_matchups
from assistant.dialogue.compose import Composer
from assistant.dialogue.cues import (
    ASK_PERSON,
    ASKING,
    CAN_GET,
    ERROR_CODE,
    PRACTICE,
    PROCESS_QUESTION,
    RULE_QUESTION,
    STUCK,
    word_pattern,
)
from assistant.dialogue.customer_switch import name_in_passing, profile_for_turn
from assistant.dialogue.facts import answer_facts, general_capability, pairs_with_context, say_differences
from assistant.dialogue.followup import INTERJECTION, FollowUp
from assistant.dialogue.followup import detect as detect_followup
from assistant.dialogue.grounding import DEFAULT_MIN_GROUNDING
from assistant.dialogue.knowledge import KnowledgeAnswerer, pick_sentences
from assistant.dialogue.lexicon import find_all, line_of_need, squash
from assistant.dialogue.nlu import Analysis, Nlu
from assistant.dialogue.numbers import find_numbers, is_bare_sales
from assistant.dialogue.ops_asks import ops_ask
from assistant.dialogue.reading import Clause, Reading, read
from assistant.dialogue.recommender import get_recommendation, stages_in
from assistant.dialogue.roi import RoiUndefinedError, compute_roi
from assistant.dialogue.roi_task import LOSS_ASK, ROI_ASK, ROI_CALC, RoiFigures, answer_roi, parse_roi
from assistant.dialogue.skills import AdviceSkill, HandoffSkill, MentoringSkill, OpsSkill, RebateSkill, SkillResult
from assistant.dialogue.state import DialogueState, TaskKind, task
from assistant.dialogue.texts import label, text
from assistant.dialogue.types import (
    Caller,
    CaseCard,
    Citation,
    CustomerProfile,
    Intent,
    ParamRow,
    ParamTableCard,
    PracticeCard,
    ProfilePatch,
    Reply,
    ScriptCard,
)
from assistant.dialogue.types import (
    RoiFigures as ScriptRoi,
)
from assistant.errors import AssistantError
from assistant.retrieval.retriever import HybridRetriever, Mode

log = logging.getLogger(__name__)

# Below this intent probability the engine does not trust the classifier's pick
# and treats the turn as a knowledge question (answered only if grounded).
DEFAULT_MIN_CONFIDENCE = 0.3
# Passages that are about no one product: what may answer a value question with no product in sight.
_GENERAL_KINDS = ("faq", "lesson")
# An unsure intent still stands when the message has that intent's own cue words
# ("有没有类似case" in a long description of the customer: a case request).
_BACKING_CUE: dict[str, str] = {"case_request": "case", "script_request": "script", "rebate_query": "rebate"}
_INTENTS_KEEPING_AMOUNT_OUT = frozenset({"rebate_query"})  # "再卖 30 万" is a what-if, not the order size
_ROI_SLOTS = frozenset({"downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month", "amount"})
# Intents answered by services of the serving process (rebates, handoff), not by the corpus.
SERVICE_INTENTS: frozenset[Intent] = frozenset({"rebate_query", "handoff_request"})
# Intents whose text may still hold a product question ("客户是宁波的 2100防水不").
_MAY_ASK: frozenset[Intent] = frozenset(
    {"knowledge_qa", "product_params", "profile_update", "greeting", "out_of_scope"}
)
# A problem on site in the message or the turns before: a person asked for then is a handoff.
_PROBLEM = word_pattern("problem", also=r"(?:一直|还是|老是?|总是?)报")
# A question whether a product can do something the table has no row for ("能加io模块扩吗").
_CAN_DO = re.compile(
    r"(?:能|可以|能不能|可不可以|支不支持|支持).{0,4}(?:加|扩|扩展|升级|下井|进|放|刷|跑|装|挂)(?!多|几)"
)
_HYPOTHETICAL = re.compile(
    r"要是|如果|万一|假如|的话|到时候|(?:以后|将来|平时).{0,8}(?:有事|出事|出问题|有问题|坏了|故障|搞不定|解决不了|处理不了)"
)
_PEOPLE = word_pattern("people")
# Asking for a person without saying "专家" (DECISIONS 2026-12-04 #3).
_INDIRECT = re.compile(
    r"有没有人|有人能|谁能|能不能.{0,4}(?:远程|帮我|来人)|帮我看看|帮忙看看|帮我看下|远程看|远程帮|远程连|"
    r"搞不定|没辙|弄不好|弄不了|实在不行|救救|求助"
)
# Asking for a person right now: a handoff even with no problem named.
# Asking for a course, not for a role-play: "有没有能先练练手的微课", "想让新人练练 有啥培训".
_COURSE_ASK = word_pattern("course_ask")
_DIRECT = re.compile(
    # (急 is the caller's hurry, not "客户急着要货" / "急用" / "急需")
    r"转人工|人工客服|帮我(?:找|转|叫|约|联系)|给我(?:找|转|叫)|马上|现在就|立刻|赶紧|急(?!着|用|需|单)|转接|"
    # ("想找个澜图的专家聊下方案": a wish for later, the expert is offered, DECISIONS 2026-12-04 #3)
    r"(?<!想)(?:找|叫|来|派|拉|喊|请)(?:个|一个|位|一位)[\u4e00-\u9fffa-z0-9]{0,6}?(?:专家|工程师|技术)(?!证|资质|认证|差旅|费)|"
    r"(?:找|叫|来|派)(?:个|一个|位|一位)人"
)
# Asking about people without wanting one now: "有没有懂传感器的专家", "以后选型想请教".
_ABOUT_PEOPLE = re.compile(r"有没有.{0,8}(?:专家|工程师|人)|以后|改天|不急|有空|回头|下次|请教")
# Setting a competitor against us: "跟凯森比", "比锐拓贵", "优势在哪", "比咱们远多了 我咋回".
_VERSUS = re.compile(
    r"跟.{0,16}比|和.{0,16}比|与.{0,16}比|拿.{0,16}比|比(?:咱|我们|我方|我家)|对比|相比|比较|pk|优势|劣势|区别|"
    r"差在|强在|便宜|贵|怎么说|咋说|咋回|怎么回|如何回|应对"
)
_SHORT_FOLLOWUP = 16
_NEED_TURNS = 4  # earlier turns whose need ("想做设备联网") still picks a script's product line
# Asking how two of our products differ: "2100和2100pro有啥区别", "标准版跟企业版哪个好".
_DIFFERENCE = word_pattern("difference")
# The same question again under a changed condition: "要是…呢", "如果…呢" (up to a sentence long).
_WHAT_IF = re.compile(r"^(?:那|那么)?(?:要是|如果|假如|换成)[^？?。]{2,30}(?:呢|咋办|怎么办|的话)$")
# Correcting what was just said, however long: "哦我说错了 不是负的 是读数小了好多 …".
_CORRECTS = re.compile(r"^" + INTERJECTION + r"我?(?:说错了|搞错了|打错了|弄错了|不对)")
# Asking which one to choose: "用哪个版本就够了", "选哪款".
_WHICH_ONE = re.compile(
    r"(?:用|选|上|买|推)哪(?:个|款|种|一款|一个)|哪(?:个|款|种)(?:版本|型号)?(?:就)?(?:够|合适|适合|好)"
    # whether the product named copes: "600台设备要上云眸 标准版够不够", "那标准版够了吧"
    r"|够不够|够用[吗不没]|够吗|够了吧|够了吗"
)
# A rule question is about rebates when it names them: "影响返利档不", "算哪个季度的业绩".
_REBATE_RULE = word_pattern("rebate_rule")
# Haggling over the price: "客户还嫌贵 要更低咋整", "非要8折才肯签".
_PRICE_TALK = word_pattern("price_talk", also=r"\d\s*折")
# A yes/no question: "能直接接2100网关吗", "0区能用不", "可以带进去吗", "行不行".
_YES_NO = re.compile(r"能.{0,12}(?:吗|不|么|没)$|能不能|可不可以|可以.{0,12}(?:吗|不)$|行吗|行不行|能否|支不支持|是否")
_VERDICTS = ("可以", "不行", "不能", "够用", "不够", "Yes", "No")
_CITE_MARK = re.compile(r"\[(\d+)\]")
# Asking outright for a case, at the end of a description of the customer.
# A definition asked, maybe with an example of it: "超额累进是啥 举个例子", "什么叫基线 比如呢".
_DEFINE = word_pattern("define")
_CASE_ASK = re.compile(
    r"(?:有没有|有无|有)(?:啥|什么)?[^，,。？?]{0,6}(?:案例|样板|标杆|同行(?:做|用)过|做过的|用过的)[^，,。？?]{0,3}"
    r"(?:吗|没|么|不|呢)?[?？]?\s*$"
)
# Words a rebate question has (a figure aside): without them, after a knowledge answer, "退回去" is no return.
_REBATE_TALK = word_pattern("rebate_talk")
# A message that ends by asking ("…是另算还是含在里面", "…能退吗"): a question, not only facts.
_ENDS_ASKING = re.compile(
    r"(?:吗|么|嘛|[?？]|还是[\u4e00-\u9fff]{1,8}|多少|几[个天台年月]?|啥|什么|怎么[\u4e00-\u9fff]{0,3}|咋[\u4e00-\u9fff]{0,3}|能不能[\u4e00-\u9fff]{0,6}|[不没]|呢)[\s。.!！]*$"
)
# The current quarter said in words (the NLU's quarter slot holds only named ones).
_THIS_QUARTER = word_pattern("this_quarter")
_PAYBACK = word_pattern("payback")
# What a case achieved, asked with its products: "那个案子用的都是啥产品，多久回的本".
_CASE_RESULTS = word_pattern("case_results")
# Asking for words to say: "给我…", "开个场", "怎么说".
_WANTS_WORDS = re.compile(
    r"给我|帮我|来段|来个|开个场|写个|写段|怎么说|咋说|怎么讲|怎么开口|怎么回|咋回|给.{0,12}讲|讲讲|讲一下|开场"
    # "我该咋跟班长说", "怎么和他们IT解释"
    r"|(?:怎么|咋|如何)(?:跟|和|对|同)[^，,。？?!！]{0,8}(?:说|讲|解释|沟通|聊)"
)
# Asking for a script outright (not only for words: "怎么回" may want the facts of a comparison).
_SCRIPT_WORDS = word_pattern("script_words")
_SCRIPT_ASKED = word_pattern("script_asked")
# How to answer a customer's objection: "客户说博远便宜好几百 我咋回".
_HOW_TO_REPLY = word_pattern("how_to_reply")
# How to set up or fit a product: "16口网管那款交换机 环网咋配".
_HOW_TO_DO = word_pattern("how_to_do")
_TRAINING_INTENTS: frozenset[Intent] = frozenset(
    {"knowledge_qa", "out_of_scope", "script_request", "product_params", "greeting"}
)


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """A turn understood, not yet answered: what :meth:`DialogueEngine.respond` needs.
    Picklable, so a worker process can understand a turn and hand it back (pool.py)."""

    analysis: Analysis
    intent: Intent  # the intent answered (the classifier's, or knowledge_qa when unsure)
    profile: CustomerProfile  # with this turn's slots merged in
    caller: Caller
    history: tuple[str, ...]
    state: DialogueState = field(default_factory=DialogueState)  # the last task before this turn
    task: TaskKind | None = None  # the task decided (a follow-up, roi, compare, training ...)
    changes: Mapping[str, str] | None = None  # what a follow-up changes of the last task
    reading: Reading | None = None
    offer_only: bool = False  # a person asked about, no problem in sight: offer, do not start
    route: str = ""  # the routing rule that decided (DialogueEngine._RECLASSIFY/_ROUTES), "" if none


@dataclass(frozen=True, slots=True)
class Route:
    """What a routing rule decides: the intent answered, and the task if one is run."""

    intent: Intent
    task: TaskKind | None = None
    changes: dict[str, str] | None = None  # what a follow-up changes of the last task
    offer_only: bool = False


@dataclass(frozen=True, slots=True)
class _Ask:
    """What the routing rules read of one turn."""

    analysis: Analysis
    norm: str  # the normalised text
    intent: Intent  # the classifier's intent, as corrected by the rules before
    state: DialogueState
    history: tuple[str, ...]
    profile: CustomerProfile
    contact_objection: bool
    followup: FollowUp | None = None


_Rule = Callable[["DialogueEngine", _Ask], "Route | None"]


class DialogueEngine:
    """Stateless between calls: the caller passes the profile, history and state in."""

    def __init__(
        self,
        *,
        corpus: Corpus,
        retriever: HybridRetriever,
        nlu: Nlu,
        rebates: RebateSkill | None = None,
        handoff: HandoffSkill | None = None,
        ops: OpsSkill | None = None,
        advice: AdviceSkill | None = None,
        mentoring: MentoringSkill | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        min_grounding: float = DEFAULT_MIN_GROUNDING,
        attributes: AttributeLexicon | None = None,
    ) -> None:
        self.corpus = corpus
        self.retriever = retriever
        self.nlu = nlu
        self.rebates = rebates
        self.handoff = handoff
        self.ops = ops
        self.advice = advice  # the caller's own next lessons and practices (assistant/training/advice_chat.py)
        self.mentoring = mentoring  # the sharing sessions open to the caller (assistant/training/mentoring_chat.py)
        self.min_confidence = min_confidence
        self.min_grounding = min_grounding
        lexicon = attributes or load_attribute_lexicon(corpus.root)
        self.catalog = Catalog(corpus=corpus, lexicon=lexicon, tokenizer=retriever.tokenizer)
        # The lexicon's everyday words plus every row name of the catalogue.
        self.attributes = lexicon.extended(self.catalog.row_attributes())
        ignore = {squash(w) for w in self.attributes.question_words} | {squash(c.name) for c in corpus.vocab.cues}
        # Where the customer is ("重庆这边一个客户", and the region the tokenizer adds for it) is the
        # situation, never what an answer is about: no passage has to share it.
        ignore |= {w for entry in nlu.lexicon.regions.entries for w in (entry[0], squash(entry[1]))}
        parts = {part.lower() for p in corpus.products for part in re.split(r"[-\s]", p.id)}
        parts |= {w for line in corpus.product_lines for w in (line.id.lower(),)}
        weak = frozenset(squash(c) for c in self.attributes.question_cues)
        self.knowledge = KnowledgeAnswerer(retriever, min_grounding, frozenset(ignore), frozenset(parts), weak)

    # -- entry point ----------------------------------------------------------------

    def handle(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> Reply:
        return self.respond(self.understand(text=text, profile=profile, caller=caller, history=history, state=state))

    def _asks_a_row(self, norm: str) -> bool:
        """``norm`` asks about an attribute of a product's table ("环境温度有什么要求"): an
        attribute named (not only one of its values) in a message that asks."""
        return bool(ASKING.search(norm)) and bool(self.attributes.named(squash(norm)))

    def understand(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> TurnPlan:
        analysis = self.nlu.analyse(text, profile=profile)
        state = state or DialogueState()
        intent = analysis.intent
        if (
            analysis.understanding.confidence < self.min_confidence
            and intent not in ("greeting", "profile_update")
            and _BACKING_CUE.get(intent) not in analysis.cues
        ):
            log.info("low intent confidence %.2f for %s", analysis.understanding.confidence, intent)
            intent = "knowledge_qa"
        norm = analysis.text
        ask = _Ask(
            analysis=analysis,
            norm=norm,
            intent=intent,
            state=state,
            history=tuple(history),
            profile=profile,
            # A named contact's objection and how to answer it ("明天见车间班组长 师傅们嫌又多一个系统
            # 要学 这种咋回"): a script (eval/data/README.md, intent conventions), not a course.
            contact_objection=(
                "objection" in analysis.stages
                and bool(_HOW_TO_REPLY.search(norm))
                and bool(analysis.understanding.slots.get("persona"))
                and not analysis.competitors
            ),
        )
        route_name, route = self._route(ask, self._RECLASSIFY)
        intent = route.intent
        ask = replace(
            ask,
            intent=intent,
            followup=detect_followup(
                replace(analysis, understanding=replace(analysis.understanding, intent=intent)), state
            ),
        )
        route_name, route = self._route(ask, self._ROUTES, default=route_name)
        intent, kind, changes, offer_only = route.intent, route.task, route.changes, route.offer_only
        reading: Reading | None = None
        if (
            kind is None
            and intent == "script_request"
            and analysis.competitors
            and _VERSUS.search(norm)
            # "厂长嫌贵 说锐拓便宜一大截 … 每月停机20小时 … 帮我出段回他的话术 把账算进去": the
            # objection script, which computes the payback from the figures given; "采购拿锐拓的报价
            # 压我 … 给我一段跟采购说的话": something to say asked for
            and not (_SCRIPT_ASKED.search(norm) or (_SCRIPT_WORDS.search(norm) and parse_roi(norm).any))
        ):
            reading = self._read(analysis, profile, state)
            if self._matchups(analysis, reading, profile):
                kind, intent = "compare", "knowledge_qa"  # "gs700跟凯森ks-gd8比怎么说"
        if kind is None and intent in _MAY_ASK and not offer_only:
            reading = self._read(analysis, profile, state)
            matchups = self._matchups(analysis, reading, profile)
            if matchups:
                kind, intent = "compare", "knowledge_qa"
            elif intent in ("profile_update", "greeting", "out_of_scope") and _asks_products(reading):
                intent = "product_params"
            elif (
                intent in ("greeting", "out_of_scope")
                and state.task == "params"
                and norm.endswith("呢")
                and len(norm) <= _SHORT_FOLLOWUP // 2
                and _current_product(profile, state) is not None
            ):
                intent = "product_params"  # "穿墙呢" after the base station's coverage: about it too
        # Another customer company starts a fresh profile (issue 18: one conversation's profile
        # piled up the facts of unrelated customers); see dialogue/customer_switch.py.
        slots = analysis.understanding.slots.values
        start = profile_for_turn(profile, slots, text)
        patch = self._patch(analysis, intent, kind)
        if name_in_passing(profile, slots, text):
            patch.pop("customer_name", None)  # "罐区要装可燃气报警": the customer held stays
        new_profile = start.merged(patch)
        return TurnPlan(
            analysis=analysis,
            intent=intent,
            profile=new_profile,
            caller=caller,
            history=tuple(history),
            state=state,
            task=kind,
            changes=changes,
            reading=reading,
            offer_only=offer_only,
            route=route_name,
        )

    # -- routing ---------------------------------------------------------------------------
    # Two ordered tables of named rules, first match wins.  _RECLASSIFY corrects the
    # classifier's intent where the words of the message say otherwise; _ROUTES then picks
    # the task (a follow-up, a handoff, ROI, training, ...) or settles the intent.  A rule
    # returns the Route it decides, or None to pass.  To change routing, add or edit one rule
    # and place it in its table; the name of the rule that decided is on the TurnPlan.

    def _route(self, ask: _Ask, rules: tuple[_Rule, ...], *, default: str = "") -> tuple[str, Route]:
        for rule in rules:
            route = rule(self, ask)
            if route is not None:
                log.debug("route %s", rule.__name__)
                return rule.__name__, route
        return default, Route(ask.intent)

    def no_rebate_after_knowledge(self, ask: _Ask) -> Route | None:
        """ "升完出问题呢 能退回去吗" after a firmware answer: no rebate in it."""
        if (
            ask.intent == "rebate_query"
            and ask.state.task == "knowledge"
            and not _REBATE_TALK.search(ask.norm)
            and "amount" not in ask.analysis.understanding.slots.values
        ):
            return Route("knowledge_qa")
        return None

    def story_ending_in_question(self, ask: _Ask) -> Route | None:
        """No case word and no case before it: a long story that ends in a question
        ("…咱们能源管理那个模块能算碳排放吗") is that question, however case-like the story."""
        if ask.intent == "case_request" and "case" not in ask.analysis.cues and ask.state.task != "cases":
            return Route("knowledge_qa")
        return None

    def contact_question_not_script(self, ask: _Ask) -> Route | None:
        """ "他们IT问防火墙得放行哪几个口": a contact's question with no word asking what to say,
        that a general passage answers first of everything: that answer, not a script;
        "16口网管那款交换机 环网咋配": how to set a product up (DECISIONS 2026-12-04 #1); and
        "那它摆放环境温度有什么要求？客户打算塞在配电房": a row of the table asked."""
        norm = ask.norm
        if (
            ask.intent == "script_request"
            and not (_SCRIPT_WORDS.search(norm) or _WANTS_WORDS.search(norm) or _HOW_TO_REPLY.search(norm))
            and (
                _HOW_TO_DO.search(norm)
                or self._asks_a_row(norm)
                or self.knowledge.general_first(norm, products=(), others=())
            )
        ):
            return Route("knowledge_qa")
        return None

    _RECLASSIFY: tuple[_Rule, ...] = (
        no_rebate_after_knowledge,
        story_ending_in_question,
        contact_question_not_script,
    )

    def person_for_problem(self, ask: _Ask) -> Route | None:
        """A person asked for with a problem on site: a handoff, whatever else the message says."""
        if (
            _person_for_problem(ask.norm, ask.history, self.attributes.fault_cues)
            and ask.intent != "handoff_request"
            and not _asks_for_script(ask.norm)
        ):
            return Route("handoff_request")
        return None

    def practice(self, ask: _Ask) -> Route | None:
        """ "练习一下：跟化工厂设备部长谈 EG-3200": a role-play on the practice page
        ("有没有能先练练手的微课" is a course, the academy's)."""
        if (
            PRACTICE.search(ask.norm, squash(ask.norm))
            and ask.intent != "handoff_request"
            and not _COURSE_ASK.search(ask.norm)
        ):
            return Route("knowledge_qa", "practice")
        return None

    def own_channel_figures(self, ask: _Ask) -> Route | None:
        """ "我这周有什么任务", "有哪些风险预警": the caller's own channel figures, answered by the
        operations skill of the serving process like a rebate question."""
        if (op := ops_ask(ask.norm)) is not None and not ask.analysis.products and ask.intent != "handoff_request":
            return Route("rebate_query", "ops", {"ask": op})
        return None

    def follow_up(self, ask: _Ask) -> Route | None:
        """A follow-up that changes one thing of the last task re-runs it (followup.py); but
        "客户拿锐拓rt-g1比 说人家才1280 咋应对" after cases sets a rival against us, not a case
        ("再来一段给设备部长的 他说锐拓还便宜" after a script stays a script)."""
        f = ask.followup
        if (
            f is not None
            and not self._own_line(f.changes, ask.state)
            and not (ask.analysis.competitors and _VERSUS.search(ask.norm) and f.task not in ("compare", "script"))
        ):
            return Route(f.intent, f.task, dict(f.changes))
        return None

    def training(self, ask: _Ask) -> Route | None:
        """Courses, the 70/20/10 model and mentoring: the academy (unless a product is asked about)."""
        norm, intent = ask.norm, ask.intent
        if (
            (intent in (*_TRAINING_INTENTS, "handoff_request") or (intent == "profile_update" and ASKING.search(norm)))
            and academy.is_training_question(norm)
            and not ask.contact_objection
            and (not ask.analysis.products or academy.wants_lessons(norm))
        ):
            return Route("knowledge_qa", "training")
        return None

    def roi_asked(self, ask: _Ask) -> Route | None:
        """ "客户想上AR远程协助 你帮我算算能省多少钱": the figures asked for."""
        if ROI_CALC.search(ask.norm) and ROI_ASK.search(ask.norm) and not _wants_person_now(ask.norm):
            return Route("knowledge_qa", "roi")
        return None

    def hypothetical_person(self, ask: _Ask) -> Route | None:
        """ "要是晚上11点出问题 能找着专家不": how support works, no person now."""
        if ask.intent == "handoff_request" and _HYPOTHETICAL.search(ask.norm) and not _wants_person_now(ask.norm):
            return Route("knowledge_qa")
        return None

    def story_asking_script(self, ask: _Ask) -> Route | None:
        """ "…老要等厂家工程师出差过来 想了解AR远程协助 开场怎么说": a story, not a call."""
        if ask.intent == "handoff_request" and _asks_for_script(ask.norm):
            return Route("script_request")
        return None

    def person_offered(self, ask: _Ask) -> Route | None:
        """ "有没有懂传感器的专家 以后选型想请教下", "想找网关专家聊聊明年的规划": no problem in
        sight and no one asked for right now: the expert is offered, not started.  Not so for
        a sum with its figures ("AR远程协助项目 差旅每月4万 … 几个月回本") or how support works
        ("远程专家晚上有人吗", "远程专家咋呼叫")."""
        norm, intent = ask.norm, ask.intent
        if (
            intent in ("handoff_request", "knowledge_qa", "out_of_scope")
            and (
                intent == "handoff_request"
                or ASK_PERSON.search(norm)
                or _INDIRECT.search(norm)
                or (_PEOPLE.search(norm) and _ABOUT_PEOPLE.search(norm))
            )
            and not _problem_in_sight(norm, ask.history, self.attributes.fault_cues)
            and not _wants_person_now(norm)
            and not (ROI_ASK.search(norm) and parse_roi(norm).any)
            and not PROCESS_QUESTION.search(norm)
            and not any(c in squash(norm) for c in self.attributes.howto_cues)
        ):
            return Route(intent, offer_only=True)
        return None

    def payback_with_figures(self, ask: _Ask) -> Route | None:
        """ "投入150万的话几个月回本": a payback, not a rebate ("老板就关心多久回本 … 给老板的开场
        怎么说" is the script, which computes the payback)."""
        norm = ask.norm
        if (
            ROI_ASK.search(norm)
            and parse_roi(norm).any
            and (ask.intent not in SERVICE_INTENTS or _PAYBACK.search(norm))
            and not (_SCRIPT_WORDS.search(norm) and _WANTS_WORDS.search(norm))
        ):
            return Route("knowledge_qa", "roi")
        return None

    def words_asked(self, ask: _Ask) -> Route | None:
        """ "每月停机30小时 … 给老板的开场怎么说": a script."""
        if (
            ask.intent in ("knowledge_qa", "profile_update")
            and _SCRIPT_WORDS.search(ask.norm)
            and _WANTS_WORDS.search(ask.norm)
        ):
            return Route("script_request")
        return None

    def facts_with_case_word(self, ask: _Ask) -> Route | None:
        """ "南京化工园区大厂 想做预测性维护 有标杆没": a case request."""
        if ask.intent == "profile_update" and "case" in ask.analysis.cues:
            return Route("case_request")
        return None

    def example_of_a_rule(self, ask: _Ask) -> Route | None:
        """ "超额累进是啥 举个例子": an example of a rule, not a customer case."""
        if ask.intent == "case_request" and _DEFINE.search(ask.norm) and not _CASE_ASK.search(ask.norm):
            return Route("knowledge_qa")
        return None

    def rebate_rule(self, ask: _Ask) -> Route | None:
        """ "这单算哪个季度的业绩 影响返利档不": a rebate rule (DECISIONS 2026-12-04 #2)."""
        if (
            ask.intent in ("knowledge_qa", "product_params")
            and _REBATE_RULE.search(ask.norm)
            and RULE_QUESTION.search(ask.norm)
        ):
            return Route("rebate_query")
        return None

    def case_asked(self, ask: _Ask) -> Route | None:
        """ "分拣线老是停 想做预测性维护 有同行做过的没": a case request."""
        if ask.intent == "knowledge_qa" and _CASE_ASK.search(ask.norm):
            return Route("case_request")
        return None

    def opener_asked(self, ask: _Ask) -> Route | None:
        """ "给宁波甬丰泵业的老板开个场": a script."""
        if ask.intent == "profile_update" and ask.analysis.stages and _WANTS_WORDS.search(ask.norm):
            return Route("script_request")
        return None

    def contact_objection_reply(self, ask: _Ask) -> Route | None:
        """A named contact's objection and how to answer it: a script."""
        if ask.intent == "knowledge_qa" and ask.contact_objection:
            return Route("script_request")
        return None

    def which_one(self, ask: _Ask) -> Route | None:
        """ "三百来台设备 云眸用哪个版本就够了": a choice, not a fact to note."""
        if (
            ask.intent == "profile_update"
            and _WHICH_ONE.search(ask.norm)
            and (ask.analysis.products or ask.analysis.product_lines)
        ):
            return Route("knowledge_qa")
        return None

    def facts_then_question(self, ask: _Ask) -> Route | None:
        """ "银川客户要派人调ec700r … 差旅住宿是另算还是含在里面": a question, whatever facts it
        states on the way (they are noted all the same); "要是集团六个厂加一块三千多台呢" is the
        last question again (below)."""
        norm = ask.norm
        if (
            ask.intent == "profile_update"
            and ask.analysis.understanding.slots.values
            and _ENDS_ASKING.search(norm)
            and not _SCRIPT_WORDS.search(norm)
            and not _WHAT_IF.search(norm)
        ):
            return Route("knowledge_qa")
        return None

    def fault_with_facts(self, ask: _Ask) -> Route | None:
        """ "成都一个电子厂 … docker镜像丢到4500pro上一启动就退出": a fault of our product on site,
        whatever customer facts come with it (they are noted all the same)."""
        if ask.intent == "profile_update" and ask.analysis.products and self.attributes.names_fault(squash(ask.norm)):
            return Route("knowledge_qa")
        return None

    def same_topic(self, ask: _Ask) -> Route | None:
        """ "晚上几点下班" after remote support, "到期了客户不还咋办" after borrowing a demo unit:
        a short question in the topic of the last answer (a condition it states is still noted
        in the profile)."""
        norm, intent, analysis, state = ask.norm, ask.intent, ask.analysis, ask.state
        slots = analysis.understanding.slots.values
        if not (
            (
                intent in ("out_of_scope", "greeting", "knowledge_qa")
                # "客户还嫌贵 要更低咋整" after the lowest discount: the price policy, not a script
                or (intent == "script_request" and _PRICE_TALK.search(norm) and not slots.get("persona"))
                # "要是他们集团六个厂加一块三千多台呢": the same question under another condition
                or (intent == "profile_update" and _WHAT_IF.search(norm))
                # "客户非要再低点呢": a question with no customer fact to note
                or (intent == "profile_update" and not slots and ASKING.search(norm))
                # "4g信号是满格的" while a fault is being worked on: more about the same fault
                # (a statement naming no customer fact, whatever the classifier made of it)
                or (
                    intent in ("product_params", "profile_update")
                    and not slots
                    and self.attributes.names_fault(squash(state.get("query") or ""))
                    and not _asks_products(self._read(analysis, ask.profile, state))
                )
            )
            and state.task == "knowledge"
            and state.get("query")
            and (len(norm) <= _SHORT_FOLLOWUP or _WHAT_IF.search(norm) or _CORRECTS.match(norm))
            and not (analysis.products or analysis.product_lines or analysis.competitors)
        ):
            return None
        return Route(
            "knowledge_qa" if intent == "profile_update" else intent, "knowledge", {"query": state.get("query") or ""}
        )

    def params_under_condition(self, ask: _Ask) -> Route | None:
        """ "要是他们IT说数据不能出厂呢" after "800台 标准版不够了吧 上啥": the same question under
        another condition, searched with it (the condition is still noted in the profile)."""
        analysis, state = ask.analysis, ask.state
        if (
            ask.intent == "profile_update"
            and _WHAT_IF.search(ask.norm)
            and state.task == "params"
            and state.get("query")
            and not (analysis.products or analysis.product_lines or analysis.competitors)
        ):
            return Route("knowledge_qa", "knowledge", {"query": state.get("query") or ""})
        return None

    _ROUTES: tuple[_Rule, ...] = (
        person_for_problem,
        practice,
        own_channel_figures,
        follow_up,
        training,
        roi_asked,
        hypothetical_person,
        story_asking_script,
        person_offered,
        payback_with_figures,
        words_asked,
        facts_with_case_word,
        example_of_a_rule,
        rebate_rule,
        case_asked,
        opener_asked,
        contact_objection_reply,
        which_one,
        facts_then_question,
        fault_with_facts,
        same_topic,
        params_under_condition,
    )

    def respond(self, turn: TurnPlan) -> Reply:
        if turn.offer_only:
            reply = self._offer_expert(turn)
        elif turn.task == "roi":
            reply = self._roi(turn)
        elif turn.task == "compare":
            reply = self._compare(turn)
        elif turn.task == "training":
            reply = self._training(turn)
        elif turn.task == "ops":
            reply = self._ops(turn)
        elif turn.task == "practice":
            reply = self._practice(turn)
        elif turn.task in ("params", "knowledge") and turn.changes:
            reply = self._ask(turn)
        elif turn.task is None and turn.intent == "profile_update" and self._fills_roi(turn):
            reply = self._script_figures(turn)
        else:
            handler = {
                "knowledge_qa": self._ask,
                "product_params": self._ask,
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
            "turn intent=%s task=%s confidence=%.2f grounded=%s partner=%s",
            reply.intent,
            turn.task,
            reply.confidence,
            reply.grounded,
            turn.caller.partner_id,
        )
        return reply

    def _patch(self, analysis: Analysis, intent: Intent, kind: TaskKind | None) -> ProfilePatch:
        patch: ProfilePatch = {}
        for key, value in analysis.understanding.slots.values.items():
            if key == "amount":
                if intent not in _INTENTS_KEEPING_AMOUNT_OUT and kind != "roi" and isinstance(value, Decimal):
                    patch["order_amount"] = value
            elif key in ("downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month"):
                if kind != "roi":
                    patch[key] = Decimal(value)
            elif key == "device_count":
                patch[key] = int(value)
            else:
                patch[key] = value
        if kind == "roi":
            # The ROI reader knows a saving from an investment ("一年省40万 投了30万").
            figures = parse_roi(analysis.text)
            for field, key in (
                (figures.hours, "downtime_hours_per_month"),
                (figures.cost_per_hour, "downtime_cost_per_hour"),
                (figures.labour, "labour_cost_per_month"),
                (figures.investment, "order_amount"),
            ):
                if field is not None:
                    patch[key] = field
        # The profile keeps what the user stated: a model named in passing does not
        # overwrite the product line they said they are selling ("想推云眸平台" then
        # "2100功耗多少").  The recommender reads the line off the model when no line
        # was stated.
        return patch

    def _contact_afterwords(self, reading: Reading) -> set[str]:
        """Clauses after the last question that ask nothing and name only a contact ("技术负责人要
        排计划"): why the question is asked.  Other words after it often say what is asked ("客户想让
        三个厂的工程师一起看") and stay."""
        asking = [n for n, c in enumerate(reading.clauses) if c.asks]
        if not asking:
            return set()
        return {
            c.text
            for c in reading.clauses[asking[-1] + 1 :]
            if not c.asks and not c.named and not c.mentions and find_all(squash(c.text), self.nlu.lexicon.personas)
        }

    def _own_line(self, changes: Mapping[str, str], state: DialogueState) -> bool:
        """A follow-up "to" the line the products in talk belong to is about them: "那传感器能用几年"
        after the gas detector asks about the detector's sensor, not about every sensor."""
        line = changes.get("line")
        ids = [p for p in (state.get("products") or "").split(",") if p]
        products = [self.catalog.product(pid) for pid in ids]
        return bool(line and ids) and all(p is not None and p.line == line for p in products)

    def _read(self, analysis: Analysis, profile: CustomerProfile, state: DialogueState | None = None) -> Reading:
        return read(
            analysis.text,
            products=analysis.products,
            lines=analysis.product_lines,
            context_product=_current_product(profile, state),
            lexicon=self.nlu.lexicon,
            attributes=self.attributes,
            catalog=self.catalog,
            tokenizer=self.retriever.tokenizer,
        )

    def _matchups(self, analysis: Analysis, reading: Reading, profile: CustomerProfile) -> list[Any]:
        """The competitor blocks a question sets against us; a competitor named with no
        comparison ("博远那边提成几个点") is not one."""
        if not analysis.competitors or (not _VERSUS.search(analysis.text) and not analysis.products):
            return []
        products = analysis.products or reading.described or ((profile.product_model,) if profile.product_model else ())
        return find_matchups(
            analysis.text,
            products=products,
            competitors=analysis.competitors,
            catalog=self.catalog,
            lines=analysis.product_lines or ((profile.product_line,) if profile.product_line else ()),
        )

    # -- knowledge and product questions ------------------------------------------------

    def _ask(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        lang = turn.caller.language
        reading = turn.reading or self._read(a, turn.profile, turn.state)
        out = Composer(lang)
        if turn.task is None and (
            pid := self.knowledge.known_fault(a.text, reading.products, out, reported=not ASKING.search(a.text))
        ):
            # The message tells a fault the product's own entries describe: its cause and fix.
            return self._knowledge_reply(turn, out, query=a.text, product=pid)
        if turn.task == "params" and turn.changes and turn.changes.get("line") and self._only_fields(turn.state):
            # "网关保修多久" … "那网关和控制器呢": a line's warranty or price is its policy (FAQ).
            question = f"{a.text} {self._field_words(turn.state)}"
            if self.knowledge.answer(question, out=out, max_passages=1):
                return self._knowledge_reply(turn, out, query=question)
        if turn.task == "params" and turn.changes and not pairs_with_context(a.text):
            reading = self._reapply(turn, reading)
        if turn.task == "knowledge" and turn.changes and turn.changes.get("subject"):
            # "网关保修多久" then "那ar眼镜呢": the last question, about the new subject.
            question = self._resubject(turn.state.get("query") or "", a.text)
            plan = self.understand(text=question, profile=turn.profile, caller=turn.caller, history=turn.history)
            if plan.task is None and plan.intent in ("knowledge_qa", "product_params"):
                return self._ask(replace(plan, intent=turn.intent))
        if turn.task == "knowledge" and turn.changes and turn.changes.get("query"):
            # A short follow-up of a knowledge answer ("晚上几点下班"): asked in the same topic.
            question = f"{turn.changes.get('query', '')} {a.text}"
            # Grounded on its own words, except a what-if, whose words are mostly the new condition
            # ("要是集团六个厂加一块三千多台呢"): the question it repeats must be answered.
            own = turn.changes.get("query") if _WHAT_IF.search(a.text) else a.text
            if self.knowledge.answer(question, dense_query=question, out=out, max_passages=1, ground_on=own):
                return self._knowledge_reply(turn, out, query=question)
            if _PRICE_TALK.search(a.text) and self.knowledge.answer(
                question, dense_query=question, out=out, max_passages=1, ground_on=f"{a.text} 价格"
            ):
                return self._knowledge_reply(turn, out, query=question)  # "客户非要再低点呢"
            if turn.intent == "out_of_scope":
                return self._out_of_scope(turn)
            if turn.intent == "greeting":
                return self._greeting(turn)
        if (
            turn.task is None
            and turn.state.task == "params"
            and self._only_fields(turn.state)
            and not a.products
            and len(a.text) <= _SHORT_FOLLOWUP
            and not any(m for c in reading.asking for m in c.mentions)
        ):
            # "保修几年" then "能不能再多加两年": the policy around that field (extended warranty).
            question = f"{self._field_words(turn.state)} {a.text}"
            if self.knowledge.answer(
                question, dense_query=question, out=out, max_passages=1, kinds=_GENERAL_KINDS, ground_on=a.text
            ):
                return self._knowledge_reply(turn, out, query=question)
        named = list(dict.fromkeys(pid for c in reading.clauses for pid in c.named))
        if (
            turn.task is None
            and len(named) == 1
            and not a.competitors
            and all(not c.remainder and not c.mentions and not c.terms for c in reading.clauses)
            and self.knowledge.answer(f"{named[0]} 产品介绍", products=(named[0],), out=out, max_passages=1)
        ):
            # "ec700r", "EG-2100?", "冗余控制器": a product typed alone asks what it is, its overview
            # and its table (the overview chunk is titled 产品介绍, assistant/content/documents.py).
            return self._reply(
                turn,
                text=out.render(),
                cards=self._param_cards({named[0]: ()}),
                citations=tuple(out.citations),
                suggestions=self._suggest(turn, product=named[0]),
                state=task("params", products=named[0]),
            )
        if (
            len(named) == 2
            and not a.competitors
            and _DIFFERENCE.search(a.text)
            and not any(c.mentions for c in reading.asking)
            and (pair := [p for pid in named if (p := self.catalog.product(pid)) is not None])
            and len(pair) == 2
            and say_differences(pair[0], pair[1], out)
        ):
            # "2100和2100pro有啥区别": where the two tables differ, both tables as cards.
            return self._reply(
                turn,
                text=out.render(),
                cards=self._param_cards({pid: () for pid in named}),
                citations=tuple(out.citations),
                suggestions=self._suggest(turn, product=named[0]),
                state=task("params", products=",".join(named)),
            )
        facts = answer_facts(reading, message=a.text, catalog=self.catalog, attributes=self.attributes, out=out)
        # What the tables do not hold: a grounded passage about the same product, else "not in the documents".
        topic = turn.state.get("query") if turn.state.task == "knowledge" and not a.products else None
        for clause, pid, what, words in facts.unresolved:
            # Lexical: the passage must name the attribute anyway, so no sentence encoding.
            mode: Mode = "bm25" if words else "hybrid"
            if self.knowledge.answer(clause.text, products=(pid,), out=out, max_passages=1, require=words, mode=mode):
                continue
            if mode == "bm25" and self.knowledge.answer(
                clause.text, products=(pid,), out=out, max_passages=1, require=words, mode="hybrid"
            ):
                continue
            # "云眸上能批量升级固件吗" then "一半走4g卡 会不会很费流量": the product only came from the
            # conversation, so the question may be more of the last answer's topic.
            if topic and self.knowledge.answer(
                f"{topic} {clause.text}",
                dense_query=f"{topic} {clause.text}",
                out=out,
                max_passages=1,
                ground_on=clause.text,
            ):
                continue
            out.not_in_documents(text(lang, "missing_attribute", product=pid, what=what or clause.text))
        for clause in facts.rivals:
            self._rival_value(clause, a, out)
        # "能加io模块扩吗": the table gives the IO; whether it can be extended is in the FAQ.
        for clause in reading.asking:
            if clause.kind == "value" and (clause.howto or _CAN_DO.search(clause.squashed)):
                self.knowledge.answer(clause.text, products=clause.products[:1], out=out, max_passages=1)
        other = ("howto", "fault") if reading.select else ("howto", "fault", "other")
        # An "other" clause with nothing of its own ("我们那个气体检测仪能测吗" after the facts
        # answered the gas) asks nothing more.
        asked_other = [
            c
            for c in reading.asking
            if (c.kind in other and (c.kind != "other" or len(c.remainder) >= 2 or not out.answered))
            or general_capability(c)
        ]
        if asked_other or not reading.asking:
            # The question without the clauses the tables answered; a fault is described
            # across clauses ("电表接到com1上 读数全是0 是不是网关坏了"): all of them.
            answered = {c.text for c in reading.asking if c.kind in ("value", "capability") and c.products}
            fault = any(c.kind == "fault" for c in asked_other)
            # "那它交期要多久 技术负责人要排计划": what follows the last question and asks nothing
            # is why it is asked, not what (its words would pull in a lesson about that contact).
            after = set() if fault else self._contact_afterwords(reading)
            said = " ".join(c.text for c in reading.clauses if c.text not in after) if after else a.text
            question = (
                said
                if fault or not answered
                else " ".join(c.text for c in reading.clauses if c.text not in answered | after)
            )
            versus = bool(a.competitors) or bool(_VERSUS.search(a.text))
            found = self.knowledge.answer(
                question, products=reading.products[:2], dense_query=said, out=out, fault=fault, versus=versus
            )
            if not found and not out.answered:
                return self._which_product(turn, facts.needs_product) if facts.needs_product else self._dont_know(turn)
        elif (
            facts.needs_product
            and not out.answered
            # A value of no product in sight ("防水等级多少", "电池多少毫安") is asked back; a
            # line's policy ("网关保修多久") is in a general passage, never another product's table.
            and not (
                (a.product_lines or _asks_field(facts.needs_product))
                and self.knowledge.answer(a.text, out=out, kinds=_GENERAL_KINDS)
            )
            # A policy question whose words name a row ("项目特价批下来能用多久": 能用多久) is not
            # asked back when a general passage is clearly what it asks (first on both sides, close
            # in meaning).
            and not (
                self.knowledge.agreed_first(a.text, kinds=_GENERAL_KINDS)
                and self.knowledge.answer(a.text, out=out, kinds=_GENERAL_KINDS, max_passages=1)
            )
        ):
            return self._which_product(turn, facts.needs_product)
        if (
            not out.answered
            and not out.unknown
            and not reading.products
            and not facts.needs_product
            and self.knowledge.answer(a.text, out=out)
        ):
            # A question that looked like a product's capability but names no product and no row
            # ("现货po几点前确认能当天走": "po" is an order, not a protocol) is a question of policy or
            # practice: the knowledge answers it, if anything does.
            return self._knowledge_reply(turn, out, query=a.text)
        if not out.answered and not out.unknown:
            return self._dont_know(turn)
        cards = self._param_cards(facts.highlight)
        products: list[str] = list(facts.highlight) or list(reading.products)
        keys = [m.attribute.key for c in reading.asking for m in c.mentions if not m.by_value]
        terms = [t for c in reading.asking for t in c.terms]
        state = task(
            "params",
            query=a.text[-80:],
            products=",".join(products),
            attributes=",".join(dict.fromkeys(keys)),
            terms=",".join(dict.fromkeys(terms)),
            compat=facts.compat,
            rows=",".join(dict.fromkeys(r for rows in facts.highlight.values() for r in rows)),
        )
        if (
            facts.highlight
            and turn.task is None
            and self.knowledge.general_first(a.text, products=tuple(facts.highlight), others=self.catalog.ids)
        ):
            # "客户有台2100返修过 … 修好以后还能保多久": the row named in passing is said, and the
            # policy the question is about after it.
            self.knowledge.answer(a.text, out=out, kinds=_GENERAL_KINDS, max_passages=1)
        if not facts.highlight:  # answered from the documents: a knowledge task, its subject may change
            if len(reading.asking) <= 1 and _YES_NO.search(a.text) and self._says_no(out.sentences):
                out.lead(text(lang, "verdict_no"))  # "pt200能直接接网关吗": "不能。…"
            return self._knowledge_reply(turn, out, query=a.text)
        return self._reply(
            turn,
            text=out.render(),
            cards=cards,
            citations=tuple(out.citations),
            suggestions=self._suggest(turn, product=products[0]),
            handoff_offered=bool(out.unknown or out.offer_expert),
            grounded=bool(out.citations),
            state=state,
        )

    def _says_no(self, sentences: Sequence[str]) -> bool:
        """The passages said answer a yes/no question with no (and no verdict is said yet)."""
        if not sentences or sentences[0].startswith(_VERDICTS):
            return False
        said = squash("".join(sentences))
        return any(cue in said for cue in self.attributes.negative_cues)

    def _rival_value(self, clause: Any, analysis: Analysis, out: Composer) -> None:
        """A value of a competitor's product: what our competitor notes say of it, or that
        the documents do not say ("VL-Glass 3 的续航"), never our own product's row."""
        matchups = find_matchups(analysis.text, products=(), competitors=analysis.competitors, catalog=self.catalog)
        words = [w for m in clause.mentions for w in m.attribute.words]
        for m in matchups:
            notes = [*m.rival.their_advantages, m.rival.price_note]
            said = [n for n in notes if n and any(w in squash(n) for w in words)]
            if said:
                cite = Citation(
                    doc_id=f"{m.product.id}#competitors",
                    title=f"{m.product.id} 对比 {m.rival.competitor} {m.rival.competitor_model}",
                    snippet=said[0][:240],
                    kind="product",
                )
                out.say(text(out.language, "joiner").join(said), cite)
                return
        rival = matchups[0].rival.competitor_model if matchups else "对方产品"
        labels = "、".join(dict.fromkeys(m.attribute.label for m in clause.mentions)) or clause.remainder
        out.not_in_documents(text(out.language, "missing_attribute", product=rival, what=labels))

    def _knowledge_reply(self, turn: TurnPlan, out: Composer, *, query: str, product: str | None = None) -> Reply:
        """``product``: the one product the answer is about, which "它" then means."""
        return self._reply(
            turn,
            text=out.render(),
            citations=tuple(out.citations),
            suggestions=self._suggest(turn),
            handoff_offered=bool(out.unknown or out.offer_expert),
            grounded=bool(out.citations),
            state=task("knowledge", query=query[-80:], **({"products": product} if product else {})),
        )

    def _reapply(self, turn: TurnPlan, reading: Reading) -> Reading:
        """A follow-up about other products ("那2100pro呢", "那ar眼镜呢", "有没有便宜点的"):
        the last attributes, asked of them."""
        assert turn.changes is not None
        keys = [k for k in (turn.state.get("attributes") or "").split(",") if k]
        words = "".join(a.words[0] for k in keys if (a := self.attributes.by_key(k)) is not None)
        own = [m.word for m in self.attributes.named(squash(turn.analysis.text))]
        if own:
            words = " ".join(own)  # "换成5g那款 功耗多少": the other product, and what is asked now
        terms = (turn.state.get("terms") or "").replace(",", " ")
        if terms:
            words += f" 支持{terms}吗"  # "ec300支持profinet吗" then "那2100呢"
        if turn.state.get("compat"):
            words += " 能配吗"  # "io16能配700r不" then "io32呢"
        if not words and turn.state.get("rows"):
            words = " ".join((turn.state.get("rows") or "").split(","))  # rows found by their own names
        changes = turn.changes
        ids: list[str] = [p for p in changes.get("products", "").split(",") if p]
        select = False
        if changes.get("line"):
            ids = [p.id for p in self.catalog.of_kind(turn.analysis.text, line=changes["line"])]
        elif changes.get("variant") and (last := self.catalog.product(changes.get("from", ""))) is not None:
            found = self.catalog.variant(last, changes["variant"])
            ids = [found.id] if found is not None else []
        elif changes.get("relative") and (last := self.catalog.product(changes.get("from", ""))) is not None:
            ids = [p.id for p in self.catalog.alternatives(last, changes["relative"], description=turn.analysis.text)]
            select = True
        if not ids:
            return reading
        if not words and select:
            words = "价格"
        new = read(
            f"{' '.join(ids)} {words}",
            products=tuple(ids),
            lines=(),
            context_product=None,
            lexicon=self.nlu.lexicon,
            attributes=self.attributes,
            catalog=self.catalog,
            tokenizer=self.retriever.tokenizer,
        )
        return replace(new, described=tuple(ids), select=select) if select else new

    def _state_attributes(self, state: DialogueState) -> list[Attribute]:
        keys = [k for k in (state.get("attributes") or "").split(",") if k]
        return [a for k in keys if (a := self.attributes.by_key(k)) is not None]

    def _only_fields(self, state: DialogueState) -> bool:
        """The last answer was a price, a warranty or a firmware, not a row of a table."""
        attributes = self._state_attributes(state)
        return bool(attributes) and all(a.field is not None for a in attributes)

    def _field_words(self, state: DialogueState) -> str:
        return " ".join(a.words[0] for a in self._state_attributes(state))

    def _resubject(self, last: str, text_now: str) -> str:
        """The last question with its products and product lines taken out, after the new subject."""
        lexicon = self.nlu.lexicon
        rest = squash(last)
        for table in (lexicon.products, lexicon.product_lines):
            for _, s, e in sorted(find_all(rest, table), key=lambda m: -m[1]):
                rest = rest[:s] + rest[e:]
        subject = re.sub(r"^(?:那么|那|如果是|要是)|呢[?？]?$", "", text_now.strip())
        return f"{subject} {rest}"

    def _param_cards(self, highlight: Mapping[str, Sequence[str]]) -> tuple[ParamTableCard, ...]:
        if len(highlight) != 1:
            return ()
        pid, rows = next(iter(highlight.items()))
        product = self.catalog.product(pid)
        if product is None:
            return ()
        return (
            ParamTableCard(
                product_id=product.id,
                product_name=product.name,
                rows=tuple(ParamRow(name=p.name, value=str(p.value), unit=p.unit) for p in product.params),
                highlight=tuple(dict.fromkeys(rows)),
                citation=f"{product.id}#params",
            ),
        )

    def _which_product(self, turn: TurnPlan, clauses: Sequence[Clause] = ()) -> Reply:
        """Ask which product; the examples are products whose table has what was asked."""
        lang = turn.caller.language
        wanted = [m.attribute for c in clauses for m in c.mentions]
        lines = turn.analysis.product_lines
        pool = [p for p in self.corpus.products if not lines or p.line in lines]
        having_all = [p for p in pool if all(self.catalog.row_for_attribute(p, attr) for attr in wanted)]
        having_first = [p for p in pool if all(self.catalog.row_for_attribute(p, attr) for attr in wanted[:1])]
        examples = (having_all or having_first or pool or list(self.corpus.products))[:3]
        return self._reply(
            turn,
            text=text(lang, "which_product", examples="、".join(p.id for p in examples)),
            suggestions=tuple(text(lang, "sg_params", product=p.id) for p in examples),
            grounded=False,
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

    def _compare(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        lang = turn.caller.language
        if turn.changes is not None:  # a follow-up: the same matchup as before, or another rival
            products = tuple(p for p in (turn.state.get("products") or "").split(",") if p)
            rivals = tuple(r for r in (turn.changes.get("rivals") or "").split(",") if r)
            model = "" if rivals else turn.state.get("rival") or ""
            matchups = find_matchups(model, products=products, competitors=rivals, catalog=self.catalog)
        else:
            reading = turn.reading or self._read(a, turn.profile, turn.state)
            matchups = self._matchups(a, reading, turn.profile)
        if not matchups:
            return self._ask(turn)
        out = Composer(lang)
        say_matchups(matchups, question=a.text, out=out)
        first = matchups[0]
        body, citations = out.render(), tuple(out.citations)
        cards: tuple[Any, ...] = ()
        if turn.changes is None and (_HOW_TO_REPLY.search(a.text) or turn.state.task == "script"):
            # "客户说博远的网关便宜好几百 我咋回", or a rival raised while pitching: the objection
            # script first, then the facts.
            script = self._objection_script(turn, line=first.product.line)
            if script is not None:
                shift = len(script.citations)
                body = script.text + "\n" + _CITE_MARK.sub(lambda m: f"[{int(m.group(1)) + shift}]", body)
                cards, citations = script.cards, script.citations + citations
        return self._reply(
            turn,
            text=body,
            cards=cards,
            citations=citations,
            suggestions=self._suggest(turn, product=first.product.id),
            handoff_offered=bool(out.unknown),
            state=task(
                "compare",
                products=",".join(dict.fromkeys(m.product.id for m in matchups)),
                rival=first.rival.competitor_model,
                # the script shown, so figures said next fill it ("停机8小时 … 把数带进去")
                script=next((c.script_id for c in cards if isinstance(c, ScriptCard)), None),
            ),
        )

    def _objection_script(self, turn: TurnPlan, *, line: str) -> Reply | None:
        """The objection-handling script of ``line`` for this customer, if the library has one."""
        profile = (
            turn.profile
            if turn.profile.product_line or turn.profile.product_model
            else replace(turn.profile, product_line=line)
        )
        reply = self._script(replace(turn, profile=profile, task=None, changes=None))
        card = next((c for c in reply.cards if isinstance(c, ScriptCard)), None)
        if card is None or card.stage != "objection" or card.product_line != line:
            return None
        return reply

    def _roi(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        figures = parse_roi(turn.analysis.text)
        # The sales stage the message speaks of ("太贵了不值", "快签了") picks the script whose
        # assumptions apply; a follow-up that changes a figure keeps the stage of the first turn.
        stages = turn.analysis.stages or stages_in(turn.analysis.text)
        if turn.state.task == "roi":
            figures = RoiFigures.from_params(turn.state.params).merged(figures)
            stages = stages or tuple(filter(None, (turn.state.get("stage") or "").split(",")))
        line = self._line(turn)
        out = Composer(lang)
        answer_roi(
            figures,
            corpus=self.corpus,
            line=line,
            out=out,
            loss_asked=bool(LOSS_ASK.search(turn.analysis.text)),
            stages=stages,
        )
        return self._reply(
            turn,
            text=out.render(),
            citations=tuple(out.citations),
            suggestions=(text(lang, "sg_script"), text(lang, "sg_cases")),
            state=task("roi", **figures.to_params(), stage=",".join(stages)),
        )

    def _training(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        lang = turn.caller.language
        if self.advice is not None and academy.asks_for_advice(a.text):
            return self._own_advice(turn)  # "我该学点什么": their own next steps, with the reasons
        if self.mentoring is not None and academy.asks_about_mentoring(a.text):
            return self._sharing_sessions(turn)  # "最近有什么分享会": the ones open to the caller
        out = Composer(lang)
        # A lesson or the training FAQ, never another topic's FAQ that shares a word ("新人" / "新测点").
        self.knowledge.answer(
            academy.search_text(a.text), out=out, max_passages=1, kinds=("faq", "lesson"), categories=("training",)
        )
        lines = tuple(a.product_lines) or ((turn.profile.product_line,) if turn.profile.product_line else ())
        if academy.wants_lessons(a.text) or turn.state.task == "training":
            lessons = academy.recommend_lessons(
                self.corpus, question=a.text, lines=lines, tokenizer=self.retriever.tokenizer
            )
            if lessons:
                out.say(text(lang, "lessons_intro"))
                academy.say_lessons(lessons, out)
        if not out.answered:
            return self._dont_know(turn)
        return self._reply(
            turn,
            text=out.render(),
            citations=tuple(out.citations),
            suggestions=self._suggest(turn),
            state=task("training"),
        )

    def _own_advice(self, turn: TurnPlan) -> Reply:
        assert self.advice is not None
        try:
            result = self.advice.advise(caller=turn.caller)
        except AssistantError as exc:
            log.warning("advice skill failed (%s): %s", exc.code, exc)
            return self._dont_know(turn)
        return self._from_skill(turn, result, state=task("training"))

    def _sharing_sessions(self, turn: TurnPlan) -> Reply:
        assert self.mentoring is not None
        try:
            result = self.mentoring.sessions(caller=turn.caller)
        except AssistantError as exc:
            log.warning("mentoring skill failed (%s): %s", exc.code, exc)
            return self._dont_know(turn)
        return self._from_skill(turn, result, state=task("training"))

    def _practice(self, turn: TurnPlan) -> Reply:
        """A role-play practice: the practice page plays the customer and scores each answer
        (assistant/training); the chat hands over what it knows: product, contact, industry."""
        a = turn.analysis
        lang = turn.caller.language
        product = self.catalog.product(a.products[0] if a.products else (turn.profile.product_model or ""))
        persona = turn.profile.persona or ""
        industry = turn.profile.industry or ""
        query = {
            k: v
            for k, v in (("product", product.id if product else ""), ("persona", persona), ("industry", industry))
            if v
        }
        card = PracticeCard(
            product_id=product.id if product else "",
            product_name=product.name if product else "",
            persona=persona,
            industry=industry,
            href="/practice" + (f"?{urlencode(query)}" if query else ""),
        )
        if product is None:
            said = text(lang, "practice_pick")
        else:
            who = label(lang, "persona", persona) if persona else text(lang, "practice_customer")
            said = text(lang, "practice_intro", product=product.id, who=who)
        return self._reply(turn, text=said, cards=(card,), state=task("practice"))

    def _offer_expert(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        return self._reply(
            turn,
            text=text(lang, "expert_offer_only"),
            handoff_offered=True,
            suggestions=(text(lang, "sg_handoff"), *self._suggest(turn)[:2]),
        )

    # -- scripts and cases ----------------------------------------------------------------

    def _script(self, turn: TurnPlan) -> Reply:
        a = turn.analysis
        lang = turn.caller.language
        profile = turn.profile
        last = self.corpus.script(turn.state.get("script") or "") if turn.task == "script" else None
        if not (profile.product_line or profile.product_model):
            # "换成跟他们IT谈" or "他说预算不够 咋回" after a script: the last script's line;
            # "想搞振动监测" (now or in the turns before): the line of the need
            shown = turn.state.get("script") if turn.state.task == "script" else None
            prior = last or (self.corpus.script(shown) if shown else None)
            line = (
                prior.product_line
                if prior is not None
                else line_of_need(a.text) or line_of_need(" ".join(turn.history[-_NEED_TURNS:]))
            )
            if line:
                profile = replace(profile, product_line=line)
        recs = get_recommendation(
            profile,
            corpus=self.corpus,
            kind="script",
            k=3,
            query=a.text,
            retriever=self.retriever,
            stages=a.stages or stages_in(a.text),
            # a follow-up keeps the last script's stage ("换成给他们IT讲" after an opening), below its line
            carried_stages=(last.stage.value,) if last is not None else (),
            personas=a.personas_hinted,
            competitors=a.competitors,
            language=lang,
        )
        if not recs or not self.corpus.scripts:
            return self._reply(turn, text=text(lang, "script_none"), suggestions=self._suggest(turn))
        best = recs[0]
        assert isinstance(best.item, SalesScript)
        return self._render_script(turn, best.item, why=best.reasons, others=[r.item.title for r in recs[1:]])

    def _script_figures(self, turn: TurnPlan) -> Reply:
        """The last script again with the figures this turn states ("停机8小时 … 把数带进去")."""
        script = self.corpus.script(turn.state.get("script") or "")
        assert script is not None
        return self._render_script(turn, script, why=(), others=[])

    def _render_script(
        self, turn: TurnPlan, script: SalesScript, *, why: tuple[str, ...], others: Sequence[str]
    ) -> Reply:
        lang = turn.caller.language
        profile = turn.profile
        roi: ScriptRoi | None = None
        roi_text = ""
        roi_asked: tuple[str, ...] = ()  # the ROI inputs roi_text already asks for
        if script.roi is not None:
            try:
                outcome = compute_roi(script.roi, turn.profile)
            except RoiUndefinedError:
                roi_text = text(lang, "roi_undefined")
            else:
                if isinstance(outcome, ScriptRoi):
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
                    roi_asked = outcome
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
            why=why,
            roi=roi,
        )
        intro = text(
            lang,
            "script_intro_for" if profile.customer_name else "script_intro",
            customer=profile.customer_name or "",
            title=script.title,
            persona=label(lang, "persona", script.persona.value),
            stage=label(lang, "stage", script.stage.value),
        )
        lines = [intro, filled + text(lang, "cite_mark", n=1)]
        if roi_text:
            lines.append(roi_text)
        slot_missing = [m for m in missing if m not in ("annual_saving", "payback_months") and m not in roi_asked]
        if slot_missing:
            lines.append(text(lang, "script_missing", fields="、".join(label(lang, "field", m) for m in slot_missing)))
        if others:
            lines.append(text(lang, "also", titles="、".join(f"《{t}》" for t in others)))
        citation = Citation(doc_id=script.id, title=script.title, snippet=filled[:240], kind="script")
        return self._reply(
            turn,
            text="\n".join(lines),
            cards=(card,),
            citations=(citation,),
            suggestions=self._suggest(turn, roi_missing=roi is None and script.roi is not None),
            state=task("script", script=script.id, persona=script.persona.value, stage=script.stage.value),
        )

    def _case(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        detail = (turn.changes or {}).get("detail")
        shown = self.corpus.case(turn.state.get("case") or "") if detail else None
        if shown is not None and detail == "products":
            return self._case_products(turn, shown)
        if shown is not None and detail == "ask":
            return self._case_detail(turn, shown)
        profile = turn.profile
        if turn.analysis.products and turn.analysis.products[0] != profile.product_model:
            profile = replace(profile, product_model=turn.analysis.products[0])  # "用了vb500的案例"
        scale = (turn.changes or {}).get("scale")
        if scale:
            profile = replace(profile, scale=scale)  # "要小一点的": this search only
        # "换一个": other cases than the ones already shown; "有没有小厂的": the shown ones only
        # if they are of that size; "西南的有没": any that fit, shown or not.
        changes = turn.changes or {}
        excluding = turn.task == "cases" and bool(changes.get("another") or changes.get("scale"))
        shown_ids = set((turn.state.get("shown") or "").split(",")) - {""} if excluding else set()
        recs = get_recommendation(
            profile,
            corpus=self.corpus,
            kind="case",
            k=3 + len(shown_ids),
            query=turn.analysis.text,
            retriever=self.retriever,
            language=lang,
        )
        # With a new scale, a case already shown that has it is still an answer.
        fresh = [
            r
            for r in recs
            if r.item_id not in shown_ids or (scale and isinstance(r.item, CaseStudy) and r.item.scale.value == scale)
        ]
        recs = (fresh or recs)[:3]
        if not recs:
            return self._reply(turn, text=text(lang, "case_none"), suggestions=self._suggest(turn))
        cards: list[CaseCard] = []
        citations: list[Citation] = []
        lines = [text(lang, "case_intro", n=len(recs))]
        for i, rec in enumerate(recs, 1):
            case = rec.item
            assert isinstance(case, CaseStudy)
            cards.append(
                CaseCard(
                    case_id=case.id,
                    title=case.title,
                    customer=case.customer,
                    industry=case.industry,
                    scale=case.scale.value,
                    region=case.region,
                    products=tuple(case.products),
                    results=_result_parts(case),
                    why=rec.reasons,
                )
            )
            why = text(lang, "why_sep").join(rec.reasons)
            key = "case_line" if why else "case_line_plain"
            lines.append(
                text(lang, key, i=i, title=case.title, customer=case.customer, why=why) + text(lang, "cite_mark", n=i)
            )
            lines.append(
                _case_results(case, lang)
                + text(lang, "joiner")
                + text(lang, "case_uses", products=text(lang, "list_sep").join(case.products))
            )
            snippet = f"{case.customer}（{case.industry}，{case.region}）：{'；'.join(case.pain_points)}"
            citations.append(Citation(doc_id=case.id, title=case.title, snippet=snippet[:240], kind="case"))
        first = recs[0].item
        assert isinstance(first, CaseStudy)
        return self._reply(
            turn,
            text="\n".join(lines),
            cards=tuple(cards),
            citations=tuple(citations),
            suggestions=self._suggest(turn),
            state=task(
                "cases",
                scale=profile.scale or first.scale.value,
                industry=profile.industry,
                case=first.id,
                shown=",".join(sorted(shown_ids | {r.item_id for r in recs})),
            ),
        )

    def _case_detail(self, turn: TurnPlan, case: CaseStudy) -> Reply:
        """ "他们上了多少个点 效果咋样" after cases: the sentences of the first case that answer."""
        lang = turn.caller.language
        doc = case_document(case, self.corpus)
        words = self.knowledge.words(turn.analysis.text)
        sentences = pick_sentences(doc, words, turn.analysis.text, weight=self.retriever.word_weight)
        out = Composer(lang)
        cite = Citation(doc_id=case.id, title=case.title, snippet=case.solution[:240], kind="case")
        out.say("".join(sentences) or case.solution, cite)
        out.say(_case_results(case, lang), cite)
        return self._reply(
            turn, text=out.render(), citations=tuple(out.citations), suggestions=self._suggest(turn), state=turn.state
        )

    def _case_products(self, turn: TurnPlan, case: CaseStudy) -> Reply:
        """ "那它用的啥产品" after cases: the products of the first case shown, and how."""
        lang = turn.caller.language
        names = text(lang, "list_sep").join(
            f"{pid}（{p.name}）" if (p := self.corpus.product(pid)) is not None else pid for pid in case.products
        )
        out = Composer(lang)
        cite = Citation(doc_id=case.id, title=case.title, snippet=case.solution[:240], kind="case")
        out.say(text(lang, "case_products", customer=case.customer, products=names), cite)
        out.say(case.solution, cite)
        if _CASE_RESULTS.search(turn.analysis.text):
            out.say(_case_results(case, lang), cite)  # "… 多久回的本"
        return self._reply(
            turn, text=out.render(), citations=tuple(out.citations), suggestions=self._suggest(turn), state=turn.state
        )

    # -- service skills -----------------------------------------------------------------

    def _rebate(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        if self.rebates is None:
            out = Composer(lang)
            if RULE_QUESTION.search(turn.analysis.text) and self.knowledge.answer(
                turn.analysis.text, out=out, max_passages=1, kinds=("faq", "lesson")
            ):
                return self._knowledge_reply(turn, out, query=turn.analysis.text)  # the rule, without figures
            return self._reply(
                turn,
                text=text(lang, "rebate_unavailable"),
                suggestions=(text(lang, "sg_rebate_policy"), text(lang, "sg_handoff")),
            )
        slots = turn.analysis.understanding.slots
        quarter = slots.get("quarter")
        amount = slots.get("amount")
        if amount is None and turn.task == "rebate":
            # a follow-up the classifier read as something else kept no figure ("打错了 是3w")
            norm = turn.analysis.text
            money = [n for n in find_numbers(norm) if n.is_money or is_bare_sales(n, norm)]
            amount = money[0].value if money else None
        new_customer: bool | None = None
        last = turn.state.params if turn.state.task == "rebate" else {}
        if (
            last.get("ask") == "what_if"
            and not isinstance(amount, Decimal)
            and last.get("amount")
            and not RULE_QUESTION.search(turn.analysis.text)  # "反利一般啥时候到账": the policy, not the what-if
        ):
            # "那如果都是新客户呢": the same what-if (amount, quarter, customer) with one thing changed.
            amount = Decimal(last["amount"])
            if last.get("new_customer") in ("True", "False"):
                new_customer = last["new_customer"] == "True"
            if quarter is None and last.get("quarter"):
                quarter = last["quarter"]
        if (
            quarter is None
            and amount is None
            and turn.task == "rebate"
            and last.get("quarter")
            and "呢" in turn.analysis.text  # a follow-up leaning on the last answer, not a new question
            and not _THIS_QUARTER.search(turn.analysis.text)
        ):
            quarter = last["quarter"]  # "Q3最后是第几档" then "增量那块呢": still Q3 ("这个季度呢": not)
        asked = turn.analysis.text
        incremental = last.get("topic") == "incremental" or (
            turn.state.task == "knowledge" and "增量" in (turn.state.get("query") or "")
        )
        if incremental and "增量" not in asked and any(w in asked for w in CAN_GET):
            asked += " 增量激励"  # "增量激励咋算的" then "那我们这季度能拿到吗": the incremental incentive
        try:
            result = self.rebates.answer(
                caller=turn.caller,
                text=asked,
                quarter=quarter if isinstance(quarter, str) else None,
                amount=amount if isinstance(amount, Decimal) else None,
                new_customer=new_customer,
                follows=last,
            )
        except AssistantError as exc:
            log.warning("rebate skill failed (%s): %s", exc.code, exc)
            return self._reply(turn, text=text(lang, "skill_failed", what=text(lang, "skill_rebate")), grounded=False)
        state = task("rebate", **dict(result.task or {}))
        if state.get("ask") in _RULE_APPLIED:
            # The policy applied to the user's own figures: said as computed, with the FAQ entry
            # that states the rule as its source.
            rule, out = Composer(lang), Composer(lang)
            query = turn.analysis.text
            if not self.knowledge.answer(query, out=rule, max_passages=1, kinds=("faq",)) and last.get("rule_query"):
                query = last["rule_query"]  # "那刚好150万呢": the rule the last turn was about
                self.knowledge.answer(query, out=rule, max_passages=1, kinds=("faq",))
            if rule.citations:
                state = task("rebate", **dict(state.params), rule_query=query)
            out.say(result.text, *rule.citations[:1])
            return self._reply(
                turn,
                text=out.render(),
                citations=tuple(out.citations),
                suggestions=result.suggestions or self._suggest(turn),
                state=state,
            )
        if RULE_QUESTION.search(turn.analysis.text):
            # "增量激励咋算的 我这季度怎么一分都没有": the rule from the policy, then one's own figures.
            out = Composer(lang)
            if self.knowledge.answer(turn.analysis.text, out=out, max_passages=1, kinds=("faq", "lesson")):
                out.say(result.text)
                return self._reply(
                    turn,
                    text=out.render(),
                    cards=result.cards,
                    citations=(*out.citations, *result.citations),
                    suggestions=result.suggestions or self._suggest(turn),
                    state=state,
                )
        return self._from_skill(turn, result, state=state)

    def _ops(self, turn: TurnPlan) -> Reply:
        lang = turn.caller.language
        if self.ops is None:
            return self._reply(turn, text=text(lang, "ops_unavailable"), suggestions=self._suggest(turn)[:2])
        ask = (turn.changes or {}).get("ask", "")
        last = turn.state.params if turn.state.task == "ops" else {}
        try:
            result = self.ops.answer(caller=turn.caller, text=turn.analysis.text, ask=ask, last=last)
        except AssistantError as exc:
            log.warning("operations skill failed (%s): %s", exc.code, exc)
            return self._reply(turn, text=text(lang, "skill_failed", what=text(lang, "skill_ops")), grounded=False)
        return self._from_skill(turn, result, state=task("ops", **dict(result.task or {})))

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

    def _from_skill(self, turn: TurnPlan, result: SkillResult, *, state: DialogueState | None = None) -> Reply:
        return self._reply(
            turn,
            text=result.text,
            cards=result.cards,
            citations=result.citations,
            suggestions=result.suggestions or self._suggest(turn),
            handoff_offered=result.handoff_offered,
            state=state,
        )

    def _fills_roi(self, turn: TurnPlan) -> bool:
        """This turn states figures the ROI model of the script shown last takes."""
        script = self.corpus.script(turn.state.get("script") or "")
        slots = turn.analysis.understanding.slots.values
        return script is not None and script.roi is not None and any(k in _ROI_SLOTS for k in slots)

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

    def _line(self, turn: TurnPlan) -> str | None:
        a = turn.analysis
        if a.products and (p := self.catalog.product(a.products[0])) is not None:
            return p.line
        if a.product_lines:
            return a.product_lines[0]
        if turn.profile.product_line:
            return turn.profile.product_line
        if turn.profile.product_model and (p := self.catalog.product(turn.profile.product_model)) is not None:
            return p.line
        return line_of_need(a.text)

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
        state: DialogueState | None = None,
    ) -> Reply:
        return Reply(
            text=text,
            intent=turn.intent,
            confidence=turn.analysis.understanding.confidence,
            cards=cards,
            citations=citations,
            suggestions=tuple(dict.fromkeys(suggestions))[:3],
            profile=turn.profile,
            handoff_offered=handoff_offered,
            grounded=grounded,
            state=state if state is not None else DialogueState(),
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


def _asks_field(clauses: Sequence[Clause]) -> bool:
    """A clause asks a product field that is policy as much as a row (price, warranty)."""
    return any(m.attribute.field is not None for c in clauses for m in c.mentions)


# Rebate answers that already apply the policy's rule to the user's own figures ("净销售额150万算
# 哪档", "满意度82到86够不够"): the FAQ's general wording would only repeat or blur it, so it is
# cited, not said.
_RULE_APPLIED = frozenset({"tier_for", "csat_check", "baseline_for"})


def _current_product(profile: CustomerProfile, state: DialogueState | None) -> str | None:
    """The product "它" means: the one the last answer was about (also when it was found
    by a description, "8串口那款"), else the one the customer profile holds."""
    if state is not None and state.task in ("params", "compare", "knowledge"):
        products = [p for p in (state.get("products") or "").split(",") if p]
        if len(products) == 1:
            return products[0]
    return profile.product_model


def _result_parts(case: CaseStudy) -> tuple[str, ...]:
    """What a case achieved, each result as said ("投资回收期 6个月")."""
    return tuple(f"{r.metric} {r.value:g}{r.unit}" for r in case.results)


def _case_results(case: CaseStudy, lang: str) -> str:
    """What a case achieved, as one line ("成效：制冷机组故障停机减少 70%；…")."""
    return text(lang, "case_results", results=text(lang, "joiner").join(_result_parts(case)))


def _asks_products(reading: Reading) -> bool:
    """The message asks something of a known product ("2100防水不"), not only states facts."""
    return any(c.kind in ("value", "capability") and c.products for c in reading.asking) or (
        reading.select and bool(reading.described)
    )


def _problem_in_sight(norm: str, history: Sequence[str], fault_cues: Sequence[str] = ()) -> bool:
    """A fault, install or configuration problem in the message or the two turns before."""
    for said in (norm, *(h.lower() for h in history[-2:])):
        # (an error code on the screen or a refused connection too: "屏上出个E-03", "连接被拒绝")
        if _PROBLEM.search(said) or ERROR_CODE.search(said) or any(c in squash(said) for c in fault_cues):
            return True
    return False


def _person_for_problem(norm: str, history: Sequence[str], fault_cues: Sequence[str] = ()) -> bool:
    """A person asked for now, directly or not ("有没有人能帮我看看", "能远程看下吗", "实在搞不定
    了"), with a fault, install or configuration problem in the message or the last turns:
    the handoff wins over answering the problem (DECISIONS 2026-12-04 #3)."""
    asks = (
        bool(ASK_PERSON.search(norm))
        or bool(_INDIRECT.search(norm))
        or bool(STUCK.search(norm) and re.search(r"人|专家|远程|帮我", norm))
    )
    if not asks or (PROCESS_QUESTION.search(norm) and not _INDIRECT.search(norm)) or _HYPOTHETICAL.search(norm):
        return False  # "要是晚上11点出问题 能找着专家不" asks how support works
    return _problem_in_sight(norm, history, fault_cues)


def _asks_for_script(norm: str) -> bool:
    """Asking for words to say to a customer ("第一次见面开场怎么说"), whatever the story
    around it ("设备坏了老要等厂家工程师"), and not for a person now."""
    return bool(_SCRIPT_WORDS.search(norm) and _WANTS_WORDS.search(norm)) and not _wants_person_now(norm)


def _wants_person_now(norm: str) -> bool:
    """Asking for a person right now, problem or not ("转人工", "帮我找个专家")."""
    return bool(_DIRECT.search(norm))


def fill_template(
    template: str, profile: CustomerProfile, *, roi: ScriptRoi | None, corpus: Corpus, language: str = "zh"
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
