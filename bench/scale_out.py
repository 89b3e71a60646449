"""Scale-out: scan workers, API processes and the Redis rate limiter, each beside its baseline.

Runs the scaled-out platform as a user would (`tavo cluster`, `tavo serve`, `tavo keys
create`) on the real services of this machine — PostgreSQL (a fresh database per
deployment, dropped afterwards), Redis (database 12: the tests use 8) and a Celery broker
(RabbitMQ by default, or Redis; a queue of a unique name, deleted afterwards):

  (1) workers: 200 scans of small generated git repositories (`file://` URLs) run by ONE
      `tavo worker` process vs TWO (concurrency 1 each, so that the processes, not the
      pool size, are compared), one API process in front; timed from the first submission
      (bulk endpoint) to the completion of the last scan (its `finished_at`).
      Prints scans/minute of each and `worker_speedup` (goal: at least 1.7x).
  (2) API: authenticated `GET /api/v1/scans/{id}` of a finished scan under wrk (limits
      raised: nothing is 429), TWO API processes with the Redis limiter vs ONE with the
      in-memory limiter, on the same PostgreSQL database and broker settings, so that only
      the process count and the limiter differ (`api_two_procs_over_one`). One wrk, two
      threads; in the two-process run each thread drives one process (a wrk Lua `setup`).
      For reference: one process with the Redis limiter, and the embedded default
      (`tavo serve` on SQLite, in-memory limiter).
  (3) the rate-limit check itself: the platform's RateLimiter.hit_request, called N times
      in a row against Redis and against the memory storage (the baseline), p50/p99 of
      each; `redis_limit_p99_ms` is the Redis p99 (goal: under 1 ms on loopback).

Every phase also reports where the machine's CPU went (workers, API, PostgreSQL with the
connections it opened, broker, Redis, wrk, and other processes: the machine may be shared,
and a ratio measured while something else holds a core says little), how long tasks waited
for a CPU, and, before and after the worker runs, the machine's parallel capacity (two
spinning processes against one). `--rounds N` alternates N runs of each side and keeps the
medians. The last line printed is one JSON object with every figure.

    .venv/bin/python bench/scale_out.py [--scans 200] [--duration 10] [--connections 32]
        [--rounds 1] [--skip-workers] [--skip-api] [--skip-redis] [--broker amqp|redis]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis
from _harness import Process, parse_wrk

BIN = Path(sys.executable).parent
TAVO = str(BIN / "tavo")
WRK = "/usr/bin/wrk"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
REDIS_BASE = "redis://127.0.0.1:6379"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
REDIS_DB = 12  # the tests use 8; a developer's own deployment likely 0
START_TIMEOUT = 90.0
SCAN_TIMEOUT = 900.0
POLL_SECONDS = 0.5
BULK_MAX = 100  # the bulk endpoint's limit per request
STATUS_MAX = 500
# A bench key must never be refused: every request and scan creation is allowed.
UNLIMITED = {
    "requests_per_hour": 1_000_000_000,
    "requests_per_day": 1_000_000_000,
    "scans_per_hour": 1_000_000,
}
GOAL_WORKER_SPEEDUP = 1.7
GOAL_REDIS_LIMIT_P99_MS = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Each generated file: seven findings (eval, os.system, shell=True, verify=False, md5,
# pickle.loads, SQL from an f-string) and some harmless code.
SOURCE = '''import hashlib
import os
import pickle
import subprocess

import requests


def handler_{n}(expression):
    return eval(expression + "{n}")


def run_{n}(path):
    os.system(f"ls {{path}}")
    return subprocess.run("cat " + path, shell=True)


def fetch_{n}(url):
    return requests.get(url, verify=False)


def digest_{n}(data):
    return hashlib.md5(data).hexdigest()


def load_{n}(blob):
    return pickle.loads(blob)


def query_{n}(cursor, name):
    cursor.execute(f"SELECT * FROM users WHERE name = '{{name}}'")


def total_{n}(values):
    result = {n}
    for value in values:
        result += value * 2
    return result


class Service{n}:
    def __init__(self, items):
        self.items = list(items)

    def largest(self):
        return max(self.items, default=None)
'''

# wrk: thread i connects to PORTS[i % #PORTS] (the URL's host and path are kept), so one
# wrk run spreads its connections evenly over several API processes and reports one set
# of percentiles over all requests.
WRK_SCRIPT = """
local ports = {{{ports}}}
local count = 0
function setup(thread)
   local addrs = wrk.lookup("127.0.0.1", ports[(count % #ports) + 1])
   thread.addr = addrs[1]
   count = count + 1
end
"""


# ---------------------------------------------------------------------------------- helpers


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (tavo cluster uses consecutive ones)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65535:
            continue
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    sys.exit("error: found no free consecutive ports")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).timestamp()


def require(url: str, name: str) -> None:
    match = re.match(r"\w[\w+]*://(?:[^@/]*@)?([^:/]+):(\d+)", url)
    if match is None:
        sys.exit(f"error: cannot read host and port from {url}")
    try:
        socket.create_connection((match.group(1), int(match.group(2))), timeout=3).close()
    except OSError as error:
        sys.exit(f"error: {name} is not reachable at {url} ({error}); scripts/ensure-services "
                 "starts it")


class ClusterProcess(Process):
    """`tavo cluster`: it migrates, then starts the API processes and workers, each in a
    session of its own, and stops them all on SIGTERM."""

    def __init__(self, env: dict[str, str], data_dir: Path, api_processes: int,
                 workers: int) -> None:
        self.base_port = free_ports(api_processes)
        self.data_dir = data_dir
        self.api_processes = api_processes
        self.workers = workers
        self.api_pids: list[int] = []
        self.worker_pids: list[int] = []
        super().__init__(
            [TAVO, "cluster", "--api-processes", str(api_processes), "--workers", str(workers),
             "--worker-concurrency", "1", "--base-port", str(self.base_port),
             "--data-dir", str(data_dir)],
            env,
        )

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.base_port + n}" for n in range(self.api_processes)]

    def child_logs(self) -> str:
        logs = sorted((self.data_dir / "logs").glob("*.log"))
        return "".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n" for log in logs
        )

    def wait_ready(self) -> None:
        """Until the supervisor lists every process (it does once all are ready)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.output()
            apis = re.findall(r"^api-\d+: \S+ \(pid (\d+),", text, re.MULTILINE)
            workers = re.findall(r"^worker-\d+: pid (\d+),", text, re.MULTILINE)
            if len(apis) == self.api_processes and len(workers) == self.workers:
                self.api_pids = [int(pid) for pid in apis]
                self.worker_pids = [int(pid) for pid in workers]
                return
            if self.popen.poll() is not None:
                sys.exit(f"error: tavo cluster exited:\n{text}\n{self.child_logs()}")
            time.sleep(0.2)
        sys.exit(f"error: tavo cluster not ready after {START_TIMEOUT:.0f}s:\n"
                 f"{self.output()}\n{self.child_logs()}")

    def stop(self) -> None:
        if self.stopped:
            return
        super().stop()
        # Should the supervisor have died without stopping them: its children, by pid, only
        # while they still are tavo processes.
        for pid in [*self.api_pids, *self.worker_pids]:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"tavo" in cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the services


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin_sql(statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    name = f"tavo_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def delete_redis_keys(url: str, pattern: str) -> int:
    """Deletes the keys matching `pattern`, which always holds a name unique to this run."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        stale = list(client.scan_iter(match=pattern, count=1000))
        if stale:
            client.delete(*stale)
        return len(stale)
    finally:
        client.close()


def delete_queue(broker_url: str, queue: str) -> None:
    if broker_url.startswith("amqp"):
        from kombu import Connection

        with Connection(broker_url, connect_timeout=5) as connection:
            channel = connection.default_channel
            channel.queue_delete(queue)
            with contextlib.suppress(Exception):  # Celery's exchange of the same name
                channel.exchange_delete(queue)
        return
    delete_redis_keys(broker_url, f"*{queue}*")


def create_key(env: dict[str, str], data_dir: Path, org: str) -> tuple[str, str]:
    """`tavo keys create --json` with raised limits; returns (key, key id)."""
    args = [TAVO, "keys", "create", "--json", "--tier", "enterprise", "--org", org,
            "--data-dir", str(data_dir)]
    for name, value in UNLIMITED.items():
        args += ["--limits", f"{name}={value}"]
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: tavo keys create failed:\n{result.stdout}{result.stderr}")
    created = json.loads(result.stdout)
    return str(created["key"]), str(created["id"])


# ---------------------------------------------------------------------------- CPU account


def _process_times() -> dict[int, tuple[int, str, int, int]]:
    """pid -> (session id, command name, CPU ticks of its own, of its reaped children)."""
    found: dict[int, tuple[int, str, int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        head, _, rest = text.rpartition(")")
        fields = rest.split()
        # after the name: state ppid pgrp session … utime(11) stime cutime cstime
        found[int(entry.name)] = (
            int(fields[3]), head.partition("(")[2], int(fields[11]) + int(fields[12]),
            int(fields[13]) + int(fields[14]),
        )
    return found


def _machine_ticks() -> tuple[int, int]:
    """(all, busy) CPU ticks of the machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]), sum(values[:8]) - idle


def _cpu_pressure() -> int | None:
    """Microseconds during which some runnable task waited for a CPU (Linux PSI)."""
    try:
        line = Path("/proc/pressure/cpu").read_text().split("\n", 1)[0]
    except OSError:
        return None
    return int(line.rsplit("total=", 1)[1])


@dataclass
class CpuMeter:
    """Where the machine's CPU went between start() and stop(), in CPU-seconds: the bench's
    own processes by kind (with the children they reaped meanwhile, e.g. `git clone`), the
    services by name (PostgreSQL with the connections that ended meanwhile), and "other":
    whatever else ran (the machine's busy time minus all the above; the machine may be
    shared)."""

    sessions: dict[int, str] = field(default_factory=dict)  # session id -> kind
    before: dict[int, tuple[int, str, int, int]] = field(default_factory=dict)
    machine_before: tuple[int, int] = (0, 0)
    pressure_before: int | None = None
    started: float = 0.0

    def start(self) -> CpuMeter:
        self.before = _process_times()
        self.machine_before = _machine_ticks()
        self.pressure_before = _cpu_pressure()
        self.started = time.monotonic()
        return self

    def _kind(self, pid: int, session: int, comm: str) -> str | None:
        if session in self.sessions:
            return self.sessions[session]
        if pid == os.getpid():
            return "bench"
        if comm.startswith("postgres"):
            return "postgresql"
        if comm.startswith("redis-server"):
            return "redis"
        if comm in ("beam.smp", "erl_child_setup", "epmd", "inet_gethost"):
            return "rabbitmq"
        if comm == "wrk":
            return "wrk"
        return None

    def stop(self, reaped: dict[str, float] | None = None) -> dict[str, Any]:
        """`reaped`: CPU-seconds of this process's own children that ended meanwhile (wrk),
        which /proc no longer shows."""
        after = _process_times()
        total, busy = _machine_ticks()
        pressure = _cpu_pressure()
        elapsed = time.monotonic() - self.started
        used: dict[str, float] = {}
        for pid, (session, comm, own, children) in after.items():
            kind = self._kind(pid, session, comm)
            if kind is None:
                continue
            previous = self.before.get(pid)
            if previous is None or previous[1] != comm:
                previous = (session, comm, 0, children)  # new: its children's time is older
            # Reaped children count only for the bench's own processes and PostgreSQL's
            # (its ended connections: the postmaster reaps them); another process may reap,
            # now, a child that worked long before.
            spent = own - previous[2]
            if session in self.sessions or kind == "postgresql":
                spent += children - previous[3]
            used[kind] = used.get(kind, 0.0) + max(0, spent) / CLOCK_TICKS
        for kind, seconds in (reaped or {}).items():
            used[kind] = used.get(kind, 0.0) + seconds
        machine_busy = (busy - self.machine_before[1]) / max(1, total - self.machine_before[0])
        cores = os.cpu_count() or 1
        used["other"] = max(0.0, machine_busy * cores * elapsed - sum(used.values()))
        waited = None
        if pressure is not None and self.pressure_before is not None:
            waited = round((pressure - self.pressure_before) / 1e4 / elapsed, 1)
        return {
            "seconds": round(elapsed, 2),
            "machine_busy_percent": round(100 * machine_busy, 1),
            # Share of the time some runnable task waited for a CPU: contention.
            "cpu_pressure_percent": waited,
            "cpu_seconds": {k: round(v, 2) for k, v in sorted(used.items()) if v >= 0.005},
        }


def foreign_cores(cpus: list[dict[str, Any]]) -> float:
    """The CPUs other processes (not this bench's deployments) took, on average."""
    seconds = sum(cpu["seconds"] for cpu in cpus)
    return sum(cpu["cpu_seconds"].get("other", 0.0) for cpu in cpus) / max(seconds, 1e-9)


def describe_cpu(cpu: dict[str, Any]) -> str:
    parts = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in
                      sorted(cpu["cpu_seconds"].items(), key=lambda item: -item[1]))
    pressure = cpu.get("cpu_pressure_percent")
    waited = "" if pressure is None else f", tasks waiting for a CPU {pressure:.0f}% of the time"
    return (f"  CPU over {cpu['seconds']:.1f} s: machine {cpu['machine_busy_percent']:.0f}% busy "
            f"({os.cpu_count()} cores){waited}; CPU-seconds: {parts}")


# ------------------------------------------------------------------------ (1) the workers


def make_repository(path: Path, number: int, files: int) -> Path:
    path.mkdir(parents=True)
    for index in range(files):
        (path / f"module_{index}.py").write_text(SOURCE.format(n=number * 100 + index),
                                                 encoding="utf-8")
    (path / "README.md").write_text(f"# generated repository {number}\n", encoding="utf-8")
    git = ["git", "-c", "user.email=bench@tavo.invalid", "-c", "user.name=bench"]
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run([*git, *step], cwd=path, check=True)
    return path


SPIN = """
import time
count, end = 0, time.perf_counter() + {seconds}
while time.perf_counter() < end:
    count += 1
print(count)
"""


def parallel_capacity(seconds: float = 2.0) -> float:
    """How much more pure-Python work two processes get done than one, right now: 2.0 on an
    idle two-core machine, less when something else has the CPUs (or the cores are shared)."""

    def spin(processes: int) -> int:
        spinners = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=seconds)],
                                     stdout=subprocess.PIPE, text=True)
                    for _ in range(processes)]
        return sum(int(p.communicate()[0]) for p in spinners)

    return spin(2) / spin(1)


