"""Reading a practice answer the way staff type it on a phone.

An answer and the ideal wording of a key point are read into the same :class:`Reading`:

* the project's normalisers: :func:`assistant.retrieval.tokenizer.normalize` (NFKC, lower
  case) and the lexicon's *squashed* form (no spaces or separators, so "EG 3200", "eg-3200"
  and "eg3200" are one), with a map back to the normalised text;
* synonyms made canonical on the squashed form: the parameter words of
  ``corpus/attributes.yaml`` and ``corpus/lexicon.yaml`` and the sales phrases of
  ``corpus/training/roleplay.yaml`` ("质保" and "保修", "tco" and "总拥有成本" read alike);
* figures through :func:`assistant.dialogue.numbers.find_numbers` ("两百多种", "1万个",
  "二十四个月"), with the unit typed after them, a minus or "零下" before them, and model
  numbers, competitor models and tokens such as "4G" kept out of them;
* our products (the NLU lexicon's aliases), competitor names and models, rival words
  ("他们", "对方"), and model numbers with one of our line prefixes that the catalogue does
  not have ("EG-3200-Pro", "EG-9000"): invented.

Features for matching are character pairs (:func:`assistant.dialogue.lexicon.cjk_pairs`,
as the catalogue matches descriptions: a segmenter cuts phone Chinese unreliably), Latin
words and figures; a pair's weight is its inverse document frequency over the corpus.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from assistant.content.loader import Corpus
from assistant.dialogue.attributes import AttributeLexicon
from assistant.dialogue.lexicon import PARAM_SYNONYMS, AliasTable, Lexicon, cjk_pairs, find_all, squash
from assistant.dialogue.numbers import chinese_to_int, find_numbers, to_decimal_int
from assistant.retrieval.tokenizer import normalize
from assistant.training.roleplay_data import RoleplayData

_SEPARATORS = re.compile(r"[\s\-_./·]+")  # as assistant.dialogue.lexicon.squash
_CLAUSE_BREAK = re.compile(r"[，。；;！!？?\n、：:]|,(?!\d{3})|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_SENTENCE_BREAK = re.compile(r"[。；;！!？?\n]")
# "一万二" is 12 000 as people say it (find_numbers reads 10 002), "3万5" it reads right
_SPOKEN_THOUSANDS = re.compile(r"^([一二两三四五六七八九]|\d)万([一二两三四五六七八九])$")
_LATIN = re.compile(r"[a-z][a-z0-9]*")
_MODEL_TOKEN = re.compile(r"\|?(?:[a-z]+|\d+)")
_MASK = "\u25a1"
_MINUS = "-\u2212\u2013"
_RANGE_JOIN = re.compile(r"^\s*(?:~|到|至)\s*$")
_NEGATIVE_WORDS = ("零下", "负")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LONE_DIGIT = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千万亿\d.])([一二两三四五六七八九])(?![零〇一二两三四五六七八九十百千万亿点])"
)
_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
_SOME = "几"


@dataclass(frozen=True, slots=True)
class Figure:
    """A number in a text, with its unit (the canonical unit key of roleplay.yaml, or "")."""

    value: Decimal  # signed
    start: int  # in the normalised text
    end: int
    unit: str
    text: str  # as typed (normalised)
    money: bool
    alternatives: frozenset[Decimal]  # absolute values, with unit conversions ("2年" -> 2, 24)

    def matches(self, numbers: Iterable[Decimal]) -> bool:
        return any(abs(n) in self.alternatives for n in numbers)


@dataclass(frozen=True, slots=True)
class Reading:
    """A text read for the rubric.  Positions are in ``norm``."""

    norm: str
    squashed: str
    pos: tuple[int, ...]  # squashed index -> norm index
    breaks: frozenset[int]  # squashed indices right after a space or separator the user typed
    canon: str  # squashed, synonyms made canonical
    pairs: frozenset[str]
    latin_runs: tuple[str, ...]  # squashed Latin runs, ids left out
    latin_words: frozenset[str]
    figures: tuple[Figure, ...]
    clauses: tuple[int, ...]  # clause number of every norm index
    sentences: tuple[int, ...]  # sentence number of every norm index
    products: tuple[tuple[str, int, int], ...]  # our products named: (id, start, end)
    rivals: tuple[tuple[int, int], ...]  # competitor names and models, rival words
    invented: tuple[str, ...]  # model numbers of our lines the catalogue does not have

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The norm span of a squashed span."""
        return self.pos[start], self.pos[end - 1] + 1

    def has_latin(self, word: str) -> bool:
        return any(word in run for run in self.latin_runs)


