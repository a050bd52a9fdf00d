"""The uvicorn configuration the service runs with: ``python -m assistant serve`` and the
live-server tests use this one function, so tests exercise the production settings."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from assistant.settings import Settings


def uvicorn_config(app: FastAPI, settings: Settings, *, log_level: str = "info") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        # Chat frames are small: per-message deflate cost more CPU per turn (about 2 ms
        # across a turn's five frames) than it saved on the wire.
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_frame_bytes,
        # On shutdown uvicorn closes open WebSockets with 1012 (service restart).
        timeout_graceful_shutdown=5,
        # Logging is ours (assistant/logs.py: JSON lines, secrets redacted): uvicorn's loggers,
        # the access log included, go through the root handler instead of uvicorn's own.
        log_config=None,
        log_level=log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
