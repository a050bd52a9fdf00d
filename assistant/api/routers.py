"""Feature routers included by the app.  Each feature module owns its routes
(translation only) and builds its services from the Runtime; add one line here."""

from __future__ import annotations

from fastapi import APIRouter


def feature_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    return routers
