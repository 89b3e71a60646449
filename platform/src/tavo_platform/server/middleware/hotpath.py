"""The hot reads in one ASGI layer: one scan, its status, a page of its results.

For these GETs, this layer is the whole stack: it gives the request its id, authenticates
and counts it (auth.py), calls the very endpoint function the route calls, turns what it
raises into the error envelope (errors.py), adds the rate-limit headers and gives a 304 its
unit back (ratelimit.py), compresses with the gzip bodies cached by ETag (compression.py),
records the request's metrics, and sends the response in two messages. The answers are
byte for byte those of the full middleware stack and FastAPI's dispatch, which cost several
times the work these requests do themselves. Anything it is not certain about goes on
unchanged: another method or path, an id not in the format the store issues, a mounted root
path, and results queries with anything but plain pagination numbers (FastAPI then validates
and reports them). The routes stay the one source of the OpenAPI document.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tavo_platform.server.auth import Principal
from tavo_platform.server.deps import RATE_LIMIT_STATE, REFUND_STATE
from tavo_platform.server.metrics import RequestSeries
from tavo_platform.server.middleware.auth import HotHeaders, authenticate
from tavo_platform.server.middleware.compression import GzipBodies, encode_final
from tavo_platform.server.middleware.errors import ExceptionHandler, handler_for, last_resort
from tavo_platform.server.middleware.errors import answer as answer_for
from tavo_platform.server.middleware.ratelimit import settled, with_rate_limit_headers
from tavo_platform.server.middleware.request_id import REQUEST_ID_HEADER, request_id_for
from tavo_platform.server.ratelimit import RATE_LIMIT_NAMES, rate_limit_raw_headers
from tavo_platform.server.routes import scans
from tavo_platform.server.state import AppState

# Scan ids are "scan_" and a UUID4 in hex (store._database.new_id); no other route matches them.
_SCAN_PATH = re.compile(r"/api/v1/scans/(scan_[0-9a-f]{32})(/status|/results)?")
# The pagination parameters of the results route and the least value each accepts.
_PAGINATION_MINIMUM = {"page": 0, "page_size": 1, "offset": 0, "limit": 1}
# Query strings with nothing to unquote.
_PLAIN_QUERY = re.compile(rb"[A-Za-z0-9_=&.-]*")
# Plain decimal numbers, short enough that no offset computed from them overflows SQLite.
_NUMBER = re.compile(r"0|[1-9][0-9]{0,8}")


# Query strings parsed lately (a client pages with few distinct ones): parsing took a
# microsecond per results request. Values are shared: never changed by a caller.
_PAGINATIONS: dict[bytes, dict[str, int] | None] = {}
_MAX_PAGINATIONS = 1024


def simple_pagination(query_string: bytes) -> dict[str, int] | None:
    """The pagination a results query asks for, or None unless it is only that: each of
    page/page_size/offset/limit at most once, as a plain number within its bounds. The
    dict given is shared: read it, never change it."""
    if not query_string:
        return {}
    try:
        return _PAGINATIONS[query_string]
    except KeyError:
        pass
    chosen = _pagination(query_string)
    if len(_PAGINATIONS) >= _MAX_PAGINATIONS:
        _PAGINATIONS.clear()
    _PAGINATIONS[query_string] = chosen
    return chosen


def _pagination(query_string: bytes) -> dict[str, int] | None:
    chosen: dict[str, int] = {}
    # Decoded as Starlette decodes the query string; without "%" or "+" there is nothing to
    # unquote, and splitting on "&" and the first "=" is what parse_qsl does.
    if _PLAIN_QUERY.fullmatch(query_string):
        pairs = [
            (name, value)
            for name, _, value in (
                field.partition("=") for field in query_string.decode().split("&") if field
            )
        ]
    else:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    for name, value in pairs:
        minimum = _PAGINATION_MINIMUM.get(name)
        if minimum is None or name in chosen or not _NUMBER.fullmatch(value):
            return None
        number = int(value)
        if number < minimum:
            return None
        chosen[name] = number
    return chosen


def fast_read(scope: Scope) -> tuple[str, str | None, dict[str, int]] | None:
    """(scan id, route tail, pagination) when HotPath answers this request itself."""
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


# Where the rate-limit headers go in an answer kept for reuse (see Answer).
_RATE_LIMIT_PLACE = (b"x-tavo-rate-limit-headers", b"")
MAX_ANSWER_BYTES = 32 * 1024 * 1024


@dataclass(slots=True)
class Answer:
    """A response as sent but for the per-request headers: `before` + the rate-limit headers
    + `after` + X-Request-ID. Kept for a finished scan while the store gives the very same
    objects for it (source: ScanStore.fresh_scan)."""

    status: int
    before: list[tuple[bytes, bytes]]
    after: list[tuple[bytes, bytes]]
    body: bytes
    source: tuple[object, ...] = ()
    # Whether `before` carries none of the rate-limit headers (a 429 carries them already).
    bare: bool = False


class HotPath:
    def __init__(
        self,
        app: ASGIApp,
        exception_handlers: Mapping[Any, ExceptionHandler],
        gzip_minimum_size: int = 1024,
        gzip_level: int = 6,
    ) -> None:
        self.app = app
        # The app's own handlers (the dict itself: handlers added later count too).
        self._exception_handlers = exception_handlers
        self._gzip_minimum_size = gzip_minimum_size
        self._bodies = GzipBodies(gzip_level)
        self._series = RequestSeries()
        by_endpoint = {
            route.endpoint: route for route in scans.router.routes if isinstance(route, APIRoute)
        }
        self._routes = {
            None: by_endpoint[scans.get_scan],
            "/status": by_endpoint[scans.get_scan_status],
            "/results": by_endpoint[scans.get_scan_results],
        }
        # Answers about finished scans, by what was asked, least recently used first out
        # past MAX_ANSWER_BYTES of bodies.
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._answer_bytes = 0

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
        started = time.perf_counter()
        headers = HotHeaders.read(scope["headers"])
        request_id = request_id_for(headers.request_id)
        route = self._routes[tail]
        # What the router would have recorded (the metrics label the route by its path).
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {"scan_id": scan_id}
        request = Request(scope, receive)
        status = 500
        try:
            answer = await self._respond(request, headers, scan_id, tail, pagination)
            status = answer.status
            raw = answer.before
            state = scope["state"]
            if REFUND_STATE in state:  # a conditional GET: a 304 gives its unit back
                decision = await settled(state, status)
            else:
                decision = state.get(RATE_LIMIT_STATE)
            if decision is not None:
                if answer.bare:
                    raw = [*raw, *rate_limit_raw_headers(decision)]
                else:
                    raw = with_rate_limit_headers(raw, decision)
            raw = [*raw, *answer.after, (REQUEST_ID_HEADER, request_id)]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": answer.body})
        except Exception as error:
            handler = last_resort(self._exception_handlers)
            if handler is not None:  # the server-error layer's answer: the 500 envelope
                await (await answer_for(handler, request, error))(scope, receive, send)
            raise
        finally:
            self._series.record("GET", route, status, time.perf_counter() - started)

    async def _respond(
        self,
        request: Request,
        headers: HotHeaders,
        scan_id: str,
        tail: str | None,
        pagination: dict[str, int],
    ) -> Answer:
        try:
            state: AppState = request.app.state.tavo
            caller = await authenticate(request, state, headers)
            asked: Hashable | None = None
            source: tuple[object, ...] | None = None
            if headers.if_none_match is None:  # (a conditional GET's answer varies)
                source = state.store.fresh_scan(caller.org_id, scan_id)
                if source is not None:
                    asked = (
                        scan_id,
                        tail,
                        *sorted(pagination.items()),
                        b"gzip" in headers.accept_encoding,
                    )
                    kept = self._answers.get(asked)
                    if kept is not None and _same(kept.source, source):
                        self._answers.move_to_end(asked)
                        return kept
            response = await self._route(request, state, caller, scan_id, tail, pagination)
        except Exception as error:
            handler = handler_for(self._exception_handlers, error)
            if handler is None:
                raise
            return self._encode(request.scope, await answer_for(handler, request, error), headers)
        answer = self._encode(request.scope, response, headers)
        if asked is not None and source is not None and answer.status == 200:
            # Kept only if nothing changed while it was made: then it was made from `source`.
            now = state.store.fresh_scan(caller.org_id, scan_id)
            if now is not None and _same(now, source):
                self._keep(asked, answer, source)
        return answer

    def _keep(self, asked: Hashable, answer: Answer, source: tuple[object, ...]) -> None:
        if len(answer.body) > MAX_ANSWER_BYTES // 16:
            return
        answer.source = source
        replaced = self._answers.pop(asked, None)
        if replaced is not None:
            self._answer_bytes -= len(replaced.body)
        self._answers[asked] = answer
        self._answer_bytes += len(answer.body)
        while self._answer_bytes > MAX_ANSWER_BYTES:
            _, dropped = self._answers.popitem(last=False)
            self._answer_bytes -= len(dropped.body)

    async def _route(
        self,
        request: Request,
        state: AppState,
        caller: Principal,
        scan_id: str,
        tail: str | None,
        pagination: dict[str, int],
    ) -> Response:
        if tail is None:
            return await scans.get_scan(scan_id, caller, state)
        if tail == "/status":
            return await scans.get_scan_status(scan_id, caller, state)
        return await scans.get_scan_results(
            request,
            scan_id,
            caller,
            state,
            page=pagination.get("page"),
            page_size=pagination.get("page_size"),
            offset=pagination.get("offset"),
            limit=pagination.get("limit"),
        )

    def _encode(self, scope: Scope, response: Response, headers: HotHeaders) -> Answer:
        """The response's headers and body as the rate-limit and gzip layers send them, the
        place of the rate-limit headers (added after the response's own) marked."""
        raw, body = encode_final(
            scope,
            response.status_code,
            [*response.raw_headers, _RATE_LIMIT_PLACE],
            bytes(response.body),
            gzip_accepted=b"gzip" in headers.accept_encoding,
            minimum_size=self._gzip_minimum_size,
            bodies=self._bodies,
        )
        place = raw.index(_RATE_LIMIT_PLACE)
        before = raw[:place]
        bare = RATE_LIMIT_NAMES.isdisjoint(name.lower() for name, _ in before)
        return Answer(response.status_code, before, raw[place + 1 :], body, bare=bare)


def _same(kept: tuple[object, ...], now: tuple[object, ...]) -> bool:
    return len(kept) == len(now) and all(a is b for a, b in zip(kept, now, strict=True))
