"""Counters and latency percentiles of one client, always on (a few integer additions and
one append per request)."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from tavo import _constants as C

__all__ = ["Metrics"]


class Metrics:
    """`client.metrics`. Calls are counted once however many attempts they took;
    `attempts` counts what went on the wire. Latencies are of whole calls (retries and
    waits included), over the most recent `METRICS_LATENCY_WINDOW` calls."""

    def __init__(self, window: int = C.METRICS_LATENCY_WINDOW) -> None:
        self._lock = threading.Lock()
        self._latencies: deque[float] = deque(maxlen=window)
        self._zero()

    def _zero(self) -> None:
        self.requests_total = 0
        self.requests_failed = 0
        self.attempts = 0
        self.retries = 0
        self.rate_limits_hit = 0  # 429 answers received
        self.rate_limit_waits = 0  # times a call waited for a key's budget instead of sending
        self.cache_hits = 0  # answered from the cache, fresh or revalidated (304)
        self.cache_revalidations = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    def record_call(self, seconds: float, *, failed: bool) -> None:
        with self._lock:
            self.requests_total += 1
            if failed:
                self.requests_failed += 1
            self._latencies.append(seconds)

    def record_attempt(self, sent: int, received: int, status_code: int | None) -> None:
        with self._lock:
            self.attempts += 1
            self.bytes_sent += sent
            self.bytes_received += received
            if status_code == 429:
                self.rate_limits_hit += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def record_rate_limit_wait(self) -> None:
        with self._lock:
            self.rate_limit_waits += 1

    def record_cache(self, *, hit: bool, revalidated: bool) -> None:
        with self._lock:
            if hit:
                self.cache_hits += 1
            if revalidated:
                self.cache_revalidations += 1

    def percentile(self, fraction: float) -> float:
        """Latency (seconds) below which `fraction` of recent calls finished (0 if none)."""
        with self._lock:
            ordered = sorted(self._latencies)
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index]

    @property
    def average_latency(self) -> float:
        with self._lock:
            latencies = list(self._latencies)
        return sum(latencies) / len(latencies) if latencies else 0.0

    @property
    def error_rate(self) -> float:
        return self.requests_failed / self.requests_total if self.requests_total else 0.0

    def snapshot(self) -> dict[str, Any]:
        """Every figure, as plain numbers (latencies in seconds)."""
        return {
            "requests_total": self.requests_total,
            "requests_failed": self.requests_failed,
            "attempts": self.attempts,
            "retries": self.retries,
            "rate_limits_hit": self.rate_limits_hit,
            "rate_limit_waits": self.rate_limit_waits,
            "cache_hits": self.cache_hits,
            "cache_revalidations": self.cache_revalidations,
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
            "error_rate": self.error_rate,
            "latency_avg": self.average_latency,
            "latency_p50": self.percentile(0.50),
            "latency_p90": self.percentile(0.90),
            "latency_p99": self.percentile(0.99),
        }

    def reset(self) -> None:
        """Back to zero (for example after a warm-up)."""
        with self._lock:
            self._latencies.clear()
            self._zero()
