"""The API side of Celery execution: hands committed scans to the broker, and a sweeper that
makes sure every accepted scan eventually reaches a worker.

Publishing happens on a small thread pool, after the scan is committed and without holding
up the response: the scan is already durable in the database, and Celery's publish is
blocking I/O that can stall for seconds while a broker is down. Whatever does not get
through is re-sent by the sweeper, which runs in every API process:
- scans whose publish failed here are re-sent on the next sweep;
- running scans whose lease expired (their worker died) are re-sent once per expiry;
- queued scans whose message may have been lost (a broker that keeps no data restarted;
  an API process died before publishing) are re-sent, but only as many as are missing:
  the sweeper asks the broker how many messages wait in the scan queue and compares that
  with the number of scans waiting for a worker. A scan still queued long after its dispatch
  is usually just behind a backlog; re-sending every such scan would add the backlog's own
  size to the queue on every round. The ones re-sent are those dispatched longest ago (the
  queue is first-in first-out: their messages are the ones that would be gone). When the
  broker cannot be asked, nothing is re-sent this round; the scans stay queued.
The scans to send are taken with one atomic UPDATE (SqlStore.take_undispatched), so
concurrent sweepers in several processes never send the same scan twice at once.
A duplicate message is harmless: a worker runs a scan only if it can claim it; and the
comparison is self-correcting: a duplicate counts as a waiting message until a worker
drops it, which holds back further re-sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tavo_platform.jobs.celery_app import RUN_SCAN_TASK, create_celery_app
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable

log = logging.getLogger("tavo.jobs")

SWEEP_BATCH = 500
# Publishing gives up quickly: the sweeper retries anyway.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.3,
                        "interval_max": 0.5}


class CeleryDispatcher:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._app = create_celery_app(settings)
        self._publisher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tavo-publish")
        self._unsent: set[str] = set()
        self._unsent_lock = threading.Lock()
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def healthy(self) -> bool:
        return self._sweeper is not None and not self._sweeper.done()

    @property
    def sweep_interval(self) -> float:
        # Often enough to re-send a dead worker's scan soon after its lease expires.
        return min(5.0, max(0.5, self._settings.scan_lease_seconds / 2))

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        # Let publishes in flight finish (each gives up within about a second).
        await asyncio.to_thread(self._publisher.shutdown, wait=True)

    def notify(self, *scan_ids: str) -> None:
        if scan_ids:
            self._publisher.submit(self._publish, scan_ids)

    def _publish(self, scan_ids: Iterable[str]) -> int:
        """Sends one task per scan; remembers the ones that failed for the next sweep."""
        sent = 0
        for scan_id in scan_ids:
            try:
                self._app.send_task(
                    RUN_SCAN_TASK,
                    args=[scan_id],
                    queue=self._settings.queue_name,
                    retry=True,
                    retry_policy=PUBLISH_RETRY_POLICY,
                )
                sent += 1
            except Exception as error:  # any broker failure: the sweeper tries again
                log.warning("could not hand scan %s to the broker: %s", scan_id, error)
                with self._unsent_lock:
                    self._unsent.add(scan_id)
        return sent

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except StoreUnavailable as error:
                log.warning("scan sweep skipped: %s", error)
            except Exception:
                log.exception("scan sweep failed")

    def _waiting_messages(self) -> int | None:
        """How many messages wait in the scan queue (delivered to no worker yet), or None
        when the broker cannot be asked."""
        try:
            with self._app.connection_for_write() as connection:
                connection.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0, interval_max=0
                )
                channel = connection.channel()
                try:
                    declared = channel.queue_declare(
                        queue=self._settings.queue_name, passive=True
                    )
                    return int(declared.message_count)
                except Exception as error:
                    # A queue that does not exist holds nothing (the Redis transport says
                    # so of an empty queue: Redis drops empty lists).
                    if getattr(error, "code", None) == 404 or "NOT_FOUND" in str(error):
                        return 0
                    raise
                finally:
                    with contextlib.suppress(Exception):
                        channel.close()
        except Exception as error:
            log.warning("could not count the messages in the broker's queue: %s", error)
            return None

    async def sweep(self) -> int:
        """Re-sends what needs re-sending; returns how many scans were sent."""
        with self._unsent_lock:
            retry, self._unsent = self._unsent, set()
        resend_after = timedelta(seconds=self._settings.queue_resend_seconds)
        loop = asyncio.get_running_loop()
        try:
            backlog = await self._store.dispatch_backlog(resend_after)
            overdue = 0
            if backlog.overdue:
                # Counted after the scans, and on the publishing threads, behind the publishes
                # submitted so far: a scan just accepted is mostly counted with its message
                # (a scan counted without one would look missing).
                waiting = await loop.run_in_executor(self._publisher, self._waiting_messages)
                if waiting is not None:
                    missing = backlog.waiting - waiting - backlog.orphaned - len(retry)
                    overdue = max(0, min(missing, backlog.overdue))
            stale: list[str] = []
            if backlog.orphaned or overdue:
                stale = await self._store.take_undispatched(resend_after, SWEEP_BATCH, overdue)
        except StoreUnavailable:
            with self._unsent_lock:
                self._unsent |= retry
            raise
        pending = list(dict.fromkeys([*retry, *stale]))
        if not pending:
            return 0
        if stale:
            log.info("re-sending %d scan(s) to the broker", len(stale))
        return await loop.run_in_executor(self._publisher, self._publish, pending)
