"""The faces of the service: pages, static files, the widget sign-in and the small
read APIs the pages need (translation only).

Pages (all from ``web/``, no build step):

* ``GET /``                 the chat page (mobile first, zh-CN with an English switch)
* ``GET /assist``           the same page opened by a join code's link (``?code=``): video assist
* ``GET /widget/frame``     the same chat page for the widget iframe: ``?portal=`` names a
                            portal of ``corpus/portals.yaml``; sent with
                            ``Content-Security-Policy: frame-ancestors <the portal's origins>``
* ``GET /dashboard``        the partner dashboard
* ``GET /content``          the knowledge-base editor (content admins; ``/api/content/...``)
* ``GET /learn``            micro-lessons: catalogue, lesson, quiz, progress (``/api/training/...``)
* ``GET /practice``         role-play practice: a customer to answer, scores, summary, history
* ``GET /sandbox``          the deal sandbox: price, mix and timing of a deal; margin and rebate
* ``GET /mentoring``        mentoring: sharing sessions, sign-up, notes, attendance, mentors
* ``GET /widget.js``        the loader a partner portal pastes (``docs/embedding.md``)
* ``GET /static/{name}``    scripts and styles (flat directory ``web/static``)
* ``GET /favicon.ico``      the service's icon (``web/static/favicon.svg``)
* ``GET /demo/portal``      a demo partner portal that embeds the widget (demo mode only)

APIs: ``POST /api/widget/session`` (a portal-signed identity token -> an access token),
``GET /api/documents/{chunk_id}`` (a cited passage), ``GET /api/feedback/recent``.

Every page carries a strict Content-Security-Policy (scripts and styles from the
service only, no inline script), ``nosniff`` and a referrer policy; pages other than
the widget frame refuse to be framed at all.
"""

from __future__ import annotations

import html
import logging
import pathlib
import re
import time
from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError, Runtime
from assistant.content.documents import Document
from assistant.dashboard.feedback import Network, feedback_scope, recent_feedback
from assistant.dialogue.types import Caller
from assistant.errors import AssistantError
from assistant.portals.errors import PortalError, PortalNotFoundError
from assistant.portals.registry import Portal, normalize_origin, same_host
from assistant.portals.service import WidgetService
from assistant.portals.tokens import sign_identity
from assistant.storage.models import User

log = logging.getLogger(__name__)

router = APIRouter()

DEMO_PORTAL_ID = "demo"
DEMO_TOKEN_SECONDS = 120
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}\.(js|css|svg|png|ico)$")
_MEDIA = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


class DocumentNotFoundError(AssistantError):
    code = "document_not_found"


class OriginNotAllowedError(AssistantError):
    code = "origin_not_allowed"


# --------------------------------------------------------------------------- helpers


def _portals(runtime: Runtime) -> WidgetService:
    if runtime.portals is None:
        raise NotReadyError("portals not loaded")
    return runtime.portals


def _host(request: Request | WebSocket) -> str | None:
    host = request.headers.get("host", "")
    return host if _SAFE_HOST.match(host) else None


def _csp(request: Request, *, frame_ancestors: str, extra: dict[str, str] | None = None) -> str:
    host = _host(request)
    connect = "'self'" + (f" ws://{host} wss://{host}" if host else "")
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": connect,
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }
    directives.update(extra or {})
    return "; ".join(f"{k} {v}" for k, v in directives.items())


def _security_headers(csp: str, *, framable: bool = False, media: bool = False) -> dict[str, str]:
    """``media``: the page may ask for this origin's camera and microphone (the chat page's
    video assist, issue 19); every other page, and any frame, may not."""
    devices = "camera=(self), microphone=(self)" if media else "camera=(), microphone=()"
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": f"{devices}, geolocation=(), payment=()",
        "Cache-Control": "no-cache",
    }
    if not framable:
        headers["X-Frame-Options"] = "DENY"
    return headers


def _render(path: pathlib.Path, **values: str) -> str:
    """A page from ``web/`` with ``{{name}}`` placeholders replaced by HTML-escaped values."""
    text = path.read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda m: html.escape(values.get(m.group(1), ""), quote=True), text)


