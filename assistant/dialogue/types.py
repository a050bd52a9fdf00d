"""Typed values that cross the dialogue engine's boundary.

The engine takes the user's text, the customer profile so far and the caller's
identity, and returns a :class:`Reply`.  The API layer turns a Reply into the
``reply`` WebSocket event (see ``assistant/api/events.py``) and persists it; it
never reaches inside the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any, Literal

from assistant.dialogue.state import DialogueState

Intent = Literal[
    "knowledge_qa",
    "product_params",
    "script_request",
    "case_request",
    "rebate_query",
    "handoff_request",
    "profile_update",
    "greeting",
    "out_of_scope",
]
INTENTS: tuple[Intent, ...] = (
    "knowledge_qa",
    "product_params",
    "script_request",
    "case_request",
    "rebate_query",
    "handoff_request",
    "profile_update",
    "greeting",
    "out_of_scope",
)


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What the assistant understood about the salesperson's customer.

    Field names match ``assistant.content.schema.PROFILE_FIELDS`` so script slots
    fill straight from it.  ``None`` means not stated yet.
    """

    customer_name: str | None = None
    industry: str | None = None  # canonical name from corpus/vocab.yaml
    scale: str | None = None  # small | medium | large
    persona: str | None = None  # a Persona value
    region: str | None = None  # canonical region name
    product_line: str | None = None  # line id
    product_model: str | None = None  # product id
    quarter: str | None = None  # "2026Q3"
    order_amount: Decimal | None = None  # yuan
    device_count: int | None = None
    downtime_hours_per_month: Decimal | None = None
    downtime_cost_per_hour: Decimal | None = None  # yuan
    labour_cost_per_month: Decimal | None = None  # yuan

    def merged(self, patch: ProfilePatch) -> CustomerProfile:
        """A new profile with the patch's non-None values written over (corrections win)."""
        changes: dict[str, Any] = {k: v for k, v in patch.items() if v is not None}
        return replace(self, **changes)

    def as_dict(self) -> dict[str, str | int | Decimal | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def known(self) -> dict[str, str | int | Decimal]:
        return {k: v for k, v in self.as_dict().items() if v is not None}


ProfilePatch = dict[str, "str | int | Decimal | None"]
PROFILE_KEYS: tuple[str, ...] = tuple(f.name for f in fields(CustomerProfile))


@dataclass(frozen=True, slots=True)
class Slots:
    """What the NLU read from one utterance.  ``amount`` is any money figure
    (an order size, or the "再卖 30 万" of a rebate what-if) in yuan."""

    values: dict[str, str | int | Decimal] = field(default_factory=dict)

    def get(self, key: str) -> str | int | Decimal | None:
        return self.values.get(key)


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: Intent
    confidence: float  # 0..1
    slots: Slots


@dataclass(frozen=True, slots=True)
class Citation:
    doc_id: str  # chunk id, e.g. "EG-2100#params" or "FAQ-WAR-003"
    title: str
    snippet: str
    kind: str  # product | script | case | faq | lesson


@dataclass(frozen=True, slots=True)
class ParamRow:
    name: str
    value: str
    unit: str


@dataclass(frozen=True, slots=True)
class ParamTableCard:
    product_id: str
    product_name: str
    rows: tuple[ParamRow, ...]
    highlight: tuple[str, ...] = ()  # names of the rows the question asked about
    citation: str = ""  # chunk id
    type: Literal["params"] = "params"


@dataclass(frozen=True, slots=True)
class RoiFigures:
    annual_saving: Decimal
    payback_months: Decimal
    inputs: dict[str, Decimal]
    assumptions: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class ScriptCard:
    script_id: str
    title: str
    persona: str
    stage: str
    product_line: str
    text: str  # the template with every known slot filled
    missing_slots: tuple[str, ...]  # slots still shown as placeholders; the reply asks for them
    why: tuple[str, ...]  # why this script matches the profile
    roi: RoiFigures | None = None
    type: Literal["script"] = "script"


@dataclass(frozen=True, slots=True)
class CaseCard:
    case_id: str
    title: str
    customer: str
    industry: str
    scale: str
    region: str
    products: tuple[str, ...]
    results: tuple[str, ...]  # "非计划停机减少 42%"
    why: tuple[str, ...]  # "同行业：汽车制造", "规模相近：中型"
    type: Literal["case"] = "case"


@dataclass(frozen=True, slots=True)
class StatementLineView:
    kind: str
    description: str
    amount: str  # formatted yuan, e.g. "¥12,345.67"
    rule: str
    orders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RebateCard:
    partner_id: str
    partner_name: str
    quarter: str
    status: str  # accrued | final
    total: str
    lines: tuple[StatementLineView, ...]
    progress: str  # "还差 ¥X 到下一档, 届时返利率 Y%"
    type: Literal["rebate"] = "rebate"
    # A statement's lines sum to its total; a ranking's are places, with no total.
    kind: Literal["statement", "ranking"] = "statement"


@dataclass(frozen=True, slots=True)
class PracticeCard:
    """A role-play practice to start on the practice page, with what the chat knows of it."""

    product_id: str  # "" when no product is known yet: the page asks
    product_name: str
    persona: str  # "" or a persona key
    industry: str  # "" or a canonical industry
    href: str  # "/practice?product=…&persona=…&industry=…"
    type: Literal["practice"] = "practice"


Card = ParamTableCard | ScriptCard | CaseCard | RebateCard | PracticeCard


@dataclass(frozen=True, slots=True)
class Reply:
    """One assistant turn: text plus structured cards, citations and follow-ups."""

    text: str
    intent: Intent
    confidence: float
    cards: tuple[Card, ...] = ()
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[str, ...] = ()
    profile: CustomerProfile = field(default_factory=CustomerProfile)
    handoff_offered: bool = False  # the assistant offers a remote expert
    grounded: bool = True  # False when the assistant says it does not know
    state: DialogueState | None = None  # the last task after this turn; None: unchanged


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: from the verified token, never from the client's payload."""

    user_id: str
    partner_id: str
    display_name: str = ""
    role: str = "sales"
    language: Literal["zh", "en"] = "zh"
    portal: str | None = None  # signed in through this portal's widget (from the token)
