"""API throughput over loopback: `tavo serve` against a bare ASGI app on the same server.

Starts everything as a user would (the `tavo` CLI, the `granian` CLI for the baseline) and
loads it with wrk (Debian package `wrk`, installed with apt-get when missing):

  (1) baseline: a bare ASGI hello-world app on granian, same worker count, ASGI interface;
  (2) authenticated, rate-limited `GET /api/v1/scans/{id}` (limits raised: nothing is 429);
  (3) a 50-item results page `GET /api/v1/scans/{id}/results?limit=50` of a finished scan.

Prints requests/s and p50/p99 latency of each, the ratios (2)/(1) and (3)/(1), and, as its
last line, one JSON object with every figure.

With `--store postgresql`, (2) and (3) are measured on SQLite and then again on a fresh
PostgreSQL database (made on the `--postgres` server, dropped at the end), and
`postgres_over_sqlite` is the lower of the two PostgreSQL/SQLite throughput ratios; the
plans of the hot queries (EXPLAIN ANALYZE on the benchmark's data) are printed as well.

    .venv/bin/python bench/api_throughput.py [--workers N] [--duration 10] [--connections 32]
        [--store postgresql] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from _harness import Process, ensure_wrk, free_port, parse_wrk
from tavo_platform.store.migrate import upgrade

BIN = Path(sys.executable).parent
TAVO = str(BIN / "tavo")
GRANIAN = str(BIN / "granian")
SCAN_TIMEOUT = 300.0
MIN_FINDINGS = 50
GOAL_RATIO_GET_SCAN = 0.30
GOAL_POSTGRES_OVER_SQLITE = 0.70

HELLO_APP = '''
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")],
    })
    await send({"type": "http.response.body", "body": b"Hello, world!"})
'''

@dataclass
class Run:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def parse(name: str, output: str) -> Run:
    return Run(name=name, **asdict(parse_wrk(output)))


def load(wrk: str, name: str, url: str, args: argparse.Namespace, key: str = "") -> Run:
    common = [wrk, "-t", str(args.threads), "-c", str(args.connections)]
    if key:
        common += ["-H", f"X-API-Key: {key}"]
    subprocess.run([*common, "-d", f"{args.warmup}s", url], capture_output=True, check=True)
    result = subprocess.run(
        [*common, "-d", f"{args.duration}s", "--latency", url],
        capture_output=True, text=True, check=True,
    )
    run = parse(name, result.stdout)
    print(
        f"{name:<14} {run.requests_per_second:>10,.0f} req/s   p50 {run.p50_ms:7.2f} ms   "
        f"p99 {run.p99_ms:7.2f} ms   ({run.requests:,} requests, {run.non_2xx} non-2xx, "
        f"{run.socket_errors} socket errors)",
        flush=True,
    )
    if run.non_2xx:
        sys.exit(f"error: {name}: {run.non_2xx} responses were errors (limits not raised?)")
    return run


def make_vulnerable_repo(path: Path, files: int = 12, calls_per_file: int = 10) -> Path:
    """A git repository whose every file calls eval() several times: plenty of findings."""
    path.mkdir(parents=True)
    for number in range(files):
        body = "".join(
            f"def handler_{i}(expression):\n    return eval(expression + {i!r})\n\n\n"
            for i in range(calls_per_file)
        )
        (path / f"module_{number}.py").write_text(body, encoding="utf-8")
    git = ["git", "-c", "user.email=bench@tavo.invalid", "-c", "user.name=bench"]
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run([*git, *step], cwd=path, check=True)
    return path


def create_key(env: dict[str, str], data_dir: Path) -> str:
    result = subprocess.run(
        [TAVO, "keys", "create", "--json", "--tier", "pro", "--org", "bench",
         "--limits", "requests_per_hour=100000000", "--limits", "requests_per_day=1000000000",
         "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, check=True,
    )
    return str(json.loads(result.stdout)["key"])


def finished_scan(base_url: str, key: str, repository: Path) -> tuple[str, int]:
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=30) as client:
        created = client.post(
            "/api/v1/scans",
            json={"repository_url": repository.as_uri(), "scan_type": "code"},
        )
        created.raise_for_status()
        scan_id = created.json()["id"]
        deadline = time.monotonic() + SCAN_TIMEOUT
        while time.monotonic() < deadline:
            scan = client.get(f"/api/v1/scans/{scan_id}").json()
            if scan["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.3)
        else:
            sys.exit(f"error: scan {scan_id} did not finish in {SCAN_TIMEOUT:.0f}s")
        if scan["status"] != "completed":
            sys.exit(f"error: the benchmark scan ended {scan['status']}: {scan.get('error')}")
        total = client.get(f"/api/v1/scans/{scan_id}/results?limit=1").json()["total"]
    if total < MIN_FINDINGS:
        sys.exit(f"error: the benchmark scan found {total} findings, fewer than {MIN_FINDINGS}")
    return scan_id, int(total)


# The hot queries as the server sends them, with the values each takes (in order).
HOT_QUERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "scan stamp and triage (a GET of a finished scan in a repository, or its results, after "
    "a write was announced; none while nothing changed)": (
        "SELECT s.version, s.status, s.tracked_at, t.* FROM scans s LEFT OUTER JOIN "
        "(tracked_findings t JOIN findings f ON f.fingerprint = t.fingerprint) "
        "ON f.scan_id = s.id AND t.scope = $3 AND t.triage IS NOT NULL AND t.org_id = s.org_id "
        "WHERE s.id = $1 AND s.org_id = $2 ORDER BY t.seq",
        ("scan_id", "org_id", "scope")),
    "scan stamp (the same, for a finished scan outside any repository)": (
        "SELECT version, status, tracked_at FROM scans WHERE id = $1 AND org_id = $2",
        ("scan_id", "org_id")),
    "scan row (a cache miss)": (
        "SELECT * FROM scans WHERE id = $1 AND org_id = $2", ("scan_id", "org_id")),
    "results count (a page cache miss)": (
        "SELECT count(*) FROM findings WHERE scan_id = $1", ("scan_id",)),
    "results page (a page cache miss)": (
        "SELECT data::text FROM findings WHERE scan_id = $1 ORDER BY seq LIMIT 50 OFFSET 0",
        ("scan_id",)),
    "triaged findings of the scan (a cache miss)": (
        "SELECT t.* FROM tracked_findings t JOIN findings f ON f.scan_id = $1 "
        "AND f.fingerprint = t.fingerprint WHERE t.scope = $2 AND t.triage IS NOT NULL "
        "AND t.org_id = $3", ("scan_id", "scope", "org_id")),
    "API key by hash (once per key every 2 s)": (
        "SELECT * FROM api_keys WHERE key_hash = $1", ("key_hash",)),
}


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def postgres(url: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn(url), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def explain(url: str, scan_id: str, key: str) -> None:
    """EXPLAIN ANALYZE of each hot query, as the server runs it, on the benchmark's data."""
    from tavo_platform.server.auth import hash_key

    connection = await asyncpg.connect(dsn(url), timeout=10)
    try:
        row = await connection.fetchrow(
            "SELECT org_id, repository_id FROM scans WHERE id = $1", scan_id)
        assert row is not None
        values = {"scan_id": scan_id, "org_id": row["org_id"], "scope": row["repository_id"],
                  "key_hash": hash_key(key)}
        await connection.execute("ANALYZE")
        # The benchmark's tables hold a few rows, which PostgreSQL reads whole rather than
        # through an index; with sequential scans off, the plans show the index each query
        # takes at a deployment's sizes.
        await connection.execute("SET enable_seqscan = off")
        print("  hot queries on PostgreSQL (EXPLAIN ANALYZE, enable_seqscan off):")
        for name, (sql, names) in HOT_QUERIES.items():
            plan = await connection.fetch(
                f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", *(values[n] for n in names))
            print(f"  EXPLAIN {name}:")
            for line in plan:
                print(f"      {line[0]}")
    finally:
        await connection.close()


def measure_store(
    args: argparse.Namespace, wrk: str, root: Path, env: dict[str, str], store: str
) -> tuple[Run, Run, int]:
    """`tavo serve` on this store as a user starts it: the GET of a finished scan and a
    50-item page of its results under wrk."""
    data_dir = root / f"data-{store}"
    port = free_port()
    server = Process(
        [TAVO, "serve", "--port", str(port), "--workers", str(args.workers),
         "--data-dir", str(data_dir)],
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(base_url + "/health")
        key = create_key(env, data_dir)
        repository = make_vulnerable_repo(root / f"repository-{store}")
        scan_id, findings = finished_scan(base_url, key, repository)
        get_scan = load(
            wrk, f"GET scan ({store})", f"{base_url}/api/v1/scans/{scan_id}", args, key
        )
        results = load(
            wrk, f"results ({store})", f"{base_url}/api/v1/scans/{scan_id}/results?limit=50",
            args, key,
        )
        if store == "postgresql":
            asyncio.run(explain(env["TAVO_DATABASE_URL"], scan_id, key))
    finally:
        server.stop()
    return get_scan, results, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: measure SQLite and PostgreSQL, same requests")
    parser.add_argument("--postgres", default=os.environ.get(
        "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
        help="a database to connect to for creating the benchmark's own")
    args = parser.parse_args()
    wrk = ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="tavo-bench-") as scratch:
        root = Path(scratch)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}

        # (1) the baseline: the same server, worker count and interface, no framework.
        (root / "hello_app.py").write_text(HELLO_APP, encoding="utf-8")
        port = free_port()
        hello = Process(
            [GRANIAN, "--interface", "asgi", "--http", "auto", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers), "hello_app:app"],
            env=base_env, cwd=root,
        )
        try:
            hello.wait_http(f"http://127.0.0.1:{port}/")
            baseline = load(wrk, "bare ASGI", f"http://127.0.0.1:{port}/", args)
        finally:
            hello.stop()

        # (2) and (3): `tavo serve` as a user starts it, on SQLite (and on PostgreSQL).
        env = {**base_env, "TAVO_FETCH_ALLOW_FILE_URLS": "true"}
        get_scan, results, findings = measure_store(args, wrk, root, env, "sqlite")
        on_postgres: tuple[Run, Run, int] | None = None
        if args.store == "postgresql":
            name = f"tavo_bench_api_{uuid.uuid4().hex[:8]}"
            asyncio.run(postgres(args.postgres, f'CREATE DATABASE "{name}"'))
            url = args.postgres.rsplit("/", 1)[0] + "/" + name
            try:
                upgrade(url)
                pg_env = {**env, "TAVO_DATABASE_URL": url}
                on_postgres = measure_store(args, wrk, root, pg_env, "postgresql")
            finally:
                asyncio.run(postgres(
                    args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    ratio_get_scan = get_scan.requests_per_second / baseline.requests_per_second
    ratio_results = results.requests_per_second / baseline.requests_per_second
    goal = "meets" if ratio_get_scan >= GOAL_RATIO_GET_SCAN else "misses"
    print(f"ratio GET scan / bare ASGI:     {ratio_get_scan:.3f} ({goal} the "
          f"{GOAL_RATIO_GET_SCAN:.2f} goal)")
    print(f"ratio results page / bare ASGI: {ratio_results:.3f}")
    figures: dict[str, Any] = {
        "workers": args.workers,
        "connections": args.connections,
        "threads": args.threads,
        "duration_seconds": args.duration,
        "load_average": round(os.getloadavg()[0], 2),
        "scan_findings": findings,
        "baseline": asdict(baseline),
        "get_scan": asdict(get_scan),
        "results_page": asdict(results),
        "ratio_get_scan": round(ratio_get_scan, 4),
        "ratio_results_page": round(ratio_results, 4),
        "goal_ratio_get_scan": GOAL_RATIO_GET_SCAN,
    }
    if on_postgres is not None:
        pg_scan, pg_results, _ = on_postgres
        scan_ratio = pg_scan.requests_per_second / get_scan.requests_per_second
        results_ratio = pg_results.requests_per_second / results.requests_per_second
        # The lower of the two: PostgreSQL must keep up on both requests.
        postgres_over_sqlite = min(scan_ratio, results_ratio)
        print(f"PostgreSQL / SQLite: GET scan {scan_ratio:.3f}, results page "
              f"{results_ratio:.3f} (goal {GOAL_POSTGRES_OVER_SQLITE:.2f} for both)")
        figures.update({
            "postgresql_get_scan": asdict(pg_scan),
            "postgresql_results_page": asdict(pg_results),
            "postgres_over_sqlite_get_scan": round(scan_ratio, 4),
            "postgres_over_sqlite_results_page": round(results_ratio, 4),
            "postgres_over_sqlite": round(postgres_over_sqlite, 4),
            "goal_postgres_over_sqlite": GOAL_POSTGRES_OVER_SQLITE,
        })
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
