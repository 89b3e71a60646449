"""Request dependencies: who is calling, and have they the budget for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tavo_platform.scans import Charger
from tavo_platform.server.auth import Principal
from tavo_platform.server.errors import APIError
from tavo_platform.server.ratelimit import (
    Decision,
    rate_limit_details,
    rate_limit_headers,
)
from tavo_platform.server.roles import check_role
from tavo_platform.server.state import AppState, app_state

RATE_LIMIT_STATE = "tavo_rate_limit"
REFUND_STATE = "tavo_rate_limit_refund"


def scan_budget(state: AppState, principal: Principal) -> Charger[Decision]:
    """The caller's scan-creation budget as the scans service charges it."""

    async def charge() -> Decision:
        return await state.limiter.hit_scan_creation(principal)

    return charge


def rate_limited(decision: Decision, message: str) -> APIError:
    return APIError(
        429,
        "RATE_LIMIT_EXCEEDED",
        message,
        rate_limit_details(decision),
        headers=rate_limit_headers(decision),
    )


SCANS_ONLY_PREFIXES = ("/api/v1/scans", "/api/v1/uploads")


def within_scope(principal: Principal, method: str, path: str) -> None:
    """A scoped key reaches only what its scope allows (403 KEY_SCOPE otherwise)."""
    scope = principal.key.scope
    if scope == "read-only" and method not in ("GET", "HEAD"):
        raise APIError(403, "KEY_SCOPE", "this key is read-only")
    if scope == "scans-only" and not path.startswith(SCANS_ONLY_PREFIXES):
        raise APIError(403, "KEY_SCOPE", "this key may only use the scan endpoints")


async def count_request(
    request: Request, state: AppState, principal: Principal, conditional: bool
) -> Decision:
    """Counts the request against the key's hourly and daily budget; 429 past it.

    Every request is counted here, atomically, conditional GETs included (checking first
    and counting later let a burst of them through past the limit); the rate-limit headers
    layer gives the unit back when the answer is 304 Not Modified, so a 304 costs nothing.
    """
    limiter = state.limiter
    decision = limiter.hit_request_in_memory(principal) or await limiter.hit_request(principal)
    scope_state = request.scope.setdefault("state", {})
    scope_state[RATE_LIMIT_STATE] = decision
    usage = getattr(request.app.state, "tavo_usage", None)
    if usage is not None:  # GET /usage's counts (server/usage.py)
        usage.count(principal)
    if conditional and decision.allowed:
        scope_state[REFUND_STATE] = (state.limiter, principal)
    if not decision.allowed:
        raise rate_limited(decision, "API rate limit exceeded. Please try again later.")
    return decision


async def authenticated(request: Request) -> Principal:
    """Authenticates the request, within its key's scope, and counts it (count_request)."""
    state = app_state(request)
    principal = await state.auth.authenticate(request)
    within_scope(principal, request.method, request.url.path)
    check_role(principal, request)  # server/roles.py: the role each route needs
    conditional = request.method in ("GET", "HEAD") and "if-none-match" in request.headers
    await count_request(request, state, principal, conditional)
    return principal


async def admin(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
    if not principal.is_admin:
        raise APIError(403, "FORBIDDEN", "this endpoint needs an admin key")
    return principal


async def current_state(request: Request) -> AppState:
    # A coroutine on purpose: FastAPI runs a plain `def` dependency in a worker thread,
    # which would cost every request a thread hop.
    return app_state(request)


Caller = Annotated[Principal, Depends(authenticated)]
Admin = Annotated[Principal, Depends(admin)]
State = Annotated[AppState, Depends(current_state)]
