"""One HTTP call to an LLM provider, with the retry loop every provider shares.

Retried: connection failures and timeouts, 408, 409, 429, 5xx and Anthropic's 529
(overloaded). The wait before a retry is what the provider asks for (`retry-after-ms`, then
`Retry-After` in seconds or as an HTTP date) when it says, else exponential backoff with
jitter. A provider asking for a longer wait than `max_wait` is not hammered: the call fails
at once with that reason.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tavo_platform.analysis.interface import ProviderError

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
ERROR_BODY_CHARS = 300

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int
    max_wait: float
    timeout: float


def retry_after_seconds(response: httpx.Response) -> float | None:
    """How long the provider asks us to wait, if it says."""
    milliseconds = response.headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    remaining: float = moment.timestamp() - time.time()
    return max(0.0, remaining)


def backoff_seconds(attempt: int) -> float:
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)
    return ceiling * (0.5 + random.random() / 2)


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    body: dict[str, Any],
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Any]:
    last_problem = "no attempt made"
    for attempt in range(policy.max_retries + 1):
        wait: float | None = None
        try:
            response = await client.post(url, json=body, headers=headers, timeout=policy.timeout)
        except httpx.TimeoutException:
            last_problem = f"timed out after {policy.timeout:g}s"
        except httpx.TransportError as error:
            last_problem = f"connection failed ({type(error).__name__})"
        else:
            if response.status_code == 200:
                try:
                    data = response.json()
                except ValueError:
                    raise ProviderError("the provider's response is not JSON") from None
                if not isinstance(data, dict):
                    raise ProviderError("the provider's response is not a JSON object")
                return data
            last_problem = f"HTTP {response.status_code}: {_short(response)}"
            if response.status_code not in RETRY_STATUSES:
                raise ProviderError(last_problem)
            wait = retry_after_seconds(response)
            if wait is not None and wait > policy.max_wait:
                raise ProviderError(
                    f"{last_problem}; the provider asks to wait {wait:.0f}s, more than the "
                    f"configured {policy.max_wait:.0f}s"
                )
        if attempt == policy.max_retries:
            break
        await sleep(wait if wait is not None else backoff_seconds(attempt))
    raise ProviderError(f"gave up after {policy.max_retries + 1} attempts: {last_problem}")


def _short(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:ERROR_BODY_CHARS] or response.reason_phrase
