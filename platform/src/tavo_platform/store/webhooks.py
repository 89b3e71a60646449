"""Outbound webhooks and their deliveries: records and what the store offers (SQL in
webhooks_sql.py). Deliveries are written in the transaction of the event they report (a
scan's end, a triage), so none is lost, and sent by the dispatcher (webhooks/dispatcher.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from tavo_platform.enums import DeliveryStatus
from tavo_platform.store.records import Page

EVENT_TYPES = ("scan.completed", "scan.failed", "finding.new", "finding.triaged")
DELIVERY_STATUSES = tuple(DeliveryStatus)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    org_id: str
    url: str
    events: list[str]
    description: str
    active: bool
    secret: str  # encrypted (encryption.SecretBox)
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    org_id: str
    event_id: str
    event_type: str
    payload: str  # the JSON body, exactly as signed and sent
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    redelivery_of: str | None
    created_at: datetime
    delivered_at: datetime | None
    worker: str | None
    lease_until: datetime | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery taken for sending, with where and how to sign it."""

    delivery: Delivery
    url: str
    secret: str  # encrypted


class WebhooksStore(Protocol):
    async def create_webhook(
        self, org_id: str, url: str, events: list[str], description: str, secret: str
    ) -> Webhook: ...
    async def list_webhooks(self, org_id: str, *, offset: int, limit: int) -> Page: ...
    async def get_webhook(self, org_id: str, webhook_id: str) -> Webhook | None: ...
    async def update_webhook(
        self, org_id: str, webhook_id: str, changes: dict[str, Any]
    ) -> Webhook | None: ...
    async def delete_webhook(self, org_id: str, webhook_id: str) -> bool: ...
    async def list_deliveries(
        self, org_id: str, webhook_id: str, *, offset: int, limit: int
    ) -> Page: ...
    async def redeliver(
        self, org_id: str, webhook_id: str, delivery_id: str
    ) -> Delivery | None: ...
    async def claim_deliveries(
        self, worker: str, lease: timedelta, limit: int
    ) -> list[Claimed]: ...
    async def finish_delivery(
        self,
        delivery_id: str,
        worker: str,
        *,
        status: str,
        status_code: int | None,
        error: str | None,
        duration_ms: int | None,
        retry_at: datetime | None,
    ) -> bool: ...
    async def reencrypt_webhook_secrets(self, rotate: Callable[[str], str]) -> int: ...
