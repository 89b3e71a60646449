"""The error envelope on the hot path: an exception becomes the response the app's own
handler for it gives (server/errors.py), picked as Starlette's exception middleware picks
it; what no handler takes becomes the 500 envelope of the server-error handler."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response] | Response]


def handler_for(
    handlers: Mapping[Any, ExceptionHandler], error: Exception
) -> ExceptionHandler | None:
    """The handler of the nearest class, Exception's excepted (that one is the last resort
    of the server-error layer, which also re-raises)."""
    for cls in type(error).__mro__:
        if cls is Exception:
            return None
        handler = handlers.get(cls)
        if handler is not None:
            return handler
    return None


def last_resort(handlers: Mapping[Any, ExceptionHandler]) -> ExceptionHandler | None:
    return handlers.get(500) or handlers.get(Exception)


async def answer(handler: ExceptionHandler, request: Request, error: Exception) -> Response:
    response = handler(request, error)
    return await response if inspect.isawaitable(response) else response
