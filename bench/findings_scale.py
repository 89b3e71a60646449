"""Listing 1,000,000 tracked findings in PostgreSQL: the first page against page 10,000, in
each pagination style the API offers, through a real `tavo serve` over loopback.

  - cursor (keyset): `GET /api/v1/findings?cursor=...&limit=50`: each page continues below
    the last one's position, found through the (org_id, seq) index, with no count;
  - offset: `?offset=N&limit=50` and page: `?page=N&page_size=50` (the seed's styles): the
    database walks past every earlier row, and each page carries `total` (a count).

Also measured with a filter (`status=open`), served by (org_id, status, seq).
Each figure is the median of `--repeat` requests after a warm-up. The cursor of page 10,000
is made from the position of the last finding of page 9,999 (read from the database, the
position the server's own cursor would carry after 9,999 pages); the script checks that
the cursor page and the offset page 10,000 hold the same findings.

Prints each latency and the deep/first ratios (goal for the cursor: <= 2), and as its last
line a JSON object with `cursor_deep_over_first` and `offset_deep_over_first`.

    .venv/bin/python bench/findings_scale.py [--findings 1000000] [--repeat 15]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from _harness import Process, free_port

BIN = Path(sys.executable).parent
TAVO = str(BIN / "tavo")
PAGE_SIZE = 50
DEEP_PAGE = 10_000  # 1-based: page index 9,999
GOAL_CURSOR_RATIO = 2.0

# One statement generates every row: severities, statuses, rules and paths cycle through
# realistic values; the JSON document is a small finding.
INSERT = """
INSERT INTO tracked_findings (
    id, org_id, scope, repository_id, fingerprint, rule_id, severity, category, owasp_llm,
    path, start_line, detection, status, triage, first_seen_scan_id, last_seen_scan_id,
    first_seen_at, last_seen_at, updated_at, data)
SELECT
    'fnd_' || md5(n::text), $1, 'repo_' || (n % 20), 'repo_' || (n % 20), md5('fp' || n),
    'rule-' || (n % 40),
    (ARRAY['CRITICAL','HIGH','MEDIUM','LOW','INFO'])[1 + n % 5],
    (ARRAY['code-injection','secrets','prompt-injection','ssrf'])[1 + n % 4],
    CASE WHEN n % 3 = 0 THEN 'LLM01' END,
    'src/module_' || (n % 500) || '/file_' || (n % 37) || '.py', 1 + n % 400,
    (ARRAY['open','open','open','fixed','reopened'])[1 + (n / 5) % 5],
    (ARRAY['open','open','open','fixed','reopened'])[1 + (n / 5) % 5],
    NULL, 'scan_first', 'scan_last', $2, $2, $2,
    json_build_object('id', substr(md5('fp' || n), 1, 16), 'rule_id', 'rule-' || (n % 40),
        'title', 'Finding ' || n, 'message', 'A generated finding for the benchmark.',
        'severity', (ARRAY['CRITICAL','HIGH','MEDIUM','LOW','INFO'])[1 + n % 5],
        'path', 'src/module_' || (n % 500) || '/file_' || (n % 37) || '.py',
        'start_line', 1 + n % 400, 'snippet', 'call(user_input)',
        'fingerprint', md5('fp' || n))
