"""REST routes of customer records (translation only; rules in
:class:`assistant.customers.records.CustomerService`).

Every route needs a signed-in caller (:data:`CallerDep`).  A salesperson reads and writes its
own customers; a manager or admin also reads (never writes) those of the users at or below
its node.  Any other id answers exactly like one that does not exist.

* ``GET /api/customers?q=&offset=&limit=`` -> list of customers (``X-Total-Count``: matches over
  all pages), newest update first; ``q`` matches name, region, industry and notes.
* ``POST /api/customers {name, notes?, profile?, from_conversation_id?}`` -> 201 customer; with
  ``from_conversation_id`` (one of the caller's conversations) it starts from that
  conversation's profile (fields given win) and the conversation is bound to it.
* ``GET | PATCH | DELETE /api/customers/{id}`` (PATCH: any of name, notes, profile; a profile
  field null or "" clears it; DELETE -> 204, soft: its conversations stay).
* ``GET /api/customers/{id}/conversations?q=&offset=&limit=`` -> the caller's conversations
  bound to it, as ``GET /api/conversations`` lists them.
* ``PUT /api/conversations/{id}/customer {customer_id: str | null}`` -> ``{conversation_id,
  customer_id, profile}``: the conversation's profile from now on (the customer's).

Errors: ``customer_not_found`` (404), ``customer_invalid`` (422, ``field``: ``name``, ``notes``,
``profile.industry``...), ``customer_name_taken`` (409: a live customer of the caller has that
name, case-insensitively), ``forbidden`` (403: a manager changing a customer it only reads),
``conversation_not_found`` (404), ``validation_error`` (422: a malformed body or query).

Example::

    POST /api/customers {"name": "宁波海天塑机", "profile": {"industry": "机械加工", "region": "宁波"}}
    -> 201 {"id": "6f1c...", "name": "宁波海天塑机", "industry": "机械加工", "region": "宁波", ...,
            "profile": {"customer_name": "宁波海天塑机", "industry": "机械加工", "region": "宁波"}}
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.api import events as ev
from assistant.api.deps import CallerDep, RuntimeDep
from assistant.chat import history as chat_history
from assistant.customers.records import (
    MAX_ID,
    MAX_NAME,
    MAX_NOTES,
    MAX_OFFSET,
    MAX_PAGE,
    MAX_QUERY,
    CustomerRecord,
    CustomerService,
)

router = APIRouter(tags=["customers"])

CustomerId = Annotated[str, PathParam(min_length=1, max_length=MAX_ID)]
ConversationId = Annotated[str, PathParam(min_length=1, max_length=MAX_ID)]
# A profile is a small object; its fields and values are checked by the service.
Profile = Annotated[dict[str, Any], Field(max_length=20)]


def service(runtime: RuntimeDep) -> CustomerService:
    """The runtime's customer service (database, current channel tree, vocabulary; cheap)."""
    return runtime.customer_service()


# --------------------------------------------------------------------------- payloads


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Bounded here loosely (a clear 422 for absurd sizes); the service says which field is wrong.
    name: str = Field(max_length=MAX_NAME * 2)
    notes: str = Field(default="", max_length=MAX_NOTES * 2)
    profile: Profile | None = None
    from_conversation_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID)


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=MAX_NAME * 2)
    notes: str | None = Field(default=None, max_length=MAX_NOTES * 2)
    profile: Profile | None = None


class BindIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(min_length=1, max_length=MAX_ID)


class CustomerOut(BaseModel):
    id: str
    name: str
    industry: str | None
    scale: str | None
    persona: str | None
    region: str | None
    product_line: str | None
    product_model: str | None
    notes: str
    profile: dict[str, Any]  # the profile a bound conversation reads (customer_name = name)
    owner_user_id: str
    conversation_count: int  # the owner's conversations with events bound to it
    created_at: str  # ISO 8601, UTC (no offset, as stored)
    updated_at: str


class BindOut(BaseModel):
    conversation_id: str
    customer_id: str | None
    profile: dict[str, Any]


