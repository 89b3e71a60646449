"""Each aggregate store on its own, through its narrow protocol, on SQLite and PostgreSQL:
what a caller that needs only scans, or only analyses, gets. The lease lifecycle (_leases.py)
is the same for scans and analyses: claim, heartbeat, expiry, re-claim, finish by the holder
only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from tavo_platform.store import interface
from tavo_platform.store._database import Database
from tavo_platform.store.analyses import AnalysisStore, SqlAnalysisStore
from tavo_platform.store.keys import KeyStore, SqlKeyStore
from tavo_platform.store.records import FindingFilter, NewScan
from tavo_platform.store.repositories import RepositoryStore, SqlRepositoryStore
from tavo_platform.store.rules import RuleFileStore, SqlRuleFileStore
from tavo_platform.store.scan_results import ScanResultStore, SqlScanResultStore
from tavo_platform.store.scans import ScanStore, SqlScanStore
from tavo_platform.store.sql import SqlStore

from tests.support.factories import finding

T = TypeVar("T")
LEASE = timedelta(minutes=5)
EXPIRED = timedelta(seconds=-1)  # a lease that has already run out


def with_database(url: str, body: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(url)
        try:
            return await body(database)
        finally:
            await database.close()

    return asyncio.run(run())


def test_the_store_is_exactly_the_aggregates() -> None:
    aggregates = [interface.KeyStore, interface.ScanStore, interface.ScanResultStore,
                  interface.FindingsStore, interface.RepositoryStore, interface.RuleFileStore,
                  interface.AnalysisStore]
    methods = {name for protocol in aggregates for name in vars(protocol)
               if not name.startswith("_")}
    owners = {name: [p.__name__ for p in aggregates if name in vars(p)] for name in methods}
    assert all(len(found) == 1 for found in owners.values()), owners  # one home each
    store_only = {name for name in vars(interface.Store) if not name.startswith("_")}
    assert store_only == {"close", "ping"}
    for name in methods:
        assert callable(getattr(SqlStore, name)), name


def test_scan_lease_lifecycle_through_the_protocols(database_url: str) -> None:
    async def body(database: Database) -> None:
        keys: KeyStore = SqlKeyStore(database)
        scans: ScanStore = SqlScanStore(database)
        found: ScanResultStore = SqlScanResultStore(database)
        org = await keys.ensure_organization("acme")
        new = NewScan(org_id=org.id, source="git", scan_type="code",
                      repository_url="https://example.invalid/r.git")
        scan = (await scans.create_scans(org.id, [new])).scans[0]
        assert await scans.claim_scan("w1", EXPIRED) is not None
        assert not await scans.renew_lease(scan.id, "w2", LEASE)  # not its holder
        reclaimed = await scans.claim_scan("w2", LEASE)  # w1's lease expired
        assert reclaimed is not None and reclaimed.attempts == 2
        assert await scans.claim_scan("w3", LEASE) is None  # w2 holds it
        assert not await scans.renew_lease(scan.id, "w1", LEASE)
        assert await scans.renew_lease(scan.id, "w2", LEASE)
        assert not await scans.finish_scan(scan.id, "w1", status="completed", summary=None,
                                           results=[finding(1)])
        assert await scans.finish_scan(scan.id, "w2", status="completed", summary=None,
                                       results=[finding(2), finding(3)])
        page = await found.scan_results(org.id, scan.id, FindingFilter(), offset=0, limit=10)
        assert page.total == 2
        done = await scans.get_scan(org.id, scan.id)
        assert done is not None and done.status == "completed" and done.lease_until is None
        assert not await scans.renew_lease(scan.id, "w2", LEASE)  # finished: lease released

    with_database(database_url, body)


def test_analysis_lease_lifecycle_through_the_protocol(database_url: str) -> None:
    async def body(database: Database) -> None:
        org = await SqlKeyStore(database).ensure_organization("acme")
        new = NewScan(org_id=org.id, source="git", scan_type="code",
                      repository_url="https://example.invalid/r.git")
        scanned = (await SqlScanStore(database).create_scans(org.id, [new, new])).scans
        analyses: AnalysisStore = SqlAnalysisStore(database)
        first = await analyses.create_analysis(org.id, scanned[0].id, "tavo-triage-v1", {})
        second = await analyses.create_analysis(org.id, scanned[1].id, "tavo-triage-v1", {})
        assert first.status == "queued"
        claimed = await analyses.claim_analysis("w1", EXPIRED)  # the oldest
        assert claimed is not None and claimed.id == first.id and claimed.worker == "w1"
        named = await analyses.claim_analysis("w1", LEASE, second.id)
        assert named is not None and named.id == second.id
        assert await analyses.claim_analysis("w2", LEASE, second.id) is None  # held
        retaken = await analyses.claim_analysis("w2", LEASE)  # first's lease expired
        assert retaken is not None and retaken.id == first.id and retaken.attempts == 2
        assert not await analyses.renew_analysis_lease(first.id, "w1", LEASE)
        assert await analyses.renew_analysis_lease(first.id, "w2", LEASE)
        assert not await analyses.finish_analysis(first.id, "w1", status="completed",
                                                  summary=None, result_json="{}")
        assert await analyses.finish_analysis(first.id, "w2", status="completed",
                                              summary={"n": 1}, result_json='{"a": 1}')
        assert await analyses.analysis_result(org.id, first.id) == '{"a": 1}'
        done = await analyses.get_analysis(org.id, first.id)
        assert done is not None and done.status == "completed" and done.lease_until is None
        page = await analyses.list_analyses(org.id, scan_id=None, offset=0, limit=10)
        assert page.total == 2

    with_database(database_url, body)


@pytest.mark.parametrize("answers", [{}, {"fp-1": {"verdict": "true_positive"}}])
def test_analysis_answer_cache(database_url: str, answers: dict[str, dict[str, str]]) -> None:
    async def body(database: Database) -> None:
        org = await SqlKeyStore(database).ensure_organization("acme")
        analyses: AnalysisStore = SqlAnalysisStore(database)
        await analyses.store_answers(org.id, "m", answers)
        await analyses.store_answers(org.id, "m", answers)  # replaced, not duplicated
        assert await analyses.cached_answers(org.id, "m", ["fp-1", "fp-2"]) == answers
        assert await analyses.cached_answers(org.id, "other", ["fp-1"]) == {}

    with_database(database_url, body)


def test_repositories_and_rule_files_stand_alone(database_url: str) -> None:
    async def body(database: Database) -> None:
        org = await SqlKeyStore(database).ensure_organization("acme")
        repositories: RepositoryStore = SqlRepositoryStore(database)
        rules: RuleFileStore = SqlRuleFileStore(database)
        repo = await repositories.upsert_repository(org.id, "https://x.invalid/a.git", "a")
        assert (await repositories.get_repository(org.id, repo.url)) == repo
        saved = await rules.save_rule_file(org.id, "mine.yml", "rules: []", [])
        assert [f.id for f in await rules.list_rule_files(org.id)] == [saved.id]

    with_database(database_url, body)
