"""Outbound webhooks: create (the secret is in the answer, once), list, get, update, rotate
the secret, delete; deliveries and redelivery. To check deliveries you receive, see
`tavo.verify_webhook`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tavo._base_client import APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.webhooks import Webhook, WebhookDelivery, WebhookDeliveryList, WebhookList

__all__ = ["AsyncWebhooks", "SyncWebhooks"]


def _create(url: str, events: Sequence[str], description: str | None) -> APIRequest:
    body: dict[str, Any] = {"url": url, "events": list(events)}
    if description is not None:
        body["description"] = description
    return APIRequest("POST", path("webhooks"), json=body)


def _list(offset: int | None, limit: int | None) -> APIRequest:
    return APIRequest("GET", path("webhooks"), params=merged(None, offset=offset, limit=limit),
                      cacheable=False)


def _get(webhook_id: str) -> APIRequest:
    return APIRequest("GET", path("webhooks", webhook_id), cacheable=False)


def _update(webhook_id: str, body: dict[str, Any]) -> APIRequest:
    return APIRequest("PATCH", path("webhooks", webhook_id), json=body)


def _delete(webhook_id: str) -> APIRequest:
    return APIRequest("DELETE", path("webhooks", webhook_id))


def _deliveries(webhook_id: str, offset: int | None, limit: int | None) -> APIRequest:
    return APIRequest("GET", path("webhooks", webhook_id, "deliveries"),
                      params=merged(None, offset=offset, limit=limit), cacheable=False)


def _redeliver(webhook_id: str, delivery_id: str) -> APIRequest:
    return APIRequest("POST", path("webhooks", webhook_id, "deliveries", delivery_id, "redeliver"))


def _changes(
    url: str | None, events: Sequence[str] | None, description: str | None,
    active: bool | None, rotate_secret: bool,
) -> dict[str, Any]:
    body = merged(None, url=url, description=description, active=active)
    if events is not None:
        body["events"] = list(events)
    if rotate_secret:
        body["rotate_secret"] = True
    return body


class AsyncWebhooks(AsyncResource):
    """`client.webhooks` of the async client."""

    async def create_webhook(
        self, url: str, events: Sequence[str], *, description: str | None = None
    ) -> Webhook:
        """A webhook for these event types; keep the answer's `secret` (shown only now)."""
        return await self._client.request(_create(url, events, description), Webhook)

    async def list_webhooks(
        self, *, offset: int | None = None, limit: int | None = None
    ) -> WebhookList:
        return await self._client.request(_list(offset, limit), WebhookList)

    async def get_webhook(self, webhook_id: str) -> Webhook:
        return await self._client.request(_get(webhook_id), Webhook)

    async def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        active: bool | None = None,
        rotate_secret: bool = False,
    ) -> Webhook:
        """Changes what is given; with `rotate_secret` the answer carries the new secret."""
        body = _changes(url, events, description, active, rotate_secret)
        return await self._client.request(_update(webhook_id, body), Webhook)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._client.request(_delete(webhook_id))

    async def list_deliveries(
        self, webhook_id: str, *, offset: int | None = None, limit: int | None = None
    ) -> WebhookDeliveryList:
        """The webhook's deliveries, newest first."""
        return await self._client.request(_deliveries(webhook_id, offset, limit),
                                          WebhookDeliveryList)

    async def redeliver(self, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        """Sends the delivery's event again (same event id, signed afresh)."""
        return await self._client.request(_redeliver(webhook_id, delivery_id), WebhookDelivery)


class SyncWebhooks(SyncResource):
    """`client.webhooks` of the sync client."""

    def create_webhook(
        self, url: str, events: Sequence[str], *, description: str | None = None
    ) -> Webhook:
        """A webhook for these event types; keep the answer's `secret` (shown only now)."""
        return self._client.request(_create(url, events, description), Webhook)

    def list_webhooks(self, *, offset: int | None = None, limit: int | None = None) -> WebhookList:
        return self._client.request(_list(offset, limit), WebhookList)

    def get_webhook(self, webhook_id: str) -> Webhook:
        return self._client.request(_get(webhook_id), Webhook)

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        active: bool | None = None,
        rotate_secret: bool = False,
    ) -> Webhook:
        """Changes what is given; with `rotate_secret` the answer carries the new secret."""
        body = _changes(url, events, description, active, rotate_secret)
        return self._client.request(_update(webhook_id, body), Webhook)

    def delete_webhook(self, webhook_id: str) -> None:
        self._client.request(_delete(webhook_id))

    def list_deliveries(
        self, webhook_id: str, *, offset: int | None = None, limit: int | None = None
    ) -> WebhookDeliveryList:
        return self._client.request(_deliveries(webhook_id, offset, limit), WebhookDeliveryList)

    def redeliver(self, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        return self._client.request(_redeliver(webhook_id, delivery_id), WebhookDelivery)