@dataclass
class WorkerRun:
    workers: int
    scans: int
    seconds: float
    scans_per_minute: float
    seconds_observed: float  # until the polling client saw the last one finish
    findings_per_scan: list[int]
    mean_scan_seconds: float  # claim (started_at) to finished_at, per scan
    mean_engine_seconds: float  # the engine's own duration, per scan
    mean_queue_seconds: float  # created_at to started_at
    worker_busy_percent: float  # sum of scan times / (elapsed x workers)
    max_attempts: int
    # Deliveries a worker dropped because the scan was already claimed or finished (the
    # API's sweeper re-sends a scan only when the broker's queue holds fewer messages than
    # there are scans waiting, so a backlog alone should cause none).
    dropped_messages: int
    worker_cpu_seconds_per_scan: float  # the workers' CPU (with git) per scan
    cpu: dict[str, Any]


def wait_finished(client: httpx.Client, ids: list[str]) -> tuple[list[dict[str, Any]], float]:
    deadline = time.monotonic() + SCAN_TIMEOUT
    while time.monotonic() < deadline:
        statuses: list[dict[str, Any]] = []
        for start in range(0, len(ids), STATUS_MAX):
            answer = client.post("/api/v1/scans/bulk/status",
                                 json={"scan_ids": ids[start:start + STATUS_MAX]})
            answer.raise_for_status()
            statuses += answer.json()["results"]
        if all(item["finished"] for item in statuses):
            return statuses, time.time()
        time.sleep(POLL_SECONDS)
    sys.exit(f"error: scans not finished after {SCAN_TIMEOUT:.0f}s")


