"""Return on investment asked directly: "每月停机15小时 每小时损失2万 投50万 多久回本".

:func:`parse_roi` reads the figures a message states (downtime hours, loss per hour,
labour cost, investment, an annual saving, a downtime reduction, "人工不算"), each by
the words around it; :func:`answer_roi` computes what the figures allow and shows the
formula, and asks for what is missing:

    annual saving  = hours/month x 12 x loss/hour x reduction + labour/month x 12 x labour rate
                     (or the saving the user states)
    payback months = investment / (annual saving / 12)

The reduction and labour rates, when the user does not state them, are the product
line's: the ROI model of its manager-facing scripts with the median reduction, among the
scripts of the sales stage the message speaks of when it names one (the script is cited
as the source of the assumption).  A labour saving the model counts but the user gave no
figure for is said to be left out, with the question for it.  Exact Decimal arithmetic; the saving
is rounded to whole yuan and the payback to one decimal at the end, half up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from assistant.content.loader import Corpus
from assistant.content.schema import SalesScript
from assistant.dialogue.compose import Composer
from assistant.dialogue.numbers import CORRECTED_AWAY, NumberMention, find_numbers
from assistant.dialogue.texts import text
from assistant.dialogue.types import Citation

ROI_ASK = re.compile(
    r"回本|回收期|payback|pay back|回收成本|收回成本|多久能?收回|投资回报|投入产出|roi|"
    r"算个账|算笔账|算下账|划不划算|划算吗|值不值|"
    r"能省多少|省多少|节省多少|省下多少|一年能省|年节省|损失多少|损失有多少"
)
# Asked outright to do the sum, with or without the figures yet.
ROI_CALC = re.compile(r"帮我算|帮忙算|给我算|算算|算一下|算一算|算下|算个账|算笔账|算下账")
_LABOUR_EXCLUDED = re.compile(r"人工(?:先|就|暂时|暂)?不(?:算|计|考虑)|不(?:算|计|考虑)人工|人工省不了|没有人工")
_DOWNTIME_EXCLUDED = re.compile(
    r"停机(?:那块|那部分|部分|损失|的)?(?:先|就|暂时|暂)?不(?:算|计|考虑)|不(?:算|计|考虑)停机|停机(?:损失)?省不了|没有停机"
)
# The downtime loss itself asked ("一个月光停机损失多少钱"), before any saving.
LOSS_ASK = re.compile(r"损失(?:多少|有多少|多大|几多)|亏(?:多少|了多少)|(?:丢|少赚)(?:多少|了多少)")
# A share written in words ("能省一半", "降三成"): read like a percentage.
_SHARE = re.compile(r"一半|([一二两三四五六七八九])成")
_SHARE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CLAUSE = re.compile(r"[，,。；;！!？?\s]")
_RATE_CONTEXT = re.compile(r"停机|停线|减少|降低|下降|少|降")
_PER_HOUR = re.compile(
    r"每\s*(?:个)?\s*(?:小时|钟头)|一\s*(?:个)?\s*(?:小时|钟头|钟)|(?:小时|钟头)\s*(?:损失|亏|影响)|/\s*(?:小时|h)"
)
_PER_HOUR_AFTER = re.compile(r"^\s*(?:/|每|一)\s*(?:个)?\s*(?:小时|h|钟头)")
_LABOUR = re.compile(r"人工|人力|工资|人员|人头|差旅|出差")
_SAVING = re.compile(r"省|节省|节约|降本|少花|少亏|收益|回报|挽回|减少损失")
_INVEST = re.compile(r"投资|投入|投了|投|项目|预算|总价|合同|一共|造价|花|报价|费用|整套|价格|买|成本|金额")
_MONTHLY = re.compile(r"每月|每个月|一个月|月均|/月|月")
_YEARLY = re.compile(r"每年|一年|年均|/年|全年|年")
_HOURS = frozenset({"小时", "个小时", "钟头", "h", "hour", "hours", "hrs"})
YUAN = Decimal(1)
TENTH = Decimal("0.1")
TWELVE = Decimal(12)


@dataclass(frozen=True, slots=True)
class RoiFigures:
    """The figures of an ROI question; None where the user has not said."""

    hours: Decimal | None = None  # downtime hours per month
    cost_per_hour: Decimal | None = None  # yuan lost per downtime hour
    labour: Decimal | None = None  # labour cost per month, yuan
    investment: Decimal | None = None  # yuan
    saving: Decimal | None = None  # annual saving the user states, yuan
    reduction: Decimal | None = None  # share of downtime avoided, 0..1
    labour_rate: Decimal | None = None  # share of the labour cost saved, 0..1
    labour_excluded: bool = False
    downtime_excluded: bool = False

    def merged(self, newer: RoiFigures) -> RoiFigures:
        """These figures with the ones ``newer`` states written over (a follow-up)."""
        changes = {f.name: getattr(newer, f.name) for f in fields(self) if getattr(newer, f.name) not in (None, False)}
        return replace(self, **changes)

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) not in (None, False) for f in fields(self))

    def to_params(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) not in (None, False)}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RoiFigures:
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None:
                continue
            if f.name in ("labour_excluded", "downtime_excluded"):
                values[f.name] = raw == "True"
                continue
            try:
                number = Decimal(raw)
            except InvalidOperation:
                continue
            if number.is_finite() and number >= 0:
                values[f.name] = number
        return cls(**values)  # type: ignore[arg-type]


def parse_roi(norm: str) -> RoiFigures:
    """The ROI figures ``norm`` (normalised text) states, each read from its own clause."""
    figures: dict[str, Decimal] = {}
    last = ""  # the kind of the last figure read: a share saved right after it is its share
    previous_end = 0
    for n in sorted([*find_numbers(norm), *_shares(norm)], key=lambda m: m.start):
        # The words of this figure only: its clause, after the sum of money before it ("投36万客户说
        # 一年能省90万": the 90万 is no investment), after labour said to be left out ("人工先不算项目
        # 投50万": the 50万 is no labour).
        start = max(0, n.start - 14, previous_end)
        before = _LABOUR_EXCLUDED.split(_CLAUSE.split(norm[start : n.start])[-1])[-1]
        after = norm[n.end : n.end + 8]
        window = before + after
        if CORRECTED_AWAY.search(before):
            continue  # "投入是72万不是54万": the figure being corrected away
        if n.unit == "%":
            # The words before a share say whose it is; the words after only when those say nothing
            # ("差旅每月4万 上了能省一半 停机那块先不算": the travel's half).
            if _LABOUR.search(before):
                figures["labour_rate"] = n.value / 100  # "人工能省20%"
            elif _RATE_CONTEXT.search(before):
                figures["reduction"] = n.value / 100
            elif _SAVING.search(before) and last == "labour":
                figures["labour_rate"] = n.value / 100  # "点检人工每月4万 能省15%"
            elif _SAVING.search(before) and last in ("hours", "cost_per_hour"):
                figures["reduction"] = n.value / 100  # "每小时损失2万 能省三成"
            elif _RATE_CONTEXT.search(window):
                figures["reduction"] = n.value / 100  # "30%的停机"
        if n.unit in _HOURS:
            if re.match(r"\s*(?:的)?\s*(?:损失|亏|成本|影响|要亏|就亏|少赚)", after) or re.search(r"每\s*$", before):
                continue  # "1小时损失2万", "每小时": the hour of a rate, not downtime hours
            if n.value <= 1 and not _MONTHLY.search(before) and not _YEARLY.search(before):
                continue  # "停一个钟一万二": the hour a loss is counted in (as the NLU reads it)
            hours = n.value
            if _YEARLY.search(before) and not _MONTHLY.search(before):
                hours = hours / TWELVE
            figures["hours"] = hours
            last = "hours"
            continue
        if n.unit == "%":
            continue
        # In an ROI question a bare large figure is money ("眼镜加席位一共226000").
        if not n.is_money and not (n.unit == "" and n.value >= 1000):
            continue
        previous_end = n.end
        if _PER_HOUR.search(before) or _PER_HOUR_AFTER.match(after):
            figures["cost_per_hour"] = n.value
            last = "cost_per_hour"
        elif _LABOUR.search(before) and not _SAVING.search(before):  # "差旅加停机一年能省36万": a saving
            monthly = not (_YEARLY.search(before) and not _MONTHLY.search(before))
            figures["labour"] = n.value if monthly else n.value / TWELVE
            last = "labour"
        else:
            last = "money"
            # The words before a figure say what it is ("投36万", "一年省90万"); the words after
            # only when those before say nothing ("36万的投入").
            says = before if (_SAVING.search(before) or _INVEST.search(before)) else after
            if _SAVING.search(says) and not _INVEST.search(before):
                monthly = bool(_MONTHLY.search(before)) and not _YEARLY.search(before)
                figures["saving"] = n.value * TWELVE if monthly else n.value
            elif _INVEST.search(says) or "investment" not in figures:
                figures["investment"] = n.value
    return RoiFigures(
        hours=figures.get("hours"),
        cost_per_hour=figures.get("cost_per_hour"),
        labour=figures.get("labour"),
        investment=figures.get("investment"),
        saving=figures.get("saving"),
        reduction=figures.get("reduction"),
        labour_rate=figures.get("labour_rate"),
        labour_excluded=bool(_LABOUR_EXCLUDED.search(norm)),
        downtime_excluded=bool(_DOWNTIME_EXCLUDED.search(norm)),
    )


def _shares(norm: str) -> list[NumberMention]:
    """Shares written in words ("一半", "三成"), as percentages."""
    out = []
    for m in _SHARE.finditer(norm):
        value = Decimal(50) if m.group(1) is None else Decimal(_SHARE_DIGITS[m.group(1)] * 10)
        out.append(NumberMention(value=value, start=m.start(), end=m.end(), unit="%", multiplied=False, currency=False))
    return out


def assumption_script(corpus: Corpus, line: str | None, stages: Sequence[str] = ()) -> SalesScript | None:
    """The manager-facing script whose ROI model is the line's typical one (median reduction).

    ``stages``: the sales stages the message speaks of ("太贵了不值" an objection, "快签了"
    closing).  The line's scripts for that stage come first: the assumptions of the script a
    salesperson would use in that situation ("AR 异议：眼镜加席位投入不低" is the conservative
    one), the median of all the line's scripts only when no stage is said or none fits."""
    scripts = [s for s in corpus.scripts if s.roi is not None and (line is None or s.product_line == line)]
    if not scripts and line is not None:
        scripts = [s for s in corpus.scripts if s.roi is not None]
    if not scripts:
        return None
    scripts = [s for s in scripts if s.stage.value in stages] or scripts
    ordered = sorted(scripts, key=lambda s: (s.roi.downtime_reduction if s.roi else 0, s.id))
    return ordered[(len(ordered) - 1) // 2]


def answer_roi(
    figures: RoiFigures,
    *,
    corpus: Corpus,
    line: str | None,
    out: Composer,
    loss_asked: bool = False,
    stages: Sequence[str] = (),
) -> bool:
    """Say the payback (with the formula) or what is missing; True when computed.  With
    ``loss_asked`` ("一个月光停机损失多少钱") the downtime loss itself is said first;
    ``stages`` choose the script whose assumptions apply (:func:`assumption_script`)."""
    lang = out.language
    script = None
    reduction = figures.reduction
    labour_rate = figures.labour_rate or Decimal(0)
    downtime = _counts_downtime(figures)
    labour_only = _labour_only(figures)
    if loss_asked and figures.hours is not None and figures.cost_per_hour is not None:
        monthly = figures.hours * figures.cost_per_hour
        out.say(
            text(
                lang,
                "roi_loss",
                hours=_num(figures.hours),
                cost=_money(figures.cost_per_hour),
                monthly=_money(monthly.quantize(YUAN, ROUND_HALF_UP)),
                yearly=_money((monthly * TWELVE).quantize(YUAN, ROUND_HALF_UP)),
            )
        )
    if figures.saving is None and (downtime or labour_only):
        script = assumption_script(corpus, line, stages)
        if script is not None and script.roi is not None:
            if reduction is None and downtime:
                reduction = Decimal(str(script.roi.downtime_reduction))
            if figures.labour_rate is None:
                labour_rate = Decimal(str(script.roi.labour_saving_rate))
    missing = _missing(figures, reduction, labour_only=labour_only)
    if missing == ["investment"] and figures.saving is None and not loss_asked:
        # "一年能省多少": the saving first; the payback needs the investment.
        saving, formula = _saving(figures, reduction or Decimal(0), labour_rate, lang)
        out.say(text(lang, "roi_saving_only", formula=formula, saving=_money(saving.quantize(YUAN, ROUND_HALF_UP))))
    if missing:
        out.say(
            text(lang, "roi_ask", fields=text(lang, "list_sep").join(text(lang, f"roi_field_{m}") for m in missing))
        )
        return False
    assert figures.investment is not None
    if figures.saving is not None:
        saving = figures.saving
        formula = text(lang, "roi_saving_stated", saving=_money(saving))
    else:
        saving, formula = _saving(figures, reduction or Decimal(0), labour_rate, lang)
    if saving <= 0:
        out.say(text(lang, "roi_undefined"))
        return False
    payback = (figures.investment / (saving / TWELVE)).quantize(TENTH, rounding=ROUND_HALF_UP)
    out.say(
        text(
            lang,
            "roi_payback",
            formula=formula,
            saving=_money(saving.quantize(YUAN, rounding=ROUND_HALF_UP)),
            investment=_money(figures.investment),
            payback=_num(payback),
        )
    )
    if script is not None and script.roi is not None and downtime and figures.reduction is None:
        shown = _num(reduction * 100 if reduction else Decimal(0))
        if line is not None:
            cite = Citation(doc_id=script.id, title=script.title, snippet=script.roi.source[:240], kind="script")
            out.say(text(lang, "roi_assumption", reduction=shown), cite)
        else:  # no product line known: say the spread of the lines' assumptions
            rates = [Decimal(str(s.roi.downtime_reduction)) * 100 for s in corpus.scripts if s.roi is not None]
            out.say(text(lang, "roi_assumption_any", reduction=shown, low=_num(min(rates)), high=_num(max(rates))))
    elif script is not None and script.roi is not None and labour_only and figures.labour_rate is None:
        cite = Citation(doc_id=script.id, title=script.title, snippet=script.roi.source[:240], kind="script")
        out.say(text(lang, "roi_assumption_labour", rate=_num(labour_rate * 100)), cite)
    if _labour_left_out(figures, labour_rate):
        # The model counts a labour (or travel) saving that the user gave no figure for: the
        # payback above is without it, and says so (issue 12: compute what is there, ask for the rest).
        out.say(text(lang, "roi_labour_left_out", rate=_num(labour_rate * 100)))
    return True


def _labour_left_out(figures: RoiFigures, labour_rate: Decimal) -> bool:
    return (
        figures.labour is None
        and not figures.labour_excluded
        and figures.saving is None
        and _counts_downtime(figures)
        and labour_rate > 0
    )


def _counts_downtime(figures: RoiFigures) -> bool:
    return figures.hours is not None and figures.cost_per_hour is not None and not figures.downtime_excluded


def _labour_only(figures: RoiFigures) -> bool:
    """The saving is the labour (or travel) cost alone: downtime left out, or never given."""
    return (
        figures.labour is not None
        and not figures.labour_excluded
        and (figures.downtime_excluded or (figures.hours is None and figures.cost_per_hour is None))
    )


def _saving(figures: RoiFigures, reduction: Decimal, labour_rate: Decimal, lang: str) -> tuple[Decimal, str]:
    """The annual saving of the downtime and labour figures, and its formula as said."""
    labour = Decimal(0)
    if figures.labour is not None and not figures.labour_excluded and labour_rate > 0:
        labour = figures.labour * TWELVE * labour_rate
    if not _counts_downtime(figures):
        assert figures.labour is not None
        formula = text(
            lang,
            "roi_formula_labour_only",
            labour=_money(figures.labour),
            rate=_num(labour_rate * 100),
            amount=_money(labour.quantize(YUAN, rounding=ROUND_HALF_UP)),
        )
        return labour, formula
    assert figures.hours is not None and figures.cost_per_hour is not None
    downtime = figures.hours * TWELVE * figures.cost_per_hour * reduction
    formula = text(
        lang,
        "roi_formula",
        hours=_num(figures.hours),
        cost=_money(figures.cost_per_hour),
        reduction=_num(reduction * 100),
        downtime=_money(downtime.quantize(YUAN, rounding=ROUND_HALF_UP)),
    )
    if labour > 0:
        assert figures.labour is not None
        formula += text(
            lang,
            "roi_formula_labour",
            labour=_money(figures.labour),
            rate=_num(labour_rate * 100),
            amount=_money(labour.quantize(YUAN, rounding=ROUND_HALF_UP)),
        )
    return downtime + labour, formula


def _missing(figures: RoiFigures, reduction: Decimal | None, *, labour_only: bool = False) -> list[str]:
    missing: list[str] = []
    if figures.saving is None and not labour_only:
        if figures.hours is None:
            missing.append("hours")
        if figures.cost_per_hour is None:
            missing.append("cost_per_hour")
        if figures.hours is not None and figures.cost_per_hour is not None and reduction is None:
            missing.append("reduction")
    if figures.investment is None:
        missing.append("investment")
    return missing


def _money(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _num(value: Decimal) -> str:
    value = value.normalize()
    if value == value.to_integral_value():
        return f"{value:.0f}"
    return format(value, "f")
