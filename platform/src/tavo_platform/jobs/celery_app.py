"""Scan execution on Celery workers (`tavo worker`): the Celery app and its one task.

The task carries only a scan id and is a wake-up; the database stays the source of truth.
A woken worker claims scans fairly across organisations (jobs/claims.py), each with one
conditional UPDATE (queued, or running with an expired lease), so however many messages
name a scan — re-deliveries, the API's re-sends — exactly one worker runs it. Tasks are
acknowledged late and rejected back to the queue when the process running them dies; a
scan whose worker vanished altogether is re-sent by the API's sweeper once its lease runs
out (jobs/celery_dispatcher.py). The engine runs in a scan process of its own, as in
the embedded pool (jobs/processes.py), so a Celery scan is held to the same tier limits:
wall clock, CPU, per-file time, and a cancel that takes effect within a second.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from celery import Celery, Task

from tavo_platform.jobs.claims import FairClaims
from tavo_platform.jobs.processes import ScanProcesses
from tavo_platform.jobs.runner import ScanRunner
from tavo_platform.settings import Settings
from tavo_platform.store.interface import StoreUnavailable
from tavo_platform.store.sql import SqlStore

log = logging.getLogger("tavo.jobs")

RUN_SCAN_TASK = "tavo.run_scan"
# A claim that failed because the database was unreachable is retried this often, this
# many times, before the API's sweeper (which re-sends queued scans) takes over.
CLAIM_RETRY_SECONDS = 2.0
CLAIM_RETRIES = 5


def create_celery_app(settings: Settings) -> Celery:
    if not settings.queue_url:
        raise ValueError("TAVO_QUEUE_URL is not set: there is no broker to run scans through")
    app = Celery("tavo", broker=settings.queue_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A message is acknowledged only once its scan is recorded, and put back on the
        # queue if the process running it dies (SIGKILL, OOM).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Each worker process reserves one scan at a time: scans are long, so prefetching
        # more would leave other workers idle while one holds a backlog.
        worker_prefetch_multiplier=1,
        # Keep running a scan when the broker connection drops: its result goes to the
        # database, and the re-delivered message then finds the scan finished.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # outlive any broker outage
        worker_send_task_events=False,
    )

    @app.task(  # type: ignore[untyped-decorator]
        name=RUN_SCAN_TASK, bind=True, acks_late=True, reject_on_worker_lost=True
    )
    def run_scan(task: Task, scan_id: str) -> str:
        try:
            return _worker_process(settings).run(scan_id)
        except StoreUnavailable as error:
            log.warning("cannot claim scan %s now: %s", scan_id, error)
            if task.request.retries >= CLAIM_RETRIES:
                return "deferred"  # the sweeper re-sends it later
            raise task.retry(countdown=CLAIM_RETRY_SECONDS, max_retries=CLAIM_RETRIES) from None

    return app


class _WorkerProcess:
    """What one worker process keeps between tasks: an event loop and a store bound to it
    (asyncpg connections belong to the loop that opened them), and the scan runner."""

    def __init__(self, settings: Settings) -> None:
        self.pid = os.getpid()
        self.identity = f"{socket.gethostname()}:{self.pid}:celery:{uuid.uuid4().hex[:8]}"
        self._loop = asyncio.Runner()
        self._settings = settings
        self._store = SqlStore(
            settings.resolved_database_url, pool_size=settings.database_pool_size
        )
        self._processes = ScanProcesses()
        self._runner = ScanRunner(self._store, settings, self._processes.run)
        self._claims = FairClaims(self._store, self._runner.tier_of, self._runner.lease)

    def run(self, scan_id: str) -> str:
        return self._loop.run(self._claim_and_run(scan_id))

    async def _claim_and_run(self, scan_id: str) -> str:
        """A message is a wake-up: the worker takes scans fairly across organisations
        (jobs/claims.py), not necessarily the one named, and keeps taking them until none
        may start. The named scan is then finished, running, or held back by its
        organisation's concurrency, and the worker that finishes that organisation's
        running scan takes it next."""
        log.debug("woken for scan %s", scan_id)
        ran = 0
        while (scan := await self._claims.claim(self.identity)) is not None:
            log.info("running scan %s (attempt %d)", scan.id, scan.attempts)
            status = await self._runner.run(scan, self.identity)
            log.info("scan %s: %s", scan.id, status or "not recorded")
            ran += 1
        return f"ran {ran}"


_process: _WorkerProcess | None = None


def _worker_process(settings: Settings) -> _WorkerProcess:
    """The current process's state, created on first use in each (forked) worker process."""
    global _process
    if _process is None or _process.pid != os.getpid():
        _process = _WorkerProcess(settings)
    return _process
