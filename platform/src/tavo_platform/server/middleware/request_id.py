"""Request ids: a sane caller-given X-Request-ID is echoed, else one is made, on every
response."""

from __future__ import annotations

import itertools
import os
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def request_id_for(given: bytes) -> bytes:
    """The caller's id (the last X-Request-ID header's value, b"" if none) when it is sane:
    at most 128 ASCII letters, digits, "-" and "_"; else a new one."""
    if (
        0 < len(given) <= 128
        and given.isascii()
        and given.replace(b"-", b"").replace(b"_", b"").isalnum()
    ):
        return given
    return _request_ids.next()


def given_request_id(headers: list[tuple[bytes, bytes]]) -> bytes:
    given = b""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            given = value  # the last one, as a dict of the headers would keep
    return given


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(given_request_id(scope["headers"]))
        scope.setdefault("state", {})["request_id"] = request_id.decode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)