def run_workers(args: argparse.Namespace, workers: int, repositories: list[Path],
                scratch: Path, broker: str, cleanup: contextlib.ExitStack) -> WorkerRun:
    label = f"{workers} worker process{'es' if workers > 1 else ''}"
    print(f"[{label}] fresh database, tavo cluster --api-processes 1 --workers {workers} "
          "--worker-concurrency 1 ...", flush=True)
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(fresh_database())
        queue = f"tavo-bench-{uuid.uuid4().hex[:10]}"
        stack.callback(delete_queue, broker, queue)
        redis_url = f"{args.redis}/{REDIS_DB}"
        env = bench_env(database_url, redis_url, broker, queue)
        data_dir = scratch / f"workers-{workers}"
        cluster = ClusterProcess(env, data_dir, api_processes=1, workers=workers)
        cleanup.callback(cluster.stop)  # also on Ctrl-C
        stack.callback(cluster.stop)
        cluster.wait_ready()
        key, key_id = create_key(env, data_dir, "bench-workers")
        stack.callback(delete_redis_keys, redis_url, f"*{key_id}*")
        items = [{"repository_url": repositories[n % len(repositories)].as_uri(),
                  "scan_type": args.scan_type} for n in range(args.scans)]
        meter = CpuMeter(sessions={pid: "workers" for pid in cluster.worker_pids}
                         | {pid: "api" for pid in cluster.api_pids}
                         | {cluster.pid: "supervisor"})
        with httpx.Client(base_url=cluster.base_urls[0], headers={"X-API-Key": key},
                          timeout=60) as client:
            meter.start()
            started = time.time()
            ids: list[str] = []
            for first in range(0, len(items), BULK_MAX):
                answer = client.post("/api/v1/scans/bulk",
                                     json={"scans": items[first:first + BULK_MAX]})
                body = answer.json()
                if answer.status_code != 202 or body["failed"]:
                    sys.exit(f"error: bulk create answered {answer.status_code}: "
                             f"{json.dumps(body)[:2000]}")
                ids += [result["scan_id"] for result in body["results"]]
            _, observed = wait_finished(client, ids)
            cpu = meter.stop()
            scans = [client.get(f"/api/v1/scans/{scan_id}").json() for scan_id in ids]
        failed = [s for s in scans if s["status"] != "completed"]
        if failed:
            sys.exit(f"error: {len(failed)} scans did not complete, e.g. {failed[0]}")
    # Every process has stopped: their logs are complete.
    logs = "".join(log.read_text(errors="replace") for log in (data_dir / "logs").glob("*.log"))
    finished = max(parse_time(s["finished_at"]) for s in scans)
    seconds = finished - started
    scan_seconds = [parse_time(s["finished_at"]) - parse_time(s["started_at"]) for s in scans]
    run = WorkerRun(
        workers=workers,
        scans=len(scans),
        seconds=round(seconds, 3),
        scans_per_minute=round(len(scans) / seconds * 60, 2),
        seconds_observed=round(observed - started, 3),
        findings_per_scan=sorted({int(s["summary"]["total"]) for s in scans}),
        mean_scan_seconds=round(sum(scan_seconds) / len(scans), 4),
        mean_engine_seconds=round(
            sum(float(s["summary"]["duration_seconds"]) for s in scans) / len(scans), 4),
        mean_queue_seconds=round(sum(
            parse_time(s["started_at"]) - parse_time(s["created_at"]) for s in scans
        ) / len(scans), 3),
        worker_busy_percent=round(100 * sum(scan_seconds) / (seconds * workers), 1),
        max_attempts=max(int(s["attempts"]) for s in scans),
        dropped_messages=logs.count("is not claimable; message dropped"),
        worker_cpu_seconds_per_scan=round(cpu["cpu_seconds"].get("workers", 0) / len(scans), 4),
        cpu=cpu,
    )
    print(f"{label:<20} {run.scans_per_minute:>8.1f} scans/min   {run.scans} scans in "
          f"{run.seconds:.1f} s (seen finished at {run.seconds_observed:.1f} s)\n"
          f"  per scan: {run.mean_scan_seconds * 1000:.0f} ms in a worker (engine "
          f"{run.mean_engine_seconds * 1000:.0f} ms), "
          f"{run.worker_cpu_seconds_per_scan * 1000:.0f} ms of worker CPU, "
          f"{run.findings_per_scan} findings; "
          f"workers busy {run.worker_busy_percent:.0f}%, max attempts {run.max_attempts}, "
          f"{run.dropped_messages} duplicate deliveries dropped\n"
          f"{describe_cpu(run.cpu)}", flush=True)
    return run


