"""The ASGI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tavo_platform import __version__
from tavo_platform.analysis.registry import ModelRegistry
from tavo_platform.analysis.service import AnalysisService
from tavo_platform.encryption import secret_box
from tavo_platform.findings.tracking import CATCH_UP_SECONDS, CatchUpLoop, FindingsTracker
from tavo_platform.jobs.interface import JobDispatcher
from tavo_platform.jobs.pool import InProcessPool
from tavo_platform.jobs.schedules import Scheduler
from tavo_platform.server.auth import Authenticator
from tavo_platform.server.docs import install_docs
from tavo_platform.server.errors import install_error_handlers
from tavo_platform.server.fast_reads import FastReadsAPI
from tavo_platform.server.middleware import install as install_middleware
from tavo_platform.server.ratelimit import RateLimiter
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes import (
    admin,
    ai,
    audit_log,
    bulk,
    bulk_manage,
    findings,
    health,
    hooks,
    repositories,
    repository_admin,
    rules,
    scan_compare,
    scans,
    schedules,
    uploads,
    usage,
    user_keys,
    users,
    webhooks,
)
from tavo_platform.server.state import AppState
from tavo_platform.server.usage import UsageRecorder
from tavo_platform.settings import Settings, load_settings
from tavo_platform.store.interface import Store
from tavo_platform.store.migrate import check_schema
from tavo_platform.store.sql import SqlStore
from tavo_platform.web import routes as web
from tavo_platform.web.sessions import SessionSigner, load_secret
from tavo_platform.webhooks.dispatcher import WebhookDispatcher

log = logging.getLogger("tavo.server")


def job_dispatcher(store: Store, settings: Settings) -> JobDispatcher:
    """Scans run on Celery workers when a broker is configured, else in this process."""
    if settings.queue_url:
        # Imported only here: the embedded default does not load Celery at all.
        from tavo_platform.jobs.celery_dispatcher import CeleryDispatcher

        return CeleryDispatcher(store, settings)
    return InProcessPool(store, settings)


def session_signer(settings: Settings) -> SessionSigner | None:
    if not settings.dashboard:
        return None
    configured = settings.session_secret.get_secret_value() if settings.session_secret else None
    secret = load_secret(configured, settings.data_dir)
    return SessionSigner(secret, settings.session_hours * 3600)


def create_app(settings: Settings | None = None, *, freeze_startup: bool = False) -> FastAPI:
    """The app. `freeze_startup` (a served process: app_from_environment): once started,
    every object made so far (modules, the app, its routes and models: some 190,000) moves
    to the collector's permanent generation (gc.freeze), so that full collections no longer
    walk them: under load one came every 10-20 s and held every request up for 30-250 ms
    on a busy machine. Not for apps made and dropped in one process (tests): what they
    froze would never be collected."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        await check_schema(url)
        store = SqlStore(url, pool_size=settings.database_pool_size)
        jobs = job_dispatcher(store, settings)
        limiter = RateLimiter(settings.redis_url or "memory://")
        app.state.tavo = AppState(
            settings=settings,
            store=store,
            auth=Authenticator(store, settings.tiers, session_signer(settings)),
            limiter=limiter,
            jobs=jobs,
        )
        # AI analyses run in this process (they are cheap); see analysis/service.py.
        analysis = AnalysisService(store, settings, ModelRegistry(settings))
        app.state.tavo_analysis = analysis
        # Completed scans whose findings the worker could not track are tracked here.
        tracking = CatchUpLoop(FindingsTracker(store), CATCH_UP_SECONDS)
        box = secret_box(settings)
        app.state.tavo_secrets = box
        deliveries = WebhookDispatcher(store, settings, box)
        scheduler = Scheduler(store, jobs)
        usage_counts = UsageRecorder(store)
        app.state.tavo_usage = usage_counts
        await jobs.start()
        await analysis.start()
        await tracking.start()
        await deliveries.start()
        await scheduler.start()
        await usage_counts.start()
        if freeze_startup:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await usage_counts.stop()
            await scheduler.stop()
            await deliveries.stop()
            await tracking.stop()
            await analysis.stop()
            await jobs.stop()
            await limiter.close()
            await store.close()

    app = FastReadsAPI(
        title="Tavo API",
        version=__version__,
        summary="Self-hosted AI-security scanning: scans, findings, rules, repositories.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from the package's own assets below (no CDN)
        redoc_url=None,
        default_response_class=JSONResponse,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_docs(app)
    for router in (
        health.router,
        bulk.router,  # before scans: /scans/bulk is not a scan id
        bulk_manage.router,
        scans.router,
        scan_compare.router,
        uploads.router,
        repositories.router,
        repository_admin.router,
        rules.router,
        admin.router,
        ai.router,
        findings.router,
        webhooks.router,
        schedules.router,
        hooks.router,
        usage.router,
        audit_log.router,
        users.router,
        user_keys.router,
    ):
        app.include_router(router)
    if settings.dashboard:
        app.include_router(web.router)
        app.mount(f"{web.UI_PREFIX}/static", web.assets(), name="dashboard-assets")
    install_middleware(app, settings)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for ASGI servers: settings come from TAVO_* variables / TAVO_CONFIG."""
    return create_app(freeze_startup=True)