FROM generate_series($3::bigint, $4::bigint) AS n
"""


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


async def admin(base: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn(base), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def seed(url: str, count: int) -> tuple[str, str]:
    """The organisation with `count` findings, and an API key of it."""
    from datetime import UTC, datetime

    from tavo_platform.server.auth import display_prefix, generate_key, hash_key
    from tavo_platform.store.sql import SqlStore

    store = SqlStore(url)
    try:
        org = await store.ensure_organization("bench")
        key = generate_key()
        limits = {"requests_per_hour": 10**9, "requests_per_day": 10**9}
        await store.add_api_key(org.id, hash_key(key), display_prefix(key), "enterprise",
                                name="bench", limits=limits)
    finally:
        await store.close()
    connection = await asyncpg.connect(dsn(url), timeout=10)
    try:
        moment = datetime.now(UTC)
        step = 100_000
        for start in range(1, count + 1, step):
            await connection.execute(INSERT, org.id, moment, start, min(count, start + step - 1))
            print(f"  inserted {min(count, start + step - 1):,} findings", flush=True)
        await connection.execute("ANALYZE tracked_findings")
    finally:
        await connection.close()
    return org.id, key


async def seq_after(url: str, org_id: str, rows_before: int, where: str = "") -> int:
    """The keyset position after the first `rows_before` findings, newest first."""
    connection = await asyncpg.connect(dsn(url), timeout=10)
    try:
        value = await connection.fetchval(
            f"SELECT seq FROM tracked_findings WHERE org_id = $1 {where} "
            "ORDER BY seq DESC OFFSET $2 LIMIT 1",
            org_id, rows_before - 1,
        )
    finally:
        await connection.close()
    return int(value)


def median_ms(client: httpx.Client, path: str, params: dict[str, object], repeat: int) -> float:
    client.get(path, params=params).raise_for_status()  # warm-up (plans, caches)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def ids(client: httpx.Client, params: dict[str, object]) -> list[str]:
    response = client.get("/api/v1/findings", params=params)
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]


def measure(client: httpx.Client, url: str, org_id: str, repeat: int,
            filters: dict[str, object], where: str, deep_page: int) -> dict[str, float]:
    from tavo_platform.findings.views import encode_cursor

    deep_offset = (deep_page - 1) * PAGE_SIZE
    cursor = encode_cursor(asyncio.run(seq_after(url, org_id, deep_offset, where)))
    cursor_deep = {**filters, "cursor": cursor, "limit": PAGE_SIZE}
    offset_deep = {**filters, "offset": deep_offset, "limit": PAGE_SIZE}
    if ids(client, cursor_deep) != ids(client, offset_deep):
        sys.exit("error: the cursor page and the offset page 10,000 differ")
    path = "/api/v1/findings"
    figures = {
        "cursor_first_ms": median_ms(client, path, {**filters, "cursor": "",
                                                    "limit": PAGE_SIZE}, repeat),
        "cursor_deep_ms": median_ms(client, path, cursor_deep, repeat),
        "offset_first_ms": median_ms(client, path, {**filters, "offset": 0,
                                                    "limit": PAGE_SIZE}, repeat),
        "offset_deep_ms": median_ms(client, path, offset_deep, repeat),
        "page_first_ms": median_ms(client, path, {**filters, "page": 0,
                                                  "page_size": PAGE_SIZE}, repeat),
        "page_deep_ms": median_ms(client, path, {**filters, "page": deep_page - 1,
                                                 "page_size": PAGE_SIZE}, repeat),
    }
    for style in ("cursor", "offset", "page"):
        figures[f"{style}_deep_over_first"] = round(
            figures[f"{style}_deep_ms"] / figures[f"{style}_first_ms"], 2
        )
    rounded = {name: round(value, 2) for name, value in figures.items()}
    return {**rounded, "deep_page": deep_page}


def report(label: str, figures: dict[str, float]) -> None:
    print(f"\n{label}")
    for style in ("cursor", "offset", "page"):
        print(f"  {style:<7} page 1: {figures[f'{style}_first_ms']:8.2f} ms   "
              f"page {int(figures['deep_page']):,}: {figures[f'{style}_deep_ms']:8.2f} ms   "
              f"deep/first: {figures[f'{style}_deep_over_first']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", default=os.environ.get(
        "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    arguments = parser.parse_args()
    if arguments.findings < DEEP_PAGE * PAGE_SIZE:
        sys.exit(f"error: page {DEEP_PAGE:,} needs at least {DEEP_PAGE * PAGE_SIZE:,} findings")

    from tavo_platform.store.migrate import upgrade

    name = f"tavo_bench_findings_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(arguments.postgres, f'CREATE DATABASE "{name}"'))
    url = database_url(arguments.postgres, name)
    server: Process | None = None
    try:
        upgrade(url)
        print(f"seeding {arguments.findings:,} findings into PostgreSQL ({name}) ...")
        started = time.perf_counter()
        org_id, key = asyncio.run(seed(url, arguments.findings))
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        port = free_port()
        with tempfile.TemporaryDirectory() as data:
            env = {**os.environ, "TAVO_DATABASE_URL": url, "TAVO_SCAN_CONCURRENCY": "0"}
            server = Process([TAVO, "serve", "--port", str(port), "--data-dir", data], env)
            base = f"http://127.0.0.1:{port}"
            server.wait_http(base + "/health")
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                everything = measure(client, url, org_id, arguments.repeat, {}, "",
                                     DEEP_PAGE)
                # The open findings are 3 in 5: page 10,000 when there are enough.
                open_pages = arguments.findings * 3 // 5 // PAGE_SIZE
                filtered = measure(client, url, org_id, arguments.repeat,
                                   {"status": "open"}, "AND status = 'open'",
                                   min(DEEP_PAGE, open_pages))
    finally:
        if server is not None:
            server.stop()
        asyncio.run(admin(arguments.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"\n{arguments.findings:,} findings, {PAGE_SIZE} per page, median of "
          f"{arguments.repeat} requests (load average now: {os.getloadavg()[0]:.2f})")
    report("all findings", everything)
    report("filtered: status=open", filtered)
    met = everything["cursor_deep_over_first"] <= GOAL_CURSOR_RATIO
    print(f"\ncursor deep/first {everything['cursor_deep_over_first']:.2f} "
          f"(goal <= {GOAL_CURSOR_RATIO}: {'met' if met else 'NOT met'})")
    print(json.dumps({
        "findings": arguments.findings,
        "cursor_deep_over_first": everything["cursor_deep_over_first"],
        "offset_deep_over_first": everything["offset_deep_over_first"],
        "page_deep_over_first": everything["page_deep_over_first"],
        "all": everything,
        "filtered": filtered,
    }))


if __name__ == "__main__":
    main()
