"""Performance guide > Request Batching > Batch Multiple Operations.

Status checks of many scans run concurrently over one client. (The SDK's
`client.scan_bulk_operations.get_bulk_status(scan_ids)` asks for up to 500 in one request.)"""

import asyncio

from _common import API_KEY, REPO1, REPO2, check, run_example
from tavo import TavoClient


# ✅ Good: Batch related operations
async def batch_scan_operations(scan_ids):
    client = TavoClient(api_key=API_KEY)

    # Batch status checks
    status_tasks = [
        client.scan_management.get_scan_status(scan_id)
        for scan_id in scan_ids
    ]
    statuses = await asyncio.gather(*status_tasks)

    # Process results
    return [s for s in statuses if s['status'] == 'completed']


async def main() -> None:
    async with TavoClient(api_key=API_KEY) as client:
        created = [
            await client.scan_management.create_scan(repository_url=url, scan_type="security")
            for url in (REPO1, REPO2)
        ]
        for scan in created:
            await client.scan_management.wait_for_scan(scan.id, timeout=300)

    completed = await batch_scan_operations([scan["id"] for scan in created])

    check(len(completed) == len(created), f"expected {len(created)} completed scans")
    print(f"{len(completed)} of {len(created)} scans completed")


if __name__ == "__main__":
    run_example(main)
