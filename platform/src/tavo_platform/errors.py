"""The platform's domain errors: what a service refuses, said without HTTP.

Services (scans/, analysis/, jobs/...) raise these; the server maps them to its error
envelope and status code in exactly one place (server/errors.py, `domain_error_status`), so
a service never picks a status code and a route never re-words a service's refusal.

Each error carries a machine-readable `code` (the envelope's `error.code`, e.g.
"INVALID_REPOSITORY_URL"), a message for people and optional `details`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal a service makes. `code` defaults to the class's own."""

    default_code: ClassVar[str] = "ERROR"

    def __init__(
        self, message: str, details: dict[str, Any] | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.code = code or self.default_code


class NotFound(DomainError):
    """The thing does not exist, or belongs to another organisation (never said which)."""

    default_code = "NOT_FOUND"

    @classmethod
    def of(cls, noun: str) -> NotFound:
        return cls(f"{noun} not found")


class Invalid(DomainError):
    """The request is well-formed but cannot be honoured as asked (bad URL, unknown rule,
    unsafe archive...). Nothing was changed."""

    default_code = "VALIDATION_ERROR"


class Conflict(DomainError):
    """The request contradicts the current state (a running scan deleted, an idempotency
    key reused with another body)."""

    default_code = "CONFLICT"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    default_code = "FORBIDDEN"


class BudgetExceeded(DomainError):
    """A budget (e.g. scans per hour for a key) is spent; nothing was charged or created.
    `decision` is the limiter's answer (its windows give the retry time and headers)."""

    default_code = "RATE_LIMIT_EXCEEDED"

    def __init__(
        self,
        message: str,
        decision: object,
        details: dict[str, Any] | None = None,
        *,
        code: str | None = None,
    ) -> None:
        super().__init__(message, details, code=code)
        self.decision = decision
