"""Logs: one JSON object per line, with the request id of whatever is being served, and
never a secret.

Why structlog (``structlog.stdlib.ProcessorFormatter``) rather than a hand-written JSON
formatter: the code keeps logging through the standard library (``logging.getLogger``
with %-arguments, as uvicorn, SQLAlchemy and every other library do), and one processor
chain renders all of those records alike: timestamp, level, logger, the message, the
``extra=`` fields, the bound context (``structlog.contextvars``: the request id,
conversation id ...) and the traceback, as JSON.  Context variables follow a request
into its threads (anyio copies the context) and are handed to the engine worker
processes with each turn (:func:`current_request_id`, :func:`bound_request`).

Redaction runs on the rendered line, last, so nothing escapes it whatever logged it:
query-string secrets (``?token=``, ``ticket=``, ``code=`` ...) and anything shaped like
a JSON web token or a portal identity token become ``[redacted]``.  uvicorn's access log
goes through the same handler (the service passes ``log_config=None`` to uvicorn).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, get_contextvars, reset_contextvars

__all__ = [
    "bind_context",
    "bound_request",
    "configure_logging",
    "current_request_id",
    "new_request_id",
    "redact",
    "sane_request_id",
]

# Query parameters whose values are secrets wherever they appear in a logged URL.
SECRET_PARAMS = ("token", "access_token", "ticket", "code", "identity_token", "password", "secret", "key")
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s\"'#\\]+")
# JSON web tokens (access tokens) and portal identity tokens (v1.<payload>.<signature>).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}")
_IDENTITY = re.compile(r"\bv1\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
REDACTED = "[redacted]"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_HANDLER_NAME = "assistant-json"


def redact(text: str) -> str:
    """``text`` with every secret this module recognises replaced by ``[redacted]``."""
    text = _QUERY_SECRET.sub(r"\1" + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _IDENTITY.sub(REDACTED, text)
    return _BEARER.sub(r"\1" + REDACTED, text)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str | None:
    """A client's ``X-Request-ID`` if it is short and plain (letters, digits, ``._:-``),
    else None: anything else is replaced, so a header cannot smuggle text into the log."""
    return value if value and _REQUEST_ID.match(value) else None


def current_request_id() -> str | None:
    value = get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


def bind_context(**values: Any) -> None:
    """Add fields (e.g. ``conversation_id``) to every later log line of this context."""
    bind_contextvars(**values)


@contextmanager
def bound_request(request_id: str | None, **values: Any) -> Iterator[None]:
    """Log with ``request_id`` (and ``values``) inside the block; an engine worker uses it
    for the turn it was handed, the middleware for each request."""
    fields = {"request_id": request_id, **values} if request_id else values
    with bound_contextvars(**fields):
        yield


def clear_context() -> None:
    reset_contextvars()


_JSON = structlog.processors.JSONRenderer(ensure_ascii=False, default=str)


def _render(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> str:
    event_dict.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return redact(str(_JSON(logger, method_name, event_dict)))


def json_formatter() -> logging.Formatter:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _render,
        ],
    )


def configure_logging(level: str | int = "INFO", *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record (ours, uvicorn's, the libraries') to ``stream`` (stderr) as
    one redacted JSON object per line.  Idempotent: a second call replaces the handler.
    Returns the handler (tests remove it again)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # seven lines of set-up per start
    # uvicorn's own loggers: no handlers of their own, through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return handler
