"""Typing variants rewritten before understanding (``data/rewrites.yaml``).

Staff type regional speech ("几多钱", "贵唔贵", "好久") and pinyin slips ("网官"); the
dictionaries, attribute words and cue lists know only the standard form, so every message
is rewritten once, first, and everything downstream reads the rewritten text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.dialogue.errors import DialogueError
from assistant.dialogue.numbers import parse_plain_number

REWRITES_PATH = Path(__file__).resolve().parent / "data" / "rewrites.yaml"


class RewriteDataError(DialogueError):
    """The rewrites file is malformed: not a list of {pattern, to}, or a bad expression."""

    code = "rewrite_data_invalid"


@dataclass(frozen=True, slots=True)
class Rewrite:
    pattern: re.Pattern[str]
    to: str

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.to, text)


def load_rewrites(path: Path = REWRITES_PATH) -> tuple[Rewrite, ...]:
    """Reads ``rewrites: [{pattern, to, why?}]``; raises :class:`RewriteDataError` naming
    the entry when one is malformed or its pattern does not compile."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RewriteDataError(f"{path}: cannot read rewrites: {exc}") from exc
    entries = raw.get("rewrites") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise RewriteDataError(f"{path}: expected a mapping with a list under 'rewrites'")
    out: list[Rewrite] = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not {"pattern", "to"} <= set(entry) <= {"pattern", "to", "why"}:
            raise RewriteDataError(f"{path}: entry {n}: expected keys pattern, to (and why), got {entry!r}")
        pattern, to = entry["pattern"], entry["to"]
        if not isinstance(pattern, str) or not pattern or not isinstance(to, str):
            raise RewriteDataError(f"{path}: entry {n}: pattern must be a non-empty string and to a string")
        try:
            compiled = re.compile(pattern)
            compiled.sub(to, "")  # a bad group reference in `to` fails here, not on a user's message
        except (re.error, IndexError) as exc:
            raise RewriteDataError(f"{path}: entry {n} ({pattern!r}): {exc}") from exc
        out.append(Rewrite(compiled, to))
    return tuple(out)


@functools.cache
def shipped_rewrites() -> tuple[Rewrite, ...]:
    """The package's own ``data/rewrites.yaml``, read once per process."""
    return load_rewrites(REWRITES_PATH)


# A model number typed with letters for digits: "2l00pro", "eg21oo", "vb5oo". Three or four
# characters starting with a digit, an "l" only inside ("20l" is 20 litres), then a word end.
_LOOKALIKE_MODEL = re.compile(r"(?<![a-z0-9])([a-z]{0,3})(\d[0-9lo]{1,2}[0-9o])(?=pro|[^a-z0-9]|$)")
_DIGITS = str.maketrans("lo", "10")
# A model number said to voice input and written as spelled digits: "二一零零pro", "一一零零";
# three or four of them with a 零 inside (so "三四五个" stays words), or "五百pro".
_CN_DIGIT = "零〇一二三四五六七八九幺"  # 幺: "one" read out in a number ("二幺零零")
_SPELLED_MODEL = re.compile(
    rf"(?<![{_CN_DIGIT}十百千万两])([一二三四五六七八九幺][{_CN_DIGIT}]{{2,3}})(?![{_CN_DIGIT}十百千万])"
)
_SPELLED_HUNDREDS_PRO = re.compile(r"([一二三四五六七八九])百(?=\s*pro)")


@functools.cache
def _spelled_hundreds_after_letters() -> re.Pattern[str]:
    """A round hundred said right after a model's letters ("EC三百", "em六百"): the letters of
    ``model_letters`` in ``data/rewrites.yaml``."""
    raw: Any = yaml.safe_load(REWRITES_PATH.read_text(encoding="utf-8"))
    letters = raw.get("model_letters") if isinstance(raw, dict) else None
    if not isinstance(letters, list) or not all(isinstance(w, str) and w.isascii() and w.isalpha() for w in letters):
        raise RewriteDataError(f"{REWRITES_PATH}: model_letters must be a list of Latin letter groups")
    alternation = "|".join(sorted((w.lower() for w in letters), key=len, reverse=True))
    return re.compile(rf"(?<![a-z])({alternation})[-\s]?([一二三四五六七八九])百(?![{_CN_DIGIT}十])")


_SPELLED = str.maketrans("零〇一二三四五六七八九幺", "001234567891")
# A reading said in words before its unit ("电流顶在二十一点五毫安", "压力零点六兆帕"): the documents
# write readings in digits ("21.5 mA"), so the words are read as the number.
_SPOKEN_READING = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千万])([零〇一二两三四五六七八九十百]+点[零〇一二三四五六七八九]+"
    r"|[一二两三四五六七八九十][零〇一二两三四五六七八九十百]*)"
    r"(?=\s*(?:毫安|ma(?![a-z])|伏(?!特加)|兆帕|mpa|千帕|kpa|赫兹|hz|毫米|mm(?![a-z])|摄氏度|℃))"
)


def _reading(m: re.Match[str]) -> str:
    value = parse_plain_number(m.group(1).replace("两", "二"))
    return m.group(1) if value is None else format(value, "f")


def _spelled(m: re.Match[str]) -> str:
    run = m.group(1)
    return run.translate(_SPELLED) if ("零" in run or "〇" in run) else run


def rewrite(text: str, rewrites: tuple[Rewrite, ...] | None = None) -> str:
    """``text`` with every rewrite applied in order, then readings said in words before their
    unit ("二十一点五毫安") and model numbers spelled out in Chinese digits or typed with letters
    for digits read as digits."""
    for r in shipped_rewrites() if rewrites is None else rewrites:
        text = r.apply(text)
    text = _SPOKEN_READING.sub(_reading, text)
    text = _SPELLED_MODEL.sub(_spelled, text)
    text = _SPELLED_HUNDREDS_PRO.sub(lambda m: m.group(1).translate(_SPELLED) + "00", text)
    text = _spelled_hundreds_after_letters().sub(lambda m: m.group(1) + m.group(2).translate(_SPELLED) + "00", text)
    return _LOOKALIKE_MODEL.sub(lambda m: m.group(1) + m.group(2).translate(_DIGITS), text)
