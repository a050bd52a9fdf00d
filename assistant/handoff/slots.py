"""What the expert needs, read from the requester's words (pure functions, no I/O).

The bot asks for one missing slot at a time, in :data:`SLOT_ORDER`; an answer fills
the slot asked for (free text for symptom and site) and anything else it mentions.
Device model and serial/firmware may be answered with "不知道": they are asked once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, replace

from assistant.dialogue.cues import ASKING, ERROR_CODE
from assistant.handoff.types import SLOT_ORDER, Slot, SlotValues

MAX_SYMPTOM_CHARS = 500
MAX_SITE_CHARS = 200
MAX_MODEL_CHARS = 64

# A choice asked ("来回邮寄的钱是我们掏还是澜图掏") and a case supposed ("要是…", "万一…").
_CHOICE = re.compile(r"是[^\d，,。？?\s]{1,10}还是[^\d，,。？?\s]{1,10}[?？]?$")
_SUPPOSING = re.compile(r"^(?:那|那么)?(?:要是|如果|万一|假如|假设)")
_CANCEL = ("取消转接", "不用转了", "不转了", "不用了", "取消", "算了", "cancel")
_DONT_KNOW = (
    "不知道",
    "不清楚",
    "不确定",
    "没有",
    "跳过",
    "忘了",
    "看不到",
    "don't know",
    "dont know",
    "unknown",
    "skip",
    "no idea",
    "not sure",
)
_FAULT_CUES = (
    "装不上",
    "连不上",
    "接不上",
    "上不了",
    "不上线",
    "离线",
    "不亮",
    "报错",
    "超时",
    "失败",
    "掉线",
    "断线",
    "无法",
    "不能",
    "故障",
    "异常",
    "红灯",
    "闪",
    "读不到",
    "没数据",
    "没有数据",
    "不通",
    "不工作",
    "坏了",
    "死机",
    "重启",
    "配不好",
    "配置不了",
    "进不去",
    "打不开",
    "不识别",
    "不响应",
    "搞不定",
    "error",
    "fail",
    "offline",
    "timeout",
)
# Handoff words stripped from a symptom taken from the request itself.
_HANDOFF_WORDS = re.compile(
    r"(申请|帮我|请|麻烦)?(找|叫|要|转)(个|一下)?(远程)?(专家|工程师|人工|技术支持|售后|真人)(帮忙|看看|看一下|支援)?|"
    r"转人工|远程协助|远程专家"
)
_URGENCY_LOW = ("不急", "不着急", "不用急", "不紧急", "可以预约", "有空", "下周", "not urgent", "no rush")
_URGENCY_HIGH = ("紧急", "很急", "特别急", "急", "马上", "立刻", "停产", "停线", "停工", "等着", "urgent", "asap")
_URGENCY_NORMAL = ("一般", "正常", "今天内", "普通", "normal")

_VERSION = re.compile(r"(?:固件(?:版本)?|firmware|版本)?\s*[:：是为]?\s*(?<![A-Za-z0-9.])[vV](\d+(?:\.\d+){1,3})")
_VERSION_BARE = re.compile(r"(?:固件(?:版本)?|firmware)\s*[:：是为]?\s*(\d+(?:\.\d+){1,3})", re.IGNORECASE)
_SERIAL_LABELLED = re.compile(
    r"(?<![A-Za-z])(?:S/N|SN|序列号|串号|机身号|serial(?:\s*number)?)\s*[:：是为]?\s*([A-Za-z0-9][A-Za-z0-9-]{4,31})",
    re.IGNORECASE,
)
_SERIAL_BARE = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z0-9][A-Za-z0-9-]{5,31})(?![A-Za-z0-9-])")
_MODEL_LIKE = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z]{1,6}-?\d{2,6}(?:-[A-Za-z0-9]+)*)(?![A-Za-z0-9-])")
_SITE = re.compile(r"在(.{2,30}?)(?:的)?(?:现场|工厂|厂里|厂区|项目上|车间)")
_PUNCT = " \t\r\n,，。.!！?？;；:：、"


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def is_cancel(text: str) -> bool:
    t = normalise(text).lower().strip(_PUNCT)
    return t in _CANCEL or (len(t) <= 6 and t.startswith("取消"))


def is_dont_know(text: str) -> bool:
    t = normalise(text).lower().strip(_PUNCT)
    return len(t) <= 12 and any(w in t for w in _DONT_KNOW)


def has_fault_cue(text: str) -> bool:
    t = normalise(text).lower()
    return any(c in t for c in _FAULT_CUES) or bool(ERROR_CODE.search(t))


def urgency_of(text: str) -> str:
    t = normalise(text).lower()
    for words, value in ((_URGENCY_LOW, "low"), (_URGENCY_HIGH, "high"), (_URGENCY_NORMAL, "normal")):
        if any(w in t for w in words):
            return value
    return ""


class SlotExtractor:
    """Reads slots from text with the corpus's product ids and line names."""

    def __init__(self, *, products: Mapping[str, str], lines: Mapping[str, str]) -> None:
        """``products``: product id -> line id; ``lines``: line id -> display name."""
        self.products = dict(products)
        self.lines = dict(lines)
        ids = sorted(self.products, key=len, reverse=True)  # EG-2100-Pro before EG-2100
        # Staff type the ids without their hyphens or with spaces ("eg2100", "EG 2100 pro"):
        # a separator between two parts of an id may be a hyphen, spaces or nothing.
        self._model_re = (
            re.compile(
                r"(?<![A-Za-z0-9-])(" + "|".join(_id_pattern(i) for i in ids) + r")(?![A-Za-z0-9-])", re.IGNORECASE
            )
            if ids
            else None
        )
        self._canonical = {_squashed_id(i): i for i in ids}
        words: dict[str, str] = {}
        for line_id, name in self.lines.items():
            words[name] = line_id
            for prefix in ("工业", "边缘", "智能"):
                if name.startswith(prefix) and len(name) > len(prefix) + 1:
                    words[name[len(prefix) :]] = line_id
        self._line_words = sorted(words.items(), key=lambda kv: -len(kv[0]))

    @property
    def example_model(self) -> str:
        return next(iter(sorted(self.products)), "EG-2100")

    def line_name(self, line_id: str) -> str:
        return self.lines.get(line_id, line_id)

    # -- reading ----------------------------------------------------------------------

    def model_in(self, text: str) -> str:
        return self._model_mention(text)[0]

    def _model_mention(self, text: str) -> tuple[str, str]:
        """The product id ``text`` names and the words it was typed as; ("", "") for none."""
        if self._model_re is None:
            return "", ""
        m = self._model_re.search(text)
        return (self._canonical[_squashed_id(m.group(1))], m.group(1)) if m else ("", "")

    def line_in(self, text: str, *, bare_ids: bool = False) -> str:
        for word, line_id in self._line_words:
            if word in text:
                return line_id
        if bare_ids:
            upper = text.upper()
            for line_id in self.lines:
                if re.search(r"(?<![A-Z0-9-])" + re.escape(line_id) + r"(?![A-Z0-9-])", upper):
                    return line_id
        return ""

    def asks_instead(self, text: str) -> bool:
        """A question that answers no slot ("寄过去以后大概多长时间能修好", "提完以后进度在哪盯"):
        the bot answers it, and the slot asked stays asked.  A question that tells a fault, a
        model, a site or a serial ("为啥还是连不上") is an answer all the same."""
        t = normalise(text)
        if not (ASKING.search(t.lower()) or _CHOICE.search(t)) or is_dont_know(t) or is_cancel(t):
            return False
        found = self.extract(t)
        if _SUPPOSING.match(t):
            # "要是最后判定硬件坏了 接下来咋走": a fault supposed, not told
            found = replace(found, symptom="")
        return not any(getattr(found, f.name) for f in fields(found))

    def extract(self, text: str, *, asking: Slot | None = None) -> SlotValues:
        """Everything ``text`` says; free text fills the slot being asked for."""
        t = normalise(text)
        model, typed = self._model_mention(t)
        firmware = ""
        m = _VERSION.search(t) or _VERSION_BARE.search(t)
        if m:
            firmware = "v" + m.group(1)
        serial = ""
        s = _SERIAL_LABELLED.search(t)
        if s and s.group(1).lower() not in self._canonical:
            serial = s.group(1).upper()
        skipped = is_dont_know(t)
        if asking == "serial_firmware" and not serial and not skipped:
            serial = self._bare_serial(t, exclude=(model, firmware))
        if asking == "product_model" and not model and not skipped:
            like = _MODEL_LIKE.search(t)
            if like and not like.group(1).lower().startswith("v"):
                model = like.group(1).upper()[:MAX_MODEL_CHARS]
        line = self.products.get(model, "") or self.line_in(t, bare_ids=asking == "product_model")
        symptom = ""
        if asking == "symptom" and not skipped:
            symptom = t[:MAX_SYMPTOM_CHARS]
        elif has_fault_cue(t):
            symptom = _clean_symptom(t.replace(typed, " ") if typed else t)
        site = ""
        if asking == "site" and not skipped:
            site = t.strip(_PUNCT)[:MAX_SITE_CHARS]
        else:
            found = _SITE.search(t)
            if found:
                site = found.group(1).strip(_PUNCT)[:MAX_SITE_CHARS]
        urgency = urgency_of(t)
        if asking == "urgency" and not urgency:
            urgency = "normal"
        return SlotValues(
            product_model=model,
            product_line=line,
            serial=serial,
            firmware=firmware,
            symptom=symptom,
            site=site,
            urgency=urgency,
        )

    def _bare_serial(self, text: str, *, exclude: Iterable[str]) -> str:
        skip = {e.lower() for e in exclude if e}
        for m in _SERIAL_BARE.finditer(text):
            token = m.group(1)
            has_both = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
            known = token.lower() in skip or token.lower() in self._canonical
            if has_both and not known and not re.fullmatch(r"[vV]\d+(?:\.\d+)*", token):
                return token.upper()
        return ""

    def from_context(self, *, text: str, history: Sequence[str], profile: Mapping[str, object]) -> SlotValues:
        """Slots known before asking anything: the request, earlier messages (newest
        first), then the customer profile."""
        slots = self.extract(text)
        for earlier in reversed(list(history)):
            found = self.extract(earlier)
            # Earlier messages only fill what is still empty.
            slots = found.merged(slots)
        model = str(profile.get("product_model") or "")
        line = str(profile.get("product_line") or "")
        site_bits = [str(profile[k]) for k in ("customer_name", "region") if profile.get(k)]
        from_profile = SlotValues(
            product_model=model,
            product_line=self.products.get(model, "") or line,
            site=" / ".join(site_bits),
        )
        slots = from_profile.merged(slots)
        if slots.product_model and not slots.product_line:
            slots = replace(slots, product_line=self.products.get(slots.product_model, ""))
        return slots


def _id_pattern(product_id: str) -> str:
    return r"[-\s]*".join(re.escape(part) for part in product_id.split("-"))


def _squashed_id(typed: str) -> str:
    return re.sub(r"[-\s]", "", typed).lower()


def missing_slots(slots: SlotValues, asked: Iterable[str]) -> tuple[Slot, ...]:
    """Slots still to ask for, in order.  Model and serial/firmware are asked once."""
    done = set(asked)
    out: list[Slot] = []
    for slot in SLOT_ORDER:
        if slot == "product_model":
            empty = not (slots.product_model or slots.product_line)
        elif slot == "serial_firmware":
            empty = not (slots.serial or slots.firmware)
        else:
            empty = not getattr(slots, slot)
        if empty and not (slot in ("product_model", "serial_firmware") and slot in done):
            out.append(slot)
    return tuple(out)


def _clean_symptom(text: str) -> str:
    cleaned = re.sub(r"\s{2,}", " ", _HANDOFF_WORDS.sub("", text)).strip(_PUNCT)
    return (cleaned or text.strip(_PUNCT))[:MAX_SYMPTOM_CHARS]
