"""The shared scan runner (jobs/runner.py) that both the in-process pool and the Celery task
use: results that cannot be stored close the scan as failed instead of re-running it forever,
and a cancel request reaches the engine through its flag file."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from tavo_platform.jobs.execution import ScanJob
from tavo_platform.jobs.runner import ScanRunner
from tavo_platform.settings import Settings
from tavo_platform.store.records import FindingFilter, NewScan
from tavo_platform.store.sql import SqlStore

from tests.support.factories import finding


def outcome(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"summary": {"total": len(results)}, "findings": results}


async def uploaded_scan(store: SqlStore, source: Path) -> tuple[str, str]:
    source.mkdir(parents=True, exist_ok=True)
    org = await store.ensure_organization("acme")
    created = await store.create_scans(org.id, [NewScan(
        org_id=org.id, source="upload", scan_type="code", upload_path=str(source))])
    return org.id, created.scans[0].id


def test_unstorable_results_fail_the_scan_once(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    async def engine(_job: ScanJob, *_limits_and_cancel: object) -> dict[str, Any]:
        return outcome([finding(1, path="x/" * 2000)])  # longer than the path column

    async def body() -> None:
        store = SqlStore(postgres_url)
        try:
            org_id, scan_id = await uploaded_scan(store, tmp_path / "src")
            scan = await store.claim_scan_id(scan_id, "w1", timedelta(minutes=1))
            assert scan is not None
            status = await ScanRunner(store, settings, engine).run(scan, "w1")
            assert status == "failed"
            final = await store.get_scan(org_id, scan_id)
            assert final is not None and final.status == "failed"
            assert final.error == "internal error while storing the results"
        finally:
            await store.close()

    asyncio.run(body())


def test_cancel_reaches_the_engine_through_the_flag(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", scan_lease_seconds=0.6)
    seen: list[float] = []

    async def engine(job: ScanJob, *_limits_and_cancel: object) -> dict[str, Any]:
        # Stands in for the engine's periodic check of the flag file.
        started = time.monotonic()
        while not Path(job.cancel_flag).exists():
            assert time.monotonic() - started < 20, "the cancel never arrived"
            await asyncio.sleep(0.05)
        seen.append(time.monotonic() - started)
        return outcome([finding(1)])

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            org_id, scan_id = await uploaded_scan(store, tmp_path / "src")
            scan = await store.claim_scan_id(scan_id, "w1", timedelta(seconds=0.6))
            assert scan is not None
            running = asyncio.ensure_future(ScanRunner(store, settings, engine).run(scan, "w1"))
            await asyncio.sleep(0.5)
            await store.cancel_scan(org_id, scan_id)
            assert await running == "cancelled"
            final = await store.get_scan(org_id, scan_id)
            assert final is not None and final.status == "cancelled"
            page = await store.scan_results(org_id, scan_id, FindingFilter(), offset=0, limit=1)
            assert page.total == 0
        finally:
            await store.close()

    asyncio.run(body())
    assert seen and seen[0] < 5


def test_uploaded_code_is_removed_once_the_scan_ends(database_url: str, tmp_path: Path) -> None:
    """An upload's unpacked code goes once its scan has a final status, and stays while the
    scan may still run again (its result could not be recorded)."""
    settings = Settings(data_dir=tmp_path / "data")

    async def engine(_job: ScanJob, *_limits_and_cancel: object) -> dict[str, Any]:
        return outcome([])

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            source = settings.uploads_dir / "abc"
            _org_id, scan_id = await uploaded_scan(store, source)
            (source / "a.py").write_text("x = 1\n")
            scan = await store.claim_scan_id(scan_id, "w1", timedelta(minutes=1))
            assert scan is not None
            assert await ScanRunner(store, settings, engine).run(scan, "w2") is None
            assert source.is_dir()  # the claim was not ours: the scan runs again later
            assert await ScanRunner(store, settings, engine).run(scan, "w1") == "completed"
            assert not source.exists()
        finally:
            await store.close()

    asyncio.run(body())


def test_claims_are_fair_across_organisations(database_url: str) -> None:
    """An organisation with scans running comes after one with none, whatever the age of
    their queued scans; each organisation shows its oldest scan once."""

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            busy = await store.ensure_organization("busy")
            calm = await store.ensure_organization("calm")
            new = [NewScan(org_id=busy.id, source="upload", scan_type="code",
                           upload_path="/x") for _ in range(4)]
            flood = (await store.create_scans(busy.id, new)).scans
            assert await store.claim_scan_id(flood[0].id, "w1", timedelta(minutes=1))
            victim = (await store.create_scans(calm.id, [NewScan(
                org_id=calm.id, source="upload", scan_type="code", upload_path="/y")])).scans
            candidates = await store.claim_candidates(10)
            assert [(c.scan_id, c.running) for c in candidates] == [
                (victim[0].id, 0), (flood[1].id, 1)]
        finally:
            await store.close()

    asyncio.run(body())


def test_a_scan_claimed_too_often_is_failed_with_the_reason(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", scan_max_attempts=2)
    ran: list[str] = []

    async def engine(job: ScanJob, *_limits_and_cancel: object) -> dict[str, Any]:
        ran.append(job.source_dir)
        return outcome([])

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            org_id, scan_id = await uploaded_scan(store, tmp_path / "src")
            for worker in ("w1", "w2", "w3"):  # each claim expires at once: a dying worker
                scan = await store.claim_scan_id(scan_id, worker, timedelta(seconds=-1))
            assert scan is not None and scan.attempts == 3
            status = await ScanRunner(store, settings, engine).run(scan, "w3")
            final = await store.get_scan(org_id, scan_id)
            assert status == "failed" and final is not None and not ran
            assert final.error is not None and "gave up after 2 attempts" in final.error
        finally:
            await store.close()

    asyncio.run(body())
