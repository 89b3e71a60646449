"""Pure retry decisions: which failures are retried, and how long to wait before the next
attempt (exponential backoff with full jitter, or what the server asked for)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from tavo import _constants as C

__all__ = ["RetryPolicy", "server_wait"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`max_retries` more attempts after the first, for connection errors, timeouts and
    the statuses in `retry_statuses`. Waits are drawn uniformly from
    [0, min(max_delay, initial_delay * 2**retry)] ("full jitter"), unless the server said
    how long to wait (Retry-After, X-RateLimit-Reset), which is honoured up to
    `max_server_wait`."""

    max_retries: int = C.DEFAULT_MAX_RETRIES
    initial_delay: float = C.INITIAL_RETRY_DELAY
    max_delay: float = C.MAX_RETRY_DELAY
    max_server_wait: float = C.MAX_RATE_LIMIT_WAIT
    retry_statuses: frozenset[int] = C.RETRY_STATUSES
    # A number in [0, 1): the jitter's source (replaceable for tests).
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")

    def can_retry(self, retries_done: int, *, replay_safe: bool) -> bool:
        """Another attempt is allowed: budget left, and the request may be sent again
        (safe methods, or a POST carrying its idempotency key)."""
        return replay_safe and retries_done < self.max_retries

    def backoff(self, retries_done: int) -> float:
        ceiling = min(self.max_delay, self.initial_delay * 2.0**retries_done)
        return ceiling * self.jitter()

    def delay_for_status(
        self, retries_done: int, status_code: int, headers: Mapping[str, str]
    ) -> float | None:
        """Seconds to wait before retrying a response with this status, or None when it is
        not retried (not a retried status, or the server asks for a longer wait than
        `max_server_wait`)."""
        if status_code not in self.retry_statuses:
            return None
        asked = server_wait(headers)
        if asked is None:
            return self.backoff(retries_done)
        if asked > self.max_server_wait:
            return None
        return asked


def server_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """How long the server asked the client to wait: Retry-After (seconds or an HTTP date),
    else X-RateLimit-Retry-After, else the rate-limit reset time. None when it did not say."""
    for name in ("retry-after", "x-ratelimit-retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        seconds = _seconds(value, now)
        if seconds is not None:
            return seconds
    reset = headers.get("x-ratelimit-reset")
    if reset is not None and reset.strip().isdigit():
        return max(0.0, int(reset) - (time.time() if now is None else now))
    return None


def _seconds(value: str, now: float | None) -> float | None:
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)
