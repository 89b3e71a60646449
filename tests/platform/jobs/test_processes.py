"""Scan processes (jobs/processes.py): each scan in its own supervised process, held to its
limits; a cancel stops it within a second; a killed process fails only its own scan."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.jobs.execution import (
    ScanCancelled,
    ScanJob,
    ScanLimitExceeded,
    ScanLimits,
    run_scan_job,
)
from tavo_platform.jobs.processes import ScanProcessDied, ScanProcesses

GENEROUS = ScanLimits(wall_seconds=120, cpu_seconds=60, file_seconds=30)


def tree(root: Path, files: int, lines: int = 200) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    body = "".join(f"def f{n}(x):\n    return eval(x)\n" for n in range(lines))
    for n in range(files):
        (root / f"m{n}.py").write_text(body)
    return root


def job(source: Path, tmp_path: Path) -> ScanJob:
    return ScanJob(source_dir=str(source), scan_type="code", selectors=(), exclusions=(),
                   custom_rule_files=(), cancel_flag=str(tmp_path / "cancel"))


def never() -> bool:
    return False


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_scan_runs_in_its_own_process(tmp_path: Path) -> None:
    outcome = run(ScanProcesses().run(job(tree(tmp_path / "src", 2, 3), tmp_path), GENEROUS,
                                      never))
    assert outcome["summary"]["total"] == 6


def test_the_wall_clock_limit_stops_a_scan(tmp_path: Path) -> None:
    source = tree(tmp_path / "src", 400)
    limits = ScanLimits(wall_seconds=1.0, cpu_seconds=60, file_seconds=30)
    started = time.monotonic()
    with pytest.raises(ScanLimitExceeded, match="longer than its limit of 1 s"):
        run(ScanProcesses().run(job(source, tmp_path), limits, never))
    assert time.monotonic() - started < 3


def test_the_cpu_limit_stops_a_scan(tmp_path: Path) -> None:
    source = tree(tmp_path / "src", 400)
    limits = ScanLimits(wall_seconds=60, cpu_seconds=1, file_seconds=30)
    with pytest.raises((ScanLimitExceeded, ScanProcessDied), match="CPU"):
        run(ScanProcesses().run(job(source, tmp_path), limits, never))


def test_a_cancel_stops_the_scan_within_a_second(tmp_path: Path) -> None:
    source = tree(tmp_path / "src", 400)
    asked: list[float] = []

    def cancelled() -> bool:
        if not asked and time.monotonic() - started > 0.5:
            asked.append(time.monotonic())
        return bool(asked)

    started = time.monotonic()
    with pytest.raises(ScanCancelled):
        run(ScanProcesses().run(job(source, tmp_path), GENEROUS, cancelled))
    assert time.monotonic() - asked[0] < 1.0


def test_a_file_over_its_time_budget_is_skipped(tmp_path: Path) -> None:
    # 20,000 functions take far longer than the budget; the budget is generous
    # enough that the one-line file never rings it on a loaded machine
    source = tree(tmp_path / "src", 1, lines=20_000)
    (source / "small.py").write_text("eval(x)\n")
    limits = ScanLimits(wall_seconds=60, cpu_seconds=60, file_seconds=2.0)
    outcome = run(ScanProcesses().run(job(source, tmp_path), limits, never))
    skipped = outcome["summary"]["skipped_by_reason"]
    assert skipped.get("took longer than the per-file time budget") == 1, skipped
    assert outcome["summary"]["total"] == 1  # small.py


def test_a_killed_scan_process_fails_only_its_scan(tmp_path: Path) -> None:
    processes = ScanProcesses()
    slow = job(tree(tmp_path / "slow", 300), tmp_path / "a")
    quick = job(tree(tmp_path / "quick", 1, 3), tmp_path / "b")

    async def scenario() -> tuple[Any, Any, Any]:
        doomed = asyncio.create_task(processes.run(slow, GENEROUS, never))
        while not processes.children():
            await asyncio.sleep(0.05)
        os.kill(processes.children()[0], signal.SIGKILL)
        other = await processes.run(quick, GENEROUS, never)
        results = await asyncio.gather(doomed, return_exceptions=True)
        after = await processes.run(quick, GENEROUS, never)
        return results[0], other, after

    killed, other, after = run(scenario())
    assert isinstance(killed, ScanProcessDied) and "SIGKILL" in str(killed)
    assert other["summary"]["total"] == 3 and after["summary"]["total"] == 3
    assert processes.healthy


def test_a_dead_forkserver_fails_no_scan(tmp_path: Path) -> None:
    """The forkserver every scan process is forked from is killed while a scan runs: the
    running scan finishes (its process does not depend on the forkserver) and the next
    scan starts from a new forkserver."""
    from multiprocessing import forkserver

    processes = ScanProcesses()
    slow = job(tree(tmp_path / "slow", 40), tmp_path / "a")
    quick = job(tree(tmp_path / "quick", 1, 3), tmp_path / "b")

    async def scenario() -> tuple[Any, Any]:
        running = asyncio.create_task(processes.run(slow, GENEROUS, never))
        while not processes.children():
            await asyncio.sleep(0.05)
        server_pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
        os.kill(server_pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        after = await processes.run(quick, GENEROUS, never)
        return await running, after

    finished, after = run(scenario())
    assert finished["summary"]["total"] == 40 * 200
    assert after["summary"]["total"] == 3
    assert processes.healthy


def test_the_time_budget_is_not_swallowed_while_the_code_context_is_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The code context of a file's findings is optional (a failure there costs the
    # contexts, not the scan), but its file's time budget running out must still skip it.
    from tavo_platform.engine import _context

    def over_budget(*_args: object) -> None:
        raise TimeoutError("per-file time budget")

    monkeypatch.setattr(_context, "code_contexts", over_budget)
    source = tree(tmp_path / "src", 1, lines=3)
    outcome = run_scan_job(job(source, tmp_path), GENEROUS)
    assert outcome["summary"]["skipped_by_reason"] == {
        "took longer than the per-file time budget": 1
    }, outcome["summary"]
