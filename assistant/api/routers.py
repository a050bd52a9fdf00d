"""Feature routers included by the app.  Each feature module owns its routes
(translation only) and builds its services from the Runtime; add one line here."""

from __future__ import annotations

from fastapi import APIRouter


def feature_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    from assistant.api.routes_rebates import router as rebates_router

    routers.append(rebates_router)
    from assistant.api.routes_handoff import build_router as handoff_router

    routers.append(handoff_router())
    from assistant.api.routes_web import router as web_router

    routers.append(web_router)
    from assistant.api.recovery import build_router as recovery_router

    routers.append(recovery_router())
    from assistant.api.routes_content import router as content_router

    routers.append(content_router)
    from assistant.api.routes_ops import router as ops_router

    routers.append(ops_router)
    from assistant.api.routes_tasks import router as tasks_router

    routers.append(tasks_router)
    from assistant.api.routes_alerts import router as alerts_router

    routers.append(alerts_router)
    from assistant.api.routes_profiles import router as profiles_router

    routers.append(profiles_router)
    from assistant.api.routes_ops_dashboard import router as ops_dashboard_router

    routers.append(ops_dashboard_router)
    from assistant.api.routes_training import router as training_router

    routers.append(training_router)
    from assistant.api.routes_practice import router as practice_router

    routers.append(practice_router)
    from assistant.api.routes_path import router as path_router

    routers.append(path_router)
    from assistant.api.routes_mentoring import router as mentoring_router

    routers.append(mentoring_router)
    from assistant.api.routes_sandbox import router as sandbox_router

    routers.append(sandbox_router)
    from assistant.api.routes_customers import router as customers_router

    routers.append(customers_router)
    return routers
