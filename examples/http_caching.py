"""Performance guide > Caching Strategies > HTTP Caching Headers.

The second list_rules is answered from the SDK's HTTP cache: the server marks the rule
catalogue fresh for an hour (no request at all), or, once an organisation has rules of its
own, revalidates it by ETag (a 304 without a body, which costs no rate-limit budget)."""

import time

from _common import API_KEY, check, run_example
from tavo import TavoClient


async def main() -> None:
    # SDK respects standard HTTP caching headers
    client = TavoClient(api_key=API_KEY)

    started = time.perf_counter()
    # First request - fetches from API
    rules = await client.scan_rules.list_rules()
    first_call = time.perf_counter() - started

    started = time.perf_counter()
    # Subsequent requests within cache window - uses cached response
    rules = await client.scan_rules.list_rules()  # Fast cached response
    cached_call = time.perf_counter() - started

    metrics = client.metrics
    check(metrics.cache_hits == 1, f"expected one cache hit: {metrics.snapshot()}")
    # Fresh for an hour: no request at all. Once the organisation has custom rules the
    # list is `private, no-cache`: revalidated with its ETag, answered 304 without a body.
    how = "revalidated (304)" if metrics.cache_revalidations else "fresh, no request"
    check(metrics.attempts == 1 + metrics.cache_revalidations, "the body was fetched twice")
    print(f"{rules['total']} rules; first call {first_call * 1000:.1f} ms, "
          f"cached call {cached_call * 1000:.2f} ms, {how}")
    await client.close()


if __name__ == "__main__":
    run_example(main)
