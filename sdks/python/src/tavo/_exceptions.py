"""The SDK's errors. Every one is a `TavoError`:

    TavoError
     ├── TavoAPIError               the server answered with an error envelope
     │    ├── TavoAuthError         401, 403
     │    ├── TavoNotFoundError     404
     │    ├── TavoConflictError     409 (e.g. an Idempotency-Key reused with another body)
     │    ├── TavoValidationError   400, 413, 422
     │    ├── TavoRateLimitError    429, or a key's budget is spent and waiting is off/too long
     │    └── TavoServerError       5xx
     ├── TavoConnectionError        also a builtin ConnectionError
     ├── TavoTimeoutError           also a builtin TimeoutError
     └── CircuitOpenError           the circuit breaker refuses requests for now

Connection and timeout errors are also the builtin types so that code written against the
standard library (like the seed's `with_retry`) recognises them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CircuitBreakerOpenError",
    "CircuitOpenError",
    "TavoAPIError",
    "TavoAuthError",
    "TavoConflictError",
    "TavoConnectionError",
    "TavoError",
    "TavoNotFoundError",
    "TavoRateLimitError",
    "TavoServerError",
    "TavoTimeoutError",
    "TavoValidationError",
    "error_for_status",
]


class TavoError(Exception):
    """Base of every error the SDK raises."""


class TavoAPIError(TavoError):
    """The server refused or failed a request; `code` is its stable upper-case error code."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str = "HTTP_ERROR",
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        self.headers: dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        where = f", request {self.request_id}" if self.request_id else ""
        return f"{self.message} (HTTP {self.status_code} {self.code}{where})"


class TavoAuthError(TavoAPIError):
    """The API key is missing, invalid, expired or lacks the permission (401, 403)."""


class TavoNotFoundError(TavoAPIError):
    """The resource does not exist or belongs to another organisation (404)."""


class TavoConflictError(TavoAPIError):
    """The request conflicts with the resource's state (409)."""


class TavoValidationError(TavoAPIError):
    """The request is not valid (400, 413, 422); `details` says what is wrong, and
    `fields` which inputs (e.g. "body.repository_url", "query.page_size")."""

    @property
    def problems(self) -> list[tuple[str, str]]:
        """(field, what is wrong with it), in the server's order."""
        found: list[tuple[str, str]] = []
        errors = self.details.get("errors")
        for item in errors if isinstance(errors, list) else []:
            if isinstance(item, dict):
                location = item.get("location") or item.get("loc") or ()
                where = ".".join(str(part) for part in location) if location else "request"
                found.append((where, str(item.get("message") or item.get("msg") or "invalid")))
        return found

    @property
    def fields(self) -> list[str]:
        return [where for where, _ in self.problems]

    def __str__(self) -> str:
        problems = "; ".join(f"{where}: {message}" for where, message in self.problems[:5])
        base = super().__str__()
        return f"{base}: {problems}" if problems else base


class TavoServerError(TavoAPIError):
    """The server failed (5xx), after the retries allowed for it."""


class TavoRateLimitError(TavoAPIError):
    """A rate limit is exhausted. `retry_after` is how many seconds until it resets."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        code: str = "RATE_LIMIT_EXCEEDED",
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        reset: int | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            code=code,
            details=details,
            request_id=request_id,
            headers=headers,
        )
        self.retry_after = retry_after
        self.limit = limit
        self.remaining = remaining
        self.reset = reset

    def __str__(self) -> str:
        # Says "rate limit" in words: code that looks for it in the text finds it.
        wait = f"; retry after {self.retry_after:g}s" if self.retry_after is not None else ""
        return f"rate limit exceeded: {super().__str__()}{wait}"


class TavoConnectionError(TavoError, ConnectionError):
    """The server could not be reached, or the connection broke, after the allowed retries."""


class TavoTimeoutError(TavoError, TimeoutError):
    """Connecting, sending, waiting for a pooled connection or reading took too long."""


class CircuitOpenError(TavoError):
    """The circuit breaker is open after repeated failures: requests fail fast until its
    recovery timeout has passed and a probe request succeeds."""

    def __init__(
        self, message: str = "circuit breaker is open", *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        # Seconds until the breaker lets a probe request through (None: not known).
        self.retry_after = retry_after


# The name the seed's hand-written circuit breaker raises.
CircuitBreakerOpenError = CircuitOpenError

_BY_STATUS: dict[int, type[TavoAPIError]] = {
    400: TavoValidationError,
    401: TavoAuthError,
    403: TavoAuthError,
    404: TavoNotFoundError,
    409: TavoConflictError,
    413: TavoValidationError,
    422: TavoValidationError,
}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_for_status(
    status_code: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    retry_after: float | None = None,
) -> TavoAPIError:
    """The error for a non-2xx response, read from the error envelope
    `{"success": false, "error": {"code", "message", "details"}}` when there is one."""
    envelope = body.get("error") if isinstance(body, dict) else None
    if isinstance(envelope, dict):
        code = str(envelope.get("code") or "HTTP_ERROR")
        message = str(envelope.get("message") or f"HTTP {status_code}")
        raw_details = envelope.get("details")
        details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    else:
        code, message, details = "HTTP_ERROR", f"the server answered HTTP {status_code}", {}
    request_id = headers.get("x-request-id")
    if status_code == 429:
        return TavoRateLimitError(
            message,
            status_code=status_code,
            code=code,
            details=details,
            request_id=request_id,
            headers=headers,
            retry_after=retry_after,
            limit=_int_or_none(details.get("limit", headers.get("x-ratelimit-limit"))),
            remaining=_int_or_none(details.get("remaining", headers.get("x-ratelimit-remaining"))),
            reset=_int_or_none(details.get("reset", headers.get("x-ratelimit-reset"))),
        )
    cls = _BY_STATUS.get(status_code, TavoServerError if status_code >= 500 else TavoAPIError)
    return cls(
        message,
        status_code=status_code,
        code=code,
        details=details,
        request_id=request_id,
        headers=headers,
    )
