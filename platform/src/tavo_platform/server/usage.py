"""Counting API requests per key and day for GET /usage: each request adds one to a counter
in this process (no database write on the request's path); the counts are added to the
database every few seconds and when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import UTC, datetime

from tavo_platform.server.auth import Principal
from tavo_platform.store.interface import Store, StoreUnavailable

log = logging.getLogger("tavo.usage")

FLUSH_SECONDS = 2.0


class UsageRecorder:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: Counter[tuple[str, str, str]] = Counter()
        self._task: asyncio.Task[None] | None = None

    def count(self, principal: Principal) -> None:
        self._pending[(principal.org_id, principal.key_id, self._today())] += 1

    _day_number = -1
    _day = ""

    def _today(self) -> str:
        """The UTC date, as datetime.now(UTC).date().isoformat() (POSIX time has no leap
        seconds: a UTC day is 86,400 of its seconds), worked out once a day."""
        number = int(time.time() // 86400)
        if number != self._day_number:
            self._day = datetime.fromtimestamp(number * 86400, UTC).date().isoformat()
            self._day_number = number
        return self._day

    async def flush(self) -> None:
        pending, self._pending = self._pending, Counter()
        try:
            await self._store.add_usage(pending)
        except StoreUnavailable as error:
            self._pending.update(pending)  # kept for the next flush
            log.warning("usage counts kept for later: %s", error)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                log.exception("recording usage failed")
