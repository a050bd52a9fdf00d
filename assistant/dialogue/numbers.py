"""Numbers as sales staff type them: "50万", "1.2个亿", "30w", "三十万", "2万5", "Q3".

:func:`find_numbers` scans normalised text (NFKC, lower-case) and returns every
number with its multiplier applied, its span and the unit word that follows, so
the NLU can decide from the unit and the surrounding words which slot it fills.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = "零〇一二两三四五六七八九十百千万亿"

# Multipliers written after a number ("50万", "3百万", "1.2个亿", "30w", "5k").
_MULTIPLIERS: dict[str, int] = {
    "百万": 1_000_000,
    "千万": 10_000_000,
    "万": 10_000,
    "亿": 100_000_000,
    "千": 1_000,
    "百": 100,
    "w": 10_000,
    "k": 1_000,
}

# Unit words after a number, longest first.
MONEY_UNITS = ("万元", "元", "块钱", "块", "rmb", "人民币")
UNITS: tuple[str, ...] = (
    "个小时",
    "小时",
    "钟头",
    "hours",
    "hour",
    "hrs",
    "h",
    "万元",
    "元",
    "块钱",
    "块",
    "rmb",
    "台",
    "套",
    "副",
    "个",
    "部",
    "只",
    "天",
    "人",
    "%",
    "个月",
    "月",
)

# Input bound: a figure written with more digits than this (or a Chinese numeral longer
# than _MAX_NUMERAL_CHARS) is no amount anyone sells or pays, and past 28 significant
# digits Decimal arithmetic stops being exact (quantize raises): it is not read as a number.
MAX_NUMBER_DIGITS = 15
_MAX_NUMERAL_CHARS = 24
_MAX_EXPONENT = 23  # 15 digits times 亿 at most ("一亿亿亿" multiplies without digits)

# Numerals that are words: 万一 "in case", 千万 "by all means" (an amount says 一千万, 1000万).
_IDIOMS = frozenset({"万一", "千万"})
_APPROX_RANGE = re.compile(r"^(?:一二|两三|二三|三四|三五|四五|五六|六七|七八|八九)(?:[十百千万]|$)")
# The same inside a numeral: "十五六万", "二十七八台", "三百五六十个" (two digits side by side are
# never one number in Chinese numerals).
_INNER_RANGE = re.compile(r"(?<=[十百千万])(?:一二|两三|二三|三四|三五|四五|五六|六七|七八|八九)")
_NUMBER = re.compile(
    r"(?P<cur>[¥￥$])?\s*"
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|[" + _CN_CHARS + r"]+(?:点[" + _CN_CHARS + r"]+)?)"
    r"(?P<approx>多|余|来|把)?"  # "万把块": about ten thousand
    r"\s*(?P<ge>个)?(?P<half>半(?=\s?(?:个?小时|钟头|钟|个?月)))?\s*"  # "6个半小时", "两个半月"
    r"(?:(?:多|余)(?=百万|千万|万|亿))?"  # "一个多亿": the rough "多" after 个, before the multiplier
    r"(?P<mult>百万|千万|万|亿|千|百|w(?![a-z])|k(?![a-z]))?"
    r"(?P<tail>\d(?!\d))?"  # "2万5" = 25 000
    r"(?P<approx2>多(?!久|少|长|大|重|远|高|快)|余|来)?"  # not the 多 of "多久回本" ("投50万多久回本")
    r"(?:\s?(?P<unit>个小时|小时|钟头|钟|hours|hour|hrs|h(?![a-z])|元|块钱|块|rmb)|(?P<unit2>台|套|副|个月|个|部|只|天|人(?![工力员头])|%|月))?"
)


# A Chinese amount in 万 or 亿 glued to "一小时" ("二十二万一小时"): the 一 counts the hour.
_AMOUNT_THEN_ONE_HOUR = re.compile(r"^[" + _CN_CHARS + r"]*[万亿]一$")

# What comes right before a figure being corrected away: "不是六十万 是九十万", "投入是72万不是54万"
# ("是不是54万" asks, it corrects nothing).
CORRECTED_AWAY = re.compile(r"(?<!是)(?:不是|并不是|而非|并非)\s*$")


@dataclass(frozen=True, slots=True)
class NumberMention:
    value: Decimal
    start: int
    end: int
    unit: str  # the unit word after the number, "" when none
    multiplied: bool  # a 万/亿/w/k multiplier was applied
    currency: bool  # a ¥ sign or a money unit

    @property
    def is_money(self) -> bool:
        return self.currency or self.unit in MONEY_UNITS or (self.multiplied and self.unit == "")


def chinese_to_int(text: str) -> int | None:
    """Parse a Chinese numeral ("三十万", "一百二十", "两千五百万", "一亿二千万"); None if not one."""
    if not text or any(ch not in _CN_CHARS for ch in text):
        return None
    if not any(ch in _DIGITS or ch == "十" for ch in text):
        return None  # "万" alone (from "几万") is not a number
    total = 0
    section = 0  # below 10 000
    digit: int | None = None
    last_unit = 0  # the unit character right before a trailing digit ("三千五": 千)
    for ch in text:
        if ch in _DIGITS:
            if digit is not None:  # "一二" style digit strings: treat as positional
                digit = digit * 10 + _DIGITS[ch]
            else:
                digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
            last_unit = _SMALL_UNITS[ch]
            continue
        else:  # 万 / 亿
            unit = _BIG_UNITS[ch]
            section += digit or 0
            if unit == 100_000_000:
                total = (total + section) * unit
            else:
                total += section * unit
            section = 0
            digit = None
            last_unit = unit
            continue
        if ch != "零" and digit is not None and digit >= 10:
            last_unit = 0  # "一二": a digit string, no unit before its end
        if ch == "零":
            last_unit = 0  # "一千零五": 1005, the digit is units
    if digit is not None and 0 < digit < 10 and last_unit >= 100 and text[-2] in "百千万亿":
        # Said short, the last digit is the next unit down: "三千五" 3500, "一万二" 12 000, "一百二" 120.
        return total + section + digit * (last_unit // 10)
    section += digit or 0
    return total + section


def parse_plain_number(text: str) -> Decimal | None:
    """An Arabic ("1,200.5") or Chinese ("三十", "一点五") number, without multipliers."""
    text = text.replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = chinese_to_int(whole)
        if w is None or not frac or any(ch not in _DIGITS for ch in frac):
            return None
        return Decimal(f"{w}.{''.join(str(_DIGITS[ch]) for ch in frac)}")
    value = chinese_to_int(text)
    return Decimal(value) if value is not None else None


# A figure sold ("再卖3500能拿多少", "多做够那3500"): a verb of selling right before it.
_SOLD_BEFORE = re.compile(r"(?:卖|做|签|销售|补|够)[^\d，,。？?！!\s]{0,2}$")
# Below this a figure without a unit is no sum of money anyone quotes (a sale, an hour's loss).
MIN_BARE_MONEY = 100
_DATE_AFTER = re.compile(r"\s*[年月日号]")


def is_bare_sales(n: NumberMention, text: str) -> bool:
    """``n`` is a figure without a unit right after a verb of selling in ``text`` ("再卖3500",
    "多做够那3500"): yuan, since a count would say 台 or 单."""
    return (
        not n.is_money
        and n.unit == ""
        and n.value >= MIN_BARE_MONEY
        and bool(_SOLD_BEFORE.search(text[max(0, n.start - 4) : n.start]))
        and not _DATE_AFTER.match(text, n.end)  # "签2026年的合同"
    )


def find_numbers(text: str) -> list[NumberMention]:
    """Every number in ``text`` (already normalised) with its multiplier applied."""
    out: list[NumberMention] = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num")
        if raw is None:
            continue
        # A lone "个"/"十"-less Chinese word such as "一下", "一个": skip numerals that
        # are just "一" followed by a measure word unless a unit makes them a quantity.
        if raw in _IDIOMS and not (m.start("num") and text[m.start("num") - 1].isdigit()):
            continue  # "万一升完出问题呢": "in case"; "千万别": "by all means"
        if _APPROX_RANGE.match(raw) or _INNER_RANGE.search(raw):
            continue  # "四五十台", "三五个人", "十五六万": a rough range, not a figure anyone stated
        if sum(ch.isdigit() for ch in raw) > MAX_NUMBER_DIGITS or len(raw) > _MAX_NUMERAL_CHARS:
            continue  # past the input bound (see MAX_NUMBER_DIGITS)
        if text[m.end("num") : m.end("num") + 1] == "几" or text[max(0, m.start("num") - 1) : m.start("num")] == "几":
            continue  # "十几台", "十几二十个小时": a rough count, no figure anyone stated
        if _AMOUNT_THEN_ONE_HOUR.match(raw) and m.group("unit") in ("小时", "个小时", "钟头"):
            # "损失二十二万一小时": 22万 per hour, not 220001 hours
            amount_raw = raw[:-1]
            value = parse_plain_number(amount_raw)
            if value is not None:
                out.append(
                    NumberMention(
                        value=to_decimal_int(value),
                        start=m.start(),
                        end=m.start("num") + len(amount_raw),
                        unit="",
                        multiplied=True,
                        currency=False,
                    )
                )
            continue
        value = parse_plain_number(raw)
        if value is None and raw in _SMALL_UNITS | _BIG_UNITS and m.group("approx") == "把":
            value = Decimal((_SMALL_UNITS | _BIG_UNITS)[raw])  # "万把块", "千把台": about one of the unit
        if value is None:
            continue
        mult_word = m.group("mult") or ""
        mult = _MULTIPLIERS.get(mult_word, 1)
        if mult_word and m.group("tail") and mult >= 10:
            value = value * mult + Decimal(m.group("tail")) * mult / 10
        else:
            value = value * mult
        if value.adjusted() > _MAX_EXPONENT:
            continue
        if m.group("half"):
            value += Decimal("0.5")
        unit = m.group("unit") or m.group("unit2") or ""
        if unit == "钟":
            if not m.group("ge"):
                continue  # only "一个钟", "十来个钟" are hours; "三钟" is no figure
            unit = "钟头"
        if raw.isdigit() is False and all(ch in _DIGITS for ch in raw) and len(raw) == 1 and not (mult_word or unit):
            continue  # "一" alone ("一下", "看一看") is not a quantity
        if raw[0].isdigit() and _is_model_number_part(text, m.start("num"), m.end("num")):
            continue  # (a Chinese numeral is never part of a model number: "agv一百六十台")
        currency = bool(m.group("cur")) or unit in MONEY_UNITS
        big_numeral = any(ch in "万亿" for ch in raw)
        out.append(
            NumberMention(
                value=to_decimal_int(value),
                start=m.start(),
                end=m.end(),
                unit=unit,
                # "6千", "5k", "30万" are amounts; "3百" stays a plain number
                multiplied=mult >= 1_000 or big_numeral,
                currency=currency,
            )
        )
    return out


def _is_model_number_part(text: str, start: int, end: int) -> bool:
    """True for the digits of a model number ("eg-2100", "vb500", "5g", "ip67")."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before and ((before.isascii() and before.isalpha()) or before in "-_/"):
        return True
    return bool(after and after.isascii() and after.isalpha() and after not in "wkh%")


