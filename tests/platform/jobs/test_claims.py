"""Fair claims (jobs/claims.py): round robin across organisations, each held to its tier's
concurrency, whatever the age of their queued scans."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tavo_platform.jobs.claims import FairClaims
from tavo_platform.store.records import NewScan
from tavo_platform.store.sql import SqlStore
from tavo_platform.tiers import DEFAULT_TIERS, TierLimits

LEASE = timedelta(minutes=5)


def upload(org_id: str) -> NewScan:
    return NewScan(org_id=org_id, source="upload", scan_type="code", upload_path="/x")


def test_a_long_queue_does_not_hold_back_another_organisation(database_url: str) -> None:
    """One worker, one slot: `busy` queued four scans before `calm` queued one. Once busy's
    first scan is done, calm's goes next, although busy's second is older."""

    async def tier_of(_org_id: str) -> TierLimits:
        return DEFAULT_TIERS["pro"]

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            busy = await store.ensure_organization("busy")
            calm = await store.ensure_organization("calm")
            flood = (await store.create_scans(busy.id, [upload(busy.id)] * 4)).scans
            victim = (await store.create_scans(calm.id, [upload(calm.id)])).scans
            claims = FairClaims(store, tier_of, LEASE)
            order = []
            while (scan := await claims.claim("w1")) is not None:
                order.append(scan.id)
                assert await store.finish_scan(scan.id, "w1", status="completed", summary=None,
                                               results=[])
            assert order == [flood[0].id, victim[0].id, *(s.id for s in flood[1:])]
        finally:
            await store.close()

    asyncio.run(body())


def test_an_organisation_at_its_concurrency_is_passed_over(database_url: str) -> None:
    async def tier_of(org_id: str) -> TierLimits:
        return DEFAULT_TIERS["free"]  # one scan at a time

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            busy = await store.ensure_organization("busy")
            calm = await store.ensure_organization("calm")
            flood = (await store.create_scans(busy.id, [upload(busy.id)] * 3)).scans
            victim = (await store.create_scans(calm.id, [upload(calm.id)])).scans
            claims = FairClaims(store, tier_of, LEASE)
            first, second = await claims.claim("w1"), await claims.claim("w2")
            assert first is not None and first.id == flood[0].id
            assert second is not None and second.id == victim[0].id
            assert await claims.claim("w3") is None  # both organisations at their limit
        finally:
            await store.close()

    asyncio.run(body())
