"""Dictionaries the NLU generates from the corpus.

Everything here is derived from ``Corpus`` (product ids, names and the
abbreviations people type for them, product lines, vocab industries, regions and
competitors, parameter names) plus hand-written word tables that belong to no corpus
entry (persona titles, scale words, parameter synonyms, cities, line words), which are data:
``corpus/lexicon.yaml``.

Matching works on a *squashed* form of the text: NFKC, lower-case, with spaces
and the separators ``- _ . / ·`` removed, so "EG 2100 Pro", "eg-2100pro" and
"eg2100pro" look the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.content.loader import Corpus
from assistant.dialogue.errors import DialogueError
from assistant.retrieval.tokenizer import normalize

_SEPARATORS = re.compile(r"[\s\-_./·]+")
_ALNUM = re.compile(r"[a-z0-9]")


def squash(text: str) -> str:
    """Normalised text without spaces and separators ("EG-2100 Pro" -> "eg2100pro").

    A separator between two digits becomes "|" so "3200 5台" does not read as "32005台"."""
    return _SEPARATORS.sub(_squash_sep, normalize(text))


def cjk_pairs(text: str) -> list[str]:
    """Every two adjacent Chinese characters of ``text``: words without a word segmenter
    (jieba cuts descriptions and symptoms unreliably: "开机率" -> "算开", "机率")."""
    return [text[i : i + 2] for i in range(len(text) - 1) if all("\u4e00" <= ch <= "\u9fff" for ch in text[i : i + 2])]


def _squash_sep(m: re.Match[str]) -> str:
    s, e = m.start(), m.end()
    text = m.string
    if s > 0 and e < len(text) and text[s - 1].isdigit() and text[e].isdigit():
        return "|"
    return ""


# -- hand-written words (corpus/lexicon.yaml) ---------------------------------------------

LEXICON_PATH = Path(__file__).resolve().parents[2] / "corpus" / "lexicon.yaml"
PLACES_PATH = LEXICON_PATH.with_name("places.yaml")
TRADES_PATH = LEXICON_PATH.with_name("trades.yaml")

WordTable = dict[str, list[str]]
_Model = TypeVar("_Model", bound=BaseModel)


class LexiconDataError(DialogueError):
    """``corpus/lexicon.yaml`` is missing, malformed, or has an empty word."""

    code = "lexicon_data_invalid"


class _LexiconWords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persona_cues: WordTable
    stage_cues: WordTable
    scale_cues: WordTable
    param_synonyms: WordTable = Field(default_factory=dict)
    extra_industry_synonyms: WordTable = Field(default_factory=dict)
    line_words: WordTable
    line_needs: WordTable = Field(default_factory=dict)
    name_aliases: WordTable = Field(default_factory=dict)
    not_industry: list[str] = Field(default_factory=list)
    facility_words: list[str] = Field(default_factory=list)
    not_persona: list[str] = Field(default_factory=list)
    other_customer_words: list[str] = Field(default_factory=list)
    name_correction_words: list[str] = Field(default_factory=list)
    name_intro_words: list[str] = Field(default_factory=list)
    back_reference_titles: list[str] = Field(default_factory=list)
    fleet_machines: list[str] = Field(default_factory=list)


def _read(path: Path, model: type[_Model]) -> _Model:
    """``path`` read as ``model``; :class:`LexiconDataError` names the file and the problem."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconDataError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise LexiconDataError(f"{path}: {problems}") from exc


def load_lexicon_words(path: Path = LEXICON_PATH) -> _LexiconWords:
    """The word tables of ``path``; :class:`LexiconDataError` names the file and the problem."""
    data = _read(path, _LexiconWords)
    tables = (
        data.persona_cues,
        data.stage_cues,
        data.scale_cues,
        data.param_synonyms,
        data.extra_industry_synonyms,
        data.line_words,
        data.line_needs,
        data.name_aliases,
    )
    if any(not w.strip() for table in tables for words in table.values() for w in words) or any(
        not w.strip()
        for w in (
            *data.not_industry,
            *data.facility_words,
            *data.not_persona,
            *data.other_customer_words,
            *data.name_correction_words,
            *data.name_intro_words,
            *data.back_reference_titles,
        )
    ):
        raise LexiconDataError(f"{path}: an empty word")
    return data


