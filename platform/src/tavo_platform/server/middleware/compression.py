"""Response compression: Starlette's gzip middleware with one Vary header and a gzip ETag
of its own for the general path, and, for the hot reads, gzip bodies cached by the ETag of
the identity body they compress (a finished scan's page is compressed once, not per request).
"""

from __future__ import annotations

import zlib
from collections import OrderedDict

from starlette.middleware.gzip import GZipMiddleware as StarletteGZipMiddleware
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tavo_platform.server.caching import gzip_etag


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
    kept = [(name, value) for name, value in headers if name.lower() != b"vary"]
    return [*kept, (b"vary", _vary_names(vary))]


def _vary_names(values: list[bytes]) -> bytes:
    """The names of several Vary values, each once (case-insensitively), in order."""
    names: dict[bytes, bytes] = {}
    for value in values:
        for token in value.split(b","):
            token = token.strip()
            if token:
                names.setdefault(token.lower(), token)
    return b", ".join(names.values())


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


class GzipBodies:
    """Gzip bodies by the strong ETag of the identity body (an ETag names one body, so its
    compressed form never changes), least recently used first out past `max_bytes`. Level
    and framing are those of the gzip middleware, so the bytes are the ones it would send."""

    def __init__(self, compresslevel: int, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.compresslevel = compresslevel
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[bytes, bytes] = OrderedDict()
        self._size = 0

    def compress(self, body: bytes, etag: bytes | None) -> bytes:
        if etag is None or etag.startswith(b"W/"):
            return self._deflate(body)
        cached = self._bodies.get(etag)
        if cached is not None:
            self._bodies.move_to_end(etag)
            return cached
        zipped = self._deflate(body)
        if len(zipped) <= self.max_bytes // 8:
            self._bodies[etag] = zipped
            self._size += len(zipped)
            while self._size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)
        return zipped

    def _deflate(self, body: bytes) -> bytes:
        compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush()


# The hot path's headers have lower-case names (Starlette's raw headers, the rate-limit
# layer's): these match names exactly, where the middleware's helpers lower each one.


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key == name), None)


def _one_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """As _without_repeated_vary: the Vary names once each, in order, in one last header."""
    vary = [value for name, value in headers if name == b"vary"]
    if len(vary) < 2:
        return headers
    kept = [(name, value) for name, value in headers if name != b"vary"]
    return [*kept, (b"vary", _vary_names(vary))]


def _zipped_etag(
    headers: list[tuple[bytes, bytes]], status: int, scope: Scope
) -> list[tuple[bytes, bytes]]:
    """As _gzip_etag, for lower-case names."""
    etag = _header(headers, b"etag")
    if etag is None or etag.startswith(b"W/") or not etag.endswith(b'"'):
        return headers
    zipped = gzip_etag(etag.decode("latin-1")).encode("latin-1")
    if status == 304:
        asked = next((v for k, v in scope["headers"] if k == b"if-none-match"), b"")
        if zipped not in asked:
            return headers
    elif (b"content-encoding", b"gzip") not in headers:
        return headers
    return [(name, zipped if name == b"etag" else value) for name, value in headers]


def encode_final(
    scope: Scope,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    gzip_accepted: bool,
    minimum_size: int,
    bodies: GzipBodies,
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A complete JSON response as GZipMiddleware sends it: compressed when the client takes
    gzip and the body is large enough, with Vary: Accept-Encoding then, and the gzip ETag.
    Header names are lower-case."""
    if len(body) < minimum_size or _header(headers, b"content-encoding") is not None:
        if gzip_accepted:
            headers = _zipped_etag(_one_vary(headers), status, scope)
        return headers, body
    headers = [*headers, (b"vary", b"Accept-Encoding")]
    if gzip_accepted:
        zipped = bodies.compress(body, _header(headers, b"etag"))
        if zipped != body:
            headers = [(name, value) for name, value in headers if name != b"content-length"]
            headers += [(b"content-encoding", b"gzip"), (b"content-length", b"%d" % len(zipped))]
            body = zipped
        return _zipped_etag(_one_vary(headers), status, scope), body
    return _one_vary(headers), body