def bench_env(database_url: str, redis_url: str | None, broker: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
    env.update({
        "TAVO_DATABASE_URL": database_url,
        "TAVO_QUEUE_URL": broker,
        "TAVO_QUEUE_NAME": queue,
        "TAVO_FETCH_ALLOW_FILE_URLS": "true",
    })
    if redis_url:
        env["TAVO_REDIS_URL"] = redis_url
    return env


# ------------------------------------------------------------------------------ (2) the API


@dataclass
class WrkRun:
    name: str
    processes: int
    limiter: str
    database: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    postgres_sessions_opened: int | None
    cpu: dict[str, Any]


async def _postgres_sessions(database: str) -> int:
    """Sessions ever opened on `database` (PostgreSQL 14+ statistics)."""
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=10)
    try:
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        return int(await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", database) or 0)
    finally:
        await connection.close()


@dataclass
class Target:
    """One configuration under load: its API processes' ports, and the scan to read."""

    key: str  # "two_redis", …
    name: str
    ports: list[int]
    path: str
    api_key: str
    sessions: dict[int, str]  # for the CPU account
    processes: int
    limiter: str
    database: str
    postgres_database: str | None = None  # to count the connections opened meanwhile


def wrk_load(args: argparse.Namespace, target: Target, scratch: Path) -> WrkRun:
    ports = target.ports if len(target.ports) > 1 else target.ports * 2
    script = scratch / f"ports-{'-'.join(map(str, ports))}.lua"
    script.write_text(WRK_SCRIPT.format(ports=", ".join(f'"{p}"' for p in ports)),
                      encoding="utf-8")
    url = f"http://127.0.0.1:{ports[0]}{target.path}"
    common = [WRK, "-t", str(args.threads), "-c", str(args.connections), "-s", str(script),
              "-H", f"X-API-Key: {target.api_key}"]
    subprocess.run([*common, "-d", f"{args.warmup}s", url], capture_output=True, check=True)
    database = target.postgres_database
    sessions_before = asyncio.run(_postgres_sessions(database)) if database else 0
    meter = CpuMeter(sessions=target.sessions).start()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([*common, "-d", f"{args.duration}s", "--latency", url],
                            capture_output=True, text=True, check=True)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = meter.stop({"wrk": reaped.ru_utime + reaped.ru_stime
                      - children.ru_utime - children.ru_stime})
    opened = None
    if database:
        time.sleep(0.6)  # PostgreSQL publishes its statistics at most every 0.5 s
        opened = asyncio.run(_postgres_sessions(database)) - sessions_before
    figures = parse_wrk(result.stdout)
    run = WrkRun(
        name=target.name, processes=target.processes, limiter=target.limiter,
        database=target.database, **asdict(figures), postgres_sessions_opened=opened, cpu=cpu,
    )
    connections = "" if opened is None else f", {opened:,} PostgreSQL connections opened"
    print(f"{target.name:<36} {run.requests_per_second:>7,.0f} req/s   p50 {run.p50_ms:6.2f} ms"
          f"   p99 {run.p99_ms:6.2f} ms   ({run.requests:,} requests, {run.non_2xx} non-2xx, "
          f"{run.socket_errors} socket errors{connections})\n{describe_cpu(cpu)}", flush=True)
    if run.non_2xx:
        sys.exit(f"error: {target.name}: {run.non_2xx} responses were errors (limits not "
                 "raised?)")
    return run


def finished_scan(base_url: str, key: str, repository: Path) -> str:
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=30) as client:
        created = client.post("/api/v1/scans", json={"repository_url": repository.as_uri()})
        created.raise_for_status()
        scan_id = str(created.json()["id"])
        statuses, _ = wait_finished(client, [scan_id])
        if statuses[0]["status"] != "completed":
            sys.exit(f"error: the API benchmark's scan ended {statuses[0]}")
    return scan_id


