"""Small ASGI middleware: request ids, body limits and gzip request bodies, rate-limit headers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import secrets
import zlib
from typing import Any

from starlette.middleware.gzip import GZipMiddleware as StarletteGZipMiddleware
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tavo_platform.server.caching import gzip_etag
from tavo_platform.server.deps import RATE_LIMIT_STATE, REFUND_STATE
from tavo_platform.server.errors import APIError, error_response
from tavo_platform.server.ratelimit import RateLimitStoreUnavailable, rate_limit_headers

REQUEST_ID_HEADER = b"x-request-id"


class _RequestIds:
    """Unique request ids as 32 hex digits: a random prefix per process and a counter.
    uuid4() cost more than all the rest of this middleware (it reads the OS's random
    source every time); ids need to be unique, not unpredictable."""

    def __init__(self) -> None:
        self._reset()
        # A forked worker must not repeat its parent's ids.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count()

    def next(self) -> bytes:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFFFFFF:016x}".encode()


_request_ids = _RequestIds()


class RequestIdMiddleware:
    """Echoes a sane caller-given X-Request-ID, or makes one, on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                given = value  # the last one, as a dict of the headers would keep
        request_id = (
            given
            if 0 < len(given) <= 128
            and given.isascii()
            and given.replace(b"-", b"").replace(b"_", b"").isalnum()
            else _request_ids.next()
        )
        scope.setdefault("state", {})["request_id"] = request_id.decode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestBodyMiddleware:
    """Caps request bodies and inflates `Content-Encoding: gzip` ones, with a cap on the
    inflated size, so a compression bomb is refused with 413 before anything parses it."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_max_bytes: int,
        upload_prefixes: tuple[str, ...] = (),
        body_idle_seconds: float | None = None,
    ) -> None:
        self.app = app
        self.body_idle_seconds = body_idle_seconds
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes
        self.upload_prefixes = upload_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if any(scope["path"].startswith(prefix) for prefix in self.upload_prefixes):
            limit = self.upload_max_bytes
        headers = dict(scope["headers"])
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding not in (b"identity", b"gzip", b""):
            await error_response(
                APIError(415, "UNSUPPORTED_MEDIA_TYPE", "only gzip request bodies are accepted")
            )(scope, receive, send)
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit)(scope, receive, send)
            return
        try:
            body = await _read_body(receive, limit, gzip=encoding == b"gzip",
                                    idle_seconds=self.body_idle_seconds)
        except _BodyTimeout:
            await error_response(APIError(
                408, "REQUEST_TIMEOUT",
                f"the request body stalled for more than {self.body_idle_seconds:g} s",
            ))(scope, receive, send)
            return
        except _BodyTooLarge:
            await _too_large(limit)(scope, receive, send)
            return
        except _BadGzip:
            await error_response(APIError(400, "BAD_REQUEST", "the gzip request body is corrupt"))(
                scope, receive, send
            )
            return
        except _Disconnected:
            return
        if encoding == b"gzip":
            scope["headers"] = [
                (k, v)
                for k, v in scope["headers"]
                if k not in (b"content-encoding", b"content-length")
            ] + [(b"content-length", str(len(body)).encode())]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class _BodyTimeout(Exception):
    pass


class _BodyTooLarge(Exception):
    pass


class _BadGzip(Exception):
    pass


class _Disconnected(Exception):
    pass


async def _read_body(
    receive: Receive, limit: int, *, gzip: bool, idle_seconds: float | None = None
) -> bytes:
    """The whole body; a client that sends nothing for `idle_seconds` (a slowloris) is
    answered 408 instead of holding the connection."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
    chunks: list[bytes] = []
    size = 0
    raw = 0
    while True:
        try:
            message = await asyncio.wait_for(receive(), idle_seconds)
        except TimeoutError:
            raise _BodyTimeout() from None
        if message["type"] == "http.disconnect":
            raise _Disconnected()
        chunk = message.get("body", b"")
        raw += len(chunk)
        if raw > limit:
            raise _BodyTooLarge()
        if inflater is not None and chunk:
            try:
                chunk = inflater.decompress(chunk, limit - size + 1)
            except zlib.error:
                raise _BadGzip() from None
            if inflater.unconsumed_tail:
                raise _BodyTooLarge()
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if inflater is not None and not inflater.eof:
        raise _BadGzip()
    return b"".join(chunks)


