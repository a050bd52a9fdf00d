"""Follow-ups: a turn that changes one thing of the task just answered.

After a what-if, "那如果都是新客户呢"; after cases, "要小一点的"; after a script, "换成跟
他们 IT 谈"; after an ROI, "投入33万"; after a comparison, "那他们价格呢"; after a
parameter answer, "那2100pro呢".  The NLU reads such a turn on its own (often as a
profile update or a knowledge question); :func:`detect` reads it against the last task
(:class:`~assistant.dialogue.state.DialogueState`) and says which task to run again and
what changes.  A turn that starts a new topic (its own case, script, rebate or handoff
request) is not a follow-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.dialogue.nlu import Analysis
from assistant.dialogue.numbers import find_numbers
from assistant.dialogue.roi_task import parse_roi
from assistant.dialogue.state import DialogueState, TaskKind
from assistant.dialogue.types import Intent

_SHORT = 24  # characters: a follow-up is a short turn
# An interjection a turn may start with: "哦搞错了 是g2pro", "嗯那它呢".
INTERJECTION = r"(?:[哦噢喔啊呃额嗯诶哎唉]+[,，\s]*)?"
_LEAN_ON = re.compile(
    r"^" + INTERJECTION + r"(?:那|那么|那如果|如果|要是|假如|换成|改成|换个|换一个|再|还有|有没有|要|"
    r"说错了|不对|不是|搞错|弄错|错了|打错|我是说|换|它)"
    r"|呢|我要问的是|我说的是"
)
_SMALLER = re.compile(r"小一点|小点|小些|小一些|规模小|更小|没那么大|小的")
_BIGGER = re.compile(r"大一点|大点|大些|大一些|规模大|更大|大的")
# A scale named outright: "有没有小厂的", "中型企业的呢".
_SCALE_NAMED = {
    "small": re.compile(r"小厂|小型|小企业|小公司|小工厂"),
    "medium": re.compile(r"中型|中等规模|中厂"),
    "large": re.compile(r"大厂|大型|大企业|大公司|集团"),
}
_ANOTHER = re.compile(r"换一个|换个|别的|其他的|还有没有|再来|再找|还有吗|再给")
# Another script after a script: "再来一段给设备部长的", "换成推传感器的", "再写一个给采购的".
_MORE_SCRIPT = re.compile(
    r"再(?:来|写|给|整|出)(?:一)?(?:段|个|版|套)|换成(?:给|推|讲|跟|对)|改成(?:给|推|讲|跟|对)|换个(?:说法|角度)"
)
_SWITCH = re.compile(r"^(?:那|那就|就)?(?:换成|改成|换个|改推|换)")
_SWITCH_TO = re.compile(r"换成|改成|改推")
_CUSTOMER_KIND = re.compile(r"新客户|新客|老客户|老客|现有客户|存量客户")
_WHY = re.compile(r"为什么|为啥|怎么没|咋没|没算|不算")
_REBATE_WORDS = re.compile(r"增量|返利|返点|档|季度|排名|对账单|补贴")
_QUARTER_SHIFT = re.compile(r"上季度|上个季度|上一季度|q[1-4]|[一二三四1-4]季度")
# The competitor just compared, by a pronoun.
_RIVAL = re.compile(r"他们|对方|他家|人家|友商")
_THEIRS = re.compile(r"他们|对方|他家|人家|价格|多少钱|贵|便宜|优势|劣势|强在|差在|区别|强的|好的|厉害|长处")
_SCALES = ("small", "medium", "large")
# An option of the product just discussed, named by a figure: "600a那档的呢", "4g的那个呢".
_FIGURE = re.compile(r"\d")
# A version of the product just discussed: "5G版呢", "pro的呢", "那pro呢", "专业版那个呢", "防爆的呢".
_VARIANT = re.compile(
    r"(5g|4g|pro|专业|增强|防爆|ex|冗余|企业|标准|私有化|双目|单目|无线|有线|普通|基础|基本|原版)(?:版|型|款|的|那个|那款|呢|$)"
)
# Pointing back at the customer of the case just shown.
_REFERS = re.compile(r"他们|这家|那家|这个案例|这个客户|人家|第一个|那个案例")
# A question about the case just shown: its figures, results, how it was done.
_ABOUT_CASE = re.compile(r"他们|这家|那家|这个案例|效果|省了|多少|几|多久|多大|怎么做|咋做|回本|用了|上了")
_CASE_PRODUCTS = re.compile(
    r"用的?(?:是)?(?:啥|什么|哪些|哪个|哪几)|用了(?:啥|什么|哪些)|哪些产品|什么产品|啥产品|什么方案|啥方案"
    # "他们当时上了哪些设备", "装的啥", "配了什么": what they put in
    r"|(?:上|装|配|买|选)了?的?(?:是)?(?:啥|什么|哪些|哪几)(?:设备|产品|型号|东西)?"
    r"|哪些设备|啥设备|什么设备|哪些型号|啥型号|什么型号"
)
# Asking whether there is one like it ("有没有这种", "有类似的吗").
_IS_THERE_ONE = re.compile(r"有没有|有没|有吗|有木有|有类似|类似的")
# Another product than the last one, changed one way: cheaper, smaller, with fewer ports ...
_RELATIVE = re.compile(
    r"便宜|贵一点|贵点|高端|小一点|小点|小些|大一点|大点|大些|少点|少一点|多点|多一点|更多|更少|低端|入门"
)
# Intents that start a task of their own: never a follow-up of another one.
_OWN_TASK: frozenset[Intent] = frozenset({"case_request", "script_request", "rebate_query", "handoff_request"})


@dataclass(frozen=True, slots=True)
class FollowUp:
    task: TaskKind
    intent: Intent
    changes: dict[str, str] = field(default_factory=dict)


def detect(analysis: Analysis, state: DialogueState) -> FollowUp | None:
    if state.task is None:
        return None
    text = analysis.text
    intent = analysis.intent
    short = len(text) <= _SHORT
    leaning = bool(_LEAN_ON.search(text))
    if state.task == "rebate":
        return _rebate(analysis, state, short=short, leaning=leaning)
    if state.task == "cases" and short and _REFERS.search(text) and not analysis.products:
        # "他们上了多少个点 效果咋样"; "他们当时上了哪些设备": the products they put in
        return FollowUp("cases", "case_request", {"detail": "products" if _CASE_PRODUCTS.search(text) else "ask"})
    if (
        state.task == "training"
        and short
        and intent not in ("rebate_query", "handoff_request", "script_request")
        # "EG-2100 有几个串口" after lessons: a question of its own about the product
        and not (intent == "product_params" and analysis.products)
    ):
        return FollowUp("training", "knowledge_qa")  # "有没有师傅带着做的那种" after lessons
    # A script shown, alone or before the facts of a comparison ("设备部长嫌我们比博远贵 我咋回他"):
    # "换成给IT的说法" asks for it again, changed.
    script_shown = state.task == "script" or (state.task == "compare" and bool(state.get("script")))
    if (
        script_shown
        and (analysis.products or analysis.product_lines)
        # "换成ar的"; longer, with the contact's concern: "同一家 换成AR眼镜那个项目 他们是怕…"
        and ((short and _SWITCH.match(text)) or _SWITCH_TO.search(text))
        and intent not in ("rebate_query", "handoff_request", "case_request")
    ):
        return FollowUp("script", "script_request")  # the same script, another product
    if (
        script_shown
        and short
        and _SWITCH.match(text)
        and analysis.understanding.slots.get("persona")
        and intent not in ("rebate_query", "handoff_request")
    ):
        return FollowUp("script", "script_request")  # "换成采购呢": the same script for another contact
    if script_shown and _MORE_SCRIPT.search(text) and intent not in ("rebate_query", "handoff_request"):
        # "再来一段给设备部长的 他说锐拓还便宜", "换成推无线振动传感器的": another script, changed so.
        return FollowUp("script", "script_request")
    if (
        state.task == "compare"
        and short
        and not analysis.products
        and _RIVAL.search(text)
        and _THEIRS.search(text)
        and not _REBATE_WORDS.search(text)
        and intent != "handoff_request"
    ):
        # "那他们有啥比我们强的": whatever the classifier said; "那博远的呢 人家带DI": that rival
        rivals = {"rivals": ",".join(analysis.competitors)} if analysis.competitors else {}
        return FollowUp("compare", "knowledge_qa", rivals)
    if intent in _OWN_TASK and not (state.task == "cases" and intent == "case_request"):
        return None
    if state.task == "cases" and _CASE_PRODUCTS.search(text) and not analysis.products:
        return FollowUp("cases", "case_request", {"detail": "products"})  # "那它用的啥产品"
    # "换个客户 是做冻肉的小厂 冷库压缩机也想做振动 有没有这种": another customer's facts and a
    # question whether there is one like it: the case search again, however long the message.
    another_like = intent == "profile_update" and bool(_IS_THERE_ONE.search(text))
    if state.task == "cases" and (short or intent == "case_request" or another_like):
        scale = _shift_scale(text, state.get("scale"))
        # "西南的有没 重庆客户想看本地的": another region or industry for the same search.
        narrows = intent == "profile_update" and any(
            analysis.understanding.slots.get(key) for key in ("region", "industry")
        )
        if scale or _ANOTHER.search(text) or (intent == "profile_update" and leaning) or narrows:
            if scale:
                return FollowUp("cases", "case_request", {"scale": scale})
            return FollowUp("cases", "case_request", {"another": "yes"} if _ANOTHER.search(text) else {})
        if (
            short
            and not analysis.products
            and _ABOUT_CASE.search(text)
            # "效果怎么样" read as a case request names no new customer fact: still this case
            and (intent != "case_request" or not analysis.understanding.slots.values)
        ):
            return FollowUp("cases", "case_request", {"detail": "ask"})  # "他们上了多少个点 效果咋样"
    if script_shown and intent == "profile_update" and (analysis.understanding.slots.values or analysis.stages):
        # "换成给他们IT讲", "数量改成30台", "公司名写错了 是甬峰泵业": the script again, with it.
        return FollowUp("script", "script_request")
    if state.task == "roi" and intent not in _OWN_TASK and parse_roi(text).any:
        return FollowUp("roi", "knowledge_qa")
    if state.task == "compare" and short and not analysis.products:
        if analysis.competitors:  # "华屹那个呢": the same product against another competitor
            return FollowUp("compare", "knowledge_qa", {"rivals": ",".join(analysis.competitors)})
        if (leaning or _RIVAL.search(text)) and _THEIRS.search(text):  # "他们那个卖多少钱"
            return FollowUp("compare", "knowledge_qa")
    if state.task == "params" and state.get("products") and (leaning or _RELATIVE.search(text)):
        return _params(analysis, state, short=short)
    if (
        state.task == "knowledge"
        and state.get("query")
        and short
        and leaning
        and (analysis.products or analysis.product_lines)
        and not analysis.param_concepts
    ):
        return FollowUp("knowledge", "knowledge_qa", {"subject": "new"})  # "网关保修多久" then "那ar眼镜呢"
    return None


def _params(analysis: Analysis, state: DialogueState, *, short: bool) -> FollowUp | None:
    text = analysis.text
    relative = _RELATIVE.search(text)
    if state.get("compat") and len(analysis.products) == 1:
        # "io32呢" after "io16能配700r不": the same pairing with another product
        return FollowUp("params", "product_params", {"products": f"{analysis.products[0]},{state.get('compat')}"})
    variant = _VARIANT.search(text)
    if variant and not analysis.products and short:
        # "5G版呢" after EG-3200: the same values of its 5G version
        last = (state.get("products") or "").split(",")[0]
        return FollowUp("params", "product_params", {"variant": variant.group(1), "from": last})
    if relative and not analysis.products:
        # "有没有便宜点的 口少点": another product like the last one, changed that way.
        last = (state.get("products") or "").split(",")[0]
        return FollowUp("params", "product_params", {"relative": relative.group(0), "from": last})
    if not short or analysis.param_concepts:
        return None
    if len(analysis.products) == 1:
        return FollowUp("params", "product_params", {"products": ",".join(analysis.products)})  # "那2100pro呢"
    if analysis.product_lines:
        return FollowUp("params", "product_params", {"line": analysis.product_lines[0]})  # "那ar眼镜呢"
    if _FIGURE.search(text) and not analysis.products and state.get("products"):
        # "600a那档的呢" after the opening of SN-CU120: the same row, which names that option
        last = (state.get("products") or "").split(",")[0]
        return FollowUp("params", "product_params", {"products": last})
    return None


def _rebate(analysis: Analysis, state: DialogueState, *, short: bool, leaning: bool) -> FollowUp | None:
    text = analysis.text
    if analysis.intent == "rebate_query":
        return FollowUp("rebate", "rebate_query")
    amount = analysis.understanding.slots.get("amount")
    if amount is None:  # "打错了 是3w": the classifier kept no figure, the text has one
        money = [n for n in find_numbers(text) if n.is_money]
        amount = money[0].value if money else None
    kind = bool(_CUSTOMER_KIND.search(text))
    why = bool(_WHY.search(text) and _REBATE_WORDS.search(text))
    quarter = bool(_QUARTER_SHIFT.search(text))
    if short and (kind or quarter) and leaning:
        return FollowUp("rebate", "rebate_query")  # "换成老客户呢": whatever the classifier made of it
    if analysis.intent in _OWN_TASK:
        return None
    if why or (short and (kind or quarter or (amount is not None and leaning) or _REBATE_WORDS.search(text))):
        return FollowUp("rebate", "rebate_query")
    return None


def _shift_scale(text: str, current: str | None) -> str | None:
    """ "要小一点的" after cases of a medium plant: small; "有没有小厂的": small."""
    named = [scale for scale, words in _SCALE_NAMED.items() if words.search(text)]
    if len(named) == 1:
        return named[0]
    step = -1 if _SMALLER.search(text) else 1 if _BIGGER.search(text) else 0
    if not step:
        return None
    at = _SCALES.index(current) if current in _SCALES else 1
    return _SCALES[min(max(at + step, 0), len(_SCALES) - 1)]
