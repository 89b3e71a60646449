"""The embedded job runner: scans queued in the database, run by this process's runners.

The database is the queue. A runner claims a scan atomically (queued, or running with an
expired lease) and hands it to the shared ScanRunner (jobs/runner.py), which renews the
lease while it works and writes findings and the final status in one transaction only if
it still holds the claim. A scan answered 202 therefore survives any crash: after a
restart its lease runs out and a runner takes it again.
Claims are fair across organisations (jobs/claims.py), and each scan's engine runs in its own
supervised child process (jobs/processes.py), held to its tier's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

from tavo_platform.jobs.claims import FairClaims
from tavo_platform.jobs.processes import ScanProcesses
from tavo_platform.jobs.runner import ScanRunner
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
        self._processes: ScanProcesses | None = None
        self._identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._runner: ScanRunner | None = None
        self._claims: FairClaims | None = None

    @property
    def healthy(self) -> bool:
        runners_alive = all(not task.done() for task in self._runners)
        return runners_alive and (self._processes is None or self._processes.healthy)

    @property
    def processes(self) -> ScanProcesses | None:
        return self._processes

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self._settings.scan_lease_seconds)

    async def start(self) -> None:
        count = self._settings.scan_concurrency
        if count == 0:
            return
        self._processes = ScanProcesses()
        self._runner = ScanRunner(self._store, self._settings, self._processes.run)
        self._claims = FairClaims(self._store, self._runner.tier_of, self.lease)
        self._runners = [
            asyncio.create_task(self._run(f"{self._identity}:{n}")) for n in range(count)
        ]

    async def stop(self) -> None:
        for task in self._runners:
            task.cancel()
        for task in self._runners:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._processes is not None:
            self._processes.kill_all()

    def notify(self, *scan_ids: str) -> None:
        self._wake.set()

    async def _run(self, worker: str) -> None:
        while True:
            try:
                scan = await self._claim(worker)
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
            self._wake.set()  # a slot is free: an organisation held back may go now

    async def _claim(self, worker: str) -> Scan | None:
        assert self._claims is not None
        return await self._claims.claim(worker)
