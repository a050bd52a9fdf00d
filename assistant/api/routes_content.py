"""REST routes of knowledge-base management (translation only; content admins only).

The decisions are :class:`assistant.content.store.ContentStore`'s and
:mod:`assistant.content.review`'s.  Errors: ``forbidden`` (403, any other role),
``content_not_found`` / ``review_not_found`` (404), ``content_kind_unknown`` (404),
``content_invalid`` and ``import_refused`` (422, with ``problems``: ``[{"field",
"problem", "entry_id", "row"}]``), ``content_conflict`` (409, with ``current_version``:
someone saved since the version the edit started from; nothing was written),
``content_state`` (409: e.g. publishing a superseded version).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, PlainSerializer, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError
from assistant.content import review as review_mod
from assistant.content.store import (
    KINDS,
    ContentConflictError,
    ContentInvalidError,
    ContentStore,
    ImportRefusedError,
    ItemDetail,
    ItemRef,
    ItemView,
    Problem,
    ReleaseView,
    dump_yaml,
    parse_yaml,
    require_editor,
)
from assistant.dialogue.types import Caller
from assistant.i18n import error_message

router = APIRouter(tags=["content"])

MAX_YAML_CHARS = 100_000
MAX_IMPORT_CHARS = 900_000  # under the body limit

# Stored times are UTC without a zone: sent with "Z" so a browser does not read them as local.
UtcTime = Annotated[datetime, PlainSerializer(lambda t: t.isoformat() + "Z", return_type=str, when_used="json")]
# Path parameters by constraint, not a shared Path(): FastAPI sets each route's alias on the
# FieldInfo it is given, and one Path() object shared by many routes draws a pydantic warning.
Kind = Annotated[str, StringConstraints(pattern=r"^(products|scripts|cases|faq|lessons)$")]
EntryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Note = Annotated[str, StringConstraints(max_length=500)]


def editor(caller: CallerDep) -> Caller:
    """The caller, if a content admin: 403 before anything is read."""
    require_editor(caller.role)
    return caller


EditorDep = Annotated[Caller, Depends(editor)]


def store(runtime: RuntimeDep) -> ContentStore:
    if runtime.content is None:
        raise NotReadyError("content store not started")
    return runtime.content


StoreDep = Annotated[ContentStore, Depends(store)]


# -- models -------------------------------------------------------------------------------


class ItemOut(BaseModel):
    kind: str
    entry_id: str
    title: str
    file: str
    latest_version: int
    published_version: int | None
    status: str
    updated_at: UtcTime
    updated_by: str


class VersionOut(BaseModel):
    version: int
    status: str
    author: str
    note: str
    created_at: UtcTime
    published_at: UtcTime | None
    published_by: str | None


class ItemDetailOut(BaseModel):
    item: ItemOut
    body: dict[str, Any]
    yaml: str
    published_yaml: str
    versions: list[VersionOut]


class ItemPageOut(BaseModel):
    items: list[ItemOut]
    total: int


class ReleaseOut(BaseModel):
    id: int
    status: str
    stage: str
    progress: float
    error: str
    items: list[str]
    created_by: str
    created_at: UtcTime
    finished_at: UtcTime | None
    build_id: str


class SaveIn(BaseModel):
    """The entry as YAML text (what the editor shows) or as a mapping."""

    yaml: Annotated[str | None, StringConstraints(max_length=MAX_YAML_CHARS)] = None
    body: dict[str, Any] | None = None
    base_version: int = Field(ge=0, le=1_000_000)  # 0: a new entry
    note: Note = ""
    review_id: Annotated[str | None, StringConstraints(max_length=128)] = None  # drafted from this review item


class VersionIn(BaseModel):
    version: int = Field(ge=1, le=1_000_000)


class PublishRef(BaseModel):
    kind: Literal["products", "scripts", "cases", "faq", "lessons"]
    entry_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    version: int = Field(ge=1, le=1_000_000)


class PublishIn(BaseModel):
    items: list[PublishRef] = Field(min_length=1, max_length=500)
    note: Note = ""


class ImportIn(BaseModel):
    kind: Literal["products", "scripts", "cases", "faq", "lessons"]
    format: Literal["yaml", "csv"] = "yaml"
    text: Annotated[str, StringConstraints(max_length=MAX_IMPORT_CHARS)]
    note: Note = ""


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    items: list[str]


class RollbackOut(BaseModel):
    item: ItemDetailOut
    release: ReleaseOut


class DiffOut(BaseModel):
    old: int
    new: int
    diff: str


class ContextOut(BaseModel):
    role: str
    text: str


class ReviewOut(BaseModel):
    id: str
    source: str
    question: str
    answer: str
    conversation_id: str
    created_at: UtcTime
    context: list[ContextOut]
    suggestion: dict[str, Any]
    suggestion_yaml: str


class ReviewPageOut(BaseModel):
    items: list[ReviewOut]


def _item(view: ItemView) -> ItemOut:
    return ItemOut.model_validate(view, from_attributes=True)


def _detail(detail: ItemDetail) -> ItemDetailOut:
    return ItemDetailOut(
        item=_item(detail.item),
        body=detail.body,
        yaml=detail.yaml,
        published_yaml=detail.published_yaml,
        versions=[VersionOut.model_validate(v, from_attributes=True) for v in detail.versions],
    )


def _release(view: ReleaseView) -> ReleaseOut:
    return ReleaseOut.model_validate(view, from_attributes=True)


def _refusal(exc: ContentInvalidError | ContentConflictError, caller: Caller) -> JSONResponse:
    """422 with every problem, or 409 with the current version: the editor keeps its text."""
    if isinstance(exc, ContentConflictError):
        body: dict[str, Any] = {
            "code": exc.code,
            "message": error_message(exc.code, caller.language),
            "current_version": exc.current_version,
        }
        return JSONResponse(body, status_code=409)
    problems = [
        {"field": p.field, "problem": p.problem, "entry_id": p.entry_id, "row": p.row} for p in exc.problems[:200]
    ]
    body = {"code": exc.code, "message": error_message(exc.code, caller.language), "problems": problems}
    return JSONResponse(body, status_code=422)


# -- routes -------------------------------------------------------------------------------


@router.get("/api/content/items", response_model=ItemPageOut)
async def list_items(
    *,
    caller: EditorDep,
    content: StoreDep,
    kind: Annotated[str | None, Query(pattern=r"^(products|scripts|cases|faq|lessons)$")] = None,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str | None, Query(pattern=r"^(draft|review|published)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ItemPageOut:
    """Entries, most recently changed first; ``q`` matches the id or the title."""
    page = await run_in_threadpool(
        lambda: content.search(kind=kind, query=q.strip(), status=status, limit=limit, offset=offset)
    )
    return ItemPageOut(items=[_item(i) for i in page.items], total=page.total)


@router.get("/api/content/items/{kind}/{entry_id}", response_model=ItemDetailOut)
async def get_item(caller: EditorDep, content: StoreDep, kind: Kind, entry_id: EntryId) -> ItemDetailOut:
    return _detail(await run_in_threadpool(lambda: content.get(kind, entry_id)))


@router.put("/api/content/items/{kind}/{entry_id}", response_model=ItemDetailOut)
async def save_item(
    *, caller: EditorDep, runtime: RuntimeDep, content: StoreDep, kind: Kind, entry_id: EntryId, data: SaveIn
) -> ItemDetailOut | JSONResponse:
    """Save a new draft (``base_version``: the version the edit started from; 0: new)."""

    def save() -> ItemDetail:
        if data.review_id:  # 404 unless an open review item
            assert runtime.db is not None
            review_mod.review_item(runtime.db, data.review_id)
        body = parse_yaml(data.yaml) if data.yaml is not None else data.body
        detail = content.save(
            kind, entry_id, body, base_version=data.base_version, author=caller.user_id, note=data.note
        )
        if data.review_id:
            assert runtime.db is not None
            review_mod.record(
                runtime.db, data.review_id, status="drafted", item=f"{kind}/{entry_id}", by=caller.user_id
            )
        return detail

    try:
        return _detail(await run_in_threadpool(save))
    except (ContentInvalidError, ContentConflictError) as exc:
        return _refusal(exc, caller)


@router.post("/api/content/items/{kind}/{entry_id}/submit", response_model=ItemDetailOut)
async def submit_item(
    caller: EditorDep, content: StoreDep, kind: Kind, entry_id: EntryId, data: VersionIn
) -> ItemDetailOut:
    """Ask for review of a draft."""
    return _detail(await run_in_threadpool(lambda: content.submit(kind, entry_id, data.version, by=caller.user_id)))


@router.post("/api/content/publish", response_model=ReleaseOut, status_code=202)
async def publish(
    *, caller: EditorDep, runtime: RuntimeDep, content: StoreDep, data: PublishIn
) -> ReleaseOut | JSONResponse:
    """Publish versions (each its item's latest) as one release; it is built and switched
    to in the background: follow it at ``/api/content/releases/{id}``."""
    refs = [ItemRef(r.kind, r.entry_id, r.version) for r in data.items]
    try:
        release = await run_in_threadpool(lambda: content.publish(refs, by=caller.user_id, note=data.note))
    except (ContentInvalidError, ContentConflictError) as exc:
        return _refusal(exc, caller)
    if runtime.content_sync is not None:
        runtime.content_sync.published()
    return _release(release)


@router.post("/api/content/items/{kind}/{entry_id}/rollback", response_model=RollbackOut, status_code=202)
async def rollback(
    *, caller: EditorDep, runtime: RuntimeDep, content: StoreDep, kind: Kind, entry_id: EntryId, data: VersionIn
) -> RollbackOut | JSONResponse:
    """Publish an earlier version's body again (as a new version)."""
    try:
        detail, release = await run_in_threadpool(
            lambda: content.rollback(kind, entry_id, data.version, by=caller.user_id)
        )
    except (ContentInvalidError, ContentConflictError) as exc:
        return _refusal(exc, caller)
    if runtime.content_sync is not None:
        runtime.content_sync.published()
    return RollbackOut(item=_detail(detail), release=_release(release))


@router.get("/api/content/items/{kind}/{entry_id}/diff", response_model=DiffOut)
async def diff(
    *,
    caller: EditorDep,
    content: StoreDep,
    kind: Kind,
    entry_id: EntryId,
    old: Annotated[int, Query(ge=0, le=1_000_000)],
    new: Annotated[int, Query(ge=1, le=1_000_000)],
) -> DiffOut:
    """A unified diff of two versions' YAML (``old=0``: from nothing)."""
    text = await run_in_threadpool(lambda: content.diff(kind, entry_id, old, new))
    return DiffOut(old=old, new=new, diff=text)


@router.post("/api/content/import", response_model=ImportOut)
async def import_entries(caller: EditorDep, content: StoreDep, data: ImportIn) -> ImportOut | JSONResponse:
    """Bulk import as drafts: a YAML list of entries, or CSV (FAQ columns: id, category,
    question, answer, variants, products, product_line; lists separated by "|").  Every
    row valid, or nothing written and every refused row listed."""
    try:
        entries = parse_yaml(data.text) if data.format == "yaml" else rows_from_csv(data.text)
        if not isinstance(entries, list):
            raise ImportRefusedError([Problem("-", "expected a list of entries")])
        report = await run_in_threadpool(
            lambda: content.import_entries(data.kind, entries, by=caller.user_id, note=data.note)
        )
    except ContentInvalidError as exc:  # a YAML syntax error too: every refusal of an import is import_refused
        return _refusal(ImportRefusedError(exc.problems), caller)
    return ImportOut(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        items=[f"{r.kind}/{r.entry_id}@{r.version}" for r in report.items],
    )


@router.get("/api/content/export", response_class=PlainTextResponse)
async def export(
    caller: EditorDep,
    content: StoreDep,
    kind: Annotated[str, Query(pattern=r"^(products|scripts|cases|faq|lessons)$")],
) -> PlainTextResponse:
    """The published entries of a kind as one YAML list (the import format)."""
    text = await run_in_threadpool(lambda: content.export_kind(kind))
    return PlainTextResponse(text, media_type="application/yaml; charset=utf-8")


@router.get("/api/content/releases", response_model=list[ReleaseOut])
async def releases(
    caller: EditorDep, content: StoreDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[ReleaseOut]:
    return [_release(r) for r in await run_in_threadpool(lambda: content.releases(limit))]


@router.get("/api/content/releases/{release_id}", response_model=ReleaseOut)
async def release(
    caller: EditorDep, content: StoreDep, release_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> ReleaseOut:
    """A release's build: ``status`` pending|building|live|failed, ``stage``, ``progress``
    (0..1) and, when failed, ``error`` (the previous content keeps serving)."""
    return _release(await run_in_threadpool(lambda: content.release(release_id)))


@router.get("/api/content/review", response_model=ReviewPageOut)
async def review_queue(
    caller: EditorDep, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> ReviewPageOut:
    """Open review items: resolved handoffs offered as FAQ, answers marked wrong, and
    questions the assistant could not answer; each with its conversation context."""
    assert runtime.db is not None
    db = runtime.db
    products = [p.id for p in runtime.engine.local.corpus.products] if runtime.ready else []
    items = await run_in_threadpool(lambda: review_mod.review_queue(db, product_ids=products, limit=limit))
    return ReviewPageOut(
        items=[
            ReviewOut(
                id=i.id,
                source=i.source,
                question=i.question,
                answer=i.answer,
                conversation_id=i.conversation_id,
                created_at=i.created_at,
                context=[ContextOut(role=c.role, text=c.text) for c in i.context],
                suggestion=i.suggestion,
                suggestion_yaml=dump_yaml(i.suggestion),
            )
            for i in items
        ]
    )


@router.post("/api/content/review/{review_id}/dismiss", status_code=204)
async def dismiss(caller: EditorDep, runtime: RuntimeDep, review_id: Annotated[str, Path(max_length=128)]) -> None:
    assert runtime.db is not None
    db = runtime.db
    await run_in_threadpool(lambda: review_mod.review_item(db, review_id))  # 404 unless open
    await run_in_threadpool(lambda: review_mod.record(db, review_id, status="dismissed", item="", by=caller.user_id))


# -- CSV ----------------------------------------------------------------------------------

_LIST_COLUMNS = frozenset({"variants", "products", "accessories", "tags", "objectives", "exercises", "pain_points"})


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    """CSV rows as entries: a header row of field names; list fields split on "|";
    empty cells left out."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[dict[str, Any]] = []
    for raw in reader:
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if key is None or value is None or not value.strip():
                continue
            name = key.strip()
            row[name] = [v.strip() for v in value.split("|") if v.strip()] if name in _LIST_COLUMNS else value.strip()
        rows.append(row)
    return rows


__all__ = ["KINDS", "router", "rows_from_csv"]