class _Places(BaseModel):
    model_config = ConfigDict(extra="forbid")

    province_places: WordTable


def load_places(path: Path = PLACES_PATH) -> WordTable:
    """Places by province from ``path``; :class:`LexiconDataError` names the file and the problem."""
    data = _read(path, _Places)
    if any(len(w.strip()) < 2 for words in data.province_places.values() for w in words):
        raise LexiconDataError(f"{path}: a place name shorter than two characters")
    return data.province_places


class _Trades(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trades: WordTable
    left_out: dict[str, str] = {}  # documentation: words considered and why they are not listed


def load_trades(path: Path = TRADES_PATH) -> WordTable:
    """Trade words by canonical industry from ``path``; :class:`LexiconDataError` names the file
    and the problem (a word under two industries, or shorter than two characters)."""
    data = _read(path, _Trades)
    words = [w for ws in data.trades.values() for w in ws]
    if any(len(w.strip()) < 2 for w in words):
        raise LexiconDataError(f"{path}: a trade word shorter than two characters")
    twice = sorted({w for w in words if words.count(w) > 1})
    if twice:
        raise LexiconDataError(f"{path}: under two industries: {twice}")
    return data.trades


def _frozen(table: WordTable) -> dict[str, tuple[str, ...]]:
    return {key: tuple(words) for key, words in table.items()}


_WORDS = load_lexicon_words()
# Persona cue words (job titles and concerns), canonical Persona values.
PERSONA_CUES = _frozen(_WORDS.persona_cues)
# Stage cue words (for ranking scripts by the question's wording).
STAGE_CUES = _frozen(_WORDS.stage_cues)
SCALE_CUES = _frozen(_WORDS.scale_cues)
# Colloquial words for parameter-table rows -> a word contained in the row names.
PARAM_SYNONYMS = _frozen(_WORDS.param_synonyms)
# Everyday words for the vocab's industries, keyed by canonical name (used only when that name
# is in the corpus vocabulary).
EXTRA_INDUSTRY_SYNONYMS = _frozen(_WORDS.extra_industry_synonyms)
# Places by province (corpus/places.yaml), so "嘉兴" or "柯桥" find the region the vocab gives
# their province.
PROVINCE_CITIES = _frozen(load_places())
# A customer's trade in everyday words by canonical industry (corpus/trades.yaml): "刹车片" is
# 汽车制造, "无缝钢管" 钢铁冶金.
TRADES = _frozen(load_trades())
# Words that name a product line: a line is read off them only when the text names no product.
LINE_WORDS = _frozen(_WORDS.line_words)
# Needs only one product line meets ("振动监测" -> SN): a hint where nothing names a line.
LINE_NEEDS = _frozen(_WORDS.line_needs)
# Names only one catalogue product has, keyed by product id.
NAME_ALIASES = _frozen(_WORDS.name_aliases)
# Vocabulary synonyms that name equipment, a gas or a regulation rather than an industry.
NOT_INDUSTRY: frozenset[str] = frozenset(_WORDS.not_industry)
# Machines a customer counts its fleet in ("cnc九十来台"): a count right after one is the fleet.
FLEET_MACHINES: tuple[str, ...] = tuple(squash(w) for w in _WORDS.fleet_machines)
# Industry words that are also a site of any customer ("冷库"): they name the industry only when
# the customer is one ("一个冷库", "做冷库的", "冷库公司").
FACILITY_WORDS: frozenset[str] = frozenset(squash(w) for w in _WORDS.facility_words)
# Words that introduce a different customer in the same conversation ("另外一家").
OTHER_CUSTOMER_WORDS: tuple[str, ...] = tuple(squash(w) for w in _WORDS.other_customer_words)
# Words that correct the customer's name just given ("搞错了 是恒立精工"): the same customer.
NAME_CORRECTION_WORDS: tuple[str, ...] = tuple(squash(w) for w in _WORDS.name_correction_words)
# Words that put a name forward as the customer's ("客户叫", "厂子叫", "客户是"): a different name
# after them is another customer, not a word met in passing (customer_switch.py).
NAME_INTRO_WORDS: tuple[str, ...] = tuple(squash(w) for w in _WORDS.name_intro_words)
# Short titles ("部长", "科长") that name the contact the profile already holds, if any.
BACK_REFERENCE_TITLES: frozenset[str] = frozenset(squash(w) for w in _WORDS.back_reference_titles)
# Words holding a persona cue that name a figure or a process, not the contact ("采购金额").
NOT_PERSONA: tuple[str, ...] = tuple(sorted({squash(w) for w in _WORDS.not_persona}, key=lambda w: (-len(w), w)))


def line_of_need(text: str) -> str | None:
    """The one product line whose needs ``text`` names ("想搞振动监测" -> "SN"); None when it
    names none, or needs of several lines."""
    sq = squash(text)
    lines = {line for line, needs in LINE_NEEDS.items() if any(squash(n) in sq for n in needs)}
    return lines.pop() if len(lines) == 1 else None


@dataclass(frozen=True, slots=True)
class AliasTable:
    """Squashed alias -> canonical value, longest alias first (ties by alias), indexed by
    the alias's first character: a lookup tries only the aliases that can start in the text."""

    entries: tuple[tuple[str, str], ...]
    _by_first: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[int]] = {}
        for i, (alias, _) in enumerate(self.entries):
            index.setdefault(alias[0], []).append(i)
        object.__setattr__(self, "_by_first", {ch: tuple(rows) for ch, rows in index.items()})

    @classmethod
    def of(cls, table: Mapping[str, str]) -> AliasTable:
        return cls(tuple(sorted(((k, v) for k, v in table.items() if k), key=lambda kv: (-len(kv[0]), kv[0]))))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, text: str) -> list[tuple[str, str]]:
        """The entries whose first character occurs in ``text``, in table order."""
        rows: list[int] = []
        for ch in set(text):
            rows.extend(self._by_first.get(ch, ()))
        rows.sort()
        return [self.entries[i] for i in rows]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Squashed alias -> canonical value, one table per slot."""

    products: AliasTable
    product_lines: AliasTable
    industries: AliasTable
    regions: AliasTable
    major_regions: AliasTable  # the vocabulary's regions, provinces and big cities only (no towns)
    competitors: AliasTable
    personas: AliasTable
    stages: AliasTable
    scales: AliasTable
    param_words: AliasTable  # colloquial word -> concept contained in row names
    param_names: frozenset[str]  # squashed row names of every product
    product_line_of: dict[str, str]  # product id -> line id
    competitor_lines: dict[str, frozenset[str]]  # competitor name -> the lines of ours it competes with
    mask_terms: tuple[str, ...]  # squashed domain words that hide industry words inside them

    @classmethod
    def from_corpus(cls, corpus: Corpus) -> Lexicon:
        products: dict[str, str] = {}
        priority: dict[str, int] = {}
        ambiguous: set[str] = set()

        def add(alias: str, pid: str, prio: int) -> None:
            # A lower priority wins (exact id 0, full abbreviation 1, core abbreviation 2);
            # two products claiming an alias at the same priority make it ambiguous.
            alias = squash(alias)
            if len(alias) < 2 or (alias.replace("|", "").isdigit() and len(alias) < 4):
                return
            have = priority.get(alias)
            if have is not None and have < prio:
                return
            if (have == prio and products.get(alias, pid) != pid) or (have == prio and alias in ambiguous):
                products.pop(alias, None)
                ambiguous.add(alias)
                return
            ambiguous.discard(alias)
            products[alias] = pid
            priority[alias] = prio

        generic = {squash(w) for words in LINE_WORDS.values() for w in words}
        for p in corpus.products:
            add(p.id, p.id, 0)
            add(p.name, p.id, 0)
            add(p.name_en, p.id, 0)
            for alias, prio in _product_aliases(p.id):
                add(alias, p.id, prio)
            for alias in _name_variants(p.name):
                if alias not in generic:
                    add(alias, p.id, 3)
            for alias in NAME_ALIASES.get(p.id, ()):
                add(alias, p.id, 1)

        lines: dict[str, str] = {}
        for line in corpus.product_lines:
            for alias in (line.name, line.name_en, f"{line.id}系列", f"{line.id}产品线", line.id):
                lines.setdefault(squash(alias), line.id)
            for alias in LINE_WORDS.get(line.id, ()):
                lines.setdefault(squash(alias), line.id)

        industries: dict[str, str] = {}
        for t in corpus.vocab.industries:
            for alias in (t.name, *t.synonyms, *EXTRA_INDUSTRY_SYNONYMS.get(t.name, ())):
                if squash(alias) not in NOT_INDUSTRY:
                    industries.setdefault(squash(alias), t.name)
        major: dict[str, str] = {squash(alias): t.name for t in corpus.vocab.regions for alias in (t.name, *t.synonyms)}
        regions = dict(major)
        for t in corpus.vocab.regions:
            for alias in (t.name, *t.synonyms):
                for city in PROVINCE_CITIES.get(alias, ()):
                    regions.setdefault(squash(city), t.name)
        competitors = {squash(s): t.name for t in corpus.vocab.competitors for s in (t.name, *t.synonyms)}
        for p in corpus.products:
            for c in p.competitors:
                competitors.setdefault(squash(c.competitor), c.competitor)
                competitors.setdefault(squash(c.competitor_model), c.competitor)

        param_names = frozenset(squash(param.name) for p in corpus.products for param in p.params)
        param_words = {squash(w): concept for concept, words in PARAM_SYNONYMS.items() for w in words}
        for name in param_names:
            param_words.setdefault(name, name)

        masks = {squash(p.name) for p in corpus.products}
        masks |= {squash(t) for t in corpus.vocab.terms}
        masks |= {
            "能源管理",
            "能耗管理",
            "电能表",
            "电子围栏",
            "电子邮件",
            "电子签名",
            "管道压力",
            "园区网",
            "车间",
            "仓位",
        }
        return cls(
            products=AliasTable.of(products),
            product_lines=AliasTable.of(lines),
            industries=AliasTable.of(industries),
            regions=AliasTable.of(regions),
            major_regions=AliasTable.of(major),
            competitors=AliasTable.of(competitors),
            personas=AliasTable.of({squash(w): k for k, ws in PERSONA_CUES.items() for w in ws}),
            stages=AliasTable.of({squash(w): k for k, ws in STAGE_CUES.items() for w in ws}),
            scales=AliasTable.of({squash(w): k for k, ws in SCALE_CUES.items() for w in ws}),
            param_words=AliasTable.of(param_words),
            param_names=param_names,
            product_line_of={p.id: p.line for p in corpus.products},
            competitor_lines=_competitor_lines(corpus),
            mask_terms=tuple(sorted((m for m in masks if len(m) >= 2), key=lambda m: (-len(m), m))),
        )


def _competitor_lines(corpus: Corpus) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for p in corpus.products:
        for c in p.competitors:
            out.setdefault(c.competitor, set()).add(p.line)
    return {name: frozenset(lines) for name, lines in out.items()}


def _product_aliases(pid: str) -> Iterable[tuple[str, int]]:
    """Abbreviations with a priority: "EG-2100-Pro" -> (2100pro, 1), (2100 pro, 1), (2100p, 1);
    "SN-VB500-Pro" -> (vb500pro, 1), (vb500, 2); "EG-3200-5G" -> (32005g, 1), (3200 5g, 1);
    "EG-2100" -> (2100, 1), which beats EG-2100-Pro's core (2100, 2)."""
    parts = [p for p in re.split(r"[-_]", pid.lower()) if p]
    if len(parts) < 2:
        return
    rest = parts[1:]
    yield "".join(rest), 1  # without the line prefix
    yield "-".join(rest), 1  # "3200-5g" squashes to "3200|5g"
    yield "".join(parts), 1
    if rest[-1] == "pro" and len(rest) >= 2:
        # "2100p", "vb500p": the Pro typed short (a letter after it still blocks the match: "2100pro")
        yield "".join(rest[:-1]) + "p", 1
        yield "".join(parts[:-1]) + "p", 1
    core = rest[0]
    if len(rest) >= 2 and re.search(r"\d", core):
        yield core, 2
        yield parts[0] + core, 2


