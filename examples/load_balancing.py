"""Performance guide > Enterprise Considerations > Load Balancing.

The guide's LoadBalancedTavoClient picks a random key per request. The SDK does better by
itself: `TavoClient(api_key=[key1, key2, ...])` spreads requests over the keys by their
remaining budget (read from the rate-limit headers) and skips a key that is spent."""

# For high-throughput applications, consider client-side load balancing
import random

from _common import API_KEYS, REPO, check, run_example
from tavo import TavoClient


class LoadBalancedTavoClient:
    def __init__(self, api_keys):
        self.clients = [TavoClient(key) for key in api_keys]

    def get_client(self):
        return random.choice(self.clients)

    async def scan_repository(self, repo_url):
        client = self.get_client()
        return await client.scan_management.create_scan({
            "repository_url": repo_url,
            "scan_type": "security"
        })


async def main() -> None:
    balanced = LoadBalancedTavoClient(API_KEYS)
    scans = [await balanced.scan_repository(REPO) for _ in range(3)]
    check(len({scan["id"] for scan in scans}) == 3, "expected three scans")
    for client in balanced.clients:
        await client.close()

    # The SDK's own: one client, every key, requests spread by remaining budget.
    async with TavoClient(api_key=API_KEYS) as client:
        for _ in range(4 * len(API_KEYS)):
            await client.scan_management.list_scans({"limit": 1})
        used = [budget.remaining for budget in client.rate_limits]
    check(all(remaining is not None for remaining in used), f"a key was never used: {used}")
    print(f"3 scans created over {len(API_KEYS)} key(s); remaining budgets {used}")


if __name__ == "__main__":
    run_example(main)
