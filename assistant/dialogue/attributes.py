"""Which product attribute a question asks for, in the words staff type.

The lexicon is data (``corpus/attributes.yaml``, validated here): each attribute has the
everyday words that name it ("供电", "几伏", "多重"), the fragments of parameter-row names
it means ("工作电压", "供电电压"), or a product field that is not a row (price,
warranty, firmware), and value words ("modbus", "ip67") whose presence in a row makes a
"does it have X" question a capability question about that row.

Matching runs on squashed text (:func:`assistant.dialogue.lexicon.squash`); mentions are
found longest first and never overlap, so "供电范围" is the voltage, not a range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.content.loader import load_yaml
from assistant.dialogue.errors import DialogueError
from assistant.dialogue.lexicon import squash

Field_ = Literal["price", "warranty", "firmware"]


class AttributeLexiconError(DialogueError):
    code = "invalid_attribute_lexicon"


class _AttributeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=40)
    rows: list[str] = Field(default_factory=list)
    field: Field_ | None = None
    words: list[str] = Field(min_length=1)
    values: list[str] = Field(default_factory=list)

    @field_validator("rows")
    @classmethod
    def _rows_or_field(cls, rows: list[str]) -> list[str]:
        return [r for r in rows if r.strip()]


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attributes: list[_AttributeEntry] = Field(min_length=1)
    generic_row_words: list[str] = Field(default_factory=list)
    question_words: list[str] = Field(default_factory=list)
    question_cues: list[str] = Field(default_factory=list)
    howto_cues: list[str] = Field(default_factory=list)
    fault_cues: list[str] = Field(default_factory=list)
    not_fault_words: list[str] = Field(default_factory=list)
    negative_cues: list[str] = Field(default_factory=list)
    roles: list[tuple[str, str]] = Field(default_factory=list)
    implied_by: dict[str, list[str]] = Field(default_factory=dict)
    not_product_kinds: list[str] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    label: str
    rows: tuple[str, ...]  # squashed row-name fragments, most specific first
    field: Field_ | None
    words: tuple[str, ...]  # squashed
    values: tuple[str, ...]  # squashed value words


@dataclass(frozen=True, slots=True)
class Mention:
    """An attribute named in a text: by one of its words, or by a value word."""

    attribute: Attribute
    start: int  # in the squashed text
    end: int
    word: str
    by_value: bool
    # Other attributes the same word names ("能用多久": a battery's life, or a sensor's):
    # the product's table decides which one it has.
    alternatives: tuple[Attribute, ...] = ()

    @property
    def candidates(self) -> tuple[Attribute, ...]:
        return (self.attribute, *self.alternatives)


@dataclass(frozen=True, slots=True)
class AttributeLexicon:
    attributes: tuple[Attribute, ...]
    generic_row_words: frozenset[str]
    question_words: frozenset[str]
    question_cues: tuple[str, ...]
    howto_cues: tuple[str, ...]
    fault_cues: tuple[str, ...]
    not_fault_words: tuple[str, ...]  # features that contain a fault cue ("离线语音")
    negative_cues: tuple[str, ...]  # a passage that says "no" to a yes/no question
    roles: tuple[tuple[str, str], ...]
    # a capability term -> the longer terms a row may list it by ("lora" -> "lorawan")
    implied_by: dict[str, tuple[str, ...]]
    not_product_kinds: frozenset[str]  # last words of product names that name no product alone
    # (word, attribute, is a value word, the value as tables write it), longest first
    _words: tuple[tuple[str, Attribute, bool, str], ...]
    _also: dict[str, tuple[Attribute, ...]]  # word -> the other attributes that list it

    @classmethod
    def load(cls, path: Path) -> AttributeLexicon:
        try:
            raw = load_yaml(path.read_text(encoding="utf-8"))
            data = _LexiconFile.model_validate(raw)
        except (OSError, yaml.YAMLError) as exc:
            raise AttributeLexiconError(f"{path}: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise AttributeLexiconError(f"{path}: {problems}") from exc
        keys = [a.key for a in data.attributes]
        if len(keys) != len(set(keys)):
            raise AttributeLexiconError(f"{path}: attributes: duplicate key")
        for a in data.attributes:
            if not a.rows and a.field is None:
                raise AttributeLexiconError(f"{path}: attributes.{a.key}: needs rows or a field")
        return cls.of(
            [
                Attribute(
                    key=a.key,
                    label=a.label,
                    rows=tuple(squash(r) for r in a.rows),
                    field=a.field,
                    words=tuple(squash(w) for w in a.words),
                    values=tuple("|".join(squash(x) for x in v.split("|")) for v in a.values),
                )
                for a in data.attributes
            ],
            generic_row_words=data.generic_row_words,
            question_words=data.question_words,
            question_cues=data.question_cues,
            howto_cues=data.howto_cues,
            fault_cues=data.fault_cues,
            not_fault_words=data.not_fault_words,
            negative_cues=data.negative_cues,
            roles=data.roles,
            implied_by=data.implied_by,
            not_product_kinds=data.not_product_kinds,
        )

    @classmethod
    def of(
        cls,
        attributes: Sequence[Attribute],
        *,
        generic_row_words: Iterable[str] = (),
        question_words: Iterable[str] = (),
        question_cues: Iterable[str] = (),
        howto_cues: Iterable[str] = (),
        fault_cues: Iterable[str] = (),
        not_fault_words: Iterable[str] = (),
        negative_cues: Iterable[str] = (),
        roles: Iterable[tuple[str, str]] = (),
        implied_by: Mapping[str, Iterable[str]] | None = None,
        not_product_kinds: Iterable[str] = (),
    ) -> AttributeLexicon:
        words: dict[str, tuple[Attribute, bool, str]] = {}
        shared: dict[str, list[Attribute]] = {}
        for a in attributes:
            for w in a.words:
                words.setdefault(w, (a, False, w))
                shared.setdefault(w, []).append(a)
            for v in a.values:
                # "h2s|硫化氢": the table's spelling first, then what people also type.
                written, *typed = v.split("|")
                for alias in (written, *typed):
                    words.setdefault(alias, (a, True, written))
        ordered = tuple(sorted(((w, a, v, t) for w, (a, v, t) in words.items() if w), key=lambda x: (-len(x[0]), x[0])))
        also = {w: tuple(attrs[1:]) for w, attrs in shared.items() if len(attrs) > 1}
        return cls(
            attributes=tuple(attributes),
            generic_row_words=frozenset(squash(w) for w in generic_row_words),
            question_words=frozenset(squash(w) for w in question_words),
            question_cues=tuple(squash(w) or w for w in question_cues),
            howto_cues=tuple(squash(w) for w in howto_cues),
            fault_cues=tuple(squash(w) for w in fault_cues),
            not_fault_words=tuple(squash(w) for w in not_fault_words),
            negative_cues=tuple(squash(w) for w in negative_cues),
            roles=tuple((squash(a), squash(b)) for a, b in roles),
            implied_by={squash(k): tuple(squash(w) for w in v) for k, v in (implied_by or {}).items()},
            not_product_kinds=frozenset(squash(w) for w in not_product_kinds),
            _words=ordered,
            _also=also,
        )

    def names_fault(self, squashed: str) -> bool:
        """``squashed`` describes a fault on site ("老是掉线"), not a feature that only
        contains a fault word ("离线语音")."""
        for word in self.not_fault_words:
            squashed = squashed.replace(word, "")
        return any(c in squashed for c in self.fault_cues)

    def opposite_role(self, word: str) -> str | None:
        for a, b in self.roles:
            if word == a:
                return b
            if word == b:
                return a
        return None

    def extended(self, extra: Sequence[Attribute]) -> AttributeLexicon:
        """This lexicon with more attributes (the catalog adds every row name it has)."""
        return AttributeLexicon.of(
            [*self.attributes, *extra],
            generic_row_words=self.generic_row_words,
            question_words=self.question_words,
            question_cues=self.question_cues,
            howto_cues=self.howto_cues,
            fault_cues=self.fault_cues,
            not_fault_words=self.not_fault_words,
            negative_cues=self.negative_cues,
            roles=self.roles,
            implied_by=self.implied_by,
            not_product_kinds=self.not_product_kinds,
        )

    def by_key(self, key: str) -> Attribute | None:
        return next((a for a in self.attributes if a.key == key), None)

    def named(self, squashed: str) -> list[Mention]:
        """The attributes ``squashed`` names by a word of their own ("环境温度", "功耗"), not by one
        of their values ("modbus"): the rows it asks about."""
        return [m for m in self.mentions(squashed) if not m.by_value]

    def mentions(self, squashed: str) -> list[Mention]:
        """Attribute words in ``squashed``, longest first, never overlapping, in text order."""
        taken = [False] * len(squashed)
        found: list[Mention] = []
        for word, attribute, by_value, written in self._words:
            start = squashed.find(word)
            while start >= 0:
                end = start + len(word)
                if not any(taken[start:end]) and _word_boundary(squashed, start, end):
                    others = () if by_value else self._also.get(word, ())
                    found.append(Mention(attribute, start, end, written, by_value, others))
                    for i in range(start, end):
                        taken[i] = True
                start = squashed.find(word, start + 1)
        found.sort(key=lambda m: m.start)
        # A question word right after an attribute qualifies it ("供电电压范围"), it asks nothing more.
        # ... and a second word for the attribute just named ("供电多少伏") adds nothing; a value
        # of it does ("告警能发短信吗": is 短信 one of the 告警通道).
        out: list[Mention] = []
        for m in found:
            # (a figure is not such a value: "供电24v能用吗" is the row's range against 24 V)
            value = m.by_value and not any(c.isdigit() for c in m.word)
            if out and (
                (m.attribute == out[-1].attribute and not value)
                or (m.word in self.question_words and out[-1].end == m.start)
            ):
                continue
            out.append(m)
        return out


DEFAULT_LEXICON = Path(__file__).resolve().parents[2] / "corpus" / "attributes.yaml"


def load_attribute_lexicon(corpus_root: Path) -> AttributeLexicon:
    """The corpus's ``attributes.yaml``; a corpus without one (a test fixture) uses the
    shipped lexicon, which names attributes, not products."""
    path = corpus_root / "attributes.yaml"
    return AttributeLexicon.load(path if path.exists() else DEFAULT_LEXICON)


def _word_boundary(text: str, start: int, end: int) -> bool:
    """A Latin or digit word is not part of a longer one ("io" is not in "radio", "4g" not in "14g")."""
    word = text[start:end]
    if (
        word[0].isascii()
        and word[0].isalnum()
        and start > 0
        and text[start - 1].isascii()
        and text[start - 1].isalnum()
    ):
        return False
    return not (
        word[-1].isascii() and word[-1].isalnum() and end < len(text) and text[end].isascii() and text[end].isalpha()
    )