def run_api(args: argparse.Namespace, repository: Path, scratch: Path, broker: str,
            cleanup: contextlib.ExitStack) -> dict[str, list[WrkRun]]:
    """Starts every configuration, then loads them in turn (`--rounds` times, the order
    rotating); the ones not under load meanwhile sit idle."""
    redis_url = f"{args.redis}/{REDIS_DB}"
    targets: list[Target] = []
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(fresh_database())
        database_name = database_url.rsplit("/", 1)[1]
        queue = f"tavo-bench-{uuid.uuid4().hex[:10]}"
        stack.callback(delete_queue, broker, queue)
        env = bench_env(database_url, redis_url, broker, queue)
        data_dir = scratch / "api"

        def started(process: Process) -> Process:
            cleanup.callback(process.stop)  # also on Ctrl-C or an error
            stack.callback(process.stop)
            return process

        # A finished scan to read, made by a worker that is then stopped with the rest.
        print("[API] fresh database; a finished scan from tavo cluster --workers 1; then "
              "tavo cluster --api-processes 2 --workers 0 (Redis limiter), and tavo serve "
              "on the same database without TAVO_REDIS_URL (memory limiter) ...", flush=True)
        setup = started(ClusterProcess(env, data_dir, api_processes=1, workers=1))
        assert isinstance(setup, ClusterProcess)
        setup.wait_ready()
        api_key, key_id = create_key(env, data_dir, "bench-api")
        stack.callback(delete_redis_keys, redis_url, f"*{key_id}*")
        path = f"/api/v1/scans/{finished_scan(setup.base_urls[0], api_key, repository)}"
        setup.stop()

        two = started(ClusterProcess(env, data_dir, api_processes=2, workers=0))
        assert isinstance(two, ClusterProcess)
        two.wait_ready()
        targets.append(Target(
            "two_redis", "2 API processes, Redis limiter", [two.base_port, two.base_port + 1],
            path, api_key, {pid: "api" for pid in two.api_pids} | {two.pid: "supervisor"},
            2, "redis", "postgresql", database_name,
        ))
        # One API process: `tavo serve`, the same database and broker settings, with the
        # in-memory limiter (no TAVO_REDIS_URL) and, for reference, the Redis one.
        for key, limiter, url in (("one_memory", "memory", None),
                                  ("one_redis", "Redis", redis_url)):
            port = free_ports(1)
            one = started(Process(
                [TAVO, "serve", "--port", str(port), "--data-dir", str(data_dir)],
                bench_env(database_url, url, broker, queue),
            ))
            one.wait_http(f"http://127.0.0.1:{port}/health")
            targets.append(Target(key, f"1 API process, {limiter} limiter", [port], path,
                                  api_key, {one.pid: "api"}, 1, limiter.lower(), "postgresql",
                                  database_name))

        # Reference: the embedded default (SQLite, in-memory limiter, in-process scans).
        embedded_dir = scratch / "embedded"
        embedded_env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
        embedded_env["TAVO_FETCH_ALLOW_FILE_URLS"] = "true"
        port = free_ports(1)
        embedded = started(Process(
            [TAVO, "serve", "--port", str(port), "--data-dir", str(embedded_dir)], embedded_env
        ))
        embedded.wait_http(f"http://127.0.0.1:{port}/health")
        embedded_key, _ = create_key(embedded_env, embedded_dir, "bench-embedded")
        scan_id = finished_scan(f"http://127.0.0.1:{port}", embedded_key, repository)
        targets.append(Target(
            "embedded", "1 embedded process (SQLite, memory)", [port],
            f"/api/v1/scans/{scan_id}", embedded_key, {embedded.pid: "api"}, 1, "memory",
            "sqlite",
        ))

        runs: dict[str, list[WrkRun]] = {target.key: [] for target in targets}
        for round_number in range(args.rounds):
            if args.rounds > 1:
                print(f"[API] round {round_number + 1} of {args.rounds}", flush=True)
            shift = round_number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                runs[target.key].append(wrk_load(args, target, scratch))
    return runs


