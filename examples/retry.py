"""Performance guide > Monitoring and Debugging > Error Handling and Retries.

The guide's with_retry works with the SDK: its connection and timeout errors are also the
builtin ConnectionError and TimeoutError. The SDK already retries by itself (connection
errors, timeouts, 429 honouring Retry-After, 502/503/504; exponential backoff with full
jitter; POSTs only with an Idempotency-Key reused across attempts, so a retried
create_scan never creates two scans): `TavoClient(max_retries=...)`."""

import asyncio
from typing import Any, Callable

from _common import API_KEY, REPO, check, run_example
from tavo import TavoClient, TavoConnectionError, TavoTimeoutError


async def with_retry(func: Callable, max_retries: int = 3, backoff: float = 1.0):
    """Execute function with exponential backoff retry logic"""
    for attempt in range(max_retries):
        try:
            return await func()
        except Exception as e:
            if attempt == max_retries - 1:
                raise e

            # Check if error is retryable
            if isinstance(e, (ConnectionError, TimeoutError)):
                wait_time = backoff * (2 ** attempt)
                print(f"Retry {attempt + 1} after {wait_time}s: {e}")
                await asyncio.sleep(wait_time)
            else:
                # Non-retryable error
                raise e


async def main() -> None:
    # Usage
    client = TavoClient(api_key=API_KEY)

    result = await with_retry(
        lambda: client.scan_management.create_scan({
            "repository_url": REPO,
            "scan_type": "security"
        })
    )

    check(result["status"] in ("queued", "running", "completed"), f"unexpected {result}")
    check(issubclass(TavoConnectionError, ConnectionError), "not a ConnectionError")
    check(issubclass(TavoTimeoutError, TimeoutError), "not a TimeoutError")
    print(f"created {result['id']}")
    await client.close()


if __name__ == "__main__":
    run_example(main)
