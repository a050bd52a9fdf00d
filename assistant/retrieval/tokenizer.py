"""Chinese/English tokenisation for BM25 and slot extraction.

jieba in precise mode with a user dictionary generated from the corpus (model
numbers, product names, industries, regions, competitor names, domain terms),
so "EG-2100-Pro" or "上海交通大学" stays one token.  Text is NFKC-normalised and
lower-cased first, so full-width "ＥＧ－２１００" and "eg-2100" are the same.

A long Chinese word also emits the dictionary words inside it ("串口数量" ->
"串口", "数量"), so user words never hide their parts from a query.  A
compound model number also emits its parts ("eg-2100-pro" -> "eg-2100-pro",
"eg", "2100", "pro"), and a model typed without separators ("eg2100pro") is
mapped to its canonical form: sales staff half-remember model numbers.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jieba

log = logging.getLogger(__name__)

# High frequency so user words beat the default dictionary's segmentation.
_USER_WORD_FREQ = 200_000
_ASCII_COMPOUND = re.compile(r"^[a-z0-9]+(?:[-_./][a-z0-9]+)+$")
_SPLIT_COMPOUND = re.compile(r"[-_./]")
_HAS_WORD_CHAR = re.compile(r"[0-9a-z\u4e00-\u9fff]")

# Function words that carry no retrieval signal in questions like
# "这个的参数是多少呢".  Kept small on purpose: over-eager stop lists hurt BM25.
STOPWORDS: frozenset[str] = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "就",
        "都",
        "也",
        "还",
        "又",
        "把",
        "被",
        "给",
        "让",
        "这",
        "那",
        "这个",
        "那个",
        "一下",
        "一个",
        "有",
        "没",
        "没有",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "请问",
        "请",
        "问",
        "能",
        "能否",
        "可以",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "哪",
        "哪个",
        "哪些",
        "多少",
        "呃",
        "嗯",
        "哦",
        "哈",
        "啥",
        "咋",
        "要",
        "想",
        "得",
        "地",
        "着",
        "过",
        "个",
        "些",
        "该",
        "对",
        "从",
        "到",
        "为",
        "the",
        "a",
        "an",
        "of",
        "to",
        "is",
        "are",
        "and",
        "or",
        "for",
        "in",
        "on",
        "with",
        "what",
        "how",
    ]
)


def normalize(text: str) -> str:
    """NFKC + lower-case + collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass(frozen=True, slots=True)
class UserDictionary:
    """Words the tokenizer must keep whole.  Built from the corpus by the indexer
    and stored in the index directory, so query-time tokenisation matches build-time."""

    words: tuple[str, ...]

    @classmethod
    def from_terms(cls, terms: Iterable[str]) -> UserDictionary:
        seen = {normalize(t) for t in terms if t and t.strip()}
        return cls(tuple(sorted(w for w in seen if w)))

    def dumps(self) -> str:
        return "\n".join(self.words) + ("\n" if self.words else "")

    @classmethod
    def loads(cls, text: str) -> UserDictionary:
        return cls(tuple(line for line in text.splitlines() if line.strip()))


# jieba's default dictionary takes ~0.7 s to load.  Load it once per process
# and give each Tokenizer its own copy of the frequency table, so user words
# added to one tokenizer never leak into another.
_INIT_LOCK = threading.Lock()
_BASE: jieba.Tokenizer | None = None
jieba.setLogLevel(logging.WARNING)


def _new_jieba() -> jieba.Tokenizer:
    global _BASE  # noqa: PLW0603 - process-wide cache of an immutable dictionary
    with _INIT_LOCK:
        if _BASE is None:
            base = jieba.Tokenizer()
            base.initialize()
            _BASE = base
        fresh = jieba.Tokenizer()
        fresh.FREQ = dict(_BASE.FREQ)
        fresh.total = _BASE.total
        fresh.initialized = True
        return fresh


class Tokenizer:
    """Deterministic tokenizer: same input, same user dictionary -> same tokens."""

    def __init__(self, user_dict: UserDictionary | None = None, *, drop_stopwords: bool = True) -> None:
        self.user_dict = user_dict or UserDictionary(())
        self.drop_stopwords = drop_stopwords
        self._jieba = _new_jieba()
        self._aliases: dict[str, str] = {}
        for word in self.user_dict.words:
            # jieba treats spaces as separators; keep multi-word terms by their parts.
            for part in word.split(" "):
                if part:
                    self._jieba.add_word(part, freq=_USER_WORD_FREQ)
            if _ASCII_COMPOUND.match(word):
                self._aliases.setdefault(_SPLIT_COMPOUND.sub("", word), word)

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for raw in self._jieba.cut(normalize(text), HMM=True):
            token = raw.strip()
            if not token or not _HAS_WORD_CHAR.search(token):
                continue
            token = self._aliases.get(token, token)
            if self.drop_stopwords and token in STOPWORDS:
                continue
            tokens.append(token)
            if _ASCII_COMPOUND.match(token):
                tokens.extend(p for p in _SPLIT_COMPOUND.split(token) if p)
            elif len(token) > 2:
                tokens.extend(self._sub_words(token))
        return tokens

    def _sub_words(self, word: str) -> list[str]:
        """Dictionary words inside a longer word ("串口数量" -> "串口", "数量"), as
        jieba's search mode does, so a long user word still matches its parts."""
        freq = self._jieba.FREQ
        out: list[str] = []
        for n in (2, 3):
            for i in range(len(word) - n + 1):
                part = word[i : i + n]
                if part != word and freq.get(part) and part not in STOPWORDS:
                    out.append(part)
        return out

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]
