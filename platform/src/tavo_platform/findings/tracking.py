"""Takes completed scans' findings into the tracked findings, exactly once each.

A worker's scan is tracked in the transaction that records its results (store.finish_scan).
A loop in each API process tracks any completed scan that was not: those completed before
the tracked findings existed (an upgraded database), oldest first. The store's claim on the
scan makes any number of these loops safe to race.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from tavo_platform.jobs.execution import select_rules
from tavo_platform.store.findings import Ingested
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.records import Scan

log = logging.getLogger("tavo.findings")

CATCH_UP_BATCH = 20
CATCH_UP_SECONDS = 5.0

Listener = Callable[[Ingested], Awaitable[None]]


async def rules_run(store: Store, scan: Scan) -> frozenset[str] | None:
    """The ids of the rules a scan ran (computed as the worker chose them), or None when
    they cannot be known any more (a custom rule file that no longer loads)."""
    custom = tuple((f.name, f.content) for f in await store.list_rule_files(scan.org_id))
    try:
        rules = await asyncio.to_thread(
            select_rules, scan.scan_type, tuple(scan.rules), custom
        )
    except Exception:
        log.warning("rules of scan %s cannot be known: nothing marked fixed", scan.id)
        return None
    return frozenset(rule.id for rule in rules)


class FindingsTracker:
    def __init__(self, store: Store, listeners: list[Listener] | None = None) -> None:
        self._store = store
        self._listeners = listeners or []

    async def track(self, scan: Scan) -> Ingested | None:
        ingested = await self._store.ingest_scan_findings(
            scan.id, await rules_run(self._store, scan)
        )
        if ingested is not None:
            for listener in self._listeners:
                try:
                    await listener(ingested)
                except StoreUnavailable:
                    raise
                except Exception:
                    log.exception("a findings listener failed for scan %s", scan.id)
        return ingested

    async def catch_up(self) -> int:
        """Tracks completed scans not tracked yet; returns how many were looked at."""
        pending = await self._store.untracked_scans(CATCH_UP_BATCH)
        for scan in pending:
            await self.track(scan)
        return len(pending)


class CatchUpLoop:
    def __init__(self, tracker: FindingsTracker, interval: float) -> None:
        self._tracker = tracker
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while await self._tracker.catch_up() == CATCH_UP_BATCH:
                    pass
            except StoreUnavailable as error:
                log.warning("findings catch-up postponed: %s", error)
            except Exception:
                log.exception("findings catch-up failed")
            await asyncio.sleep(self._interval)
