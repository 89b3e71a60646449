"""One child process per scan, supervised.

Each scan's engine runs in its own process, forked from a forkserver that has the engine
and the built-in rules loaded. The parent watches it: a cancel request or the scan's
wall-clock limit kills it at once (checked every `POLL_SECONDS`, so a cancel takes effect
within a second whatever the engine is doing); the kernel enforces its CPU limit
(RLIMIT_CPU); and a child that dies (killed, out of memory, crashed) fails only its own
scan, with the reason, since no other scan shares its process. When children cannot be
started (the forkserver is gone), `healthy` turns false, which /ready reports, until a
start succeeds again (multiprocessing restarts a dead forkserver on the next start).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from collections.abc import Callable
from typing import Any

from tavo_platform.jobs.execution import (
    ScanCancelled,
    ScanJob,
    ScanLimitExceeded,
    ScanLimits,
    child_main,
)

POLL_SECONDS = 0.1
_PRELOAD = ["tavo_platform.jobs.execution", "tavo_platform.jobs.warm"]


class ScanProcessDied(Exception):
    """The scan's process ended without an outcome; the message says how."""


class ScanProcesses:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self.healthy = True
        self._children: set[Any] = set()

    async def run(
        self, job: ScanJob, limits: ScanLimits, cancelled: Callable[[], bool]
    ) -> dict[str, Any]:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=child_main, args=(job, limits, sender), daemon=True, name="tavo-scan"
        )
        try:
            await asyncio.to_thread(process.start)
        except Exception as error:
            self.healthy = False
            raise ScanProcessDied(f"the scan process could not be started: {error}") from None
        self.healthy = True
        sender.close()
        self._children.add(process)
        try:
            return await self._watch(process, receiver, limits, cancelled)
        finally:
            self._children.discard(process)
            if process.is_alive():
                process.kill()
            await asyncio.to_thread(process.join, 5)
            receiver.close()

    async def _watch(
        self, process: Any, receiver: Any, limits: ScanLimits, cancelled: Callable[[], bool]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limits.wall_seconds
        while True:
            if receiver.poll():
                try:
                    kind, payload = await asyncio.to_thread(receiver.recv)
                except (EOFError, OSError):
                    break  # it died while sending
                return _outcome(kind, payload)
            if not process.is_alive():
                if receiver.poll():
                    continue
                break
            if cancelled():
                process.kill()
                raise ScanCancelled()
            if loop.time() > deadline:
                process.kill()
                raise ScanLimitExceeded(
                    f"the scan ran longer than its limit of {limits.wall_seconds:g} s"
                )
            await asyncio.sleep(POLL_SECONDS)
        await asyncio.to_thread(process.join, 5)
        raise ScanProcessDied(_death(process.exitcode, limits))

    def kill_all(self) -> None:
        for process in list(self._children):
            if process.is_alive():
                process.kill()

    def children(self) -> list[int]:
        """The pids of the scan processes running now (for supervision and tests)."""
        return [p.pid for p in self._children if p.pid is not None and p.is_alive()]


def _outcome(kind: str, payload: Any) -> dict[str, Any]:
    if kind == "ok":
        return dict(payload)
    if kind == "cancelled":
        raise ScanCancelled()
    if kind == "limit":
        raise ScanLimitExceeded(str(payload))
    raise ScanProcessDied(f"the scan failed: {payload}")


def _death(exitcode: int | None, limits: ScanLimits) -> str:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number in (signal.SIGXCPU, signal.SIGKILL):
            return (f"the scan process was killed ({name}): it may have passed its CPU limit of "
                    f"{limits.cpu_seconds:g} s or run out of memory, or was stopped by an "
                    "operator")
        return f"the scan process was killed ({name})"
    return f"the scan process exited unexpectedly (status {exitcode})"