def _page(request: Request, runtime: Runtime, name: str, *, media: bool = False, **values: str) -> HTMLResponse:
    body = _render(runtime.settings.web_dir / name, **values)
    return HTMLResponse(body, headers=_security_headers(_csp(request, frame_ancestors="'none'"), media=media))


def _service_origin(runtime: Runtime, request: Request) -> str:
    """Where browsers reach the service: ``public_url``, else 127.0.0.1 on the port this
    request came in on (the demo portal is opened as localhost, so the two differ)."""
    if runtime.settings.public_url:
        return normalize_origin(runtime.settings.public_url)
    host = _host(request) or ""
    port = host.rsplit(":", 1)[1] if re.search(r":\d+$", host) else str(runtime.settings.port)
    return f"http://127.0.0.1:{port}"


class _DocumentIndex:
    """Chunk id -> document, rebuilt when the retriever swaps in a new index."""

    def __init__(self) -> None:
        self._source: list[Document] | None = None
        self._by_id: dict[str, Document] = {}

    def find(self, documents: list[Document], chunk_id: str) -> Document | None:
        if documents is not self._source:
            self._by_id = {d.id: d for d in documents}
            self._source = documents
        return self._by_id.get(chunk_id)


_documents = _DocumentIndex()


# --------------------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _page(request, runtime, "chat.html", media=True, mode="page", portal="", origins="")


@router.get("/assist", response_class=HTMLResponse, include_in_schema=False)
def assist_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The chat page as a join code's invitation (``/assist?code=``): web/static/remote.js
    redeems the code after sign-in, opens the handoff's conversation and offers the video."""
    return _page(request, runtime, "chat.html", media=True, mode="page", portal="", origins="")


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _page(request, runtime, "dashboard.html")


@router.get("/learn", response_class=HTMLResponse, include_in_schema=False)
def learn_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """Micro-lessons: catalogue, lesson, quiz and progress (``/api/training/...``)."""
    return _page(request, runtime, "learn.html")


@router.get("/practice", response_class=HTMLResponse, include_in_schema=False)
def practice_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """Role-play practice: start, answer turn by turn, summary, own history (``/api/training/practice``)."""
    return _page(request, runtime, "practice.html")


@router.get("/sandbox", response_class=HTMLResponse, include_in_schema=False)
def sandbox_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The deal sandbox: a scenario, an offer, the outcome with the real rebate (``/api/training/sandbox``)."""
    return _page(request, runtime, "sandbox.html")


@router.get("/mentoring", response_class=HTMLResponse, include_in_schema=False)
def mentoring_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """Mentoring: sharing sessions to sign up to, notes and recordings of past ones, the
    host's forms and the admins' mentor list (``/api/training/mentoring/...``)."""
    return _page(request, runtime, "mentoring.html")


@router.get("/content", response_class=HTMLResponse, include_in_schema=False)
def content_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The knowledge-base editor (its API decides who may use it: content admins)."""
    return _page(request, runtime, "content.html")


@router.get("/widget/frame", response_class=HTMLResponse, include_in_schema=False)
def widget_frame(
    request: Request, runtime: RuntimeDep, portal: Annotated[str, Query(max_length=64)] = ""
) -> HTMLResponse:
    """The chat page inside a portal's iframe; only the portal's origins may frame it."""
    try:
        found: Portal = _portals(runtime).portal(portal)
    except PortalNotFoundError:
        body = _render(runtime.settings.web_dir / "widget-refused.html")
        headers = _security_headers(_csp(request, frame_ancestors="'none'"))
        return HTMLResponse(body, status_code=404, headers=headers)
    body = _render(
        runtime.settings.web_dir / "chat.html",
        mode="widget",
        portal=found.id,
        origins=" ".join(found.allowed_origins),
    )
    csp = _csp(request, frame_ancestors=found.frame_ancestors())
    return HTMLResponse(body, headers=_security_headers(csp, framable=True))


