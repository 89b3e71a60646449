"""The authenticator's key cache (server/auth.py): however many requests carry a key not
cached, the database is asked once; a key in use is looked up again before its entry runs
out, with no request waiting for it; a revocation still takes effect within
AUTH_CACHE_SECONDS, and forget() at once, a lookup under way meanwhile included."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from tavo_platform.server import auth
from tavo_platform.server.auth import Authenticator, Principal, hash_key
from tavo_platform.server.errors import APIError
from tavo_platform.store.records import ApiKey
from tavo_platform.tiers import DEFAULT_TIERS

KEY = "tavo_the-key"
DIGEST = hash_key(KEY)


class Keys:
    """api_key_by_hash over one key, counting lookups; each waits for `release` when set."""

    def release_all(self) -> None:
        assert self.release is not None
        self.release.set()
        for own in self.releases:
            own.set()

    def __init__(self) -> None:
        self.record: ApiKey | None = ApiKey(
            id="key_1", org_id="org_1", name="", key_hash=DIGEST, prefix="tavo_t",
            tier="pro", is_admin=False, limits=None, created_at=datetime.now(UTC),
            expires_at=None, revoked_at=None,
        )
        self.lookups = 0
        self.release: asyncio.Event | None = None
        # Each lookup's own release, in the order they began (while `release` is set).
        self.releases: list[asyncio.Event] = []

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        self.lookups += 1
        found = self.record
        if self.release is not None:
            own = asyncio.Event()
            self.releases.append(own)
            await self.release.wait()
            await own.wait()
        return found if found is not None and found.key_hash == key_hash else None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth.time, "monotonic", clock.monotonic)
    return clock


async def settle() -> None:
    """Lets the tasks ready to run (lookups released) run to their end. (The loop's clock
    is the patched one: no timed sleeps here.)"""
    for _ in range(10):
        await asyncio.sleep(0)


def authenticator(keys: Keys) -> Authenticator:
    return Authenticator(keys, DEFAULT_TIERS)  # type: ignore[arg-type]


def test_concurrent_requests_for_a_key_not_cached_make_one_lookup(clock: Clock) -> None:
    async def run() -> None:
        keys = Keys()
        keys.release = asyncio.Event()
        authn = authenticator(keys)
        waiting = [asyncio.create_task(authn.principal_for(DIGEST)) for _ in range(20)]
        await settle()
        keys.release_all()
        principals: list[Any] = await asyncio.gather(*waiting)
        assert keys.lookups == 1
        assert all(p is principals[0] for p in principals)
        assert principals[0].key_id == "key_1"
        # An unknown key: one lookup, every request refused.
        keys.release = None
        refused = await asyncio.gather(
            *(authn.principal_for(hash_key("tavo_other")) for _ in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(e, APIError) and e.status == 401 for e in refused)
        assert keys.lookups == 2

    asyncio.run(run())


def test_a_key_in_use_is_looked_up_before_its_entry_runs_out(clock: Clock) -> None:
    async def run() -> None:
        keys = Keys()
        authn = authenticator(keys)
        first = await authn.principal_for(DIGEST)
        assert keys.lookups == 1
        # Early in the entry's life: served, no lookup.
        clock.now += auth.AUTH_CACHE_SECONDS - auth.AUTH_REFRESH_SECONDS - 0.1
        assert authn.known(DIGEST) is first
        await asyncio.sleep(0)
        assert keys.lookups == 1
        # Near its end: still served from the entry at once, and looked up meanwhile (once).
        clock.now += 0.2
        keys.release = asyncio.Event()
        assert authn.known(DIGEST) is first
        assert authn.known(DIGEST) is first
        await asyncio.sleep(0)
        assert keys.lookups == 2
        keys.release_all()
        await settle()
        # The new entry counts from that lookup: the key stays known past the old end.
        clock.now += auth.AUTH_REFRESH_SECONDS + 0.1
        refreshed = authn.known(DIGEST)
        assert refreshed is not None and refreshed is not first
        assert keys.lookups == 2

        # A key revoked is refused within AUTH_CACHE_SECONDS, even while in use.
        assert keys.record is not None
        keys.record = replace(keys.record, revoked_at=datetime.now(UTC))
        keys.release = None
        for _ in range(int(auth.AUTH_CACHE_SECONDS / 0.1) + 1):
            clock.now += 0.1
            if authn.known(DIGEST) is None:
                break
            await asyncio.sleep(0)
        else:
            raise AssertionError("the revoked key was still served")
        with pytest.raises(APIError):
            await authn.principal_for(DIGEST)

    asyncio.run(run())


def test_forget_is_not_undone_by_a_lookup_under_way(clock: Clock) -> None:
    async def run() -> None:
        keys = Keys()
        authn = authenticator(keys)
        keys.release = asyncio.Event()
        before = asyncio.create_task(authn.principal_for(DIGEST))
        await settle()
        assert keys.lookups == 1
        # The key is revoked and the cache forgotten while that lookup (of the key as it
        # was) is under way: a request from now on does not join it, and is refused.
        assert keys.record is not None
        keys.record = replace(keys.record, revoked_at=datetime.now(UTC))
        authn.forget()
        after = asyncio.create_task(authn.principal_for(DIGEST))
        await settle()
        assert keys.lookups == 2
        # The later lookup ends first, then the earlier one (which read the key unrevoked).
        keys.release.set()
        keys.releases[1].set()
        with pytest.raises(APIError):
            await after
        keys.releases[0].set()
        assert isinstance(await before, Principal)  # it asked before the change
        # And the older answer was not kept.
        assert authn.known(DIGEST) is None
        with pytest.raises(APIError):
            await authn.principal_for(DIGEST)

    asyncio.run(run())


def test_a_failed_background_lookup_leaves_the_entry_to_run_out(clock: Clock) -> None:
    async def run() -> None:
        keys = Keys()
        authn = authenticator(keys)
        first = await authn.principal_for(DIGEST)

        async def unavailable(_digest: str) -> ApiKey | None:
            raise ConnectionError("database down")

        keys.api_key_by_hash = unavailable  # type: ignore[method-assign]
        clock.now += auth.AUTH_CACHE_SECONDS - 0.1
        assert authn.known(DIGEST) is first  # still valid; the lookup fails behind it
        await settle()
        clock.now += 0.2
        assert authn.known(DIGEST) is None
        with pytest.raises(ConnectionError):
            await authn.principal_for(DIGEST)

    asyncio.run(run())