def median_run(runs: list[WrkRun]) -> dict[str, Any]:
    return {
        "requests_per_second": statistics.median(r.requests_per_second for r in runs),
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
    }


# -------------------------------------------------------------------- (3) the rate limiter


@dataclass
class LimiterRun:
    storage: str
    calls: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float


async def _measure_limiter(redis_url: str, calls: int, block: int) -> dict[str, LimiterRun]:
    from tavo_platform.server.auth import Principal
    from tavo_platform.server.ratelimit import RateLimiter
    from tavo_platform.store.records import ApiKey
    from tavo_platform.tiers import TierLimits

    key_id = f"key_bench{uuid.uuid4().hex}"  # unique: its counters are deleted by this name
    principal = Principal(
        key=ApiKey(id=key_id, org_id="org_bench", name="bench", key_hash="0" * 64,
                   prefix="tavo_bench", tier="enterprise", is_admin=False, limits=None,
                   created_at=datetime.now(UTC), expires_at=None, revoked_at=None),
        limits=TierLimits(**UNLIMITED),
    )
    limiters = {"memory": RateLimiter("memory://"), "redis": RateLimiter(redis_url)}
    ping = redis.asyncio.Redis.from_url(redis_url)
    samples: dict[str, list[float]] = {"memory": [], "redis": [], "redis_ping": []}
    clock = time.perf_counter_ns
    try:
        for limiter in limiters.values():  # warm-up: connections, scripts loaded
            for _ in range(1000):
                decision = await limiter.hit_request(principal)
                assert decision.allowed
        for _ in range(100):
            await ping.ping()
        # Alternate blocks, so that a busy moment of the machine hits every storage alike.
        for _ in range(calls // block):
            for name, limiter in limiters.items():
                out = samples[name]
                for _ in range(block):
                    start = clock()
                    await limiter.hit_request(principal)
                    out.append((clock() - start) / 1e6)
            out = samples["redis_ping"]
            for _ in range(block):
                start = clock()
                await ping.ping()
                out.append((clock() - start) / 1e6)
    finally:
        for limiter in limiters.values():
            await limiter.close()
        await ping.aclose()
        delete_redis_keys(redis_url, f"*{key_id}*")
    runs = {}
    for name, values in samples.items():
        values.sort()
        runs[name] = LimiterRun(
            storage=name, calls=len(values), p50_ms=round(percentile(values, 50), 4),
            p99_ms=round(percentile(values, 99), 4), p999_ms=round(percentile(values, 99.9), 4),
            max_ms=round(values[-1], 4), mean_ms=round(sum(values) / len(values), 4),
        )
    return runs


def run_limiter(args: argparse.Namespace) -> tuple[dict[str, LimiterRun], dict[str, Any]]:
    print(f"[rate limiter] {args.limiter_calls:,} RateLimiter.hit_request calls per storage, "
          "alternating blocks ...", flush=True)
    meter = CpuMeter().start()
    runs = asyncio.run(_measure_limiter(f"{args.redis}/{REDIS_DB}", args.limiter_calls, 1000))
    cpu = meter.stop()
    labels = {"memory": "memory storage (baseline)", "redis": "Redis storage",
              "redis_ping": "Redis PING (round-trip floor)"}
    for name, run in runs.items():
        print(f"{labels[name]:<30} p50 {run.p50_ms:.3f} ms   p99 {run.p99_ms:.3f} ms   "
              f"p99.9 {run.p999_ms:.3f} ms   max {run.max_ms:.2f} ms   mean {run.mean_ms:.3f} ms",
              flush=True)
    print(describe_cpu(cpu), flush=True)
    return runs, cpu


# ---------------------------------------------------------------------------------- main


def main() -> None:
    global POSTGRES_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=200, help="scans per worker run")
    parser.add_argument("--repositories", type=int, default=20,
                        help="generated repositories the scans go through in turn")
    parser.add_argument("--files", type=int, default=15, help="python files per repository")
    parser.add_argument("--scan-type", default="security")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of each kind, alternating (the median is kept)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2,
                        help="wrk threads (even: with two API processes each gets half)")
    parser.add_argument("--limiter-calls", type=int, default=20_000)
    parser.add_argument("--broker", choices=("amqp", "redis"), default="amqp",
                        help="Celery broker: RabbitMQ (default) or Redis (database 12)")
    parser.add_argument("--postgres", default=POSTGRES_URL,
                        help="a PostgreSQL database to create the bench's databases from")
    parser.add_argument("--redis", default=REDIS_BASE, help="Redis, without a database number")
    parser.add_argument("--amqp", default=AMQP_URL)
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    POSTGRES_URL = args.postgres
    args.redis = args.redis.rstrip("/")
    broker = args.amqp if args.broker == "amqp" else f"{args.redis}/{REDIS_DB}"
    if args.threads % 2:
        sys.exit("error: --threads must be even (half of them per API process)")
    require(POSTGRES_URL, "PostgreSQL")
    require(args.redis + "/", "Redis")
    require(broker, "the broker")
    if not args.skip_api and not os.access(WRK, os.X_OK):
        sys.exit(f"error: {WRK} is missing (apt-get install wrk)")

    began = time.monotonic()
    load_before = os.getloadavg()
    print(f"cores {os.cpu_count()}, load average {load_before[0]:.2f}; broker {broker}, "
          f"Redis database {REDIS_DB}", flush=True)
    figures: dict[str, Any] = {
        "cores": os.cpu_count(),
        "broker": args.broker,
        "redis_db": REDIS_DB,
        "load_average_before": round(load_before[0], 2),
    }
    summary: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tavo-scale-bench-") as scratch_name, \
            contextlib.ExitStack() as cleanup:
        scratch = Path(scratch_name)
        repositories = [make_repository(scratch / "repos" / f"repo-{n}", n, args.files)
                        for n in range(max(1, args.repositories))]

        if not args.skip_workers:
            capacity_before = parallel_capacity()
            print(f"parallel capacity now: two CPU-bound processes do {capacity_before:.2f}x "
                  "the work of one", flush=True)
            one_runs: list[WorkerRun] = []
            two_runs: list[WorkerRun] = []
            for round_number in range(args.rounds):
                # Alternate which goes first, so that a trend in the machine's load does not
                # favour one side.
                order = (1, 2) if round_number % 2 == 0 else (2, 1)
                for workers in order:
                    run = run_workers(args, workers, repositories, scratch, broker, cleanup)
                    (one_runs if workers == 1 else two_runs).append(run)
            capacity_after = parallel_capacity()
            print(f"parallel capacity now: {capacity_after:.2f}x", flush=True)
            one_rate = statistics.median(r.scans_per_minute for r in one_runs)
            two_rate = statistics.median(r.scans_per_minute for r in two_runs)
            speedup = two_rate / one_rate
            goal = "meets" if speedup >= GOAL_WORKER_SPEEDUP else "misses"
            rounds = f" (median of {args.rounds} rounds)" if args.rounds > 1 else ""
            summary.append(f"worker_speedup (2 vs 1 worker processes): {speedup:.2f}x{rounds}; "
                           f"{one_rate:.1f} vs {two_rate:.1f} scans/min "
                           f"({goal} the {GOAL_WORKER_SPEEDUP}x goal); the machine's "
                           f"parallel capacity (2 spinning processes / 1): "
                           f"{capacity_before:.2f}x before, {capacity_after:.2f}x after; "
                           f"other processes took "
                           f"{foreign_cores([r.cpu for r in one_runs]):.2f} and "
                           f"{foreign_cores([r.cpu for r in two_runs]):.2f} CPUs meanwhile")
            figures.update({
                "scans": args.scans,
                "files_per_repository": args.files,
                "scan_type": args.scan_type,
                "rounds": args.rounds,
                "scans_per_minute_one_worker": one_rate,
                "scans_per_minute_two_workers": two_rate,
                "worker_speedup": round(speedup, 3),
                "goal_worker_speedup": GOAL_WORKER_SPEEDUP,
                "parallel_capacity_before": round(capacity_before, 3),
                "parallel_capacity_after": round(capacity_after, 3),
                "workers_one": [asdict(run) for run in one_runs],
                "workers_two": [asdict(run) for run in two_runs],
            })

        if not args.skip_api:
            runs = run_api(args, repositories[0], scratch, broker, cleanup)
            medians = {key: median_run(values) for key, values in runs.items()}
            ratio = (medians["two_redis"]["requests_per_second"]
                     / medians["one_memory"]["requests_per_second"])
            redis_cost = (medians["one_redis"]["requests_per_second"]
                          / medians["one_memory"]["requests_per_second"])
            rounds = f" (medians of {args.rounds} rounds)" if args.rounds > 1 else ""
            summary.append(
                f"api_two_procs_over_one: {ratio:.2f}x{rounds}: 2 API processes + Redis limiter "
                f"{medians['two_redis']['requests_per_second']:,.0f} req/s (p50 "
                f"{medians['two_redis']['p50_ms']:.1f} ms, p99 "
                f"{medians['two_redis']['p99_ms']:.1f} ms) vs 1 process + memory limiter "
                f"{medians['one_memory']['requests_per_second']:,.0f} req/s (p50 "
                f"{medians['one_memory']['p50_ms']:.1f} ms, p99 "
                f"{medians['one_memory']['p99_ms']:.1f} ms), the same PostgreSQL database; "
                f"other processes took {foreign_cores([r.cpu for r in runs['two_redis']]):.2f} "
                f"and {foreign_cores([r.cpu for r in runs['one_memory']]):.2f} CPUs meanwhile"
            )
            summary.append(
                f"  reference: 1 process + Redis limiter / + memory limiter: {redis_cost:.2f}x; "
                f"embedded default (SQLite, 1 process): "
                f"{medians['embedded']['requests_per_second']:,.0f} req/s"
            )
            figures.update({
                "api_two_procs_req_per_s": medians["two_redis"]["requests_per_second"],
                "api_one_proc_req_per_s": medians["one_memory"]["requests_per_second"],
                "api_two_procs_over_one": round(ratio, 3),
                "api_one_proc_redis_over_memory": round(redis_cost, 3),
                "api_embedded_req_per_s": medians["embedded"]["requests_per_second"],
                "api_connections": args.connections,
                "api_duration_seconds": args.duration,
                "api_medians": medians,
                "api": {key: [asdict(run) for run in values] for key, values in runs.items()},
            })

        if not args.skip_redis:
            limiter, limiter_cpu = run_limiter(args)
            p99 = limiter["redis"].p99_ms
            goal = "meets" if p99 < GOAL_REDIS_LIMIT_P99_MS else "misses"
            summary.append(
                f"redis_limit_p99_ms: {p99:.3f} ms ({goal} the < {GOAL_REDIS_LIMIT_P99_MS} ms "
                f"goal); over the memory storage's p99: "
                f"{p99 - limiter['memory'].p99_ms:+.3f} ms; other processes took "
                f"{foreign_cores([limiter_cpu]):.2f} CPUs meanwhile"
            )
            figures.update({
                "redis_limit_p99_ms": p99,
                "redis_limit_p50_ms": limiter["redis"].p50_ms,
                "memory_limit_p99_ms": limiter["memory"].p99_ms,
                "memory_limit_p50_ms": limiter["memory"].p50_ms,
                "redis_limit_p99_added_ms": round(p99 - limiter["memory"].p99_ms, 4),
                "goal_redis_limit_p99_ms": GOAL_REDIS_LIMIT_P99_MS,
                "limiter": {name: asdict(run) for name, run in limiter.items()},
                "limiter_cpu": limiter_cpu,
            })

    leftover = redis.Redis.from_url(f"{args.redis}/{REDIS_DB}").dbsize()
    figures["load_average_after"] = round(os.getloadavg()[0], 2)
    figures["redis_db_keys_left"] = leftover
    figures["run_seconds"] = round(time.monotonic() - began, 1)
    print("\nsummary")
    for line in summary:
        print("  " + line)
    print(f"  run time {figures['run_seconds']:.0f} s; load average {load_before[0]:.2f} before, "
          f"{figures['load_average_after']:.2f} after; keys left in Redis db {REDIS_DB}: "
          f"{leftover}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
