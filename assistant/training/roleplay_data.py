"""The role-play data file (``corpus/training/roleplay.yaml``), validated.

Every word the role-play uses lives in that file: dimension names and weights, the rubric's
thresholds, the customer's lines, objection kinds with the words that show an answer deals
with each, synonyms, unit words, abusive words and the zh-CN feedback.  This module only
checks its shape (and that the slots and references it names exist) and hands out a frozen
:class:`RoleplayData`; a problem is a :class:`RoleplayDataError` naming the file and field.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.content.loader import load_yaml
from assistant.content.schema import LessonMode, Persona, Scale
from assistant.training.roleplay_errors import RoleplayDataError

DEFAULT_DATA_PATH = Path(__file__).resolve().parents[2] / "corpus" / "training" / "roleplay.yaml"

Dimension = Literal["coverage", "values", "objection", "accuracy"]
ObjectionKind = Literal["price", "competitor", "delivery", "integration"]
Verdict = Literal["pass", "partial", "fail"]
DIMENSIONS: tuple[Dimension, ...] = ("coverage", "values", "objection", "accuracy")
OBJECTION_KINDS: tuple[ObjectionKind, ...] = ("price", "competitor", "delivery", "integration")

Words = list[str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DimensionSpec(_Model):
    key: Dimension
    label: str = Field(min_length=1)
    weight: float = Field(gt=0, le=1)


class Thresholds(_Model):
    point_covered: float = Field(gt=0, le=1)
    point_half: float = Field(gt=0, le=1)
    point_features: int = Field(ge=3, le=100)
    pass_: float = Field(alias="pass", gt=0, le=1)
    partial: float = Field(gt=0, le=1)
    issue_partial: float = Field(gt=0, le=1)
    objection_groups: int = Field(ge=1, le=5)
    issue_penalty: float = Field(gt=0, le=1)
    value_window: int = Field(ge=2, le=60)
    long_answer_chars: int = Field(ge=50)
    min_answer_chars: int = Field(ge=1)
    echo_weight: float = Field(ge=0, le=1)
    min_pair_idf: float = Field(ge=0)
    figure_weight: float = Field(gt=0)
    latin_weight: float = Field(gt=0)
    offtopic_share: float = Field(ge=0, le=1)
    faq_points: int = Field(ge=1, le=5)
    sentence_figure_weight: float = Field(gt=0)
    sentence_latin_weight: float = Field(gt=0)
    script_points: int = Field(ge=0, le=5)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.point_half > self.point_covered:
            raise ValueError("point_half must not exceed point_covered")
        if self.partial > self.pass_:
            raise ValueError("partial must not exceed pass")
        return self


class PersonaSpec(_Model):
    label: str = Field(min_length=1)
    titles: Words = Field(min_length=1)


class ObjectionSpec(_Model):
    ideal_opening: str = Field(min_length=1)
    signals: dict[str, Words] = Field(min_length=1)
    script_words: Words = Field(default_factory=list)
    faq: list[str] = Field(default_factory=list)
    faq_default: str = ""
    faq_words: Words = Field(default_factory=list)
    row_words: Words = Field(default_factory=list)


class TurnTemplates(_Model):
    question: Words = Field(min_length=1)
    question_more: Words = Field(min_length=1)
    competitor: Words = Field(min_length=1)
    price_rival: Words = Field(min_length=1)
    price: Words = Field(min_length=1)
    delivery: Words = Field(min_length=1)
    integration: Words = Field(min_length=1)


class UnitConversion(_Model):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    factor: float = Field(gt=0)


class PriceFloor(_Model):
    ratio: float = Field(gt=0, lt=1)
    source: str = Field(min_length=1)
    context_words: Words = Field(min_length=1)
    min_quote_ratio: float = Field(gt=0, lt=1)
    percent_words: Words = Field(min_length=1)


class Feedback(_Model):
    empty: str
    abusive: str
    offtopic: str
    too_long: str
    cut: str
    point_missed: str
    value_wrong: str
    value_missing: str
    invented: str
    below_floor: str
    contradicts: str
    disparaging: str
    conceding: str
    objection_weak: dict[ObjectionKind, str]
    good: str
    verdicts: dict[Verdict, str]
    summary: str
    summary_missed: str
    lesson: str
    lesson_reason: str
    lesson_reason_general: str

    @field_validator("objection_weak")
    @classmethod
    def _every_kind(cls, value: dict[ObjectionKind, str]) -> dict[ObjectionKind, str]:
        missing = [k for k in OBJECTION_KINDS if k not in value]
        if missing:
            raise ValueError(f"missing objection kinds {missing}")
        return value


class EvidenceTexts(_Model):
    point_covered: str
    point_half: str
    point_missed: str
    value_ok: str
    value_wrong: str
    value_missing: str
    signal: str
    signal_points: str
    no_signal: str
    no_issue: str
    issue: str
    not_applicable: str
    signal_names: dict[str, str]


class LessonPreference(_Model):
    modes: list[LessonMode] = Field(min_length=1)
    words: Words = Field(min_length=1)


class RoleplayData(_Model):
    """The validated content of ``roleplay.yaml``."""

    dimensions: list[DimensionSpec] = Field(min_length=4, max_length=4)
    thresholds: Thresholds
    personas: dict[Persona, PersonaSpec]
    scales: dict[Scale, str]
    slot_defaults: dict[str, str]
    intro: str = Field(min_length=1)
    turns: TurnTemplates
    objections: dict[ObjectionKind, ObjectionSpec]
    synonyms: dict[str, Words]
    units: dict[str, Words] = Field(min_length=1)
    count_units: Words = Field(default_factory=list)
    lone_digit_units: Words = Field(default_factory=list)
    compatible_units: list[Words] = Field(default_factory=list)
    unit_conversions: list[UnitConversion] = Field(default_factory=list)
    not_numbers: Words = Field(default_factory=list)
    not_models: Words = Field(default_factory=list)
    invented_suffixes: Words = Field(default_factory=list)
    rival_words: Words = Field(min_length=1)
    abusive: Words = Field(min_length=1)
    disparaging: Words = Field(default_factory=list)
    conceding: Words = Field(default_factory=list)
    price_floor: PriceFloor
    weak_signals: Words = Field(default_factory=list)
    negations: Words = Field(min_length=1)
    not_negations: Words = Field(default_factory=list)
    own_words: Words = Field(default_factory=list)
    feedback: Feedback
    evidence: EvidenceTexts
    lessons: dict[Dimension, LessonPreference]

    @model_validator(mode="after")
    def _complete(self) -> RoleplayData:
        keys = [d.key for d in self.dimensions]
        if sorted(keys) != sorted(DIMENSIONS):
            raise ValueError(f"dimensions must be {list(DIMENSIONS)} once each, got {keys}")
        for name, table in (("personas", self.personas), ("scales", self.scales)):
            wanted = Persona if name == "personas" else Scale
            missing = [v.value for v in wanted if v not in table]
            if missing:
                raise ValueError(f"{name}: missing {missing}")
        for name, kinds in (("objections", self.objections), ("lessons", self.lessons)):
            wanted_keys = OBJECTION_KINDS if name == "objections" else DIMENSIONS
            missing = [k for k in wanted_keys if k not in kinds]
            if missing:
                raise ValueError(f"{name}: missing {missing}")
        lists: list[list[str]] = [
            self.rival_words,
            self.abusive,
            self.disparaging,
            self.conceding,
            self.not_numbers,
            self.not_models,
            self.invented_suffixes,
            self.count_units,
            self.price_floor.context_words,
            self.price_floor.percent_words,
            self.weak_signals,
            self.negations,
            self.not_negations,
            self.own_words,
            *self.synonyms.values(),
            *self.units.values(),
            *(ws for spec in self.objections.values() for ws in spec.signals.values()),
        ]
        if any(not w.strip() for words in lists for w in words):
            raise ValueError("an empty word")
        for template in (self.intro, *(t for ts in self.turns.model_dump().values() for t in ts)):
            _check_template(template)
        return self

    def dimension(self, key: Dimension) -> DimensionSpec:
        return next(d for d in self.dimensions if d.key == key)


def _check_template(template: str) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ValueError(f"malformed template {template!r}: {exc}") from exc
    bad = [f for f in fields if not f.isidentifier()]
    if bad:
        raise ValueError(f"template {template!r}: slots must be plain names, got {bad}")


def load_roleplay_data(path: Path = DEFAULT_DATA_PATH) -> RoleplayData:
    """The role-play data of ``path``; :class:`RoleplayDataError` names the file and the problem."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
        return RoleplayData.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise RoleplayDataError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RoleplayDataError(f"{path}: {problems}") from exc
