"""Prometheus metrics: requests, latency, 429s, queue depth, scan durations."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "tavo_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "tavo_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter("tavo_rate_limited_total", "Requests answered 429", registry=REGISTRY)
QUEUE_DEPTH = Gauge("tavo_scan_queue_depth", "Scans waiting to run", registry=REGISTRY)
SCAN_DURATION = Histogram(
    "tavo_scan_duration_seconds",
    "Time from claim to finish of a scan",
    ["status"],
    registry=REGISTRY,
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)


_MAX_CACHED_SERIES = 10_000


class RequestSeries:
    """Counts and times requests by (method, route template, status). The labelled series
    are kept: `labels()` validates and locks on every call, a measurable share of a fast
    request."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(self, method: str, route: Any, status: int, seconds: float) -> None:
        template = getattr(route, "path", "unmatched")
        series_key = (method, template, status)
        series = self._series.get(series_key)
        if series is None:
            if len(self._series) >= _MAX_CACHED_SERIES:
                self._series.clear()
            series = self._series[series_key] = (
                REQUESTS.labels(method, template, str(status)),
                LATENCY.labels(method, template),
            )
        series[0].inc()
        series[1].observe(seconds)
        if status == 429:
            RATE_LIMITED.inc()


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._series = RequestSeries()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            self._series.record(
                scope["method"], scope.get("route"), status, time.perf_counter() - started
            )