def _name_variants(name: str) -> Iterable[str]:
    """Shorter ways to say a product name: "16 口网管型 PoE 交换机" -> "16口poe交换机";
    "云眸平台 企业版" -> "企业版"; "云眸平台 私有化部署版" -> "私有化部署";
    "电磁流量计" -> "流量计" (an instrument word names the product; "传感器" alone does not)."""
    tokens = normalize(name).split()
    if len(tokens) >= 3:
        for i in range(1, len(tokens) - 1):
            yield "".join(tokens[:i] + tokens[i + 1 :])
    if len(tokens) >= 2 and len(tokens[-1]) >= 3:
        yield tokens[-1]
        if tokens[-1].endswith("版") and len(tokens[-1]) >= 4:
            yield tokens[-1][:-1]
    sq = squash(name)
    if len(sq) >= 4 and sq[-1] in "计表仪" and all("\u4e00" <= ch <= "\u9fff" for ch in sq[-3:]):
        yield sq[-3:]


def find_all(
    squashed: str,
    table: AliasTable,
    *,
    ascii_boundary: bool = True,
    breaks: frozenset[int] = frozenset(),
) -> list[tuple[str, int, int]]:
    """Non-overlapping matches of the table's aliases in ``squashed`` (longest alias wins, and
    of two as long the one read first: "芜湖南陵" is 芜湖, not 湖南), as (canonical value, start,
    end) in text order.  An alias that starts or ends with a letter or digit must not be glued
    to another letter or digit ("it" in "edit"), unless the user typed a space or separator
    there (``breaks``: squashed indices after one)."""
    occurrences: list[tuple[str, int, int]] = []
    for alias, value in table.candidates(squashed):
        start = squashed.find(alias)
        while start >= 0:
            end = start + len(alias)
            if not ascii_boundary or _boundary_ok(squashed, alias, start, end, breaks):
                occurrences.append((value, start, end))
            start = squashed.find(alias, start + 1)
    occurrences.sort(key=lambda o: (o[1] - o[2], o[1]))  # stable: the table's order breaks ties
    taken = [False] * len(squashed)
    found: list[tuple[str, int, int]] = []
    for value, start, end in occurrences:
        if not any(taken[start:end]):
            found.append((value, start, end))
            for i in range(start, end):
                taken[i] = True
    found.sort(key=lambda f: f[1])
    return found


def _boundary_ok(text: str, alias: str, start: int, end: int, breaks: frozenset[int]) -> bool:
    # A letter may touch a digit ("5g" + "网关" is fine, "2100" after "eg" is fine) but not its own kind.
    if (
        _ALNUM.match(alias[0])
        and start > 0
        and _ALNUM.match(text[start - 1])
        and alias[0].isdigit() == text[start - 1].isdigit()
        and start not in breaks
    ):
        return False
    if _ALNUM.match(alias[-1]) and end < len(text) and _ALNUM.match(text[end]) and end not in breaks:
        return alias[-1].isdigit() != text[end].isdigit() and not text[end].isdigit()
    return True
