"""Performance guide > SDK-Specific Optimizations > Python SDK.

The aiohttp connector configured as in the guide, handed to the client, which sends every
request through it (its pool limits and its DNS cache)."""

import asyncio

# Use aiohttp connector configuration for high concurrency
import aiohttp
from _common import API_KEY, check, run_example
from tavo import TavoClient


async def main() -> None:
    connector = aiohttp.TCPConnector(
        limit=100,  # Max concurrent connections
        limit_per_host=10,  # Per host limit
        ttl_dns_cache=300,  # DNS cache TTL
        use_dns_cache=True
    )

    # SDK will use this connector for optimized performance
    client = TavoClient(api_key=API_KEY, connector=connector)

    statuses = await asyncio.gather(*(client.scan_management.list_scans() for _ in range(30)))

    check(client.transport.connector is connector, "the client made its own connector")
    check(len(statuses) == 30, "missing answers")
    print(f"30 requests over at most {connector.limit_per_host} connections to the host")
    await client.close()
    check(connector.closed, "the connector was not closed with the client")


if __name__ == "__main__":
    run_example(main)
