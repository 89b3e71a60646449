"""The embedded job runner: scans queued in the database, run by this process's runners.

The database is the queue. A runner claims a scan atomically (queued, or running with an
expired lease) and hands it to the shared ScanRunner (jobs/runner.py), which renews the
lease while it works and writes findings and the final status in one transaction only if
it still holds the claim. A scan answered 202 therefore survives any crash: after a
restart its lease runs out and a runner takes it again.
The engine itself runs in child processes so scans never stall the API's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import socket
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

from tavo_platform.jobs.execution import ScanJob, run_scan_job
from tavo_platform.jobs.runner import ScanRunner
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable

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
        self._runner: ScanRunner | None = None

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
        self._runner = ScanRunner(self._store, self._settings, self._run_engine)
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

    def notify(self, *scan_ids: str) -> None:
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
            assert self._runner is not None
            await self._runner.run(scan, worker)

    async def _run_engine(self, job: ScanJob) -> dict[str, Any]:
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, run_scan_job, job)
