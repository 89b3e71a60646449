"""Signing in to the dashboard with an e-mail address and password.

A successful sign-in makes a session key of the user (kind `session`, the user's role,
expiring with the cookie): the session cookie names its digest as it would an API key's,
so the authenticator treats both alike, removing the user or signing out revokes it, and
demoting the user lowers it. Failed attempts are counted per address and process: after
`MAX_FAILURES` within `FAILURE_WINDOW` seconds the address is refused for the rest of the
window (429), which bounds password guessing; at most `CONCURRENT_CHECKS` password checks
run at once, which bounds the scrypt work sign-ins can cost the server.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta

from tavo_platform.server.auth import KEY_PREFIX, display_prefix, hash_key
from tavo_platform.server.errors import APIError
from tavo_platform.server.passwords import verify_password_async
from tavo_platform.server.state import AppState
from tavo_platform.store.records import ApiKey
from tavo_platform.store.users import User

MAX_FAILURES = 10
FAILURE_WINDOW = 900.0
# Password checks under way at once in one process (each is ~16 MiB and tens of ms of CPU):
# sign-ins spread over many addresses queue here instead of taking every core.
CONCURRENT_CHECKS = 2
_MAX_TRACKED = 10_000


class SignInThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, tuple[float, int]] = {}
        self.checks = asyncio.Semaphore(CONCURRENT_CHECKS)

    def check(self, email: str) -> None:
        started, count = self._failures.get(email, (0.0, 0))
        remaining = started + FAILURE_WINDOW - time.monotonic()
        if count >= MAX_FAILURES and remaining > 0:
            raise APIError(429, "TOO_MANY_SIGN_IN_ATTEMPTS",
                           "too many failed sign-ins for this address: try again later",
                           {"retry_after": int(remaining) + 1},
                           headers={"Retry-After": str(int(remaining) + 1)})

    def failed(self, email: str) -> None:
        moment = time.monotonic()
        started, count = self._failures.get(email, (moment, 0))
        if started + FAILURE_WINDOW <= moment:
            started, count = moment, 0
        if len(self._failures) >= _MAX_TRACKED:
            self._failures.clear()
        self._failures[email] = (started, count + 1)

    def succeeded(self, email: str) -> None:
        self._failures.pop(email, None)


def throttle_of(app_state: object) -> SignInThrottle:
    """The application's throttle (one per app: each API process counts its own)."""
    throttle = getattr(app_state, "tavo_signin_throttle", None)
    if not isinstance(throttle, SignInThrottle):
        throttle = SignInThrottle()
        setattr(app_state, "tavo_signin_throttle", throttle)  # noqa: B010
    return throttle


async def _matching(candidates: list[User], password: str) -> list[User]:
    if not candidates:
        await verify_password_async(password, None)  # as slow as a wrong password
        return []
    return [u for u in candidates if await verify_password_async(password, u.password_hash)]


async def password_session(
    state: AppState, throttle: SignInThrottle, email: str, password: str,
    organization: str | None, lifetime: float,
) -> ApiKey:
    """The session key for a user's e-mail address and password (401 when they do not
    match an active user; 409 when they match users of several organisations and no
    organisation is named)."""
    address = email.strip().lower()
    throttle.check(address)
    candidates = await state.store.users_by_email(address, organization)
    async with throttle.checks:
        users = await _matching(candidates, password)
    if not users:
        throttle.failed(address)
        raise APIError(401, "INVALID_CREDENTIALS", "the e-mail address or password is wrong")
    if len(users) > 1:
        raise APIError(409, "ORGANIZATION_REQUIRED",
                       "this address signs in to several organisations: name one",
                       {"organizations": [u.org_id for u in users]})
    throttle.succeeded(address)
    user = users[0]
    token = KEY_PREFIX + secrets.token_urlsafe(32)  # never shown: the cookie holds its digest
    return await state.store.add_api_key(
        user.org_id, hash_key(token), display_prefix(token), user.tier,
        name="dashboard session", expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
        user_id=user.id, role=user.role, kind="session",
    )
