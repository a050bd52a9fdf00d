"""Pydantic models for the knowledge corpus under ``corpus/``.

Each YAML file under a kind's folder holds a list of entries of that kind
(``corpus/products/*.yaml`` holds ``Product`` entries, and so on).  The loader
in :mod:`assistant.content.loader` validates every file against these models and
then checks cross-references (a case citing a product that does not exist, a
script slot that is not a profile field).

The vocabulary constants here (personas, stages, scales, FAQ categories, lesson
modes, profile fields) are the contract shared by the corpus, the dialogue
engine's slot extraction and the labelled evaluation set.
"""

from __future__ import annotations

import re
import string
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Persona(StrEnum):
    """Who the salesperson is talking to."""

    TECH_DECISION_MAKER = "tech_decision_maker"
    ROI_MANAGER = "roi_manager"
    PROCUREMENT = "procurement"
    OPERATOR = "operator"
    IT_SECURITY = "it_security"


class Stage(StrEnum):
    OPENING = "opening"
    DISCOVERY = "discovery"
    OBJECTION = "objection"
    CLOSING = "closing"


class Scale(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class FaqCategory(StrEnum):
    INSTALLATION = "installation"
    CONFIGURATION = "configuration"
    COMPATIBILITY = "compatibility"
    FIRMWARE = "firmware"
    WARRANTY = "warranty"
    ORDERING = "ordering"
    PRICING = "pricing"
    REBATE = "rebate"
    TRAINING = "training"
    REMOTE_ASSIST = "remote_assist"


class LessonMode(StrEnum):
    """The 70/20/10 learning model: practice, mentoring, theory."""

    PRACTICE = "practice"
    MENTORING = "mentoring"
    THEORY = "theory"


# Customer-profile fields a script template may use as a slot. The dialogue
# engine fills them from what the user said; ROI outputs are computed.
PROFILE_FIELDS: frozenset[str] = frozenset(
    {
        "customer_name",
        "industry",
        "scale",
        "persona",
        "region",
        "product_line",
        "product_model",
        "quarter",
        "order_amount",  # yuan
        "device_count",
        "downtime_hours_per_month",
        "downtime_cost_per_hour",  # yuan
        "labour_cost_per_month",  # yuan
    }
)
ROI_OUTPUT_FIELDS: frozenset[str] = frozenset({"annual_saving", "payback_months"})
SCRIPT_SLOT_FIELDS: frozenset[str] = PROFILE_FIELDS | ROI_OUTPUT_FIELDS

_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?$")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductLine(_Entry):
    id: Id
    name: Text
    name_en: Text
    description: Text


class Param(_Entry):
    """One row of a parameter table.  Numeric values must carry a unit."""

    name: Text
    value: str | int | float
    unit: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _numeric_needs_unit(self) -> Param:
        is_number = isinstance(self.value, int | float) or bool(_NUMERIC.match(str(self.value).strip()))
        if is_number and not self.unit.strip():
            raise ValueError(f"parameter {self.name!r} has numeric value {self.value!r} without a unit")
        return self

    def display(self) -> str:
        return f"{self.value}{(' ' + self.unit) if self.unit else ''}".strip()


class Competitor(_Entry):
    competitor: Text  # fictional company name
    competitor_model: Text
    our_advantages: list[Text] = Field(min_length=1)
    their_advantages: list[Text] = Field(default_factory=list)
    price_note: str = ""


class Fault(_Entry):
    symptom: Text
    cause: Text
    fix: Text


class Price(_Entry):
    list_price: int = Field(gt=0)  # yuan, tax included
    band: Literal["entry", "mid", "high", "project"]
    unit: Text = "台"


class Product(_Entry):
    id: Id  # the model number, e.g. "EG-2100-Pro"
    name: Text
    name_en: Text
    line: Id  # a ProductLine id
    summary: Text
    price: Price
    firmware: str = ""  # current release, e.g. "v3.2.1"; empty for accessories
    warranty_months: int = Field(ge=0)
    params: list[Param] = Field(min_length=3)
    scenarios: list[Text] = Field(min_length=1)
    competitors: list[Competitor] = Field(min_length=2)
    faults: list[Fault] = Field(min_length=1)
    accessories: list[Id] = Field(default_factory=list)  # Product ids
    tags: list[Text] = Field(default_factory=list)


class RoiModel(_Entry):
    """Assumptions a manager-facing script uses to compute ROI.

    annual_saving = downtime_hours_per_month * 12 * downtime_cost_per_hour * downtime_reduction
                    + labour_cost_per_month * 12 * labour_saving_rate
    payback_months = order_amount / (annual_saving / 12)
    """

    downtime_reduction: float = Field(gt=0, le=1)
    labour_saving_rate: float = Field(ge=0, le=1)
    source: Text  # where the assumption comes from (a case id or a study)


class SalesScript(_Entry):
    id: Id
    title: Text
    persona: Persona
    stage: Stage
    product_line: Id
    template: Text  # str.format-style named slots, e.g. "{customer_name}的{industry}产线..."
    tips: list[Text] = Field(default_factory=list)
    roi: RoiModel | None = None

    @property
    def slots(self) -> list[str]:
        return template_slots(self.template)

    @field_validator("template")
    @classmethod
    def _template_parses(cls, value: str) -> str:
        template_slots(value)  # raises ValueError on a malformed template
        return value

    @model_validator(mode="after")
    def _slots_are_profile_fields(self) -> SalesScript:
        unknown = [s for s in self.slots if s not in SCRIPT_SLOT_FIELDS]
        if unknown:
            raise ValueError(f"template slot(s) {unknown} are not profile fields")
        uses_roi = any(s in ROI_OUTPUT_FIELDS for s in self.slots)
        if uses_roi and self.roi is None:
            raise ValueError("template uses ROI slots but the script has no 'roi' block")
        return self


def template_slots(template: str) -> list[str]:
    """Named slots of a ``str.format`` template, in order of first use."""
    seen: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed template: {exc}") from exc
    for _, field_name, _, _ in parsed:
        if field_name is None:
            continue
        if not field_name.isidentifier():
            raise ValueError(f"slot {{{field_name}}} must be a plain name")
        if field_name not in seen:
            seen.append(field_name)
    return seen


class Result(_Entry):
    metric: Text
    value: float | int
    unit: Text
    note: str = ""


class CaseStudy(_Entry):
    id: Id
    title: Text
    customer: Text  # fictional customer name
    industry: Text  # canonical industry name from corpus/vocab.yaml
    scale: Scale
    region: Text  # canonical region name from corpus/vocab.yaml
    city: str = ""
    pain_points: list[Text] = Field(min_length=1)
    solution: Text
    products: list[Id] = Field(min_length=1)  # Product ids
    results: list[Result] = Field(min_length=1)
    year: int = Field(ge=2015, le=2030)


class FaqEntry(_Entry):
    id: Id
    category: FaqCategory
    question: Text
    answer: Text
    variants: list[Text] = Field(default_factory=list)
    products: list[Id] = Field(default_factory=list)  # Product ids it concerns
    product_line: str = ""


class TrainingLesson(_Entry):
    id: Id
    title: Text
    mode: LessonMode
    duration_minutes: int = Field(ge=8, le=12)
    product_line: str = ""
    objectives: list[Text] = Field(min_length=1)
    content: Text
    exercises: list[Text] = Field(default_factory=list)


class VocabTerm(_Entry):
    """A canonical term and the ways people write it."""

    name: Text
    synonyms: list[Text] = Field(default_factory=list)


class Vocabulary(_Entry):
    """Dictionaries for tokenisation and slot extraction (corpus/vocab.yaml)."""

    company: str = ""
    industries: list[VocabTerm]
    regions: list[VocabTerm]  # regions such as 华东 and their provinces/cities as synonyms
    competitors: list[VocabTerm] = Field(default_factory=list)
    # Question cues: a synonym also emits its canonical word at search time, so
    # "续航多久" reaches the parameter tables ("参数") and "有落地的吗" the cases ("案例").
    cues: list[VocabTerm] = Field(default_factory=list)
    terms: list[Text] = Field(default_factory=list)  # extra domain words for the tokenizer
