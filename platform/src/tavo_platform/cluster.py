"""Runs the scaled-out platform on one machine: migrations, N API processes, M scan workers.

`tavo cluster` (and scripts/cluster) is the documented way to run the whole thing, and the
test suite starts its clusters through the same `Cluster` class. The order is the one any
deployment needs: `tavo db upgrade` once, then the API processes (`tavo serve`, one port
each) and the Celery workers (`tavo worker`), all with the same TAVO_* settings. Every
process writes its output to its own log file. The supervisor does not restart processes: if
one exits, `tavo cluster` stops the rest and exits non-zero, so that whatever runs it (systemd,
a container runtime, CI) sees the failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TAVO = str(Path(sys.executable).parent / "tavo")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
WORKER_READY = "tavo worker ready"


@dataclass
class ManagedProcess:
    """One child process of the cluster, in its own process group, output to a log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: signals reach its children too
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def signal_group(self, signum: int) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL the process and its children at once, as a crash or the OOM killer would."""
        self.signal_group(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(10)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if not self.alive:
            return
        self.signal_group(signal.SIGTERM)
        assert self.popen is not None
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Cluster:
    """`api_processes` times `tavo serve` on consecutive ports from `base_port` (0: free
    ports) and `workers` times `tavo worker`, sharing `env` (TAVO_DATABASE_URL, TAVO_REDIS_URL,
    TAVO_QUEUE_URL, …) and `data_dir` (uploads are read by the workers from there)."""

    data_dir: Path
    env: Mapping[str, str]
    api_processes: int = 1
    workers: int = 1
    worker_concurrency: int = 1
    worker_pool: str = "prefork"
    host: str = "127.0.0.1"
    base_port: int = 8700
    log_dir: Path | None = None
    tavo: str = TAVO
    apis: list[ManagedProcess] = field(default_factory=list)
    scan_workers: list[ManagedProcess] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def logs(self) -> Path:
        return self.log_dir or self.data_dir / "logs"

    @property
    def base_urls(self) -> list[str]:
        return [f"http://{self.host}:{port}" for port in self.ports]

    @property
    def processes(self) -> list[ManagedProcess]:
        return [*self.apis, *self.scan_workers]

    def _env(self) -> dict[str, str]:
        return {**self.env, "TAVO_DATA_DIR": str(self.data_dir)}

    def migrate(self) -> str:
        """`tavo db upgrade`: run once, before any API process or worker starts."""
        result = subprocess.run(
            [self.tavo, "db", "upgrade"], env=self._env(), capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"tavo db upgrade failed:\n{result.stdout}{result.stderr}")
        return result.stdout.strip()

    def start(self, *, migrate: bool = True, timeout: float = START_TIMEOUT) -> Cluster:
        """Migrates, then starts everything and waits until every API answers /health and
        every worker is consuming."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            self.migrate()
        if not self.ports:
            self.ports = [
                free_port() if self.base_port == 0 else self.base_port + n
                for n in range(self.api_processes)
            ]
        try:
            for n in range(self.workers):
                self.add_worker(wait=False, number=n)
            self.apis.extend(self._api(n).start() for n in range(self.api_processes))
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _api(self, number: int) -> ManagedProcess:
        argv = [self.tavo, "serve", "--host", self.host, "--port", str(self.ports[number]),
                "--workers", "1", "--data-dir", str(self.data_dir)]
        return ManagedProcess(f"api-{number}", argv, self._env(), self.logs / f"api-{number}.log")

    def add_worker(self, *, wait: bool = True, number: int | None = None) -> ManagedProcess:
        number = len(self.scan_workers) if number is None else number
        argv = [self.tavo, "worker", "--concurrency", str(self.worker_concurrency),
                "--pool", self.worker_pool, "--data-dir", str(self.data_dir)]
        worker = ManagedProcess(
            f"worker-{number}", argv, self._env(), self.logs / f"worker-{number}.log"
        ).start()
        self.scan_workers.append(worker)
        if wait:
            self.wait_ready()
        return worker

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        waiting = [p for p in self.processes if not self._ready(p)]
        while waiting:
            for process in waiting:
                if not process.alive:
                    raise RuntimeError(f"{process.name} exited:\n{process.output()}")
            if time.monotonic() > deadline:
                names = ", ".join(p.name for p in waiting)
                logs = "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in waiting)
                raise RuntimeError(f"not ready after {timeout}s: {names}\n{logs}")
            time.sleep(0.1)
            waiting = [p for p in waiting if not self._ready(p)]

    def _ready(self, process: ManagedProcess) -> bool:
        if process in self.scan_workers:
            # `tavo worker` prints this once it consumes from the broker.
            return WORKER_READY in process.output()
        url = self.base_urls[self.apis.index(process)]
        try:
            return httpx.get(url + "/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def failed(self) -> ManagedProcess | None:
        return next((p for p in self.processes if p.popen is not None and not p.alive), None)

    def stop(self) -> None:
        """SIGTERM everything (workers finish or re-queue their scans), SIGKILL stragglers."""
        for process in self.processes:
            process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes:
            process.stop(max(0.1, deadline - time.monotonic()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_forever(
    cluster: Cluster, bootstrap: Callable[[], str | None], echo: Callable[[str], object] = print
) -> int:
    """`tavo cluster`: migrate, create the first admin key if there is none (printed here,
    once, rather than by whichever API process would get there first, into its log), start
    everything, then wait for a signal or a dead process and stop everything."""
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    echo(cluster.migrate())
    key = bootstrap()
    cluster.start(migrate=False)
    if key:
        echo("Created the first admin API key. It is shown only this once; store it now:")
        echo(f"  {key}")
    for process, url in zip(cluster.apis, cluster.base_urls, strict=True):
        echo(f"{process.name}: {url}/api/v1 (pid {process.pid}, log {process.log_path})")
    for process in cluster.scan_workers:
        echo(f"{process.name}: pid {process.pid}, log {process.log_path}")
    status = 0
    while not stopping:
        dead = cluster.failed()
        if dead is not None:
            echo(f"{dead.name} exited with status {dead.popen.returncode if dead.popen else '?'};"
                 " stopping the cluster")
            status = 1
            break
        time.sleep(0.5)
    cluster.stop()
    return status