@dataclass(frozen=True, slots=True)
class Features:
    """What a key point's wording is made of, each with its weight."""

    pairs: dict[str, float]
    figures: dict[Decimal, float]
    latin: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.pairs.values()) + sum(self.figures.values()) + sum(self.latin.values())


class TextReader:
    """Built once from the corpus, the role-play data and the NLU's lexicons."""

    def __init__(self, *, corpus: Corpus, data: RoleplayData, lexicon: Lexicon, attributes: AttributeLexicon) -> None:
        self.data = data
        self.lexicon = lexicon
        # Chinese words only from the NLU's tables: there "modbus" and "mqtt" both mean 协议 (the
        # row asked for), here they are different protocols
        synonyms: dict[str, str] = {}
        for concept, words in PARAM_SYNONYMS.items():
            for w in words:
                if _CJK.search(w):
                    synonyms[squash(w)] = squash(concept)
        for attribute in attributes.attributes:
            for w in (*attribute.words, *attribute.rows):
                if _CJK.search(w):
                    synonyms[w] = squash(attribute.label)
        for canonical, typed in data.synonyms.items():
            for w in (canonical, *typed):
                synonyms[squash(w)] = squash(canonical)
        # a canonical word maps to itself, so "工作温度" is not read as "工作" + "温度" -> "工作工作温度"
        for canonical in set(synonyms.values()):
            synonyms.setdefault(canonical, canonical)
        self._synonyms = AliasTable.of({k: v for k, v in synonyms.items() if k})
        self._rival_words = AliasTable.of({squash(w): "rival" for w in data.rival_words})
        self._competitor_models = tuple(squash(c.competitor_model) for p in corpus.products for c in p.competitors)
        unit_surfaces: dict[str, str] = {}
        for key, spellings in data.units.items():
            for w in (key, *spellings):
                unit_surfaces.setdefault(normalize(w).replace(" ", ""), normalize(key))
        self._units = tuple(sorted(unit_surfaces.items(), key=lambda kv: -len(kv[0])))
        self._yuan = unit_surfaces.get(normalize("元"), "元")
        self._lone_units = frozenset(unit_surfaces.get(normalize(u), normalize(u)) for u in data.lone_digit_units)
        self._conversions: dict[str, list[Decimal]] = {}
        for c in data.unit_conversions:
            self._conversions.setdefault(normalize(c.from_), []).append(Decimal(str(c.factor)))
        tokens = sorted({normalize(t) for t in data.not_numbers}, key=len, reverse=True)
        self._not_numbers = re.compile(
            r"(?<![a-z0-9.])(?:" + "|".join(re.escape(t) for t in tokens) + r")(?![a-z0-9])" if tokens else r"(?!x)x"
        )
        prefixes = sorted({line.id.lower() for line in corpus.product_lines}, key=len, reverse=True)
        self._model = re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, prefixes)) + r")[a-z]{0,4}\d[a-z0-9|]*")
        known = {squash(p.id).replace("|", "") for p in corpus.products}
        known |= {alias.replace("|", "") for alias, _ in lexicon.products if re.search(r"\d", alias)}
        self._known_models = frozenset(known)
        suffixes = {part.lower() for p in corpus.products for part in p.id.split("-")[2:]}
        suffixes |= {squash(s) for s in data.invented_suffixes}
        self._suffixes = frozenset(suffixes)
        self._not_models = frozenset(squash(m) for m in data.not_models)
        self._idf, self._max_idf = _pair_idf(corpus)

    # -- reading ----------------------------------------------------------------------

    def read(self, text: str) -> Reading:
        norm = normalize(text)
        squashed, pos = squash_mapped(norm)
        breaks = frozenset(i for i in range(1, len(pos)) if pos[i] > pos[i - 1] + 1)

        def to_norm(s: int, e: int) -> tuple[int, int]:
            return pos[s], pos[e - 1] + 1

        masks: list[tuple[int, int]] = []
        rivals: list[tuple[int, int]] = []
        competitor_hits = find_all(squashed, self.lexicon.competitors, breaks=breaks)
        for _, s, e in competitor_hits:
            rivals.append(to_norm(s, e))
            masks.append(to_norm(s, e))
        for _, s, e in find_all(squashed, self._rival_words, breaks=breaks):
            rivals.append(to_norm(s, e))
        hidden = squashed
        for _, s, e in competitor_hits:
            hidden = hidden[:s] + _MASK * (e - s) + hidden[e:]
        products: list[tuple[str, int, int]] = []
        for pid, s, e in find_all(hidden, self.lexicon.products, breaks=breaks):
            ns, ne = to_norm(s, e)
            products.append((pid, ns, ne))
            if re.search(r"[a-z0-9]", squashed[s:e]):
                masks.append((ns, ne))
        invented: list[str] = []
        for m in self._model.finditer(hidden):
            length, made_up = self._model_extent(m.group(0))
            if length == 0:
                continue
            ns, ne = to_norm(m.start(), m.start() + length)
            masks.append((ns, ne))
            if made_up:
                invented.append(norm[ns:ne].upper())
        for m in self._not_numbers.finditer(norm):
            masks.append((m.start(), m.end()))
        clauses = _clause_numbers(norm, _CLAUSE_BREAK)
        figures = self._figures(norm, masks)
        canon = self._canonical(squashed, breaks)
        latin_text = list(norm)
        for s, e in masks:
            latin_text[s:e] = " " * (e - s)
        latin_norm = "".join(latin_text)
        runs = tuple(squash(r) for r in re.findall(r"[a-z][a-z0-9 .\-/]*", latin_norm) if r.strip())
        return Reading(
            norm=norm,
            squashed=squashed,
            pos=tuple(pos),
            breaks=breaks,
            canon=canon,
            pairs=frozenset(cjk_pairs(canon)),
            latin_runs=runs,
            latin_words=frozenset(w for w in _LATIN.findall(latin_norm) if len(w) >= 2),
            figures=tuple(figures),
            clauses=tuple(clauses),
            sentences=tuple(_clause_numbers(norm, _SENTENCE_BREAK)),
            products=tuple(products),
            rivals=tuple(rivals),
            invented=tuple(dict.fromkeys(invented)),
        )

    def features(
        self,
        reading: Reading,
        *,
        echo: Reading | None = None,
        figure_weight: float | None = None,
        latin_weight: float | None = None,
    ) -> Features:
        """The weighted features of a key point's wording; those the customer's own line has
        (``echo``) count ``echo_weight`` as much."""
        t = self.data.thresholds
        damp = t.echo_weight
        figure_w = t.figure_weight if figure_weight is None else figure_weight
        latin_w = t.latin_weight if latin_weight is None else latin_weight

        def weight(w: float, echoed: bool) -> float:
            return w * damp if echoed else w

        pairs: dict[str, float] = {}
        for pair in reading.pairs:
            idf = self._idf.get(pair, self._max_idf)
            if idf >= t.min_pair_idf:
                pairs[pair] = weight(idf, echo is not None and pair in echo.pairs)
        figures: dict[Decimal, float] = {}
        for f in reading.figures:
            echoed = echo is not None and any(f.matches([g.value]) for g in echo.figures)
            figures[abs(f.value)] = weight(figure_w, echoed)
        latin = {
            w: weight(latin_w, echo is not None and w in echo.latin_words)
            for w in reading.latin_words
            if not w.isdigit()
        }
        return Features(pairs=pairs, figures=figures, latin=latin)

    def weight_of(self, text: str) -> float:
        """How much a sentence says, to pick a source's key sentences: the inverse document
        frequency of its character pairs as written (no synonyms) and fixed weights for its
        figures and Latin words, so that tuning the rubric's reading changes no scenario."""
        t = self.data.thresholds
        reading = self.read(text)
        pairs = [self._idf.get(p, self._max_idf) for p in set(cjk_pairs(reading.squashed))]
        return (
            sum(w for w in pairs if w >= t.min_pair_idf)
            + t.sentence_figure_weight * len({abs(f.value) for f in reading.figures})
            + t.sentence_latin_weight * len([w for w in reading.latin_words if not w.isdigit()])
        )

    def unit_of(self, unit: str) -> str:
        """The canonical unit key of a unit as a parameter table writes it ("V DC" -> "v",
        "m/s" -> "m"), read as a figure's unit is read in text: its longest known beginning."""
        written = normalize(unit).replace(" ", "")
        for surface, key in self._units:
            if written.startswith(surface):
                return key
        return written

    # -- internals ----------------------------------------------------------------------

    def _canonical(self, squashed: str, breaks: frozenset[int]) -> str:
        out: list[str] = []
        last = 0
        for canonical, s, e in find_all(squashed, self._synonyms, breaks=breaks):
            out.append(squashed[last:s])
            out.append(canonical)
            last = e
        out.append(squashed[last:])
        return "".join(out)

    def _model_extent(self, candidate: str) -> tuple[int, bool]:
        """(length of the model number at the start of ``candidate``, invented?); (0, False)
        when the candidate is no model number (a competitor's model, "mp4")."""
        tokens = _MODEL_TOKEN.findall(candidate)
        if not tokens:
            return 0, False

        def joined(parts: Sequence[str]) -> str:
            return "".join(p.lstrip("|") for p in parts)

        def length(parts: Sequence[str]) -> int:
            return sum(len(p) for p in parts)

        best = 0
        for k in range(1, len(tokens) + 1):
            if joined(tokens[:k]) in self._known_models:
                best = k
        if best:
            rest = tokens[best:]
            for n in (2, 1):
                glued_word = len(rest) > n and not rest[n].startswith("|") and rest[n][0].isdigit()
                if len(rest) >= n and joined(rest[:n]) in self._suffixes and not glued_word:
                    return length(tokens[: best + n]), True  # "eg3200pro": a variant we do not make
            return length(tokens[:best]), False
        core = 0
        for i, tok in enumerate(tokens):
            if tok.lstrip("|").isdigit():
                core = i + 1
                break
        if core == 0:
            return 0, False
        if core < len(tokens) and not tokens[core].startswith("|") and tokens[core] in self._suffixes:
            core += 1
        name = joined(tokens[:core])
        if name in self._not_models or any(m.endswith(name) for m in self._competitor_models):
            return 0, False
        return length(tokens[:core]), True

    def _figures(self, norm: str, masks: Sequence[tuple[int, int]]) -> list[Figure]:
        work = list(norm)
        for s, e in masks:
            work[s:e] = _MASK * (e - s)
        minus: set[int] = set()
        i = 0
        while i < len(work):
            ch = work[i]
            if ch.isascii() and ch.isalpha() and _after_figure(work, i):
                j = i
                while j < len(work) and work[j].isascii() and work[j].isalpha():
                    work[j] = "|"  # a unit glued to the figure ("48v", "50ms"): read after it
                    j += 1
                i = j
                continue
            if ch in _MINUS and i + 1 < len(work) and work[i + 1].isdigit():
                before = work[i - 1] if i > 0 else " "
                if before.isdigit() or before == "|":
                    work[i] = "~"  # a range, "12-48"
                else:
                    minus.add(i)
                    work[i] = " "
            elif ch == "/":
                work[i] = "~"
            i += 1
        found: list[Figure] = []
        joined_work = "".join(work)
        for mention in find_numbers(joined_work):
            start, end = mention.start, mention.end
            digits_start = start
            while digits_start < end and not (work[digits_start].isdigit() or work[digits_start] in _NUMERALS):
                digits_start += 1
            if norm[max(0, digits_start - 1) : digits_start] == _SOME or norm[end : end + 1] == _SOME:
                continue  # "几十台", "十几天": no figure anyone stated
            negative = (digits_start - 1) in minus or any(
                norm[max(0, digits_start - len(w)) : digits_start] == w for w in _NEGATIVE_WORDS
            )
            consumed = mention.unit or ("个" if norm[start:end].rstrip().endswith("个") else "")
            unit = self._unit_after(norm, end, consumed)
            value = _spoken(norm[start:end].strip(), mention.value)
            value = -value if negative else value
            found.append(
                Figure(
                    value=value,
                    start=start,
                    end=end,
                    unit=unit,
                    text=norm[start:end].strip(),
                    money=unit == self._yuan or (mention.is_money and not unit),
                    alternatives=self._alternatives(abs(value), unit),
                )
            )
        # "一年", "两周": a lone Chinese digit is a figure when a unit follows it (find_numbers
        # reads it only before its own few units)
        taken = [(f.start, f.end) for f in found]
        for m in _LONE_DIGIT.finditer(joined_work):
            if any(s <= m.start() < e for s, e in taken):
                continue
            unit = self._unit_after(norm, m.end(), "")
            if unit not in self._lone_units:
                continue  # "一个", "三种": a word, not a figure
            value = Decimal(chinese_to_int(m.group(1)) or 0)
            found.append(
                Figure(value, m.start(), m.end(), unit, m.group(1), unit == self._yuan, self._alternatives(value, unit))
            )
        found.sort(key=lambda f: f.start)
        # "-40~75℃": the first figure of a range takes the unit of the second
        for k in range(len(found) - 1):
            a, b = found[k], found[k + 1]
            if not a.unit and b.unit and _RANGE_JOIN.match(joined_work[a.end : b.start] or "x"):
                found[k] = Figure(
                    a.value,
                    a.start,
                    a.end,
                    b.unit,
                    a.text,
                    a.money or b.money,
                    self._alternatives(abs(a.value), b.unit),
                )
        return found

    def _unit_after(self, norm: str, end: int, consumed: str) -> str:
        rest = norm[end : end + 8].lstrip().replace(" ", "")
        if consumed:
            combined = consumed + rest
            for surface, key in self._units:
                if combined.startswith(surface) and len(surface) > len(consumed):
                    return key
            for surface, key in self._units:
                if surface == consumed:
                    return key
            return consumed
        for surface, key in self._units:
            if rest.startswith(surface):
                after = rest[len(surface) : len(surface) + 1]
                if surface.isascii() and after.isascii() and after.isalpha():
                    continue  # "m" is not the unit of "5 min"
                return key
        return ""

    def _alternatives(self, value: Decimal, unit: str) -> frozenset[Decimal]:
        out = {value}
        for factor in self._conversions.get(unit, ()):
            out.add(to_decimal_int(value * factor))
        return frozenset(out)


