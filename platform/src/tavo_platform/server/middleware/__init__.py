"""The request path's middleware, one concern per module, composed once here.

- request_id.py: X-Request-ID on every response;
- body.py: request-body limits, gzip request bodies, stalled bodies;
- auth.py: the key (or session) of a hot read, its scope and its count;
- ratelimit.py: the rate-limit headers, and the unit a 304 gives back;
- compression.py: gzip responses (bodies cached by ETag on the hot path);
- errors.py: exceptions into the error envelope;
- hotpath.py: the hottest reads answered in one layer that does all of the above.

The general path is the usual stack (outermost first): request id, metrics, request body,
gzip, rate-limit headers, then FastAPI. The hot reads take HotPath alone (fast_reads.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from tavo_platform.server.metrics import MetricsMiddleware
from tavo_platform.server.middleware.body import RequestBodyMiddleware
from tavo_platform.server.middleware.compression import GZipMiddleware
from tavo_platform.server.middleware.hotpath import HotPath
from tavo_platform.server.middleware.ratelimit import RateLimitHeadersMiddleware
from tavo_platform.server.middleware.request_id import RequestIdMiddleware
from tavo_platform.settings import Settings

UPLOAD_PATHS = ("/api/v1/uploads", "/api/v1/ai/analyze")
GZIP_LEVEL = 6

__all__ = [
    "GZipMiddleware",
    "HotPath",
    "RateLimitHeadersMiddleware",
    "RequestBodyMiddleware",
    "RequestIdMiddleware",
    "install",
]


def install(app: FastAPI, settings: Settings) -> None:
    """Adds the middleware to the app, innermost first (Starlette wraps in reverse)."""
    app.add_middleware(
        HotPath,
        exception_handlers=app.exception_handlers,
        gzip_minimum_size=settings.gzip_min_bytes,
        gzip_level=GZIP_LEVEL,
    )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(
        GZipMiddleware, minimum_size=settings.gzip_min_bytes, compresslevel=GZIP_LEVEL
    )
    app.add_middleware(
        RequestBodyMiddleware,
        max_bytes=settings.max_request_bytes,
        upload_max_bytes=settings.max_upload_bytes,
        upload_prefixes=UPLOAD_PATHS,
        body_idle_seconds=settings.request_body_idle_seconds,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
