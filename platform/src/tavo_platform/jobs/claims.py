"""Which scan a free worker takes next: fair queueing across organisations.

Every organisation's oldest claimable scan is a candidate (store.claim_candidates). They are
tried in this order: organisations running the fewest scans first; among equals, the one
this worker served longest ago (round robin, so one organisation's long queue never delays
another's next scan by more than one scan per worker), then the oldest scan. An
organisation already running as many scans as its tier allows is passed over.

The embedded pool and each Celery worker process keep one `FairClaims`. Across processes
the round robin is per process and the running counts are read, not locked: two workers
claiming at the same moment may let an organisation exceed its concurrency by one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tavo_platform.store.interface import Store
from tavo_platform.store.records import Scan
from tavo_platform.tiers import TierLimits

# Organisations looked at per claim (each one's oldest scan).
CANDIDATES = 50
# Organisations remembered for the round robin; beyond this the oldest memories go.
_REMEMBERED = 10_000


class FairClaims:
    def __init__(
        self, store: Store, tier_of: Callable[[str], Awaitable[TierLimits]], lease: timedelta
    ) -> None:
        self._store = store
        self._tier_of = tier_of
        self._lease = lease
        self._served: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def claim(self, worker: str) -> Scan | None:
        """The next scan for `worker`, claimed; None when no organisation may start one.
        One claim at a time in this process, so the counts seen include the claim just made."""
        async with self._lock:
            candidates = await self._store.claim_candidates(CANDIDATES)
            # Stable sort: the store's oldest-first order decides among equals.
            candidates.sort(key=lambda c: (c.running, self._served.get(c.org_id, 0.0)))
            for candidate in candidates:
                tier = await self._tier_of(candidate.org_id)
                if candidate.running >= tier.concurrent_scans:
                    continue
                scan = await self._store.claim_scan_id(candidate.scan_id, worker, self._lease)
                if scan is not None:
                    self._remember(candidate.org_id)
                    return scan
        return None

    def _remember(self, org_id: str) -> None:
        self._served.pop(org_id, None)
        self._served[org_id] = time.monotonic()
        if len(self._served) > _REMEMBERED:  # dicts keep insertion order: oldest first
            del self._served[next(iter(self._served))]