@router.get("/widget.js", include_in_schema=False)
def widget_loader(runtime: RuntimeDep) -> FileResponse:
    return FileResponse(
        runtime.settings.web_dir / "static" / "widget.js",
        media_type=_MEDIA["js"],
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=300",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/favicon.ico", include_in_schema=False)
def favicon(runtime: RuntimeDep) -> Response:
    """The icon browsers ask every page of the service for (an SVG: every browser we serve reads it)."""
    return FileResponse(
        runtime.settings.web_dir / "static" / "favicon.svg",
        media_type=_MEDIA["svg"],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400"},
    )


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str, runtime: RuntimeDep) -> Response:
    match = _STATIC_NAME.match(name)
    path = runtime.settings.web_dir / "static" / name
    if match is None or not path.is_file():
        return JSONResponse({"code": "not_found", "message": "找不到请求的资源。"}, status_code=404)
    return FileResponse(
        path,
        media_type=_MEDIA[match.group(1)],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


# --------------------------------------------------------------------------- demo portal


def _demo_portal(runtime: Runtime) -> Portal | None:
    """The demo portal, in demo mode only: outside it the page and its signer do not exist."""
    if not runtime.settings.demo or runtime.portals is None:
        return None
    portal = runtime.portals.registry.find(DEMO_PORTAL_ID)
    return portal if portal is not None and portal.enabled else None


def _demo_users(runtime: Runtime, portal: Portal) -> list[tuple[str, str, str]]:
    assert runtime.db is not None
    with runtime.db.read() as s:
        rows = s.scalars(
            select(User).where(User.partner_id.in_(portal.partners), User.active.is_(True)).order_by(User.username)
        )
        return [(u.username, u.display_name, u.partner_id) for u in rows]


@router.get("/demo/portal", response_class=HTMLResponse, include_in_schema=False)
def demo_portal(
    request: Request, runtime: RuntimeDep, as_user: Annotated[str, Query(alias="as", max_length=64)] = ""
) -> Response:
    """A stand-in partner portal: open it as http://localhost:<port>/demo/portal so that it is
    another origin than the service (http://127.0.0.1:<port>) that serves the widget."""
    portal = _demo_portal(runtime)
    if portal is None:
        return JSONResponse({"code": "not_found", "message": "找不到请求的资源。"}, status_code=404)
    users = _demo_users(runtime, portal)
    current = next((u for u in users if u[0] == as_user), users[0] if users else ("", "", ""))
    options = "".join(
        f'<option value="{html.escape(u)}"{" selected" if u == current[0] else ""}>'
        f"{html.escape(name)} ({html.escape(u)} · {html.escape(partner)})</option>"
        for u, name, partner in users
    )
    service = _service_origin(runtime, request)
    body = _render(
        runtime.settings.web_dir / "demo" / "portal.html",
        portal=portal.id,
        portal_name=portal.name,
        service=service,
        user=current[0],
        user_q=quote(current[0], safe=""),
        user_name=current[1],
        partner=current[2],
    ).replace("<!--USER_OPTIONS-->", options)
    csp = _csp(
        request,
        frame_ancestors="'none'",
        extra={"script-src": f"'self' {service}", "frame-src": service, "connect-src": "'self'"},
    )
    return HTMLResponse(body, headers=_security_headers(csp))


@router.post("/demo/portal/identity", include_in_schema=False)
def demo_identity(runtime: RuntimeDep, as_user: Annotated[str, Query(alias="as", max_length=64)] = "") -> JSONResponse:
    """What a real portal's server does for its signed-in user: sign a short-lived,
    single-use identity token with the portal's own secret (docs/embedding.md)."""
    portal = _demo_portal(runtime)
    if portal is None or portal.secret is None:
        return JSONResponse({"code": "not_found", "message": "找不到请求的资源。"}, status_code=404)
    user = next((u for u in _demo_users(runtime, portal) if u[0] == as_user), None)
    if user is None:
        return JSONResponse({"code": "widget_user_rejected", "message": "演示门户没有这个用户。"}, status_code=403)
    token = sign_identity(
        secret=portal.secret,
        portal=portal.id,
        user=user[0],
        partner=user[2],
        expires_at=int(time.time()) + DEMO_TOKEN_SECONDS,
    )
    return JSONResponse({"token": token}, headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------- APIs


class WidgetSessionRequest(BaseModel):
    portal_id: str = Field(min_length=1, max_length=64)
    identity_token: str = Field(min_length=1, max_length=4096)


class WidgetSessionResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    portal_id: str
    user_id: str
    partner_id: str
    display_name: str


@router.post("/api/widget/session", response_model=WidgetSessionResponse, tags=["widget"])
async def widget_session(body: WidgetSessionRequest, request: Request, runtime: RuntimeDep) -> WidgetSessionResponse:
    """Exchange a portal-signed identity token (signature, expiry, single-use nonce, user in
    that partner) for an access token.  Called by the widget page; a browser request from
    any other origin than the service or the portal's own is refused."""
    service = _portals(runtime)
    origin = request.headers.get("origin")
    if origin and not same_host(origin, _host(request)):
        portal = service.portal(body.portal_id)
        if not portal.allows_origin(origin):
            raise OriginNotAllowedError("origin not allowed for this portal")
    try:
        grant = await run_in_threadpool(
            lambda: service.exchange(portal_id=body.portal_id, identity_token=body.identity_token)
        )
    except PortalError as exc:
        log.info("widget session refused: portal=%s code=%s", body.portal_id, exc.code)
        raise
    return WidgetSessionResponse(**asdict(grant))


class DocumentOut(BaseModel):
    id: str
    doc_id: str
    kind: str
    title: str
    text: str


@router.get("/api/documents/{chunk_id}", response_model=DocumentOut, tags=["chat"])
def get_document(chunk_id: Annotated[str, Path(max_length=200)], caller: CallerDep, runtime: RuntimeDep) -> DocumentOut:
    """The passage a citation points to (``doc_id`` of a reply's citation)."""
    if runtime.retriever is None:
        raise NotReadyError("index not loaded")
    doc = _documents.find(runtime.retriever.documents, chunk_id)
    if doc is None:
        raise DocumentNotFoundError(chunk_id)
    return DocumentOut(id=doc.id, doc_id=doc.doc_id, kind=doc.kind, title=doc.label, text=doc.text)


class FeedbackItemOut(BaseModel):
    rating: str
    comment: str
    created_at: str
    user_name: str
    partner_id: str
    question: str
    answer: str


class RecentFeedbackOut(BaseModel):
    scope: list[str]
    up: int
    down: int
    items: list[FeedbackItemOut]


@router.get("/api/feedback/recent", response_model=RecentFeedbackOut, tags=["dashboard"])
def get_recent_feedback(
    caller: CallerDep, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> RecentFeedbackOut:
    """Thumbs up/down with comments from the users of the caller's node (managers and
    admins: and of every node below it)."""
    assert runtime.db is not None
    rebates = runtime.current_rebates()
    network: Network | None = rebates.state.network if rebates is not None and rebates.available else None
    summary = recent_feedback(runtime.db, partner_ids=feedback_scope(caller, network), limit=limit)
    return RecentFeedbackOut(
        scope=list(summary.partner_ids),
        up=summary.up,
        down=summary.down,
        items=[FeedbackItemOut(**asdict(item)) for item in summary.items],
    )


# --------------------------------------------------------------------------- WebSocket check


def widget_origin_refused(runtime: Runtime, websocket: WebSocket, caller: Caller) -> bool:
    """True when the caller signed in through a portal's widget and the handshake's
    Origin is neither the service itself nor one of that portal's allowed origins."""
    service = runtime.portals
    if service is None or caller.portal is None:
        return False
    origin = websocket.headers.get("origin")
    allowed = service.ws_origin_allowed(portal_id=caller.portal, origin=origin, host=_host(websocket))
    if not allowed:
        log.warning("widget WebSocket refused: origin=%s", origin)
    return not allowed
