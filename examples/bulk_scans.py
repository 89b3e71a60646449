"""Performance guide > Request Batching > Use Bulk Endpoints.

One request creates several scans; each item succeeds or fails on its own."""

from _common import API_KEY, REPO1, REPO2, check, run_example
from tavo import TavoClient


async def main() -> None:
    # ✅ Good: Use bulk operations when available
    client = TavoClient(api_key=API_KEY)

    # Single bulk request instead of multiple individual requests
    bulk_result = await client.scan_bulk_operations.create_bulk_scans([
        {"repository_url": REPO1, "scan_type": "security"},
        {"repository_url": REPO2, "scan_type": "security"},
    ])

    check(bulk_result["created"] == 2, f"bulk create failed: {bulk_result.to_dict()}")
    scan_ids = [item["scan_id"] for item in bulk_result["results"]]
    statuses = await client.scan_bulk_operations.get_bulk_status(scan_ids)
    check(statuses["found"] == 2, "the new scans were not found")
    print(f"created {scan_ids}")
    await client.close()


if __name__ == "__main__":
    run_example(main)
