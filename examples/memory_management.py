"""Performance guide > Resource Optimization > Memory Management.

Reads a scan's findings in chunks of 50. The SDK also iterates lazily:
`async for vuln in client.scan_management.iter_results(scan_id): ...`"""

import asyncio

from _common import API_KEY, REPO, check, run_example
from tavo import TavoClient

seen = []


async def process_vulnerability(vuln):
    seen.append(vuln["id"])


# For large scan results, process incrementally
async def process_large_scan(scan_id):
    client = TavoClient(api_key=API_KEY)

    # Get basic scan info first
    scan_info = await client.scan_management.get_scan(scan_id)

    # Process results in chunks
    offset = 0
    chunk_size = 50

    while True:
        results = await client.scan_management.get_scan_results(
            scan_id, offset=offset, limit=chunk_size
        )

        if not results["vulnerabilities"]:
            break

        # Process chunk
        for vuln in results["vulnerabilities"]:
            await process_vulnerability(vuln)

        offset += chunk_size

        # Prevent memory pressure
        if offset % 1000 == 0:
            await asyncio.sleep(0.01)  # Small yield


async def main() -> None:
    async with TavoClient(api_key=API_KEY) as client:
        scan = await client.scan_management.create_scan(repository_url=REPO)
        final = await client.scan_management.wait_for_scan(scan.id, timeout=300)
        check(final.status == "completed", f"the scan ended {final.status}: {final.error}")

        await process_large_scan(scan.id)
        scan_info = await client.scan_management.get_scan(scan.id)

        lazily = [vuln.id async for vuln in client.scan_management.iter_results(scan.id)]
    check(scan_info["summary"]["total"] == len(seen), "some findings were not read")
    check(sorted(seen) == sorted(lazily), "chunked and lazy reading disagree")
    print(f"{len(seen)} findings read in chunks of 50")


if __name__ == "__main__":
    run_example(main)
