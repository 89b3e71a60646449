"""API keys: generated once, shown once, stored as SHA-256 only.

Keys carry 256 bits of randomness, so a fast hash is enough (no password-style stretching
is needed to resist guessing); lookups go by hash and the final comparison is
constant-time. A short in-process cache keeps the hot path off the database; a revoked
key stops working within `AUTH_CACHE_SECONDS`.

No request waits for the database while its key is in use: a key whose entry is within
AUTH_REFRESH_SECONDS of running out is looked up again in the background while the entry,
still valid, serves; and a key not cached is looked up once however many requests carry it
at that moment (they all wait for that one read). On PostgreSQL each lookup is a round trip,
and every request in flight when an entry expired used to make its own: a burst of reads
every AUTH_CACHE_SECONDS that held up every request under load.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from tavo_platform.server.errors import APIError
from tavo_platform.store.interface import Store
from tavo_platform.store.records import ApiKey
from tavo_platform.tiers import TierLimits
from tavo_platform.web.sessions import COOKIE_NAME, CSRF_HEADER, SessionSigner

KEY_PREFIX = "tavo_"
AUTH_CACHE_SECONDS = 2.0
# A key used this close to its entry's end is looked up again in the background.
AUTH_REFRESH_SECONDS = 0.5
_AUTH_CACHE_MAX = 10_000


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKey
    limits: TierLimits

    @property
    def org_id(self) -> str:
        return self.key.org_id

    @property
    def key_id(self) -> str:
        return self.key.id

    @property
    def is_admin(self) -> bool:
        return self.key.is_admin


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    api_key = request.headers.get("x-api-key")
    return api_key.strip() if api_key and api_key.strip() else None


_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _missing_key() -> APIError:
    return APIError(
        401,
        "INVALID_API_KEY",
        "an API key is required (Authorization: Bearer <key> or X-API-Key)",
        headers={"WWW-Authenticate": "Bearer"},
    )


class Authenticator:
    def __init__(
        self,
        store: Store,
        tiers: dict[str, TierLimits],
        sessions: SessionSigner | None = None,
    ) -> None:
        self._store = store
        self._tiers = tiers
        # The dashboard's cookie sessions (web/sessions.py); None: keys only.
        self.sessions = sessions
        # digest -> (valid until, the key's caller or None for an unknown or revoked key),
        # so the hot path neither queries the database nor rebuilds the limits model (nor
        # the caller) on every request.
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        # The lookup under way for a digest (one at a time: requests share it).
        self._lookups: dict[str, asyncio.Task[Principal | None]] = {}
        # Bumped by forget(): a lookup begun before does not fill the cache.
        self._generation = 0

    async def authenticate(self, request: Request) -> Principal:
        return await self.principal_for(self._presented_digest(request))

    def known(self, digest: str) -> Principal | None:
        """The caller of a key looked up within AUTH_CACHE_SECONDS, valid and unexpired,
        without a coroutine (the hot path); None: ask principal_for."""
        cached = self._cache.get(digest)
        if cached is None or cached[1] is None:
            return None
        left = cached[0] - time.monotonic()
        if left <= 0:
            return None
        if left <= AUTH_REFRESH_SECONDS and digest not in self._lookups:
            self._start_lookup(digest)  # in the background: this entry serves meanwhile
        expires_at = cached[1].key.expires_at
        if expires_at is not None and expires_at <= datetime.now(UTC):
            return None
        return cached[1]

    async def principal_for(self, digest: str) -> Principal:
        """The caller a key digest stands for; 401 when unknown, revoked or expired."""
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            principal = cached[1]
        else:
            lookup = self._lookups.get(digest) or self._start_lookup(digest)
            # Shielded: a caller that goes away does not cancel the others' lookup.
            principal = await asyncio.shield(lookup)
        if principal is None:
            # Unknown or revoked: the same answer, so a caller cannot tell a revoked key
            # from one that never existed.
            raise APIError(
                401,
                "INVALID_API_KEY",
                "the API key is not valid",
                headers={"WWW-Authenticate": "Bearer"},
            )
        expires_at = principal.key.expires_at
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise APIError(
                401,
                "API_KEY_EXPIRED",
                "the API key has expired",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return principal

    def _presented_digest(self, request: Request) -> str:
        """The digest of the key a request carries: in a header, or behind a dashboard
        session cookie (whose state changes must also carry the CSRF token)."""
        key = presented_key(request)
        if key is not None:
            return hash_key(key)
        token = request.cookies.get(COOKIE_NAME) if self.sessions else None
        if self.sessions is None or not token:
            raise _missing_key()
        session = self.sessions.verify(token)
        if session is None:
            raise APIError(401, "SESSION_EXPIRED", "the session has expired: sign in again")
        if request.method in _UNSAFE_METHODS and not self.sessions.csrf_matches(
            token, request.headers.get(CSRF_HEADER)
        ):
            raise APIError(403, "CSRF_TOKEN_INVALID", "a missing or wrong X-CSRF-Token header")
        return session.key_hash

    def limits_for(self, record: ApiKey) -> TierLimits:
        base = self._tiers.get(record.tier, self._tiers["free"])
        if record.limits:
            return base.model_copy(update=record.limits)
        return base

    def _start_lookup(self, digest: str) -> asyncio.Task[Principal | None]:
        lookup = asyncio.get_running_loop().create_task(self._lookup(digest))
        self._lookups[digest] = lookup
        lookup.add_done_callback(lambda done: self._looked_up(digest, done))
        return lookup

    def _looked_up(self, digest: str, lookup: asyncio.Task[Principal | None]) -> None:
        if self._lookups.get(digest) is lookup:
            del self._lookups[digest]
        if not lookup.cancelled():
            # Retrieved here: a background refresh that failed (the database unavailable)
            # leaves the entry to run out, and the next request looks the key up itself.
            lookup.exception()

    async def _lookup(self, digest: str) -> Principal | None:
        """The key's caller as the database has it now (None: unknown or revoked), kept
        for AUTH_CACHE_SECONDS (unless forget() was called meanwhile)."""
        moment = time.monotonic()
        generation = self._generation
        record = await self._store.api_key_by_hash(digest)
        principal = None
        if (
            record is not None
            and hmac.compare_digest(record.key_hash, digest)
            and record.revoked_at is None
        ):
            principal = Principal(record, self.limits_for(record))
        if generation == self._generation:
            if len(self._cache) >= _AUTH_CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (moment + AUTH_CACHE_SECONDS, principal)
        return principal

    def forget(self) -> None:
        """Every key is looked up afresh from now on (a key or a role changed)."""
        self._cache.clear()
        self._lookups.clear()  # lookups under way read before the change: not joined
        self._generation += 1
