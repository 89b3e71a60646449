"""How a delivery is signed: HMAC-SHA256, keyed with the webhook's secret, over
`"{timestamp}." + body`. The headers a receiver gets (docs/api.md, "Webhooks"):

    Tavo-Event:        the event type (scan.completed, ...)
    Tavo-Event-Id:     the event's id: the same on retries and redeliveries (deduplicate on it)
    Tavo-Delivery-Id:  this delivery's id
    Tavo-Timestamp:    unix seconds when this attempt was signed
    Tavo-Signature:    v1=<hex HMAC>

A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
time and refuses timestamps far from its clock (replays); the Python SDK's
`tavo.verify_webhook` does exactly this.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body,
                   hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signed_headers(
    secret: str, timestamp: int, body: bytes, event_type: str, event_id: str, delivery_id: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Tavo-Event": event_type,
        "Tavo-Event-Id": event_id,
        "Tavo-Delivery-Id": delivery_id,
        "Tavo-Timestamp": str(timestamp),
        "Tavo-Signature": signature(secret, timestamp, body),
    }
