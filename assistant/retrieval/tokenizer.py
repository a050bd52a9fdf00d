"""Chinese/English tokenisation for BM25 and slot extraction.

Text is NFKC-normalised and lower-cased, so full-width "ＥＧ－２１００" and
"eg-2100" are the same.  Then:

* ASCII runs ("eg-2100-pro", "700r", "opc", "4g") are cut out before jieba
  sees the text, so digits are never split ("3200" stays one token);
* a model number stays whole and also emits its parts ("eg-2100-pro" ->
  "eg-2100-pro", "eg", "2100", "pro");
* a half-remembered model maps to its canonical id when that is unambiguous:
  "eg2100pro", "700r", "vb500", "lr1", "5800" -> "ec-700-r", "sn-vb500-pro" ...
  (aliases are generated from the model numbers in the user dictionary);
* Chinese runs go through jieba in precise mode with a user dictionary
  generated from the corpus (product names, industries, regions, competitor
  names, domain terms), so "上海交通大学" stays one token; a long word also emits
  the dictionary words inside it ("串口数量" -> "串口", "数量");
* a synonym also emits its canonical term ("钢厂" -> "钢铁冶金", "深圳" -> "华南"),
  from the corpus vocabulary.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import jieba

log = logging.getLogger(__name__)

# High frequency so user words beat the default dictionary's segmentation.
_USER_WORD_FREQ = 200_000
_CACHE_SIZE = 20_000  # memoised texts per tokenizer
_ASCII_RUN = re.compile(r"[a-z0-9]+(?:[-_./+][a-z0-9]+)*")
_ASCII_COMPOUND = re.compile(r"^[a-z0-9]+(?:[-_./][a-z0-9]+)+$")
_SPLIT_COMPOUND = re.compile(r"[-_./]")
_HAS_WORD_CHAR = re.compile(r"[0-9a-z\u4e00-\u9fff]")
_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[a-z]")

# Function words that carry no retrieval signal in questions like
# "这个的参数是多少呢".  Kept small on purpose: over-eager stop lists hurt BM25.
STOPWORDS: frozenset[str] = frozenset(
    """的 了 吗 呢 吧 啊 呀 么 嘛 是 在 和 与 及 或 就 都 也 还 又 把 被 给 让 这 那 这个 那个
    一下 一个 有 没 没有 我 你 他 她 它 我们 你们 他们 请问 请 问 能 能否 可以 怎么 怎样 如何
    什么 哪 哪个 哪些 多少 呃 嗯 哦 哈 啥 咋 要 想 得 地 着 过 个 些 该 对 从 到 为
    the a an of to is are and or for in on with what how""".split()
)


def normalize(text: str) -> str:
    """NFKC + lower-case + collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass(frozen=True, slots=True)
class UserDictionary:
    """Words the tokenizer keeps whole, and synonyms that also emit a canonical term.
    Built from the corpus by the indexer and stored with the index, so query-time
    tokenisation matches build-time."""

    words: tuple[str, ...]
    synonyms: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def from_terms(cls, terms: Iterable[str], synonyms: Mapping[str, str] | None = None) -> UserDictionary:
        seen = {normalize(t) for t in terms if t and t.strip()}
        pairs = {normalize(k): normalize(v) for k, v in (synonyms or {}).items() if k.strip() and v.strip()}
        return cls(tuple(sorted(w for w in seen if w)), tuple(sorted((k, v) for k, v in pairs.items() if k != v)))

    def dumps(self) -> str:
        lines = [*self.words, *(f"{k}\t{v}" for k, v in self.synonyms)]
        return "\n".join(lines) + ("\n" if lines else "")

    @classmethod
    def loads(cls, text: str) -> UserDictionary:
        words: list[str] = []
        synonyms: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            word, _, canonical = line.partition("\t")
            if canonical:
                synonyms[word] = canonical
            else:
                words.append(word)
        return cls.from_terms(words, synonyms)


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


