"""Request bodies: a cap on their size, `Content-Encoding: gzip` inflated with a cap on the
inflated size (a compression bomb is refused with 413 before anything parses it), and a
stalled body answered 408."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tavo_platform.server.errors import APIError, error_response


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


