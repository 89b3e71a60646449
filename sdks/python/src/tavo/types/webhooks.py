"""Outbound webhooks, their deliveries, and the events they carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = [
    "Webhook",
    "WebhookDelivery",
    "WebhookDeliveryList",
    "WebhookEvent",
    "WebhookEventType",
    "WebhookList",
]

WebhookEventType = Literal["scan.completed", "scan.failed", "finding.new", "finding.triaged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook(Model):
    """A webhook. `secret` is set only in the answer that made it (creation, rotation)."""

    id: str
    url: str
    events: list[str] = field(default_factory=list)
    description: str = ""
    active: bool = True
    created_at: str | None = None
    updated_at: str | None = None
    secret: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookList(PageInfo):
    items: list[Webhook] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDelivery(Model):
    """One event sent (or to send) to one webhook: `pending` (with `next_attempt_at` when
    it is a retry), `delivering`, `succeeded`, `failed` (attempts ran out)."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int = 0
    next_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_duration_ms: int | None = None
    redelivery_of: str | None = None
    created_at: str | None = None
    delivered_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDeliveryList(PageInfo):
    items: list[WebhookDelivery] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent(Model):
    """The body of a delivery, as `verify_webhook` returns it."""

    id: str
    type: str
    created_at: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
