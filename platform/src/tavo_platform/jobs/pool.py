"""The embedded job runner: scans queued in the database, run by this process's runners.

The database is the queue. A runner claims a scan atomically (queued, or running with an
expired lease), renews the lease while it works, and writes findings and the final status
in one transaction only if it still holds the claim. A scan answered 202 therefore
survives any crash: after a restart its lease runs out and a runner takes it again.
The engine itself runs in child processes so scans never stall the API's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import shutil
import socket
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from tavo_platform.fetch import FetchError
from tavo_platform.fetch.git import clone
from tavo_platform.fetch.urls import check_repository_url
from tavo_platform.jobs.execution import ScanCancelled, ScanJob, run_scan_job
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.records import Scan

log = logging.getLogger("tavo.jobs")

IDLE_POLL_SECONDS = 1.0


class InProcessPool:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._wake = asyncio.Event()
        self._runners: list[asyncio.Task[None]] = []
        self._executor: ProcessPoolExecutor | None = None
        self._identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.running: dict[str, Path] = {}

    @property
    def healthy(self) -> bool:
        return all(not task.done() for task in self._runners)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self._settings.scan_lease_seconds)

    async def start(self) -> None:
        count = self._settings.scan_concurrency
        if count == 0:
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tavo_platform.jobs.execution"])
        self._executor = ProcessPoolExecutor(max_workers=count, mp_context=context)
        self._runners = [
            asyncio.create_task(self._run(f"{self._identity}:{n}")) for n in range(count)
        ]

    async def stop(self) -> None:
        for task in self._runners:
            task.cancel()
        for task in self._runners:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def notify(self) -> None:
        self._wake.set()

    async def _run(self, worker: str) -> None:
        while True:
            try:
                scan = await self._store.claim_scan(worker, self.lease)
            except StoreUnavailable as error:
                log.warning("cannot claim scans: %s", error)
                scan = None
            if scan is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
                continue
            await self._execute(scan, worker)

    async def _execute(self, scan: Scan, worker: str) -> None:
        work = self._settings.work_dir / scan.id
        cancel_flag = work / "cancel"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        keeper = asyncio.create_task(self._keep_lease(scan.id, worker, cancel_flag))
        self.running[scan.id] = cancel_flag
        try:
            outcome = await self._perform(scan, work, cancel_flag)
            status = "completed"
            error = None
        except ScanCancelled:
            outcome, status, error = {"summary": None, "findings": []}, "cancelled", None
        except FetchError as failure:
            outcome, status, error = {"summary": None, "findings": []}, "failed", str(failure)
        except Exception:
            log.exception("scan %s failed", scan.id)
            outcome, status = {"summary": None, "findings": []}, "failed"
            error = "internal error while scanning"
        finally:
            keeper.cancel()
            self.running.pop(scan.id, None)
        if status == "completed" and cancel_flag.exists():
            outcome, status = {"summary": None, "findings": []}, "cancelled"
        try:
            kept = await self._store.finish_scan(
                scan.id,
                worker,
                status=status,
                summary=outcome["summary"],
                results=outcome["findings"],
                error=error,
            )
            if not kept:
                log.warning("scan %s was taken over by another worker; result dropped", scan.id)
        except StoreUnavailable as failure:
            # The lease will lapse and the scan will run again; nothing is lost.
            log.warning("could not record scan %s: %s", scan.id, failure)
        shutil.rmtree(work, ignore_errors=True)

    async def _perform(self, scan: Scan, work: Path, cancel_flag: Path) -> dict[str, Any]:
        source = await self._source(scan, work)
        custom = tuple((f.name, f.content) for f in await self._store.list_rule_files(scan.org_id))
        job = ScanJob(
            source_dir=str(source),
            scan_type=scan.scan_type,
            selectors=tuple(scan.rules),
            exclusions=tuple(scan.exclusions),
            custom_rule_files=custom,
            cancel_flag=str(cancel_flag),
        )
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, run_scan_job, job)

    async def _source(self, scan: Scan, work: Path) -> Path:
        if scan.source == "upload":
            if not scan.upload_path or not Path(scan.upload_path).is_dir():
                raise FetchError("the uploaded code is no longer available")
            return Path(scan.upload_path)
        assert scan.repository_url is not None
        checked = await asyncio.to_thread(
            check_repository_url,
            scan.repository_url,
            self._settings.fetch_allow_hosts,
            self._settings.fetch_allow_file_urls,
        )
        destination = work / "src"
        await clone(
            checked,
            destination,
            branch=scan.branch,
            timeout=self._settings.clone_timeout_seconds,
            max_bytes=self._settings.clone_max_bytes,
        )
        return destination

    async def _keep_lease(self, scan_id: str, worker: str, cancel_flag: Path) -> None:
        interval = max(0.2, self._settings.scan_lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                held = await self._store.renew_lease(scan_id, worker, self.lease)
                if not held or await self._store.is_cancel_requested(scan_id):
                    cancel_flag.touch()
            except StoreUnavailable as error:
                log.warning("lease renewal for %s failed: %s", scan_id, error)