def _spoken(text: str, value: Decimal) -> Decimal:
    m = _SPOKEN_THOUSANDS.match(text)
    if m is None:
        return value
    head = chinese_to_int(m.group(1)) if not m.group(1).isdigit() else int(m.group(1))
    tail = chinese_to_int(m.group(2))
    if head is None or tail is None:
        return value
    return Decimal(head * 10_000 + tail * 1_000)


def _after_figure(work: Sequence[str], i: int) -> bool:
    """``work[i]`` starts a Latin word right after a figure, spaces between ("48v", "10 W")."""
    j = i - 1
    while j >= 0 and work[j] == " ":
        j -= 1
    return j >= 0 and work[j].isdigit() and (j == i - 1 or not (i + 1 < len(work) and work[i + 1].isdigit()))


def squash_mapped(norm: str) -> tuple[str, list[int]]:
    """:func:`assistant.dialogue.lexicon.squash` of normalised text, with the norm index of
    every squashed character (a "|" between two digits points at the separator)."""
    out: list[str] = []
    pos: list[int] = []
    last = 0
    for m in _SEPARATORS.finditer(norm):
        out.extend(norm[last : m.start()])
        pos.extend(range(last, m.start()))
        s, e = m.start(), m.end()
        if s > 0 and e < len(norm) and norm[s - 1].isdigit() and norm[e].isdigit():
            out.append("|")
            pos.append(s)
        last = e
    out.extend(norm[last:])
    pos.extend(range(last, len(norm)))
    return "".join(out), pos


