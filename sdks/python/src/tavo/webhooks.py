"""Verifying the webhooks a Tavo server sends (for the program that receives them):

    from tavo import verify_webhook, WebhookVerificationError

    try:
        event = verify_webhook(request_body, request.headers, secret=WEBHOOK_SECRET)
    except WebhookVerificationError:
        return 400
    if event.type == "finding.new": ...

The signature is HMAC-SHA256, keyed with the webhook's secret, over `"{timestamp}." + body`
(the raw bytes received), sent as `Tavo-Signature: v1=<hex>` with `Tavo-Timestamp`; a
timestamp more than `tolerance` seconds from now is refused (a replayed delivery). Retries
and redeliveries carry the same `Tavo-Event-Id` (the event's `id`): deduplicate on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from tavo._exceptions import TavoError
from tavo.types.webhooks import WebhookEvent

__all__ = ["DEFAULT_TOLERANCE_SECONDS", "WebhookVerificationError", "verify_webhook"]

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(TavoError):
    """The delivery is not a genuine, fresh one from the server holding the secret."""


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise WebhookVerificationError(f"missing {name} header")


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    secret: str,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> WebhookEvent:
    """The event of a verified delivery; raises WebhookVerificationError otherwise."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    stamp = _header(headers, "Tavo-Timestamp")
    if not stamp.isdigit():
        raise WebhookVerificationError("Tavo-Timestamp is not a unix time")
    moment = time.time() if now is None else now
    if abs(moment - int(stamp)) > tolerance:
        raise WebhookVerificationError("Tavo-Timestamp is too far from now (a replay?)")
    expected = hmac.new(secret.encode("utf-8"), stamp.encode("ascii") + b"." + raw,
                        hashlib.sha256).hexdigest()
    offered = [
        part.strip()[3:]
        for part in _header(headers, "Tavo-Signature").split(",")
        if part.strip().startswith("v1=")
    ]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise WebhookVerificationError("the signature does not match")
    try:
        document = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    return WebhookEvent.from_json(document)
