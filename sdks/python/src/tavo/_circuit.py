"""A circuit breaker: after `failure_threshold` consecutive failures (connection errors,
timeouts, 5xx) requests fail fast with CircuitOpenError for `recovery_timeout` seconds;
then one probe request is let through ("half-open"): its success closes the circuit, its
failure opens it again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from tavo import _constants as C
from tavo._exceptions import CircuitOpenError

__all__ = ["CircuitBreaker", "CircuitState"]

CircuitState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Give one to a client (`circuit_breaker=CircuitBreaker(...)`, or `True` for the
    defaults). Thread-safe; `state` and `failure_count` are readable at any time."""

    def __init__(
        self,
        failure_threshold: int = C.CIRCUIT_FAILURE_THRESHOLD,
        recovery_timeout: float = C.CIRCUIT_RECOVERY_TIMEOUT,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state: CircuitState = "closed"
        self.failure_count = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            if self._state == "open" and self._recovery_left() <= 0:
                return "half-open"
            return self._state

    def _recovery_left(self) -> float:
        return self._opened_at + self.recovery_timeout - self._clock()

    def before_request(self) -> None:
        """Raises CircuitOpenError when the request must not be sent."""
        with self._lock:
            if self._state == "closed":
                return
            if self._state == "open":
                left = self._recovery_left()
                if left > 0:
                    raise CircuitOpenError(
                        f"circuit breaker is open after {self.failure_count} consecutive "
                        f"failures; next probe in {left:.1f}s",
                        retry_after=left,
                    )
                self._state = "half-open"
            if self._probe_in_flight:
                raise CircuitOpenError(
                    "circuit breaker is half-open and its probe request is in flight",
                    retry_after=0.0,
                )
            self._probe_in_flight = True

    def record_success(self) -> None:
        with self._lock:
            self._state = "closed"
            self.failure_count = 0
            self._probe_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self.failure_count += 1
            self._probe_in_flight = False
            if self._state == "half-open" or self.failure_count >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock()

    def reset(self) -> None:
        """Closes the circuit and forgets the failures."""
        self.record_success()
