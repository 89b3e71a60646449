"""Client-side rate-limit awareness: each API key's remaining budget, read from the
X-RateLimit-* / RateLimit headers of every response, so a burst waits for a reset (or goes
to another key) instead of turning into a storm of 429s.

Accounting: `remaining` is the lowest count the server reported in the current window, and
requests sent since then are subtracted from it (they may spend the rest). A key with no
estimated budget left is skipped; when every key is out, the caller waits until the
earliest reset or raises at once.

Limits on a kind of request only (scan creations) are learned from a 429 that names a
window the general responses never did; they hold back that kind of request alone.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tavo import _constants as C
from tavo._exceptions import TavoRateLimitError
from tavo._retry import server_wait

__all__ = ["KeyBudget", "KeyPool"]


@dataclass
class KeyBudget:
    """What is known of one API key's budget (`client.rate_limits`): the remaining count in
    the binding window, its limit and reset, and the requests in flight. Read-only for
    callers; the client updates it from every response."""

    key: str = field(repr=False)  # never printed: reprs end up in logs
    remaining: int | None = None
    limit: int | None = None
    window: str | None = None
    reset_epoch: int | None = None
    reset_at: float | None = None  # on the pool's clock
    in_flight: int = 0
    # A response has been seen: until then one request at a time finds out the budget, so
    # a first burst cannot overrun a key that is nearly spent.
    probed: bool = False
    # Request kind ("" for every request) -> clock time until which it is refused.
    blocked_until: dict[str, float] = field(default_factory=dict)

    @property
    def key_hint(self) -> str:
        """The key's first characters, enough to tell keys apart in logs."""
        return self.key[: min(10, len(self.key) // 3)] + "..."

    def __repr__(self) -> str:
        return (
            f"KeyBudget(key={self.key_hint!r}, remaining={self.remaining}, limit={self.limit}, "
            f"window={self.window!r}, reset_epoch={self.reset_epoch}, in_flight={self.in_flight})"
        )

    def estimate(self, now: float) -> float:
        """Requests this key can still send now (inf when unknown or the window reset)."""
        if self.remaining is None:
            return math.inf if self.probed or self.in_flight == 0 else 0.0
        if self.reset_at is not None and now >= self.reset_at:
            return math.inf
        return self.remaining - self.in_flight

    def blocked_for(self, scope: str | None, now: float) -> float:
        blocked = self.blocked_until
        if not blocked:
            return 0.0
        wait = blocked.get("", 0.0) - now
        if scope:
            wait = max(wait, blocked.get(scope, 0.0) - now)
        return wait if wait > 0.0 else 0.0

    def wait_for_budget(self, now: float) -> float:
        """How long until this spent key may send: until the reset, or a short recheck while
        requests in flight may still report budget."""
        if self.in_flight > 0:
            return C.IN_FLIGHT_RECHECK
        if self.reset_at is None:
            return C.IN_FLIGHT_RECHECK
        return max(self.reset_at - now, C.IN_FLIGHT_RECHECK)


class KeyPool:
    """The client's API keys and what is known of their budgets. Thread-safe."""

    def __init__(self, keys: Sequence[str], clock: Callable[[], float] = time.monotonic) -> None:
        if not keys:
            raise ValueError("at least one API key is needed")
        self.budgets = [KeyBudget(key) for key in dict.fromkeys(keys)]
        self._by_key = {budget.key: budget for budget in self.budgets}
        # One key (the usual case): no choosing to do while it has budget.
        self._only = self.budgets[0] if len(self.budgets) == 1 else None
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0
        # Windows named in successful responses: limits on every request ("hour", "day").
        self._general_windows: set[str] = set()

    def acquire(self, scope: str | None) -> tuple[str | None, float]:
        """(key, 0.0): send now with this key (counted as in flight until `release`).
        (None, seconds): every key is spent or refused; look again after that long."""
        with self._lock:
            only = self._only
            if only is not None:
                now = self._clock()
                if only.blocked_for(scope, now) <= 0.0 and only.estimate(now) > 0:
                    only.in_flight += 1
                    return only.key, 0.0
            best, index, wait = self._choose(scope)
            if best is None:
                return None, wait
            best.in_flight += 1
            self._next = (index + 1) % len(self.budgets)
            return best.key, 0.0

    def available_in(self, scope: str | None) -> float:
        """Seconds until some key may send (0.0: one may now), without taking it."""
        with self._lock:
            return self._choose(scope)[2]

    def _choose(self, scope: str | None) -> tuple[KeyBudget | None, int, float]:
        """The key with the most estimated budget (ties go round-robin), or the shortest
        wait until one has some."""
        now = self._clock()
        count = len(self.budgets)
        best: KeyBudget | None = None
        best_index = 0
        best_estimate = 0.0
        shortest_wait = math.inf
        for offset in range(count):
            index = (self._next + offset) % count
            budget = self.budgets[index]
            blocked = budget.blocked_for(scope, now)
            if blocked > 0:
                shortest_wait = min(shortest_wait, blocked)
                continue
            estimate = budget.estimate(now)
            if estimate <= 0:
                shortest_wait = min(shortest_wait, budget.wait_for_budget(now))
            elif best is None or estimate > best_estimate:
                best, best_index, best_estimate = budget, index, estimate
        return best, best_index, 0.0 if best is not None else shortest_wait

    def release(
        self,
        key: str,
        status_code: int | None,
        headers: Mapping[str, str] | None,
        scope: str | None,
    ) -> None:
        """A request sent with `key` is over; its response (if any) updates the budget."""
        with self._lock:
            budget = self._by_key[key]
            if budget.in_flight > 0:
                budget.in_flight -= 1
            if headers is not None and status_code is not None:
                budget.probed = True
                self._observe(budget, status_code, headers, scope)

    def _observe(
        self, budget: KeyBudget, status_code: int, headers: Mapping[str, str], scope: str | None
    ) -> None:
        now = self._clock()
        get = headers.get
        remaining = _int(get("x-ratelimit-remaining"))
        window, seconds_left = _ietf_state(get("ratelimit"))
        if status_code == 429:
            wait = server_wait(headers)
            specific = scope and window is not None and window not in self._general_windows
            if specific or remaining is None:
                kind = scope if specific and scope else ""
                budget.blocked_until[kind] = now + (wait if wait is not None else 1.0)
                return
        elif window is not None:
            self._general_windows.add(window)
        if remaining is None:
            return
        reset_epoch = _int(get("x-ratelimit-reset"))
        if seconds_left is None and reset_epoch is not None:
            seconds_left = max(0.0, reset_epoch - time.time())
        same_window = (
            budget.window == window
            and budget.reset_epoch == reset_epoch
            and not (budget.reset_at is not None and now >= budget.reset_at)
        )
        if same_window and budget.remaining is not None:
            # Responses overtake each other; within a window the count only goes down.
            budget.remaining = min(budget.remaining, remaining)
        else:
            budget.remaining = remaining
        budget.limit = _int(get("x-ratelimit-limit"))
        budget.window = window
        budget.reset_epoch = reset_epoch
        budget.reset_at = now + seconds_left if seconds_left is not None else None

    def exhausted_error(self, scope: str | None, wait: float) -> TavoRateLimitError:
        """The error raised instead of waiting (waiting is off, or too long)."""
        with self._lock:
            budgets = list(self.budgets)
        limits = [b.limit for b in budgets if b.limit is not None]
        resets = [b.reset_epoch for b in budgets if b.reset_epoch is not None]
        which = "the API key's" if len(budgets) == 1 else f"all {len(budgets)} API keys'"
        kind = f" for {scope}" if scope else ""
        return TavoRateLimitError(
            f"{which} rate limit{kind} is exhausted; it resets in {math.ceil(wait)}s",
            retry_after=wait,
            limit=min(limits) if limits else None,
            remaining=0,
            reset=min(resets) if resets else None,
        )


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)  # int() itself skips surrounding whitespace
    except ValueError:
        return None


# The first (binding) item of `RateLimit: "hour";r=999;t=3599`: its name and the first `t`
# among its parameters, in one match.
_IETF_STATE = re.compile(r'\s*"?([^";,]*)"?(?:(?:;[^,;]*)*?;\s*t=(\d+(?:\.\d+)?))?')


def _ietf_state(value: str | None) -> tuple[str | None, float | None]:
    """The window name and seconds to reset from `RateLimit: "hour";r=999;t=3599`
    (draft-ietf-httpapi-ratelimit-headers; the first item is the binding window)."""
    if not value:
        return None, None
    item = _IETF_STATE.match(value)
    if item is None:
        return None, None
    name, reset = item.groups()
    return name or None, float(reset) if reset is not None else None
