"""Cue words and patterns that the intent classifier sees as flags.

None of these decide an intent on their own: each becomes a feature (``f:cue_rebate``,
``f:ask_person``...) and the classifier weighs it against the wording.  The word lists are
data, ``corpus/cues.yaml`` (how sales staff talk about each task, everyday off-topic topics,
customer-fact words the corpus vocabulary lacks, company-name endings), loaded and checked
here once per process; the patterns below, which need their structure, stay in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.dialogue.errors import DialogueError

CUES_PATH = Path(__file__).resolve().parents[2] / "corpus" / "cues.yaml"

Words = list[str]


class CueDataError(DialogueError):
    """``corpus/cues.yaml`` is missing, malformed, or has an empty word."""

    code = "cue_data_invalid"


class _CuesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offtopic_words: Words = Field(min_length=1)
    trade_words: Words = Field(min_length=1)
    other_brands: Words = Field(min_length=1)
    cues: dict[str, Words] = Field(min_length=1)
    extra_region_words: dict[str, Words] = Field(default_factory=dict)
    extra_industry_words: dict[str, Words] = Field(default_factory=dict)
    extra_persona_words: dict[str, Words] = Field(default_factory=dict)
    extra_scale_words: dict[str, Words] = Field(default_factory=dict)
    company_suffixes: Words = Field(min_length=1)
    not_a_company_stem: Words = Field(default_factory=list)
    not_in_a_bare_name: Words = Field(default_factory=list)
    name_lead_words: Words = Field(default_factory=list)
    person_as_modifier: Words = Field(default_factory=list)
    practice_words: Words = Field(default_factory=list)
    advice_words: Words = Field(default_factory=list)
    mentoring_words: Words = Field(default_factory=list)
    mentoring_not_words: Words = Field(default_factory=list)
    engine_words: dict[str, Words] = Field(default_factory=dict)
    generic_titles: Words = Field(default_factory=list)
    department_personas: dict[str, Words] = Field(default_factory=dict)


def load_cues(path: Path = CUES_PATH) -> _CuesFile:
    """The word lists of ``path``; :class:`CueDataError` names the file and the problem."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = _CuesFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise CueDataError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CueDataError(f"{path}: {problems}") from exc
    lists = [
        data.offtopic_words,
        data.trade_words,
        data.other_brands,
        data.company_suffixes,
        data.not_a_company_stem,
        data.not_in_a_bare_name,
        data.name_lead_words,
        data.person_as_modifier,
        data.practice_words,
        data.advice_words,
        *data.cues.values(),
        *data.engine_words.values(),
        data.generic_titles,
        *data.department_personas.values(),
        *(ws for table in _tables(data) for ws in table.values()),
    ]
    if any(not w.strip() for words in lists for w in words):
        raise CueDataError(f"{path}: an empty word")
    clash = {"offtopic", "brand", "trade"} & set(data.cues)
    if clash:
        raise CueDataError(f"{path}: cues: {sorted(clash)} are the lists offtopic_words, other_brands, trade_words")
    return data


def _tables(data: _CuesFile) -> tuple[dict[str, Words], ...]:
    return (data.extra_region_words, data.extra_industry_words, data.extra_persona_words, data.extra_scale_words)


def _frozen(table: dict[str, Words]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(words) for key, words in table.items()}


_DATA = load_cues()
OFFTOPIC_WORDS: tuple[str, ...] = tuple(_DATA.offtopic_words)
TRADE_WORDS: tuple[str, ...] = tuple(_DATA.trade_words)
OTHER_BRANDS: tuple[str, ...] = tuple(_DATA.other_brands)
CUES: dict[str, tuple[str, ...]] = {
    **_frozen(_DATA.cues),
    "offtopic": OFFTOPIC_WORDS,
    "brand": OTHER_BRANDS,
    "trade": TRADE_WORDS,
}
# Customer-fact words the corpus vocabulary lacks: the NLU adds them to the lexicon's tables
# (a word the corpus already maps keeps its corpus value).
EXTRA_REGION_WORDS = _frozen(_DATA.extra_region_words)
EXTRA_INDUSTRY_WORDS = _frozen(_DATA.extra_industry_words)


# Surnames whose "X工" is a word of its own (龙工 a loader brand, 石工 stonework, 武工 a militia).
_NOT_AN_ENGINEER = frozenset({"龙工", "石工", "武工"})