def model_aliases(words: Iterable[str]) -> dict[str, str]:
    """Unambiguous short forms of compound model numbers -> the model number.

    From "ec-700-r": "ec700r", "ec-700", "ec700", "700-r", "700r"; from
    "sn-vb500-pro": "vb500", "vb500pro", ...  A form is kept only if it is not itself
    a word and points at exactly one model.  A letters-only form needs two parts
    ("mini-s", "cld-std"); a digits-only form needs 4+ digits ("5800"), so "300万"
    is not read as EC-300.
    """
    candidates: dict[str, set[str]] = defaultdict(set)
    word_set = set(words)
    for word in word_set:
        if not _ASCII_COMPOUND.match(word):
            continue
        parts = [p for p in _SPLIT_COMPOUND.split(word) if p]
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                span = parts[i:j]
                for form in {"".join(span), "-".join(span)}:
                    if form == word:
                        continue
                    if not _HAS_DIGIT.search(form) and (len(span) < 2 or len(form) < 5):
                        continue  # letters only: "mini-s", "cld-std" yes; "pro" no
                    if not _HAS_LETTER.search(form) and len(form) < 4:
                        continue
                    candidates[form].add(word)
    return {
        form: next(iter(models)) for form, models in candidates.items() if len(models) == 1 and form not in word_set
    }


class Tokenizer:
    """Deterministic tokenizer: same input, same user dictionary -> same tokens."""

    def __init__(self, user_dict: UserDictionary | None = None, *, drop_stopwords: bool = True) -> None:
        self.user_dict = user_dict or UserDictionary(())
        self.drop_stopwords = drop_stopwords
        self._jieba = _new_jieba()
        for word in self.user_dict.words:
            # jieba treats spaces as separators; keep multi-word terms by their parts.
            for part in word.split(" "):
                if part and not _ASCII_RUN.fullmatch(part):
                    self._jieba.add_word(part, freq=_USER_WORD_FREQ)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._aliases = model_aliases(self.user_dict.words)
        self._synonyms = dict(self.user_dict.synonyms)
        for synonym in self._synonyms:
            if not _ASCII_RUN.fullmatch(synonym):
                self._jieba.add_word(synonym, freq=_USER_WORD_FREQ)

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text``.  One turn tokenises the same strings several times
        (understanding, retrieval, grounding), so results are memoised."""
        return list(self._tokenize_cached(text))

    def _tokenize_cached(self, text: str) -> tuple[str, ...]:
        cached = self._cache.get(text)
        if cached is None:
            cached = tuple(self._tokenize(text))
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()  # simple and bounded; hot strings come straight back
            self._cache[text] = cached
        return cached

    def _tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        text = normalize(text)
        pos = 0
        for match in _ASCII_RUN.finditer(text):
            self._cut_chinese(text[pos : match.start()], tokens)
            self._emit_ascii(match.group(0), tokens)
            pos = match.end()
        self._cut_chinese(text[pos:], tokens)
        return tokens

    def _emit_ascii(self, run: str, tokens: list[str]) -> None:
        token = self._aliases.get(run, run)
        if self.drop_stopwords and token in STOPWORDS:
            return
        tokens.append(token)
        if _ASCII_COMPOUND.match(token):
            tokens.extend(p for p in _SPLIT_COMPOUND.split(token) if p)
        canonical = self._synonyms.get(token)
        if canonical:
            tokens.append(canonical)

    def _cut_chinese(self, segment: str, tokens: list[str]) -> None:
        if not segment.strip():
            return
        for raw in self._jieba.cut(segment, HMM=True):
            token = raw.strip()
            if not token or not _HAS_WORD_CHAR.search(token):
                continue
            canonical = self._synonyms.get(token)
            if canonical:  # a cue may itself be a stop word ("多少" -> "参数")
                tokens.append(canonical)
            if self.drop_stopwords and token in STOPWORDS:
                continue
            tokens.append(token)
            if len(token) > 2:
                tokens.extend(self._sub_words(token))

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
