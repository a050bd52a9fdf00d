"""``GET /metrics``: the instance's Prometheus metrics (assistant/api/metrics.py).

They show load, error codes and queue sizes, nothing a caller could not see otherwise,
but an operator's view is not a public one, so by default only an admin's access token
reads them.  A scraper gets its own static token instead: ``ASSISTANT_METRICS_TOKEN``
(compared in constant time); then only that token is accepted.  Keep the endpoint off the
public proxy path either way (docs: the reverse-proxy example).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from assistant.api.deps import RuntimeDep, caller_from_token
from assistant.api.metrics import CONTENT_TYPE
from assistant.auth import AuthError
from assistant.errors import AssistantError

router = APIRouter()


class MetricsForbiddenError(AssistantError):
    code = "forbidden"


@router.get("/metrics", tags=["ops"], response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus text format. ``Authorization: Bearer <ASSISTANT_METRICS_TOKEN>``, or, when
    that setting is empty, an admin's access token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    expected = runtime.settings.metrics_token
    if expected:
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise AuthError("metrics token required")
    elif caller_from_token(runtime, token or None).role != "admin":
        raise MetricsForbiddenError("admins only")
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
