"""One child process per scan, supervised.

Each scan's engine runs in its own process, forked from a forkserver that has the engine
and the built-in rules loaded. The parent watches it: a cancel request or the scan's
wall-clock limit kills it at once (checked every `POLL_SECONDS`, so a cancel takes effect
within a second whatever the engine is doing); the kernel enforces its CPU limit
(RLIMIT_CPU); and a child that dies (killed, out of memory, crashed) fails only its own
scan, with the reason, since no other scan shares its process. If the forkserver itself
dies, the children it forked keep running (orphaned, so multiprocessing reports them dead
with status 255): they are watched by pid until they deliver their outcome, so no running
scan is lost. When children cannot be started, the start is tried once more (multiprocessing
restarts a dead forkserver on the next start); if that fails too, `healthy` turns false,
which /ready reports, until a start succeeds again.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tavo_platform.enums import ScanStatus
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
        try:
            process = await asyncio.to_thread(self._start, job, limits, sender)
        except Exception as error:
            self.healthy = False
            sender.close()
            receiver.close()
            raise ScanProcessDied(f"the scan process could not be started: {error}") from None
        self.healthy = True
        sender.close()
        self._children.add(process)
        try:
            return await self._watch(process, receiver, limits, cancelled)
        finally:
            self._children.discard(process)
            _kill(process)
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
            if not _running(process):
                if receiver.poll():
                    continue
                break
            if cancelled():
                _kill(process)
                raise ScanCancelled()
            if loop.time() > deadline:
                _kill(process)
                raise ScanLimitExceeded(
                    f"the scan ran longer than its limit of {limits.wall_seconds:g} s"
                )
            await asyncio.sleep(POLL_SECONDS)
        await asyncio.to_thread(process.join, 5)
        raise ScanProcessDied(_death(process.exitcode, limits))

    def _start(self, job: ScanJob, limits: ScanLimits, sender: Any) -> Any:
        """Starts the scan's process; a failed start is tried once more, since multiprocessing
        restarts a dead forkserver on the next start."""
        try:
            return self._start_once(job, limits, sender)
        except Exception:
            return self._start_once(job, limits, sender)

    def _start_once(self, job: ScanJob, limits: ScanLimits, sender: Any) -> Any:
        with _children_allowed():
            process = self._context.Process(
                target=child_main, args=(job, limits, sender), daemon=True, name="tavo-scan"
            )
            process.start()
        return process

    def kill_all(self) -> None:
        for process in list(self._children):
            _kill(process)

    def children(self) -> list[int]:
        """The pids of the scan processes running now (for supervision and tests)."""
        return [p.pid for p in self._children if p.pid is not None and _running(p)]


_DAEMON_FLAG = threading.Lock()


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Lets a Celery worker start scan processes. Its prefork pool (billiard) marks worker
    processes daemonic, and multiprocessing then refuses to start children, lest they outlive
    a parent that exits without waiting; scan processes are always killed and joined by
    their parent (`run`, `kill_all`), and RLIMIT_CPU bounds one that a SIGKILLed worker
    leaves behind. Billiard also gives the process an authentication key of its own type,
    which refuses to be sent to the forkserver (where the key normally goes): it is sent as
    plain bytes, as the forkserver's side stores it anyway. Both are restored after the
    start."""
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    with _DAEMON_FLAG:
        daemon = config.pop("daemon", None)
        key = config.get("authkey")
        if key is not None:
            config["authkey"] = bytes(key)  # what the forkserver receives: the same bytes
        try:
            yield
        finally:
            if daemon is not None:
                config["daemon"] = daemon
            if key is not None:
                config["authkey"] = key


def _running(process: Any) -> bool:
    """Alive as multiprocessing sees it, or orphaned by a dead forkserver (which makes
    multiprocessing report status 255) but still running: its pid exists and is no zombie."""
    if process.is_alive():
        return True
    if process.exitcode != 255 or process.pid is None:
        return False
    try:
        with open(f"/proc/{process.pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def _kill(process: Any) -> None:
    if process.is_alive():
        process.kill()
    elif _running(process):  # orphaned: multiprocessing no longer signals it
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)


def _outcome(kind: str, payload: Any) -> dict[str, Any]:
    if kind == "ok":
        return dict(payload)
    if kind == ScanStatus.CANCELLED:
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