def to_decimal_int(value: Decimal) -> Decimal:
    """Drop a trailing ".0" so 500000.0 prints as 500000."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_QUARTER_PATTERNS = (
    re.compile(r"(?P<year>20\d{2}|\d{2})\s*年?\s*(?:第)?\s*q(?P<q>[1-4])"),
    re.compile(r"q(?P<q>[1-4])(?!\d)"),
    re.compile(r"(?:(?P<year>20\d{2}|\d{2})\s*年\s*)?第?(?P<qc>[一二三四1-4])\s*季度"),
)
_QUARTER_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def find_quarter(text: str, *, current_year: int) -> tuple[str, int, int] | None:
    """The first explicit quarter ("Q3", "三季度", "2026年第三季度") as ("2026Q3", start, end)."""
    best: tuple[str, int, int] | None = None
    for pattern in _QUARTER_PATTERNS:
        m = pattern.search(text)
        if m is None:
            continue
        q = m.groupdict().get("q") or m.groupdict().get("qc")
        if q is None:
            continue
        year_raw = m.groupdict().get("year")
        year = current_year
        if year_raw:
            year = int(year_raw) if len(year_raw) == 4 else 2000 + int(year_raw)
        found = (f"{year}Q{_QUARTER_CN[q]}", m.start(), m.end())
        if best is None or found[1] < best[1]:
            best = found
    return best
