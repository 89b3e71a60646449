"""Every Store method, on SQLite and on PostgreSQL: the same results from both databases
(JSON columns, UTC datetimes, RETURNING/rowcounts, SKIP LOCKED claims), exact claims under
concurrency, and outages reported as StoreUnavailable (the API's 503) while bad data is not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError
from tavo_platform.server.responses import dumps
from tavo_platform.store.interface import StoreUnavailable
from tavo_platform.store.records import FindingFilter, NewScan
from tavo_platform.store.sql import FINDINGS_BATCH, SqlStore

from tests.support import services
from tests.support.factories import finding

T = TypeVar("T")
LEASE = timedelta(minutes=5)


def with_store(url: str, body: Callable[[SqlStore], Awaitable[T]]) -> T:
    async def run() -> T:
        store = SqlStore(url)
        try:
            return await body(store)
        finally:
            await store.close()

    return asyncio.run(run())


def new_scan(org_id: str, **changes: Any) -> NewScan:
    values: dict[str, Any] = {"org_id": org_id, "source": "git", "scan_type": "code",
                              "repository_url": "https://example.invalid/r.git",
                              "rules": ["r-one"], "exclusions": ["vendor/**"]}
    return NewScan(**{**values, **changes})


def test_keys_and_organisations(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        assert (await store.ensure_organization("acme")).id == org.id
        expires = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
        key = await store.add_api_key(org.id, "h" * 64, "tavo_abc", "enterprise",
                                      name="ci", limits={"requests_per_hour": 5000},
                                      expires_at=expires)
        found = await store.api_key_by_hash("h" * 64)
        assert found == key
        assert found.limits == {"requests_per_hour": 5000}
        assert found.expires_at == expires and found.expires_at.tzinfo is not None
        assert found.created_at.utcoffset() == timedelta(0)
        assert await store.api_key_by_hash("x" * 64) is None
        assert [k.id for k in await store.list_api_keys(org.id)] == [key.id]
        assert await store.count_api_keys() == 1
        other = await store.ensure_organization("globex")
        assert await store.revoke_api_key(key.id, other.id) is None  # not theirs
        revoked = await store.revoke_api_key(key.id)
        assert revoked is not None and revoked.revoked_at is not None

    with_store(database_url, body)


def test_scan_lifecycle_findings_and_filters(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        created = await store.create_scans(org.id, [new_scan(org.id)], ("idem-1", "hash-1"),
                                           {"kind": "single"})
        assert not created.replayed
        scan = created.scans[0]
        assert scan.status == "queued" and scan.rules == ["r-one"]
        replay = await store.create_scans(org.id, [new_scan(org.id)], ("idem-1", "hash-2"))
        assert replay.replayed and [s.id for s in replay.scans] == [scan.id]
        assert replay.request_hash == "hash-1"
        assert replay.response["kind"] == "single"
        assert (await store.idempotent_scans(org.id, "idem-1")) is not None
        assert await store.count_queued() == 1

        claimed = await store.claim_scan("w1", LEASE)
        assert claimed is not None and claimed.id == scan.id
        assert claimed.status == "running" and claimed.attempts == 1
        assert claimed.lease_until is not None and claimed.lease_until > datetime.now(UTC)
        assert await store.claim_scan("w2", LEASE) is None
        assert await store.renew_lease(scan.id, "w1", LEASE)
        assert not await store.renew_lease(scan.id, "w2", LEASE)

        many = [finding(n, severity="HIGH" if n % 3 else "LOW",
                        rule="r-one" if n % 2 else "r-two") for n in range(FINDINGS_BATCH * 2 + 7)]
        many.append(finding(9999, path="lib/100%_done/x.py"))
        summary = {"total": len(many), "by_severity": {"HIGH": 1}}
        assert not await store.finish_scan(scan.id, "w2", status="completed", summary=summary,
                                           results=many)
        assert await store.finish_scan(scan.id, "w1", status="completed", summary=summary,
                                       results=many)
        done = await store.get_scan(org.id, scan.id)
        assert done is not None and done.status == "completed" and done.summary == summary
        assert done.finished_at is not None and done.lease_until is None

        page = await store.scan_results(org.id, scan.id, FindingFilter(), offset=0, limit=3)
        assert page.total == len(many)
        assert [f["start_line"] for f in page.items] == [1, 2, 3]  # insertion order
        assert page.items[0] == many[0]  # JSON round trip, unicode and nesting intact
        lows = await store.scan_results(org.id, scan.id, FindingFilter(severity=["LOW"]),
                                        offset=0, limit=10_000)
        assert lows.total == sum(1 for f in many if f["severity"] == "LOW")
        rule_two = await store.scan_results(org.id, scan.id, FindingFilter(rule_id=["r-two"]),
                                            offset=0, limit=1)
        assert rule_two.total == sum(1 for f in many if f["rule_id"] == "r-two")
        # LIKE wildcards in a path prefix are literal characters.
        literal = await store.scan_results(
            org.id, scan.id, FindingFilter(path_prefix="lib/100%_"), offset=0, limit=10)
        assert [f["start_line"] for f in literal.items] == [10_000]
        assert (await store.scan_results(org.id, scan.id, FindingFilter(path_prefix="lib/1000"),
                                         offset=0, limit=10)).total == 0

        listed = await store.list_scans(org.id, status="completed", offset=0, limit=10)
        assert [s.id for s in listed.items] == [scan.id] and listed.total == 1
        assert (await store.list_scans(org.id, status="queued", offset=0, limit=10)).total == 0
        assert [s.id for s in await store.get_scans(org.id, [scan.id, "scan_missing"])] == [
            scan.id]
        deleted = await store.delete_scan(org.id, scan.id)
        assert deleted is not None and await store.get_scan(org.id, scan.id) is None
        assert (await store.scan_results(org.id, scan.id, FindingFilter(), offset=0,
                                         limit=1)).total == 0

    with_store(database_url, body)


def test_findings_as_json_fragments_encode_to_the_same_documents(database_url: str) -> None:
    """Responses splice stored findings in undecoded (orjson.Fragment, SQLite's direct reads);
    what they encode to is exactly what the decoded findings encode to, including numbers
    beyond 64 bits. (A non-finite float, which the standard encoder writes as NaN, is not
    JSON: PostgreSQL refuses it, and SQLite's fragments decode such documents instead.)"""

    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        scan = (await store.create_scans(org.id, [new_scan(org.id)])).scans[0]
        assert await store.claim_scan("w1", LEASE) is not None
        odd = [finding(n) for n in range(5)]
        odd[1]["huge"] = 2**70
        odd[2]["score"] = 1e300
        odd[3]["message"] = "mentions NaN and Infinity in text"
        assert await store.finish_scan(scan.id, "w1", status="completed", summary={},
                                       results=odd)
        decoded = await store.scan_results(org.id, scan.id, FindingFilter(), offset=0, limit=9)
        spliced = await store.scan_results(org.id, scan.id, FindingFilter(), offset=0, limit=9,
                                           json_fragments=True)
        assert spliced.total == decoded.total == 5
        encoded = dumps({"items": spliced.items})  # as the API encodes its responses
        assert json.loads(encoded)["items"][1]["huge"] == 2**70  # not rounded through a float
        assert json.loads(encoded) == {"items": decoded.items}

    with_store(database_url, body)


def test_a_rerun_replaces_findings_and_a_lost_claim_writes_nothing(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        scan = (await store.create_scans(org.id, [new_scan(org.id)])).scans[0]
        first = await store.claim_scan_id(scan.id, "w1", timedelta(seconds=-1))  # expires now
        assert first is not None
        second = await store.claim_scan_id(scan.id, "w2", LEASE)  # w1's lease ran out
        assert second is not None and second.attempts == 2 and second.worker == "w2"
        results = [finding(n) for n in range(30)]
        # The first worker wakes up late: its claim is gone, nothing of it is written.
        assert not await store.finish_scan(scan.id, "w1", status="completed",
                                           summary={"total": 1}, results=results[:1])
        assert await store.finish_scan(scan.id, "w2", status="completed",
                                       summary={"total": 30}, results=results)
        page = await store.scan_results(org.id, scan.id, FindingFilter(), offset=0, limit=100)
        assert page.total == 30
        assert len({f["fingerprint"] for f in page.items}) == 30

    with_store(database_url, body)


def test_cancel_queued_and_running(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        queued, running = (await store.create_scans(org.id, [new_scan(org.id)] * 2)).scans
        assert await store.claim_scan_id(running.id, "w1", LEASE) is not None
        cancelled = await store.cancel_scan(org.id, queued.id)
        assert cancelled is not None and cancelled.status == "cancelled"
        assert await store.claim_scan_id(queued.id, "w1", LEASE) is None
        assert not await store.is_cancel_requested(running.id)
        flagged = await store.cancel_scan(org.id, running.id)
        assert flagged is not None and flagged.status == "running" and flagged.cancel_requested
        assert await store.is_cancel_requested(running.id)
        other = await store.ensure_organization("globex")
        assert await store.cancel_scan(other.id, running.id) is None

    with_store(database_url, body)


def test_exactly_one_of_many_concurrent_claims_wins(database_url: str) -> None:
    """Twenty workers, each with its own connection pool, claim the same scan at once."""

    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        scan = (await store.create_scans(org.id, [new_scan(org.id)])).scans[0]
        stores = [SqlStore(database_url) for _ in range(20)]
        try:
            claims = await asyncio.gather(
                *(s.claim_scan_id(scan.id, f"w{n}", LEASE) for n, s in enumerate(stores)),
                return_exceptions=True,
            )
        finally:
            await asyncio.gather(*(s.close() for s in stores))
        winners = [c for c in claims if c is not None and not isinstance(c, BaseException)]
        failures = [c for c in claims if isinstance(c, BaseException)]
        # SQLite may refuse a writer that waited too long (busy) — a 503, never a second
        # winner; PostgreSQL queues them all on the row lock.
        assert all(isinstance(f, StoreUnavailable) for f in failures), failures
        assert len(winners) == 1
        final = await store.get_scan(org.id, scan.id)
        assert final is not None and final.attempts == 1 and final.worker == winners[0].worker

    with_store(database_url, body)


def test_claim_scan_with_skip_locked_hands_out_each_scan_once(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        ids = {s.id for s in (await store.create_scans(org.id, [new_scan(org.id)] * 6)).scans}
        stores = [SqlStore(database_url) for _ in range(4)]

        async def drain(worker: SqlStore, name: str) -> list[str]:
            taken = []
            while True:
                try:
                    scan = await worker.claim_scan(name, LEASE)
                except StoreUnavailable:
                    continue  # SQLite under write contention: try again
                if scan is None:
                    return taken
                taken.append(scan.id)

        try:
            got = await asyncio.gather(*(drain(s, f"w{n}") for n, s in enumerate(stores)))
        finally:
            await asyncio.gather(*(s.close() for s in stores))
        flat = [scan_id for taken in got for scan_id in taken]
        assert sorted(flat) == sorted(ids)

    with_store(database_url, body)


def test_take_undispatched_resends_lost_and_orphaned_scans_once(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        lost, orphaned, healthy = (await store.create_scans(org.id, [new_scan(org.id)] * 3)).scans
        # A worker claims it and dies: its lease runs out.
        short = timedelta(milliseconds=200)
        assert await store.claim_scan_id(orphaned.id, "dead", short) is not None
        assert await store.claim_scan_id(healthy.id, "alive", LEASE) is not None
        await asyncio.sleep(0.3)
        # Just created: its first message is presumably on its way.
        assert await store.take_undispatched(timedelta(minutes=1), 100) == [orphaned.id]
        # Re-sent once per lease expiry, not on every sweep.
        assert await store.take_undispatched(timedelta(minutes=1), 100) == []
        await asyncio.sleep(0.05)
        taken = await store.take_undispatched(timedelta(milliseconds=10), 100)
        assert set(taken) == {lost.id, orphaned.id}
        assert await store.take_undispatched(timedelta(minutes=1), 100) == []
        sent = await store.get_scan(org.id, lost.id)
        assert sent is not None and sent.dispatched_at is not None
        # Several sweepers at once (several API processes): each scan goes to one of them
        # (the period is long enough for all of them to run within it).
        await asyncio.sleep(2.5)
        sweepers = [SqlStore(database_url) for _ in range(5)]
        try:
            results = await asyncio.gather(
                *(s.take_undispatched(timedelta(seconds=2), 100) for s in sweepers),
                return_exceptions=True,
            )
        finally:
            await asyncio.gather(*(s.close() for s in sweepers))
        assert all(isinstance(r, list | StoreUnavailable) for r in results), results
        flat = [i for r in results if isinstance(r, list) for i in r]
        assert sorted(flat) == sorted([lost.id, orphaned.id])

    with_store(database_url, body)


def test_repositories_and_rule_files(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        repo = await store.upsert_repository(org.id, "https://example.invalid/r.git", "r", "main")
        again = await store.upsert_repository(org.id, "https://example.invalid/r.git", "r")
        assert again == repo
        assert await store.get_repository(org.id, repo.id) == repo
        assert await store.get_repository(org.id, repo.url) == repo
        other = await store.ensure_organization("globex")
        assert await store.get_repository(other.id, repo.id) is None
        page = await store.list_repositories(org.id, offset=0, limit=10)
        assert page.total == 1 and page.items == [repo]
        scans = (await store.create_scans(
            org.id, [new_scan(org.id, repository_id=repo.id)] * 3)).scans
        newest_first = await store.repository_scans(org.id, repo.id, 2)
        assert [s.id for s in newest_first] == [s.id for s in scans[::-1][:2]]
        recent = await store.recent_repository_scans(org.id, [repo.id], per_repository=2)
        assert [s.id for s in recent[repo.id]] == [s.id for s in newest_first]
        assert await store.recent_repository_scans(org.id, [repo.id], per_repository=2,
                                                   status="completed") == {}

        first = await store.save_rule_file(org.id, "mine.yaml", "rules: []", ["a", "b"])
        replaced = await store.save_rule_file(org.id, "mine.yaml", "rules: [1]", ["c"])
        files = await store.list_rule_files(org.id)
        assert [(f.id, f.rule_ids, f.content) for f in files] == [
            (replaced.id, ["c"], "rules: [1]")]
        assert not await store.delete_rule_file(org.id, first.id)
        assert await store.delete_rule_file(org.id, replaced.id)
        assert await store.list_rule_files(org.id) == []

    with_store(database_url, body)


def test_many_repositories_upserted_at_once(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        other = await store.ensure_organization("globex")
        existing = await store.upsert_repository(org.id, "https://example.invalid/a.git", "a")
        theirs = await store.upsert_repository(other.id, "https://example.invalid/b.git", "b")
        names = {f"https://example.invalid/{n}.git": n for n in ("a", "b", "c")}
        found = await store.upsert_repositories(org.id, names)
        assert set(found) == set(names)
        assert found["https://example.invalid/a.git"] == existing
        assert found["https://example.invalid/b.git"].id != theirs.id  # per organisation
        assert all(r.org_id == org.id and r.name == names[r.url] for r in found.values())
        again = await store.upsert_repositories(org.id, names)
        assert again == found
        page = await store.list_repositories(org.id, offset=0, limit=10)
        assert page.total == 3
        assert await store.upsert_repositories(org.id, {}) == {}

    with_store(database_url, body)


# --- outages and errors ------------------------------------------------------------------


def test_an_unreachable_database_is_store_unavailable() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{services.free_port()}/nothing"

    async def body(store: SqlStore) -> None:
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.ensure_organization("acme")

    with_store(url, body)


def test_terminated_backends_fail_in_flight_work_and_the_pool_recovers(
    postgres_url: str,
) -> None:
    """A statement running when its backend is terminated fails with StoreUnavailable; the
    next calls get fresh connections (pre-ping discards the dead ones) and succeed."""
    url = postgres_url

    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        scan = (await store.create_scans(org.id, [new_scan(org.id)])).scans[0]
        assert await store.claim_scan_id(scan.id, "w1", LEASE) is not None
        # Warm the pool with several connections, all of which will be killed.
        await asyncio.gather(*(store.get_scan(org.id, scan.id) for _ in range(5)))
        # Hold the scan's row lock elsewhere, so that renew_lease blocks in flight.
        blocker = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("SELECT 1 FROM scans WHERE id = $1 FOR UPDATE", scan.id)
            renewal = asyncio.ensure_future(store.renew_lease(scan.id, "w1", LEASE))
            await asyncio.sleep(0.5)
            assert not renewal.done()
            terminated = await asyncio.to_thread(services.terminate_backends, url)
            assert terminated >= 2
            with pytest.raises(StoreUnavailable):
                await renewal
        finally:
            blocker.terminate()
        # Every pooled connection was killed; the store carries on regardless.
        for _ in range(10):
            assert (await store.get_scan(org.id, scan.id)) is not None
        assert await store.renew_lease(scan.id, "w1", LEASE)

    with_store(url, body)


def test_bad_data_is_not_disguised_as_an_outage(postgres_url: str) -> None:
    """PostgreSQL enforces column sizes: such an error is a bug to report (500), not a 503
    that would make a worker retry the same scan forever."""

    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        scan = (await store.create_scans(org.id, [new_scan(org.id)])).scans[0]
        assert await store.claim_scan_id(scan.id, "w1", LEASE) is not None
        too_long = finding(1, path="x/" * 2000)
        with pytest.raises(DBAPIError):  # a plain database error, not StoreUnavailable
            await store.finish_scan(scan.id, "w1", status="completed", summary={},
                                    results=[too_long])
        # Nothing of the failed transaction remains: the scan is still running.
        current = await store.get_scan(org.id, scan.id)
        assert current is not None and current.status == "running"

    with_store(postgres_url, body)
