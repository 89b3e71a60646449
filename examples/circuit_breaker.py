"""Performance guide > Enterprise Considerations > Circuit Breaker Pattern.

The guide's CircuitBreakerTavoClient, as written (its CircuitBreakerOpenError is the SDK's
CircuitOpenError). The SDK has one built in, shared by every call of a client:
`TavoClient(circuit_breaker=CircuitBreaker(failure_threshold=5, recovery_timeout=60))`;
it counts connection errors, timeouts and 5xx (not 4xx) and lets one probe through when
the recovery timeout has passed."""

import contextlib
import time

from _common import API_KEY, check, run_example
from tavo import CircuitBreaker, CircuitBreakerOpenError, TavoClient, TavoNotFoundError


class CircuitBreakerTavoClient:
    def __init__(self, api_key, failure_threshold=5, recovery_timeout=60):
        self.client = TavoClient(api_key)
        self.failure_count = 0
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.last_failure_time = 0
        self.state = "closed"  # closed, open, half-open

    async def execute_with_circuit_breaker(self, operation):
        if self.state == "open":
            if time.time() - self.last_failure_time > self.recovery_timeout:
                self.state = "half-open"
            else:
                raise CircuitBreakerOpenError("Circuit breaker is open")

        try:
            result = await operation()
            self._on_success()
            return result
        except Exception as e:
            self._on_failure()
            raise e

    def _on_success(self):
        self.failure_count = 0
        self.state = "closed"

    def _on_failure(self):
        self.failure_count += 1
        self.last_failure_time = time.time()

        if self.failure_count >= self.failure_threshold:
            self.state = "open"


async def main() -> None:
    guarded = CircuitBreakerTavoClient(API_KEY, failure_threshold=2, recovery_timeout=60)

    scans = await guarded.execute_with_circuit_breaker(
        lambda: guarded.client.scan_management.list_scans())
    check(guarded.state == "closed", "a success left the circuit open")

    # Two failures open it (a missing scan stands in for an outage here).
    for _ in range(2):
        with contextlib.suppress(TavoNotFoundError):
            await guarded.execute_with_circuit_breaker(
                lambda: guarded.client.scan_management.get_scan("scan_missing"))
    try:
        await guarded.execute_with_circuit_breaker(
            lambda: guarded.client.scan_management.list_scans())
        raise AssertionError("the open circuit let a call through")
    except CircuitBreakerOpenError:
        pass
    await guarded.client.close()

    # The SDK's own breaker, on a healthy server, stays closed.
    async with TavoClient(API_KEY, circuit_breaker=CircuitBreaker(failure_threshold=5)) as client:
        await client.scan_management.list_scans()
        check(client.circuit_breaker.state == "closed", "the SDK's breaker opened")
    print(f"{scans['total']} scans; the guide's breaker opened after 2 failures")


if __name__ == "__main__":
    run_example(main)