def _with_chief_engineers(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The boss by surname ("吴总") and, by the same surnames, the chief engineer ("吴总工"), a
    director ("尹总监": the department's, technical as 质量总监 and 工程总监 are, never the boss) and an
    engineer ("张工", as the labelling rules read "X工"): the longer title wins, so each "X总" of
    roi_manager has its "X总工" and "X总监" among the technical titles, and its "X工" too."""
    bosses = [w for w in table.get("roi_manager", ()) if len(w) == 2 and w.endswith("总")]
    titles = [f"{w}工" for w in bosses] + [f"{w}监" for w in bosses]
    titles += [e for w in bosses if (e := f"{w[0]}工") not in _NOT_AN_ENGINEER]
    return {**table, "tech_decision_maker": (*table.get("tech_decision_maker", ()), *titles)}


EXTRA_PERSONA_WORDS = _with_chief_engineers(_frozen(_DATA.extra_persona_words))
EXTRA_SCALE_WORDS = _frozen(_DATA.extra_scale_words)
# The last word of a company's name: a word ending in one of these, typed in passing, names the
# customer (assistant/dialogue/nlu.py, customer_name), unless only a region, an industry or one
# of NOT_A_COMPANY_STEM stands before it.
COMPANY_SUFFIXES: tuple[str, ...] = tuple(_DATA.company_suffixes)
NOT_A_COMPANY_STEM: tuple[str, ...] = tuple(_DATA.not_a_company_stem)
# Words of the scene, not of a name, in a bare word set off by spaces ("防爆区域", "设备科长").
NOT_IN_A_BARE_NAME: tuple[str, ...] = tuple(_DATA.not_in_a_bare_name)
# Words a name never starts with, typed right before it ("假如换成苏州吴中精密"): taken off the name.
NAME_LEAD_WORDS: tuple[str, ...] = tuple(sorted(_DATA.name_lead_words, key=len, reverse=True))
# Asking to practise a talk with a customer the assistant plays ("练习一下：跟化工厂设备部长谈 EG-3200");
# not a classifier feature: the engine hands it to the practice page.
PRACTICE_WORDS: tuple[str, ...] = tuple(_DATA.practice_words)
# Asking what to learn next, for oneself ("我该学点什么", "有什么要补的"): the caller's own advice.
ADVICE_WORDS: tuple[str, ...] = tuple(_DATA.advice_words)
# Asking about sharing sessions and mentors ("最近有什么分享会"): the sessions open to the caller.
MENTORING_WORDS: tuple[str, ...] = tuple(_DATA.mentoring_words)
MENTORING_NOT_WORDS: tuple[str, ...] = tuple(_DATA.mentoring_not_words)
# A generic title ("部长", "主任") takes the persona of the department typed before it.
GENERIC_TITLES: tuple[str, ...] = tuple(_DATA.generic_titles)
DEPARTMENT_PERSONAS = _frozen(_DATA.department_personas)
# The word lists the engine routes by (``word_pattern``).
ENGINE_WORDS = _frozen(_DATA.engine_words)
# A title right before one of these modifies it ("工程师证书"): no person is asked for.
PERSON_AS_MODIFIER: tuple[str, ...] = tuple(_DATA.person_as_modifier)
_NOT_A_PERSON = (
    "(?!" + "|".join(re.escape(w) for w in sorted(PERSON_AS_MODIFIER, key=len, reverse=True)) + ")"
    if PERSON_AS_MODIFIER
    else ""
)


def word_pattern(name: str, *, also: str = "") -> re.Pattern[str]:
    """Any word of ``engine_words.<name>`` in ``corpus/cues.yaml``, or the pattern ``also``
    (the structured part that a word list cannot hold, "一直报", "8折").

    A missing list is a :class:`CueDataError` when the engine is imported, not a silent no-match.
    """
    words = ENGINE_WORDS.get(name)
    if not words:
        raise CueDataError(f"{CUES_PATH}: engine_words.{name} is missing or empty")
    parts = [re.escape(w) for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join([*parts, also] if also else parts))


@dataclass(frozen=True, slots=True)
class CueMatcher:
    """Whether any of a cue's words occurs: an English word as a whole word of the
    normalised text, any other word in the squashed or the normalised text."""

    words: re.Pattern[str] | None
    english: re.Pattern[str] | None

    @classmethod
    def of(cls, words: Iterable[str], *, not_followed_by: str = "") -> CueMatcher:
        """``not_followed_by``: a lookahead that stops a word from counting ("工程师证书")."""

        def alternation(ws: list[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(ws, key=len, reverse=True))

        english = [w for w in words if w.isascii() and w.isalpha()]
        other = [w for w in words if w not in english]
        return cls(
            words=re.compile(f"(?:{alternation(other)}){not_followed_by}") if other else None,
            english=re.compile(rf"(?<![a-z])(?:{alternation(english)})(?![a-z])") if english else None,
        )

    def search(self, norm: str, squashed: str) -> bool:
        if self.english is not None and self.english.search(norm):
            return True
        return self.words is not None and bool(self.words.search(squashed) or self.words.search(norm))


# One precompiled matcher per cue (every turn asks all of them).
# "练习一下", "陪练": asking for a role-play (matched like a cue, but not a classifier feature).
PRACTICE = CueMatcher.of(PRACTICE_WORDS)
# "我该学点什么", "有什么要补的": the caller's own next steps (dialogue/academy.py).
ADVICE = CueMatcher.of(ADVICE_WORDS)
# "最近有什么分享会", "有没有导师": the sharing sessions the caller may sign up to (dialogue/academy.py).
MENTORING = CueMatcher.of(MENTORING_WORDS)
# "搞个客户技术交流会": the partner's own event for customers, not a sharing session.
NOT_MENTORING = CueMatcher.of(MENTORING_NOT_WORDS)

CUE_MATCHERS = {
    name: CueMatcher.of(words, not_followed_by=_NOT_A_PERSON if name == "handoff" else "")
    for name, words in CUES.items()
}


# Asking for a person: "找个专家", "给我接技术支持", "派人来", "转人工".
ASK_PERSON = re.compile(
    r"(?:找|叫|派|约|接|转|联系|请|喊|拉|安排|申请|要|让|给我|帮我|来|连个|连一个|连线|连一下|连下)\s*"
    r"(?:个|一个|一位|位|一下|下|几个|你们)?"
    # (not one's own staff: "让咱工程师去装" asks for no one)
    r"(?:(?!咱|我们|我司|我方|自己)[\u4e00-\u9fffa-z]){0,8}?"
    r"(?:专家|工程师|技术支持|售前|售后|客服|人工|真人|研发|同事|经理|师傅|懂行|个人|人来|人过来|人上门|人去|的人|技术员)"
    + _NOT_A_PERSON
    + r"|转人工|人工客服|远程(?:帮|协助|看|连|支持|指导|调试)"
)
# A question, not a statement: a question word, a question mark, or an A-not-A ending ("带wifi不",
# "能当主站不 客户要…"); "几" of a quantity ("几百米外", "好几分钟", "没几天", "十几台", "那几台")
# asks nothing.  A message without one tells something ("AR-G2-Pro上不了4G，只能连Wi-Fi"): about a
# product, a fault it reports.
ASKING = re.compile(
    r"吗|么|嘛|[?？]|多少|(?<![好没十那这])几(?!百|千|万|十)|什么|啥|哪|能不能|能否|可不可以|可以.{0,6}不|支不支持|支持不|是不是|是否|"
    r"有没有|要不要|行不行|会不会|多大|多久|多长|多远|多重|多快|怎么|咋|如何|呢|[不没](?=[\s，。,.!！]|$)|"
    r"好多\w{0,2}$"  # "视场角好多度", "电池好多毫安" (but "好多台设备" tells)
)
# Asking how the support process works rather than asking for it now.
PROCESS_QUESTION = re.compile(
    r"怎么(?:叫|找|约|申请|联系|收费|安排|走)|如何|流程|手续|要提前|需要提前|得提前|提前多久|提前几|多久能|几点|时段|有人吗|"
    r"收费|收钱|费用|要钱|免费吗|算不算|能不能.{0,6}(?:全程|上门)|要不要.{0,4}(?:约|预约)|之前.{0,6}(?:准备|备好)|"
    r"前.{0,4}(?:准备|备好|先)|一般|规定|可以吗|"
    # how many can join a session: "一个远程会话最多能拉几个人进来" (not "派几个人来")
    r"(?:最多|同时|一起).{0,8}(?:几|多少)个?人|"
    # whether anyone is there at an hour: "晚上11点 … 这个点还能找到原厂专家吗"
    r"(?:这个点|这个时间|这时候|这么晚|半夜|夜里|凌晨|周末|节假日|假期|过年|下班后|晚上\s*\d+\s*点).{0,14}"
    r"(?:还能|能不能|能否|有没有|有人|找得到|找到|找着)"
)
# An error code on the device's screen or in its log, or a refused connection: a problem on site
# ("屏上出个E-03", "报err 21", "连接被拒绝"); the dialogue and the handoff form both read it.
ERROR_CODE = re.compile(r"(?<![a-z])(?:e-?\d{2,3}|err\s*\d+)(?!\d)|错误码|故障码|被拒")
# The salesperson is stuck and wants help now.
STUCK = re.compile(
    r"还是不行|还是不通|还是不好|还是没|都试了|试过了|试了.{0,4}不行|没用|不管用|搞不定|弄不好|弄不了|解决不了|回答不了|折腾|"
    r"答不上|不会弄|没辙|急|催|等不了|停着|等着|马上|现在就|赶紧|立刻|尽快"
)
# "你们有没有 X 卖", "卖不卖 X", "有 X 吗": a product question that names none of ours.
SELL_ASK = re.compile(
    r"卖不卖|有没有.{0,10}卖|有卖|能买|代理不代理|做不做|你们(?:家)?(?:有|卖|做|代理)|推荐(?:个|一个|款|一款|几个)"
)
# The caller's own figures: "我的返利", "我们这季", "我排第几".
# The caller's own account: "我", or "this quarter" said of one's own figures ("这季度基线多少").
MINE = re.compile(r"我|咱|俺|本公司|我司|我们|这季度|这个季度|本季度|今季|这一季")
# A money or rank question about the caller's account.
ACCOUNT_QUESTION = re.compile(
    r"多少钱|多少了|能拿|拿多少|拿到|多拿|给了|到账|出来了|出来没|出了没|排第|排老几|排名|第几档|哪一?档|还差|差多少|掉档|"
    r"累计|一共|算了多少|算没算|没算|漏算|少算|能到|冲到|再卖|再签|对账单|"
    r"(?:返利|返点|返现|补贴|激励|奖励)(?:能|有|是|拿|给|发|到)?(?:多少|几)"
)
# A rule or policy question: "返利怎么算", "档位怎么划", "补贴有封顶吗".
RULE_QUESTION = re.compile(
    r"规则|政策|怎么(?:算|划|分|定|计|申请|发|结)|咋(?:算|划|分|定)|算法|公式|区别|是什么|什么意思|啥意思|有封顶|封顶|上限|"
    r"门槛|条件|标准(?!版|网关|型|款)|比例|几个点|怎么样才|这种情况|这种情形|(?<!第)几个?档|各档|每档|到账|发放|"
    r"哪些.{0,4}(?:算|能)|会不会.{0,6}(?:影响|算)|影响|依据|培训|课程|文档|说明|"
    # which quarter an order counts in: "12月31号下的单 算这季度还是下季度的"
    r"算(?:哪|这|上|下|几)个?季度|归哪个?季度|还是(?:上|下)个?季度|扣哪个?季度|算在哪"
)
# Asking for a value: "多少", "几个", "多大", "支持…吗".
VALUE_QUESTION = re.compile(
    r"多少|几[个路口台种位档年秒度伏瓦米点]?|多大|多重|多长|多久|多远|多高|多宽|多快|多厚|哪些|哪几|是否支持|支持.{0,12}[吗不没]"
)

# Asking how to do something (a procedure), not for a value: "波特率怎么改", "在哪里设",
# "户外装要注意啥".  Set against a product or a parameter word it marks a knowledge question.
PROCEDURE = re.compile(
    r"怎么(?:改|配|设|弄|装|接|调|处理|办|搞|做|操作|升级|刷|恢复|填|查|进|连|登|开|关|切|备份|排查)|"
    r"咋(?:改|配|设|弄|装|接|调|办|整|搞|处理|切|刷)|如何|在哪(?:里|儿)?(?:改|设|配|填|看|调|开|切|下载)|"
    r"要注意|注意(?:点|些)?(?:啥|什么)|步骤|要不要"
)
# Asking whether one gets something: "能拿到吗", "够不够得上" (the rebate skill and the engine's
# follow-ups of a rebate topic both read it).
CAN_GET = ("能拿到", "拿得到", "能不能拿", "能拿吗", "有没有", "能有吗", "可以拿")