def _clause_numbers(norm: str, breaks: re.Pattern[str]) -> list[int]:
    numbers = [0] * len(norm)
    clause = 0
    last = 0
    for m in breaks.finditer(norm):
        for i in range(last, m.start()):
            numbers[i] = clause
        clause += 1
        for i in range(m.start(), m.end()):
            numbers[i] = clause
        last = m.end()
    for i in range(last, len(norm)):
        numbers[i] = clause
    return numbers


def _pair_idf(corpus: Corpus) -> tuple[dict[str, float], float]:
    """Inverse document frequency of every character pair over the corpus's entries."""
    docs: list[str] = []
    for p in corpus.products:
        rows = " ".join(f"{r.name} {r.value}{r.unit} {r.note}" for r in p.params)
        rivals = " ".join(" ".join((*c.our_advantages, *c.their_advantages, c.price_note)) for c in p.competitors)
        docs.append(f"{p.name} {p.summary} {' '.join(p.scenarios)} {rows} {rivals}")
    docs.extend(s.template for s in corpus.scripts)
    docs.extend(f"{f.question} {f.answer}" for f in corpus.faqs)
    docs.extend(f"{c.title} {' '.join(c.pain_points)} {c.solution}" for c in corpus.cases)
    docs.extend(f"{lesson.title} {lesson.content}" for lesson in corpus.lessons)
    df: dict[str, int] = {}
    for doc in docs:
        for pair in set(cjk_pairs(squash(doc))):
            df[pair] = df.get(pair, 0) + 1
    n = len(docs)
    idf = {pair: math.log((n + 1) / (count + 1)) for pair, count in df.items()}
    return idf, math.log(n + 1)
