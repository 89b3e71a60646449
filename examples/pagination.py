"""Performance guide > Asynchronous Programming > Streaming and Pagination.

Pages through the completed scans (pages count from 0). The SDK also iterates lazily:
`async for scan in client.scan_management.iter_scans(status="completed"): ...`"""

import asyncio

from _common import API_KEY, check, run_example
from tavo import TavoClient

processed = []


async def process_scan(scan):
    processed.append(scan["id"])


async def process_large_result_set():
    client = TavoClient(api_key=API_KEY)
    page_size = 100
    page = 0

    while True:
        # Use pagination for large datasets
        scans = await client.scan_management.list_scans({
            "page": page,
            "page_size": page_size,
            "status": "completed"
        })

        if not scans["items"]:
            break

        # Process page
        for scan in scans["items"]:
            await process_scan(scan)

        page += 1

        # Rate limiting: small delay between pages
        await asyncio.sleep(0.1)


async def main() -> None:
    await process_large_result_set()

    async with TavoClient(api_key=API_KEY) as client:
        lazily = [scan.id async for scan in client.scan_management.iter_scans(
            status="completed", page_size=2)]
    check(len(processed) == len(set(processed)), "a scan was processed twice")
    # Scans that completed in between may show up in the second listing only.
    check(set(processed) <= set(lazily), "the page loop and iter_scans disagree")
    print(f"processed {len(processed)} completed scans")


if __name__ == "__main__":
    run_example(main)
