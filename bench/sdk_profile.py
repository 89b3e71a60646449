"""Where the Python SDK's own time goes: calls driven through the real client (key pool,
retries loop, HTTP cache check, metrics, decoding into models) over an in-process transport
that answers at once, so the figures are the SDK's CPU per call, free of sockets, aiohttp and
the server. Measured with the process clock (other processes on the machine do not count).

  - get_scan_status: a small body, the polling call (bench/sdk_throughput.py's call);
  - get_scan_results: a page of `--findings` findings decoded into models.

With `--profile`, cProfile's top functions (by own time) for each follow. Ends with one JSON
line of the per-call figures (microseconds).

    .venv/bin/python bench/sdk_profile.py [--calls 20000] [--findings 1000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tavo import TavoClient
from tavo._transport import Request, Response

# What `tavo serve` sends with a status (rate-limit headers included: the client reads them).
HEADERS = {
    "content-type": "application/json",
    "x-ratelimit-limit": "1000000000",
    "x-ratelimit-remaining": "999999598",
    "x-ratelimit-reset": "1796607631",
    "ratelimit-policy": '"hour";q=1000000000;w=3600, "day";q=10000000000;w=86400',
    "ratelimit": '"hour";r=999999598;t=3600',
    "x-request-id": "cd669eed503d4f860000000000000193",
}
STATUS = {
    "id": "scan_1",
    "status": "running",
    "finished": False,
    "total_findings": None,
    "error": None,
    "updated_at": "2026-12-07T00:40:30Z",
}


def finding(number: int) -> dict[str, Any]:
    return {
        "id": f"finding_{number}",
        "rule_id": f"python.eval-{number % 7}",
        "title": "eval() of outside data",
        "message": "eval() of data that may come from outside the program",
        "severity": ("CRITICAL", "HIGH", "MEDIUM", "LOW")[number % 4],
        "confidence": "high",
        "category": "code-injection",
        "cwe": ["CWE-95"],
        "path": f"module_{number // 10}.py",
        "start_line": number % 200 + 1,
        "end_line": number % 200 + 1,
        "snippet": f"    return eval(expression + {number!r})",
        "fingerprint": f"{number:064x}",
        "context": {"function": "run", "untrusted_sources": ["request.args"]},
        "trace": [{"path": "app.py", "line": 3, "note": "source"}],
    }


class Answering:
    """A transport answering every request at once with a fixed body per path suffix."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies

    async def send(self, request: Request) -> Response:
        path = request.url.split("?", 1)[0]
        body = self.bodies[path.rsplit("/", 1)[1]]
        return Response(200, dict(HEADERS, **{"content-length": str(len(body))}), body)

    def stream(self, request: Request) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


async def per_call(calls: int, call: Callable[[], Awaitable[Any]], profile: bool) -> float:
    """Microseconds of process CPU per call (best of five runs), after a warm-up."""
    for _ in range(min(calls, 2000)):
        await call()
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(calls):
            await call()
        best = min(best, (time.process_time() - started) / calls * 1e6)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            await call()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    return best


async def run(calls: int, findings: int, profile: bool) -> dict[str, float]:
    page = {
        "scan_id": "scan_1",
        "scan_status": "completed",
        "total": findings,
        "limit": findings,
        "vulnerabilities": [finding(n) for n in range(findings)],
    }
    transport = Answering(
        {
            "status": json.dumps(STATUS).encode(),
            "results": json.dumps(page).encode(),
        }
    )
    figures: dict[str, float] = {}
    options: dict[str, Any] = {"base_url": "http://127.0.0.1:1", "transport": transport}
    async with TavoClient("tavo_profile", **options) as client:
        scans = client.scan_management
        figures["get_scan_status_us"] = await per_call(
            calls, lambda: scans.get_scan_status("scan_1"), profile
        )
        print(f"get_scan_status: {figures['get_scan_status_us']:8.2f} us of SDK CPU per call")
        page_calls = max(5, calls // max(1, findings * 10))
        figures["get_scan_results_us"] = await per_call(
            page_calls, lambda: scans.get_scan_results("scan_1", limit=findings), profile
        )
        figures["per_finding_us"] = figures["get_scan_results_us"] / max(1, findings)
        print(
            f"get_scan_results ({findings} findings): "
            f"{figures['get_scan_results_us'] / 1000:8.2f} ms per page, "
            f"{figures['per_finding_us']:.2f} us per finding"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--findings", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    figures = asyncio.run(run(args.calls, args.findings, args.profile))
    print(json.dumps({name: round(value, 3) for name, value in figures.items()}))


if __name__ == "__main__":
    main()
