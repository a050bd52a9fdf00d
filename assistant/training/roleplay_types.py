"""Domain values of the role-play practice: the scenario the assistant plays, and the scores.

Plain frozen dataclasses, no behaviour beyond small lookups: the chat and web faces turn
them into their own payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.content.schema import Persona, Scale
from assistant.training.roleplay_data import Dimension, ObjectionKind, Verdict
from assistant.training.roleplay_errors import NoSuchTurnError

SourceKind = Literal["script", "params", "competitors", "faq", "overview"]
TurnKind = Literal["question", "price", "competitor", "delivery", "integration"]
IssueKind = Literal["wrong_value", "invented_model", "below_floor", "contradicts", "disparaging"]
Flag = Literal["empty", "abusive", "offtopic", "too_long", "cut", "conceding"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a key point comes from: a script, a parameter row, a competitor block, an FAQ."""

    kind: SourceKind
    ref: str  # "S-EG-002", "EG-3200#params", "EG-3200#competitors", "FAQ-ORD-001"
    row: str = ""  # a parameter row's name, or the competitor a block is about
    value: str = ""  # the row's value as the table writes it

    @property
    def citation(self) -> str:
        if self.kind in ("params", "overview") and self.row:
            return f"{self.ref} {self.row}={self.value}"
        if self.kind == "competitors" and self.row:
            return f"{self.ref}（{self.row}）"
        return self.ref


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One thing a good answer says, in the source's own words."""

    id: str  # "t2.p1": turn 2, point 1
    label: str
    ideal: str
    sources: tuple[Source, ...]
    row: str = ""  # the parameter row the customer asked for, "" when the point is no row

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(s.citation for s in self.sources)


@dataclass(frozen=True, slots=True)
class CustomerTurn:
    index: int  # 1-based
    kind: TurnKind
    objection: ObjectionKind | None  # None for a plain question
    text: str  # what the customer says
    points: tuple[KeyPoint, ...]
    ideal: str  # a model answer: the opening of the objection kind and every point's wording
    competitor: str = ""


@dataclass(frozen=True, slots=True)
class Customer:
    company: str
    industry: str
    scale: Scale
    region: str
    city: str
    persona: Persona
    title: str
    pain_points: tuple[str, ...]
    case_id: str


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str  # stable for the same request and seed
    seed: int
    product_id: str
    line: str
    customer: Customer
    intro: str  # how the customer introduces himself
    turns: tuple[CustomerTurn, ...]

    def turn(self, index: int) -> CustomerTurn:
        for t in self.turns:
            if t.index == index:
                return t
        raise NoSuchTurnError(f"scenario {self.id} has no turn {index}")


@dataclass(frozen=True, slots=True)
class ScenarioRequest:
    """What the salesperson asked to practise.  Only the product is required; the rest is
    picked from the corpus with ``seed``.  ``competitor`` is a name or model ("博远", "BY-G600")."""

    product_id: str
    industry: str | None = None
    persona: str | None = None
    scale: str | None = None
    competitor: str | None = None
    turns: int | None = None  # 4..8; picked with the seed when None
    seed: int = 0


# -- scores -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointResult:
    point: KeyPoint
    share: float  # weighted share of the point's features found in the answer
    credit: float  # 1 covered, 0.5 half, 0 missed
    matched: tuple[str, ...]  # the words and figures of the point the answer has


@dataclass(frozen=True, slots=True)
class ValueCheck:
    """A figure the answer gives for a parameter row, against the table."""

    row: str
    said: str  # as typed
    expected: str  # the row's value as the table writes it
    correct: bool
    source: str  # citation of the row


@dataclass(frozen=True, slots=True)
class Issue:
    kind: IssueKind
    said: str  # as typed
    detail: str  # the row, model or rule concerned
    source: str  # citation ("" for an invented model: no source has it)


@dataclass(frozen=True, slots=True)
class DimensionScore:
    key: Dimension
    label: str
    score: float | None  # None: does not apply to this turn
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TurnScore:
    turn_index: int
    overall: float
    verdict: Verdict
    dimensions: tuple[DimensionScore, ...]
    points: tuple[PointResult, ...]
    values: tuple[ValueCheck, ...]
    issues: tuple[Issue, ...]
    flags: tuple[Flag, ...]
    feedback: tuple[str, ...]  # zh-CN, for the salesperson

    def dimension(self, key: Dimension) -> DimensionScore:
        return next(d for d in self.dimensions if d.key == key)


@dataclass(frozen=True, slots=True)
class MissedPoint:
    turn_index: int
    label: str
    ideal: str
    citations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LessonPick:
    lesson_id: str
    title: str
    minutes: int
    reason: str


@dataclass(frozen=True, slots=True)
class SessionSummary:
    scenario_id: str
    turns_scored: int
    overall: float
    verdict: Verdict
    dimensions: tuple[DimensionScore, ...]  # mean over the turns each applies to
    weakest: Dimension
    missed: tuple[MissedPoint, ...]
    issues: tuple[Issue, ...]
    lesson: LessonPick
    text: tuple[str, ...]  # zh-CN lines: the result, the missed points, the lesson
