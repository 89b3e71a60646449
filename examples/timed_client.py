"""Performance guide > Monitoring and Debugging > Request Timing.

The guide's TimedTavoClient names the method to call; SDK methods live on resources, so the
name is a dotted path ("scan_rules.list_rules"), which the client resolves. The SDK times
every call itself: `client.metrics.percentile(0.99)`, `client.metrics.snapshot()`."""

import time

from _common import API_KEY, check, run_example
from tavo import TavoClient, TavoNotFoundError


class TimedTavoClient:
    def __init__(self, api_key):
        self.client = TavoClient(api_key)

    async def timed_request(self, method_name, *args, **kwargs):
        start_time = time.time()
        try:
            result = await getattr(self.client, method_name)(*args, **kwargs)
            duration = time.time() - start_time
            print(f"{method_name}: {duration:.2f}s")
            return result
        except Exception as e:
            duration = time.time() - start_time
            print(f"{method_name} failed after {duration:.2f}s: {e}")
            raise


async def main() -> None:
    timed = TimedTavoClient(API_KEY)

    rules = await timed.timed_request("scan_rules.list_rules", severity="CRITICAL")
    scans = await timed.timed_request("scan_management.list_scans", {"page": 0})
    try:
        await timed.timed_request("scan_management.get_scan", "scan_does_not_exist")
        raise AssertionError("a missing scan was found")
    except TavoNotFoundError:
        pass

    check(all(rule["severity"] == "CRITICAL" for rule in rules["items"]), "filter ignored")
    check(scans["page"] == 0, "wrong page")
    metrics = timed.client.metrics
    check(metrics.requests_total == 3 and metrics.requests_failed == 1, metrics.snapshot())
    print(f"SDK's own timing: p50 {metrics.percentile(0.5) * 1000:.1f} ms")
    await timed.client.close()


if __name__ == "__main__":
    run_example(main)