def _too_large(limit: int) -> Any:
    return error_response(
        APIError(
            413,
            "PAYLOAD_TOO_LARGE",
            f"the request body is larger than {limit} bytes",
            {"max_bytes": limit},
        )
    )


@functools.cache
def _raw_header_name(name: str) -> bytes:
    return name.lower().encode()


class RateLimitHeadersMiddleware:
    """Adds the X-RateLimit-*/RateLimit headers decided for this request to its response,
    and gives back the request a conditional GET answered 304 was counted for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                decision = state.get(RATE_LIMIT_STATE)
                refund = state.get(REFUND_STATE)
                if refund is not None and message["status"] == 304 and decision is not None:
                    limiter, principal = refund
                    # If the store failed since, the 304 stays counted rather than turning
                    # a finished response into an error.
                    with contextlib.suppress(RateLimitStoreUnavailable):
                        decision = await limiter.refund_request(principal, decision)
                if decision is not None:
                    headers = message.get("headers", [])
                    existing = {k.lower() for k, _ in headers}
                    extra = []
                    for name, value in rate_limit_headers(decision).items():
                        raw_name = _raw_header_name(name)
                        if raw_name not in existing:
                            extra.append((raw_name, value.encode()))
                    message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _PreparedIdentityResponder(IdentityResponder):
    def __init__(self, app: ASGIApp, minimum_size: int, excluded: tuple[str, ...]) -> None:
        super().__init__(app, minimum_size, exclude_content_types=())
        self.exclude_content_types = excluded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_one_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _without_repeated_vary(message["headers"])
            await send(message)

        await super().__call__(scope, receive, send_with_one_vary)


class _PreparedGZipResponder(GZipResponder):
    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        compresslevel: int,
        thread_minimum_size: int,
        excluded: tuple[str, ...],
    ) -> None:
        super().__init__(
            app,
            minimum_size,
            compresslevel,
            thread_minimum_size=thread_minimum_size,
            exclude_content_types=(),
        )
        self.exclude_content_types = excluded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_one_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = _without_repeated_vary(message["headers"])
                message["headers"] = _gzip_etag(headers, message["status"], scope)
            await send(message)

        await super().__call__(scope, receive, send_with_one_vary)


def _gzip_etag(
    headers: list[tuple[bytes, bytes]], status: int, scope: Scope
) -> list[tuple[bytes, bytes]]:
    """A gzip body gets its own strong ETag (the suffixed one); so does a 304 answering a
    client that revalidated the gzip representation."""
    etag = next((value for name, value in headers if name.lower() == b"etag"), None)
    if etag is None or etag.startswith(b"W/") or not etag.endswith(b'"'):
        return headers
    zipped = gzip_etag(etag.decode("latin-1")).encode("latin-1")
    if status == 304:
        asked = next((v for k, v in scope["headers"] if k == b"if-none-match"), b"")
        if zipped not in asked:
            return headers
    elif (b"content-encoding", b"gzip") not in [(k.lower(), v) for k, v in headers]:
        return headers
    return [(name, zipped if name.lower() == b"etag" else value) for name, value in headers]


def _without_repeated_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Starlette appends "Accept-Encoding" to a Vary header that may already name it (our
    cacheable responses do): each name once, in order."""
    vary = [value for name, value in headers if name.lower() == b"vary"]
    if not vary:
        return headers
    names: dict[bytes, bytes] = {}
    for value in vary:
        for token in value.split(b","):
            token = token.strip()
            if token:
                names.setdefault(token.lower(), token)
    kept = [(name, value) for name, value in headers if name.lower() != b"vary"]
    return [*kept, (b"vary", b", ".join(names.values()))]


class GZipMiddleware(StarletteGZipMiddleware):
    """Starlette's gzip middleware, minus a per-request cost: its responders normalise the
    excluded content types again in every constructor; these take the list the middleware
    normalised once. Choosing and running the responder is unchanged."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # As Starlette's Headers.get: the first Accept-Encoding header.
        accepted = next((v for k, v in scope["headers"] if k == b"accept-encoding"), b"")
        responder: ASGIApp
        if b"gzip" in accepted:
            responder = _PreparedGZipResponder(
                self.app,
                self.minimum_size,
                self.compresslevel,
                self.thread_minimum_size,
                self.exclude_content_types,
            )
        else:
            responder = _PreparedIdentityResponder(
                self.app, self.minimum_size, self.exclude_content_types
            )
        await responder(scope, receive, send)
