"""Performance guide > Monitoring Performance > Metrics Collection.

The guide's MetricsTavoClient, with method names given as dotted paths. The SDK keeps
these figures itself, per client: `client.metrics.snapshot()` (requests total/failed,
retries, rate limits hit, cache hits, latency p50/p90/p99)."""

import contextlib

from _common import API_KEY, check, run_example
from tavo import TavoClient, TavoNotFoundError


class MetricsTavoClient:
    def __init__(self, api_key):
        self.client = TavoClient(api_key)
        self.metrics = {
            "requests_total": 0,
            "requests_failed": 0,
            "response_times": [],
            "rate_limits_hit": 0
        }

    async def _make_request(self, method, *args, **kwargs):
        import time
        start_time = time.time()

        try:
            self.metrics["requests_total"] += 1
            result = await getattr(self.client, method)(*args, **kwargs)

            response_time = time.time() - start_time
            self.metrics["response_times"].append(response_time)

            return result
        except Exception as e:
            self.metrics["requests_failed"] += 1

            # Check for rate limit errors
            if "rate limit" in str(e).lower():
                self.metrics["rate_limits_hit"] += 1

            raise e

    def get_metrics(self):
        return {
            **self.metrics,
            "avg_response_time": sum(self.metrics["response_times"]) / len(self.metrics["response_times"]) if self.metrics["response_times"] else 0,
            "error_rate": self.metrics["requests_failed"] / self.metrics["requests_total"] if self.metrics["requests_total"] > 0 else 0
        }


async def main() -> None:
    measured = MetricsTavoClient(API_KEY)
    await measured._make_request("scan_management.list_scans", {"status": "completed"})
    await measured._make_request("repositories.list_repositories")
    await measured._make_request("scan_rules.list_rules")
    with contextlib.suppress(TavoNotFoundError):
        await measured._make_request("repositories.get_repository", "repo_missing")

    theirs = measured.get_metrics()
    ours = measured.client.metrics.snapshot()
    check(theirs["requests_total"] == 4 and theirs["requests_failed"] == 1, theirs)
    check(ours["requests_total"] == 4 and ours["requests_failed"] == 1, ours)
    print(f"error rate {theirs['error_rate']:.2f}; SDK p50 {ours['latency_p50'] * 1000:.1f} ms, "
          f"p99 {ours['latency_p99'] * 1000:.1f} ms")
    await measured.client.close()


if __name__ == "__main__":
    run_example(main)
