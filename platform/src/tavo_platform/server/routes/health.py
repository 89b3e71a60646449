"""Liveness, readiness (database and scan runners) and Prometheus metrics."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from tavo_platform.server.deps import State, admin, authenticated
from tavo_platform.server.metrics import QUEUE_DEPTH, REGISTRY
from tavo_platform.server.responses import JSONResponse
from tavo_platform.store.interface import StoreUnavailable

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness")
async def health() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/ready", summary="Readiness: database reachable and scan runners alive")
async def ready(state: State) -> Response:
    checks = {"database": "ok", "workers": "ok" if state.jobs.healthy else "down"}
    try:
        await state.store.ping()
    except StoreUnavailable:
        checks["database"] = "down"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", summary="Prometheus metrics (an admin key, unless metrics_public)")
async def metrics(request: Request, state: State) -> Response:
    if not state.settings.metrics_public:
        await admin(await authenticated(request))
    with contextlib.suppress(StoreUnavailable):
        QUEUE_DEPTH.set(await state.store.count_queued())
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
