"""Tavo SDK: the Python client for the Tavo AI-security platform.

    from tavo import TavoClient

    async with TavoClient(api_key="...") as client:
        scan = await client.scan_management.create_scan(repository_url="https://...")
        status = await client.scan_management.wait_for_scan(scan.id)
        async for finding in client.scan_management.iter_results(scan.id):
            print(finding.severity, finding.path, finding.title)

Everything public is importable from here; modules with a leading underscore are private.
"""

from tavo._circuit import CircuitBreaker
from tavo._client import SyncTavoClient, TavoClient
from tavo._config import NOT_GIVEN, Limits, NotGiven, Timeout
from tavo._exceptions import (
    CircuitBreakerOpenError,
    CircuitOpenError,
    TavoAPIError,
    TavoAuthError,
    TavoConflictError,
    TavoConnectionError,
    TavoError,
    TavoNotFoundError,
    TavoRateLimitError,
    TavoServerError,
    TavoTimeoutError,
    TavoValidationError,
)
from tavo._memory_storage import AsyncMemoryStorage, MemoryStorage
from tavo._metrics import Metrics
from tavo._ratelimit import KeyBudget
from tavo._retry import RetryPolicy
from tavo._transport import Request, Response
from tavo._version import __version__
from tavo.invitations import accept_invitation, accept_invitation_async
from tavo.pagination import AsyncPager, SyncPager
from tavo.types.severity import SEVERITY_ORDER, Severity
from tavo.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "NOT_GIVEN",
    "SEVERITY_ORDER",
    "AsyncMemoryStorage",
    "AsyncPager",
    "CircuitBreaker",
    "CircuitBreakerOpenError",
    "CircuitOpenError",
    "KeyBudget",
    "Limits",
    "MemoryStorage",
    "Metrics",
    "NotGiven",
    "Request",
    "Response",
    "RetryPolicy",
    "Severity",
    "SyncPager",
    "SyncTavoClient",
    "TavoAPIError",
    "TavoAuthError",
    "TavoClient",
    "TavoConflictError",
    "TavoConnectionError",
    "TavoError",
    "TavoNotFoundError",
    "TavoRateLimitError",
    "TavoServerError",
    "TavoTimeoutError",
    "TavoValidationError",
    "Timeout",
    "WebhookVerificationError",
    "__version__",
    "accept_invitation",
    "accept_invitation_async",
    "verify_webhook",
]
