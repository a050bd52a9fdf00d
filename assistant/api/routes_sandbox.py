"""REST routes of the deal sandbox (translation only; decisions in
:class:`assistant.training.sandbox.SandboxService`).

Nothing is stored: a scenario's id (``<product>.<seed>.<digest>``) is all it takes to draw it
again.  The rebate is computed for the verified caller's own partner (the token's user row),
or for a partner below a manager's node named in the decision: the channel tree decides,
exactly as for ``/api/rebates/what-if``.

Errors: ``sandbox_unknown_product`` (422, ``field: product_id``), ``sandbox_invalid_decision``
(422, with the ``field`` at fault: ``lines[0].unit_price``, ``timing``...),
``sandbox_scenario_not_found`` (404: not an id the sandbox issues),
``sandbox_scenario_changed`` (410: the corpus, the data file or the quarter changed since;
draw a new one), ``sandbox_data_invalid`` (503), ``partner_not_found`` (404: a partner the
caller may not read, exactly like a missing one), ``partner_required`` (422: the caller's
node is not a partner and names none), ``validation_error`` (422: a malformed scenario request).

Example::

    POST /api/training/sandbox {"product_id": "EG-2100"}
    -> 201 {"scenario": {"id": "EG-2100.123.3f2a9c0d1e2b", "quantity": 40, "budget": "96000.00", ...}}
    POST /api/training/sandbox/EG-2100.123.3f2a9c0d1e2b/decide
         {"lines": [{"product_id": "EG-2100", "quantity": 40, "unit_price": "2400"}],
          "timing": "this_quarter", "new_customer": true}
    -> 200 {"outcome": {"deal_amount": "96000.00", "rebate_delta": "...", "lines": [...], ...}}
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError
from assistant.rebates.money import round_cents
from assistant.training.sandbox import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    SEED_LIMIT,
    CatalogueItem,
    DealScenario,
    Decision,
    DecisionLine,
    Outcome,
    SandboxService,
)
from assistant.training.sandbox_errors import SandboxInvalidDecisionError


def field_of(exc: RequestValidationError) -> str | None:
    """The first field of the body at fault, written ``lines[0].unit_price`` (``body`` for a
    body that is missing, not JSON or not an object); None when the body is not at fault."""
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if not loc or loc[0] != "body":
            continue
        if error.get("type") == "json_invalid":
            return "body"
        text = ""
        for part in loc[1:]:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text[:64] or "body"
    return None


class _DecisionRoute(APIRoute):
    """A decision the request model refuses is ``sandbox_invalid_decision`` naming the field
    (the app's handler answers it like any domain error), not a bare ``validation_error``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        decides = self.path.endswith("/decide")

        async def translate(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                field = field_of(exc) if decides else None
                if field is None:
                    raise
                raise SandboxInvalidDecisionError(f"invalid decision: {field}", field=field) from exc

        return translate


router = APIRouter(tags=["training"], route_class=_DecisionRoute)

ScenarioId = Annotated[str, Path(max_length=80)]


def service(runtime: RuntimeDep) -> SandboxService:
    """A sandbox over the kit built once per process and the live rebate service."""
    rebates = runtime.current_rebates()
    if rebates is None:
        raise NotReadyError("rebates not started")
    return SandboxService(kit=runtime.sandbox.get(), rebates=rebates)


def money(amount: Decimal) -> str:
    """``"23543.47"``: yuan with two decimals, as the rebate routes write money."""
    return str(round_cents(amount))


# --------------------------------------------------------------------------- payloads


class DrawIn(BaseModel):
    """A scenario of ``product_id`` (default: picked by the seed), drawn with ``seed``
    (default: a random one; the same seed and product give the same scenario)."""

    model_config = ConfigDict(extra="forbid")

    product_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    seed: Annotated[int, Field(strict=True, ge=0, lt=SEED_LIMIT)] | None = None


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
    unit_price: Annotated[Decimal, Field(gt=0, le=MAX_UNIT_PRICE, max_digits=12, decimal_places=2)]  # yuan


class DecisionIn(BaseModel):
    """The salesperson's offer: catalogue products with quantity and unit price (the
    scenario's product among them), when to sign, and whether the customer is new."""

    model_config = ConfigDict(extra="forbid")

    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]
    timing: Literal["this_quarter", "next_quarter"]
    new_customer: Annotated[bool, Field(strict=True)] = False
    partner_id: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None


# --------------------------------------------------------------------------- responses


class ItemOut(BaseModel):
    id: str
    name: str
    list_price: str
    unit: str
    band: str
    floor_price: str


class CustomerOut(BaseModel):
    company: str
    industry: str
    scale: str
    scale_label: str
    region: str
    city: str
    case_id: str
    pain_point: str


class CompetitorOut(BaseModel):
    competitor: str
    model: str
    price_note: str
    unit_price: str
    explanation: str


class ScenarioOut(BaseModel):
    id: str
    seed: int
    product: ItemOut
    quantity: int
    customer: CustomerOut
    budget: str
    competitor: CompetitorOut
    deadline: str  # this_quarter | next_quarter
    deadline_quarter: str
    current_quarter: str
    mix: list[ItemOut]  # suggestions: the product's accessories
    intro: str


class ScenarioResponse(BaseModel):
    scenario: ScenarioOut


class LimitsOut(BaseModel):
    max_lines: int
    max_quantity: int
    max_unit_price: str


class OptionsOut(BaseModel):
    products: list[ItemOut]
    limits: LimitsOut
    floor_share: str
    floor_faq: str
    purchase_cost_label: str
    purchase_cost_label_en: str


class OutcomeLineOut(BaseModel):
    key: str
    label: str
    amount: str | None
    ok: bool | None
    text: str
    citation: str | None


class RebateLineOut(BaseModel):
    kind: str
    label: str
    before: str
    after: str
    delta: str


class OutcomeOut(BaseModel):
    partner_id: str
    partner_name: str
    quarter: str
    timing: str
    new_customer: bool
    rebate_computed: bool
    deal_amount: str
    purchase_cost: str
    margin: str
    rebate_delta: str
    total: str
    budget_met: bool
    competitor_beaten: bool
    deadline_met: bool
    needs_approval: bool
    lines: list[OutcomeLineOut]
    rebate_lines: list[RebateLineOut]
    summary: str


class DecideResponse(BaseModel):
    scenario: ScenarioOut
    outcome: OutcomeOut


# --------------------------------------------------------------------------- translation


def item_out(i: CatalogueItem) -> ItemOut:
    return ItemOut(
        id=i.id,
        name=i.name,
        list_price=money(i.list_price),
        unit=i.unit,
        band=i.band,
        floor_price=money(i.floor_price),
    )


def scenario_out(s: DealScenario) -> ScenarioOut:
    c, q = s.customer, s.competitor
    return ScenarioOut(
        id=s.id,
        seed=s.seed,
        product=item_out(s.product),
        quantity=s.quantity,
        customer=CustomerOut(
            company=c.company,
            industry=c.industry,
            scale=c.scale,
            scale_label=c.scale_label,
            region=c.region,
            city=c.city,
            case_id=c.case_id,
            pain_point=c.pain_point,
        ),
        budget=money(s.budget),
        competitor=CompetitorOut(
            competitor=q.competitor,
            model=q.model,
            price_note=q.price_note,
            unit_price=money(q.unit_price),
            explanation=q.explanation,
        ),
        deadline=s.deadline,
        deadline_quarter=str(s.deadline_quarter),
        current_quarter=str(s.current_quarter),
        mix=[item_out(m) for m in s.mix],
        intro=s.intro,
    )


def outcome_out(o: Outcome) -> OutcomeOut:
    return OutcomeOut(
        partner_id=o.partner_id,
        partner_name=o.partner_name,
        quarter=str(o.quarter),
        timing=o.decision.timing,
        new_customer=o.decision.new_customer,
        rebate_computed=o.rebate_computed,
        deal_amount=money(o.deal_amount),
        purchase_cost=money(o.purchase_cost),
        margin=money(o.margin),
        rebate_delta=money(o.rebate_delta),
        total=money(o.total),
        budget_met=o.budget_met,
        competitor_beaten=o.competitor_beaten,
        deadline_met=o.deadline_met,
        needs_approval=o.needs_approval,
        lines=[
            OutcomeLineOut(
                key=line.key,
                label=line.label,
                amount=money(line.amount) if line.amount is not None else None,
                ok=line.ok,
                text=line.text,
                citation=line.citation,
            )
            for line in o.lines
        ],
        rebate_lines=[
            RebateLineOut(
                kind=r.kind, label=r.label, before=money(r.before), after=money(r.after), delta=money(r.delta)
            )
            for r in o.rebate_lines
        ],
        summary=o.summary,
    )


def decision_of(body: DecisionIn) -> Decision:
    return Decision(
        lines=tuple(
            DecisionLine(product_id=line.product_id, quantity=line.quantity, unit_price=line.unit_price)
            for line in body.lines
        ),
        timing=body.timing,
        new_customer=body.new_customer,
        partner_id=body.partner_id,
    )


# --------------------------------------------------------------------------- routes


@router.get("/api/training/sandbox/options", response_model=OptionsOut)
def sandbox_options(caller: CallerDep, runtime: RuntimeDep) -> OptionsOut:
    """The catalogue a decision may use, the bounds of a decision and the price floor."""
    sandbox = service(runtime)
    data = sandbox.data
    return OptionsOut(
        products=[item_out(p) for p in sandbox.products()],
        limits=LimitsOut(max_lines=MAX_LINES, max_quantity=MAX_QUANTITY, max_unit_price=money(MAX_UNIT_PRICE)),
        floor_share=str(data.floor.share),
        floor_faq=data.floor.faq,
        purchase_cost_label=data.purchase_cost.label,
        purchase_cost_label_en=data.purchase_cost.label_en,
    )


@router.post("/api/training/sandbox", response_model=ScenarioResponse, status_code=201)
def draw_scenario(caller: CallerDep, runtime: RuntimeDep, body: DrawIn | None = None) -> ScenarioResponse:
    """A deal scenario: customer, budget, the competitor's quote, the deadline."""
    body = body or DrawIn()
    return ScenarioResponse(scenario=scenario_out(service(runtime).draw(product_id=body.product_id, seed=body.seed)))


@router.get("/api/training/sandbox/{scenario_id}", response_model=ScenarioResponse)
def get_scenario(scenario_id: ScenarioId, caller: CallerDep, runtime: RuntimeDep) -> ScenarioResponse:
    """The scenario of an id drawn before (``sandbox_scenario_changed`` if it came out different)."""
    return ScenarioResponse(scenario=scenario_out(service(runtime).scenario(scenario_id)))


@router.post("/api/training/sandbox/{scenario_id}/decide", response_model=DecideResponse)
def decide(scenario_id: ScenarioId, body: DecisionIn, caller: CallerDep, runtime: RuntimeDep) -> DecideResponse:
    """The outcome of a decision, line by line, with the rebate from the real engine for the
    caller's own partner (a body the model refuses: ``sandbox_invalid_decision``, see
    :class:`_DecisionRoute`)."""
    sandbox = service(runtime)
    scenario = sandbox.scenario(scenario_id)
    outcome = sandbox.decide(caller, scenario.id, decision_of(body))
    return DecideResponse(scenario=scenario_out(outcome.scenario), outcome=outcome_out(outcome))
