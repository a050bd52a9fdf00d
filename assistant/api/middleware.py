"""ASGI middleware: a request id for every HTTP request and WebSocket connection.

The id is the client's ``X-Request-ID`` when it is short and plain, else a new one; it is
bound to the logging context for everything the request does (threads and engine worker
processes included, see :mod:`assistant.logs`) and sent back as ``X-Request-ID``.
Pure ASGI, so WebSockets get one too and nothing buffers a response.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.logs import bound_request, new_request_id, sane_request_id

HEADER = b"x-request-id"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == HEADER), b"")
        request_id = sane_request_id(given.decode("latin-1")) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode("ascii"))]}
            await send(message)

        with bound_request(request_id):
            await self.app(scope, receive, send_with_id)
