"""Performance guide > Connection Management > Reuse Client Instances (the bad way).

A new client per request works, but pays for a new connection every time (and never
closes its clients: the SDK releases their connections when they are garbage-collected and
warns with a ResourceWarning, shown with `python -W always::ResourceWarning`).
bench/sdk_throughput.py measures what this costs against one shared client."""

import asyncio

from _common import API_KEY, check, run_example
from tavo import TavoClient


async def main() -> None:
    # ❌ Bad: Create new client for each request
    results = await asyncio.gather(
        TavoClient(api_key=API_KEY).scan_management.list_scans(),
        TavoClient(api_key=API_KEY).repositories.list_repositories(),
        TavoClient(api_key=API_KEY).ai_analysis.get_models()
    )

    check(len(results) == 3, "expected three answers")
    check(len(results[2]["items"]) >= 1, "the server offers no analysis model")
    print("three answers, from three clients and three connections")


if __name__ == "__main__":
    run_example(main)
