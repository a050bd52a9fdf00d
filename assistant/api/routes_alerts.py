"""REST routes and the dashboard socket of risk alerts (translation only; decisions in
:class:`assistant.ops.alert_service.AlertService`).

Managers and admins see the alerts of their node and every node below it; other roles get
403 ``forbidden``.  Errors: ``alert_not_found`` (404, also for an alert outside the caller's
subtree), ``alert_invalid_transition`` (409: acknowledge an alert that is not open, resolve
a resolved one), ``alert_note_required`` / ``alert_note_too_long`` (422: a resolution note
is 1..1000 characters once trimmed), ``partner_not_found`` (404: the caller's node is
deactivated), ``not_ready`` (503: no rebate data, so no alerts); a malformed query, path or
body is ``validation_error`` (422).  Messages are zh-CN (:mod:`assistant.i18n`).

::

    GET  /api/alerts?status=open|acknowledged|resolved&cleared=false&limit=500
         -> {"node_id": "R-EC", "count": 3, "alerts": [{"id": 7, "rule": "return_spike", ...}]}
    GET  /api/alerts/7
    POST /api/alerts/7/ack                                   -> the alert, status acknowledged
    POST /api/alerts/7/resolve {"note": "已与伙伴核实：一批次质量问题退货"}  -> status resolved

``/ws/alerts`` (signed in like every socket: ``?ticket=`` or ``Authorization: Bearer``;
:mod:`assistant.api.sockets`): a manager's dashboard receives ``{"type": "ready",
"node_id": ...}``, then an ``alert`` event (:class:`assistant.api.alert_push.AlertEvent`)
whenever an alert of its subtree is created or changes, on whichever instance; no polling.
It may send ``{"type": "ping"}`` (answered ``{"type": "pong"}``); refused with 1008 before
accept for a role that does not work with alerts, 1013 while there are no alerts.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, WebSocket
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from assistant.api.alert_push import AlertOut, AlertPush, alert_out, channel
from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.events import ErrorOut
from assistant.api.runtime import NotReadyError, Runtime
from assistant.api.sockets import closed_at_expiry, receive_text, sign_in_socket
from assistant.api.throttle import RateLimitedError, connection_key
from assistant.errors import AssistantError
from assistant.i18n import error_message
from assistant.ops.alert_service import MAX_LIST, MAX_NOTE, AlertChange, AlertService, StoredAlert
from assistant.ops.tables import AlertStatus

router = APIRouter(tags=["alerts"])


AlertId = Annotated[int, Path(ge=1, le=2**63 - 1)]
CLOSE_POLICY = 1008
CLOSE_NOT_READY = 1013


def service(runtime: RuntimeDep) -> AlertService:
    """The alert service, its channel tree first brought up to date (several instances)."""
    runtime.current_rebates()
    if runtime.alerts is None:
        raise NotReadyError("risk alerts not started")
    return runtime.alerts


# --------------------------------------------------------------------------- payloads


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Bounded here against abuse; 1..MAX_NOTE once trimmed is the service's rule, with its own codes.
    note: Annotated[str, Field(max_length=4 * MAX_NOTE)]


class AlertListOut(BaseModel):
    node_id: str  # the caller's node: the list covers it and every node below it
    count: int
    alerts: list[AlertOut]


def _out(runtime: Runtime, alert: StoredAlert) -> AlertOut:
    rebates = runtime.rebates
    node = rebates.state.network.find(alert.partner_id) if rebates is not None and rebates.available else None
    return alert_out(alert, None if node is None else node.name)


def _pushed(runtime: Runtime, change: AlertChange) -> AlertOut:
    """Tell the dashboards (from this worker thread, on the server's loop), then answer."""
    if runtime.alert_push is not None:
        runtime.alert_push.publish_from_thread([change])
    return _out(runtime, change.alert)


# --------------------------------------------------------------------------- routes


@router.get("/api/alerts", response_model=AlertListOut)
def list_alerts(
    caller: CallerDep,
    runtime: RuntimeDep,
    status: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query()] = None,
    cleared: Annotated[bool, Query(description="also the alerts that no longer fire")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = MAX_LIST,
) -> AlertListOut:
    """The alerts of the caller's node and its descendants: firing and unresolved first,
    then high before low and the newest period first."""
    alerts = service(runtime)
    node = alerts.viewer_node(caller)
    found = alerts.alerts_for(
        caller, None if status is None else AlertStatus(status), include_cleared=cleared, limit=limit
    )
    return AlertListOut(node_id=node.id, count=len(found), alerts=[_out(runtime, a) for a in found])


@router.get("/api/alerts/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: AlertId, caller: CallerDep, runtime: RuntimeDep) -> AlertOut:
    return _out(runtime, service(runtime).alert(caller, alert_id))


@router.post("/api/alerts/{alert_id}/ack", response_model=AlertOut)
def acknowledge_alert(alert_id: AlertId, caller: CallerDep, runtime: RuntimeDep) -> AlertOut:
    """open -> acknowledged, with who and when (409 ``alert_invalid_transition`` otherwise)."""
    return _pushed(runtime, service(runtime).acknowledge(caller, alert_id))


@router.post("/api/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(alert_id: AlertId, body: ResolveIn, caller: CallerDep, runtime: RuntimeDep) -> AlertOut:
    """open or acknowledged -> resolved, with who, when and the note."""
    return _pushed(runtime, service(runtime).resolve(caller, alert_id, body.note))


# --------------------------------------------------------------------------- the dashboard socket


async def _send_error(websocket: WebSocket, code: str) -> None:
    await websocket.send_json(ErrorOut(code=code, message=error_message(code)).model_dump(exclude_none=True))


@router.websocket("/ws/alerts")
async def alerts_ws(websocket: WebSocket) -> None:
    rt: Runtime = websocket.app.state.runtime
    signed = await sign_in_socket(rt, websocket)
    if signed is None:
        return
    caller = signed.caller
    alerts, push = rt.alerts, rt.alert_push
    if alerts is None or push is None:
        await websocket.close(code=CLOSE_NOT_READY)
        return
    try:
        node = await run_in_threadpool(alerts.viewer_node, caller)
    except AssistantError:
        await websocket.close(code=CLOSE_POLICY)
        return
    await websocket.accept()
    _remember_loop(push)
    key = channel(node.id)
    await rt.hub.join(key, websocket)  # before "ready": an alert after "ready" reaches this socket
    try:
        await websocket.send_json({"type": "ready", "node_id": node.id})
        async with closed_at_expiry(websocket, signed.expires_at, lambda code: _send_error(websocket, code)):
            while True:
                frame = await receive_text(websocket)
                try:
                    await rt.throttle.frame(connection_key(websocket.scope))
                except RateLimitedError as exc:
                    await _send_error(websocket, exc.code)
                    continue
                if frame is None:
                    await _send_error(websocket, "unsupported_frame")
                    continue
                await _on_frame(websocket, frame)
    except WebSocketDisconnect:
        return
    except RuntimeError:  # sending on a socket the server is closing (shutdown, expiry)
        if websocket.application_state != WebSocketState.DISCONNECTED:
            raise
    finally:
        await rt.hub.leave(key, websocket)


def _remember_loop(push: AlertPush) -> None:
    push.loop = asyncio.get_running_loop()


async def _on_frame(websocket: WebSocket, frame: str) -> None:
    """The dashboard only listens; ``ping`` is answered, anything else is an ``error`` event."""
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        await _send_error(websocket, "invalid_json")
        return
    if isinstance(data, dict) and data.get("type") == "ping":
        await websocket.send_json({"type": "pong"})
    else:
        await _send_error(websocket, "unknown_event")