def _out(record: CustomerRecord) -> CustomerOut:
    profile = CustomerService.profile_of(record)

    def text(key: str) -> str | None:
        value = profile.get(key)
        return value if isinstance(value, str) else None

    return CustomerOut(
        id=record.id,
        name=record.name,
        industry=text("industry"),
        scale=text("scale"),
        persona=text("persona"),
        region=text("region"),
        product_line=text("product_line"),
        product_model=text("product_model"),
        notes=record.notes,
        profile=profile,
        owner_user_id=record.owner_user_id,
        conversation_count=record.conversation_count,
        created_at=record.created_at.isoformat(),
        updated_at=record.updated_at.isoformat(),
    )


# --------------------------------------------------------------------------- routes


@router.get("/api/customers", response_model=list[CustomerOut])
async def list_customers(
    *,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    q: str = Query("", max_length=MAX_QUERY),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(20, ge=1, le=MAX_PAGE),
    mine: bool = Query(False, description="only the caller's own customers (those a conversation can be bound to)"),
) -> list[CustomerOut]:
    customers = service(runtime)
    items, total = await run_in_threadpool(lambda: customers.list(caller, q=q, offset=offset, limit=limit, mine=mine))
    response.headers["X-Total-Count"] = str(total)
    return [_out(c) for c in items]


@router.post("/api/customers", response_model=CustomerOut, status_code=201)
async def create_customer(body: CustomerIn, caller: CallerDep, runtime: RuntimeDep) -> CustomerOut:
    customers = service(runtime)
    record = await run_in_threadpool(
        lambda: customers.create(
            caller,
            name=body.name,
            notes=body.notes,
            profile=body.profile,
            from_conversation_id=body.from_conversation_id,
        )
    )
    return _out(record)


@router.get("/api/customers/{customer_id}", response_model=CustomerOut)
async def get_customer(customer_id: CustomerId, caller: CallerDep, runtime: RuntimeDep) -> CustomerOut:
    customers = service(runtime)
    return _out(await run_in_threadpool(lambda: customers.get(caller, customer_id)))


@router.patch("/api/customers/{customer_id}", response_model=CustomerOut)
async def patch_customer(
    customer_id: CustomerId, body: CustomerPatch, caller: CallerDep, runtime: RuntimeDep
) -> CustomerOut:
    customers = service(runtime)
    record = await run_in_threadpool(
        lambda: customers.update(caller, customer_id, name=body.name, notes=body.notes, profile=body.profile)
    )
    return _out(record)


@router.delete("/api/customers/{customer_id}", status_code=204)
async def delete_customer(customer_id: CustomerId, caller: CallerDep, runtime: RuntimeDep) -> Response:
    customers = service(runtime)
    await run_in_threadpool(lambda: customers.delete(caller, customer_id))
    return Response(status_code=204)


@router.get("/api/customers/{customer_id}/conversations", response_model=list[ev.ConversationSummary])
async def customer_conversations(
    *,
    customer_id: CustomerId,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    q: str = Query("", max_length=chat_history.MAX_QUERY_CHARS),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(20, ge=1, le=chat_history.MAX_PAGE),
) -> list[ev.ConversationSummary]:
    """The caller's own conversations bound to the customer (a manager reading a
    salesperson's customer sees none: conversations are their owner's only)."""
    customers = service(runtime)
    db = customers.db
    query = chat_history.ConversationQuery(q=q, offset=offset, limit=limit, customer_id=customer_id)

    def page() -> chat_history.ConversationPage:
        customers.get(caller, customer_id)  # customer_not_found unless the caller reads it
        return chat_history.list_page(db, caller=caller, query=query)

    found = await run_in_threadpool(page)
    response.headers["X-Total-Count"] = str(found.total)
    return [ev.ConversationSummary.of(c) for c in found.items]


@router.put("/api/conversations/{conversation_id}/customer", response_model=BindOut)
async def bind_customer(
    conversation_id: ConversationId, body: BindIn, caller: CallerDep, runtime: RuntimeDep
) -> BindOut:
    customers = service(runtime)
    bound = await run_in_threadpool(lambda: customers.bind(caller, conversation_id, body.customer_id))
    # The page that bound it knows; the conversation's other devices learn it from this event.
    chat = runtime.require_chat()
    event = await run_in_threadpool(lambda: chat.announce_profile(caller=caller, conversation_id=conversation_id))
    if event is not None:
        await runtime.hub.publish(conversation_id, ev.event_out(event))
    return BindOut(conversation_id=bound.conversation_id, customer_id=bound.customer_id, profile=bound.profile)
