"""A direct route for the hottest reads: one scan, its status, a page of its results.

FastAPI's routing and dependency injection cost more than a hundred microseconds of CPU per
request here, several times the work these requests do themselves (a cached key check, two
rate-limit counters, one indexed SQLite read, an orjson body). This middleware, the
innermost of ours, answers exactly those requests by calling the very endpoint functions,
authentication, rate limiting and exception handlers the routes use, so the answers are the
same; only the dispatch is skipped. Anything it is not certain about goes on to FastAPI
unchanged: another method or path, an id not in the format the store issues, a mounted
root path, and results queries with anything but plain pagination numbers (FastAPI then
validates and reports them). The routes stay the one source of the OpenAPI document.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tavo_platform.server.deps import authenticated
from tavo_platform.server.middleware import RequestBodyMiddleware
from tavo_platform.server.routes import scans
from tavo_platform.server.state import app_state

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response] | Response]

# Scan ids are "scan_" and a UUID4 in hex (store._database.new_id); no other route matches them.
_SCAN_PATH = re.compile(r"/api/v1/scans/(scan_[0-9a-f]{32})(/status|/results)?")
# The pagination parameters of the results route and the least value each accepts.
_PAGINATION_MINIMUM = {"page": 0, "page_size": 1, "offset": 0, "limit": 1}
# Plain decimal numbers, short enough that no offset computed from them overflows SQLite.
_NUMBER = re.compile(r"0|[1-9][0-9]{0,8}")


def simple_pagination(query_string: bytes) -> dict[str, int] | None:
    """The pagination a results query asks for, or None unless it is only that: each of
    page/page_size/offset/limit at most once, as a plain number within its bounds."""
    if not query_string:
        return {}
    chosen: dict[str, int] = {}
    # Decoded as Starlette decodes the query string.
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        minimum = _PAGINATION_MINIMUM.get(name)
        if minimum is None or name in chosen or not _NUMBER.fullmatch(value):
            return None
        number = int(value)
        if number < minimum:
            return None
        chosen[name] = number
    return chosen


def fast_read(scope: Scope) -> tuple[str, str | None, dict[str, int]] | None:
    """(scan id, route tail, pagination) when FastReads answers this request itself."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
        return None
    match = _SCAN_PATH.fullmatch(scope["path"])
    if match is None:
        return None
    scan_id, tail = match.groups()
    pagination: dict[str, int] | None = {}
    if tail == "/results":
        pagination = simple_pagination(scope["query_string"])
    if pagination is None:
        return None
    return scan_id, tail, pagination


class FastReads:
    def __init__(self, app: ASGIApp, exception_handlers: Mapping[Any, ExceptionHandler]) -> None:
        self.app = app
        # The app's own handlers (the dict itself: handlers added later count too), minus
        # the catch-all, which the server-error middleware outside applies to what we raise.
        self._exception_handlers = exception_handlers
        by_endpoint = {
            route.endpoint: route for route in scans.router.routes if isinstance(route, APIRoute)
        }
        self._routes = {
            None: by_endpoint[scans.get_scan],
            "/status": by_endpoint[scans.get_scan_status],
            "/results": by_endpoint[scans.get_scan_results],
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = fast_read(scope)
        if chosen is None:
            await self.app(scope, receive, send)
            return
        await self._serve(scope, receive, send, *chosen)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        scan_id: str,
        tail: str | None,
        pagination: dict[str, int],
    ) -> None:
        route = self._routes[tail]
        # What the router would have recorded (the metrics label the route by its path).
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {"scan_id": scan_id}
        request = Request(scope, receive)
        try:
            caller = await authenticated(request)
            state = app_state(request)
            if tail is None:
                response = await scans.get_scan(scan_id, caller, state)
            elif tail == "/status":
                response = await scans.get_scan_status(scan_id, caller, state)
            else:
                response = await scans.get_scan_results(
                    request,
                    scan_id,
                    caller,
                    state,
                    page=pagination.get("page"),
                    page_size=pagination.get("page_size"),
                    offset=pagination.get("offset"),
                    limit=pagination.get("limit"),
                )
        except Exception as error:
            handler = self._handler_for(error)
            if handler is None:
                raise
            answer = handler(request, error)
            response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)

    def _handler_for(self, error: Exception) -> ExceptionHandler | None:
        """The handler Starlette's exception middleware would pick: the nearest class."""
        for cls in type(error).__mro__:
            if cls is Exception:
                return None
            handler = self._exception_handlers.get(cls)
            if handler is not None:
                return handler
        return None


# Middleware with nothing to do for a GET without a body: the short stack leaves it out.
_BODY_MIDDLEWARE: frozenset[Any] = frozenset({RequestBodyMiddleware})


class FastReadsAPI(FastAPI):
    """FastAPI, where the requests FastReads answers take a shorter middleware stack: the
    app's own middleware (ids, metrics, gzip, rate-limit headers) under Starlette's
    server-error middleware, as in the full stack, minus what only acts on request bodies
    and FastAPI's telemetry and body-limit wrappers (no body, no tracing configured). On
    this server those layers cost about as much as the read itself. Without FastReads
    among the app's middleware every request takes the full stack."""

    _fast_stack: ASGIApp | None = None
    _fast_stack_built = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if fast_read(scope) is not None:
            if not self._fast_stack_built:
                # Built on first use, as Starlette builds its stack: all middleware is added.
                self._fast_stack = self._build_fast_stack()
                self._fast_stack_built = True
            if self._fast_stack is not None:
                scope["app"] = self
                await self._fast_stack(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _build_fast_stack(self) -> ASGIApp | None:
        chosen = [m for m in self.user_middleware if m.cls not in _BODY_MIDDLEWARE]
        if not any(m.cls is cast(Any, FastReads) for m in chosen):
            return None
        error_handler = self.exception_handlers.get(500) or self.exception_handlers.get(Exception)
        # FastReads answers every request routed here; the router behind it is a fallback.
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(chosen):
            app = cls(app, *args, **kwargs)
        return ServerErrorMiddleware(app, handler=error_handler, debug=self.debug)
