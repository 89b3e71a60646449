"""Where a hot API request's time goes: the app driven in-process (no sockets, no server),
so the figures are the application's own CPU per request, free of HTTP parsing and wrk.

Runs the app's lifespan on SQLite (default) or PostgreSQL (`--database-url`), makes a key
and a finished scan with `--findings` findings, then sends each hot request `--requests`
times straight to the ASGI callable and prints microseconds per request. With `--profile`,
cProfile's top functions (by cumulative and by own time) for each request kind follow.
Ends with one JSON line of the per-request figures.

    .venv/bin/python bench/api_profile.py [--requests 5000] [--profile] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from tavo_platform.server.app import create_app
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade
from tavo_platform.store.records import NewScan


def finding(number: int) -> dict[str, Any]:
    return {
        "fingerprint": f"{number:064x}",
        "rule_id": f"python.eval-{number % 7}",
        "severity": ("critical", "high", "medium", "low")[number % 4],
        "path": f"module_{number // 10}.py",
        "start_line": number % 200 + 1,
        "end_line": number % 200 + 1,
        "message": "eval() of data that may come from outside the program",
        "snippet": f"    return eval(expression + {number!r})",
        "cwe": ["CWE-95"],
        "owasp": ["A03:2021"],
        "confidence": "high",
    }


async def prepare(app: Any, findings: int) -> tuple[str, str]:
    state = app.state.tavo
    store = state.store
    organization = await store.ensure_organization("bench")
    key = generate_key()
    await store.add_api_key(
        organization.id, hash_key(key), display_prefix(key), "pro", name="bench",
        limits={"requests_per_hour": 10**9, "requests_per_day": 10**9},
    )
    url = "https://example.invalid/r.git"
    repository = await store.upsert_repository(organization.id, url, "r")
    created = await store.create_scans(
        organization.id,
        [NewScan(org_id=organization.id, source="git", scan_type="code",
                 repository_url=url, repository_id=repository.id)],
    )
    scan = await store.claim_scan("bench-worker", timedelta(minutes=5))
    assert scan is not None and scan.id == created.scans[0].id
    results = [finding(n) for n in range(findings)]
    await store.finish_scan(
        scan.id, "bench-worker", status="completed",
        summary={"total": findings, "by_severity": {"high": findings}}, results=results,
    )
    return key, scan.id


async def call(app: Any, path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8700),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(app: Any, args: argparse.Namespace, kinds: dict[str, tuple[str, bytes]],
                  headers: list[tuple[bytes, bytes]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for name, (path, query) in kinds.items():
        for _ in range(200):  # warm-up: caches, prepared statements, lazy imports
            assert await call(app, path, query, headers) == 200
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        for _ in range(args.requests):
            await call(app, path, query, headers)
        if profiler is not None:
            profiler.disable()
        wall = (time.perf_counter() - started) / args.requests * 1e6
        figures[name] = (time.process_time() - cpu) / args.requests * 1e6
        print(f"{name:<14} {figures[name]:8.1f} us CPU/request ({wall:.1f} us wall)", flush=True)
        if profiler is not None:
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    return figures


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, float]:
    settings = Settings(
        data_dir=data_dir, database_url=args.database_url, redis_url=args.redis_url,
        scan_concurrency=0, dashboard=True,
    )
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        key, scan_id = await prepare(app, args.findings)
        headers = [(b"host", b"127.0.0.1"), (b"x-api-key", key.encode()),
                   (b"accept-encoding", b"gzip, deflate"), (b"accept", b"*/*")]
        kinds = {
            "GET scan": (f"/api/v1/scans/{scan_id}", b""),
            "results page": (f"/api/v1/scans/{scan_id}/results", b"limit=50"),
        }
        return await measure(app, args, kinds, headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--findings", type=int, default=120)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tavo-profile-") as scratch:
        figures = asyncio.run(run(args, Path(scratch)))
    print(json.dumps({f"cpu_us_{k.replace(' ', '_')}": round(v, 1) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
