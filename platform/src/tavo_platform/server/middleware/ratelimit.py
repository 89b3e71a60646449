"""Rate-limit headers: the X-RateLimit-*/RateLimit headers decided for a request, added to
its response; a conditional GET answered 304 gets its unit back (a 304 costs nothing)."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tavo_platform.server.deps import RATE_LIMIT_STATE, REFUND_STATE
from tavo_platform.server.ratelimit import (
    Decision,
    RateLimitStoreUnavailable,
    rate_limit_raw_headers,
)


async def settled(state: dict[str, Any], status: int) -> Decision | None:
    """The decision whose headers the response carries: the one counted for the request,
    or, for a conditional GET answered 304, the one after giving its unit back."""
    decision: Decision | None = state.get(RATE_LIMIT_STATE)
    refund = state.get(REFUND_STATE)
    if refund is not None and status == 304 and decision is not None:
        limiter, principal = refund
        # If the store failed since, the 304 stays counted rather than turning a finished
        # response into an error.
        with contextlib.suppress(RateLimitStoreUnavailable):
            decision = await limiter.refund_request(principal, decision)
    return decision


def with_rate_limit_headers(
    headers: list[tuple[bytes, bytes]], decision: Decision
) -> list[tuple[bytes, bytes]]:
    """`headers` plus those of the decision it does not already carry (a 429 has them)."""
    existing = {name.lower() for name, _ in headers}
    extra = rate_limit_raw_headers(decision)
    if not existing.isdisjoint(name for name, _ in extra):
        extra = [(name, value) for name, value in extra if name not in existing]
    return [*headers, *extra]


class RateLimitHeadersMiddleware:
    """Adds the headers decided for this request (server/deps.py) to its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = await settled(scope.get("state", {}), message["status"])
                if decision is not None:
                    message["headers"] = with_rate_limit_headers(
                        message.get("headers", []), decision
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
