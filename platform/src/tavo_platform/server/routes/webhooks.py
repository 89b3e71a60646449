"""Outbound webhooks: create (the signing secret is shown once), list, get, update (rotate
the secret), delete; each one's deliveries, and redelivery."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.encryption import SecretBox
from tavo_platform.fetch import FetchError
from tavo_platform.server.audit import audit
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import window
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import iso
from tavo_platform.store.webhooks import Delivery, Webhook
from tavo_platform.webhooks.signing import new_secret
from tavo_platform.webhooks.targets import check_target

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

EventType = Literal["scan.completed", "scan.failed", "finding.new", "finding.triaged"]
Events = Annotated[list[EventType], Field(min_length=1, max_length=10)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    events: Events
    description: str = Field(default="", max_length=500)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: Events | None = None
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None
    rotate_secret: bool = False


async def secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.tavo_secrets
    return box


Box = Annotated[SecretBox, Depends(secret_box)]


def webhook_view(webhook: Webhook, secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "description": webhook.description,
        "active": webhook.active,
        "created_at": iso(webhook.created_at),
        "updated_at": iso(webhook.updated_at),
    }
    if secret is not None:
        view["secret"] = secret  # only when made: it is never shown again
    return view


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "last_duration_ms": delivery.last_duration_ms,
        "redelivery_of": delivery.redelivery_of,
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at),
    }


async def checked_url(state: State, url: str) -> str:
    try:
        await asyncio.to_thread(check_target, url, list(state.settings.fetch_allow_hosts))
    except FetchError as error:
        raise APIError(
            422, "INVALID_WEBHOOK_URL", f"this webhook target is not allowed: {error}",
            {"url": url},
        ) from None
    return url


async def owned_webhook(state: State, org_id: str, webhook_id: str) -> Webhook:
    webhook = await state.store.get_webhook(org_id, webhook_id) if len(webhook_id) <= 64 else None
    if webhook is None:
        raise not_found("webhook")
    return webhook


@router.post("", status_code=201, summary="Create a webhook (its secret is shown only now)")
async def create_webhook(body: WebhookCreate, caller: Caller, state: State, box: Box) -> Response:
    url = await checked_url(state, body.url)
    secret = new_secret()
    webhook = await state.store.create_webhook(
        caller.org_id, url, list(dict.fromkeys(body.events)), body.description,
        box.encrypt(secret),
    )
    await audit(state, caller, "webhook.created", "webhook", webhook.id, url=url,
                events=webhook.events)
    return JSONResponse(
        webhook_view(webhook, secret),
        status_code=201,
        headers={"Location": f"/api/v1/webhooks/{webhook.id}"},
    )


@router.get("", summary="List webhooks")
async def list_webhooks(
    caller: Caller,
    state: State,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_webhooks(caller.org_id, offset=span.offset, limit=span.limit)
    return JSONResponse(
        {"items": [webhook_view(w) for w in result.items], **span.envelope(result.total)}
    )


@router.get("/{webhook_id}", summary="Get a webhook")
async def get_webhook(webhook_id: str, caller: Caller, state: State) -> Response:
    return JSONResponse(webhook_view(await owned_webhook(state, caller.org_id, webhook_id)))


@router.patch("/{webhook_id}", summary="Update a webhook, or rotate its secret")
async def update_webhook(
    webhook_id: str, body: WebhookUpdate, caller: Caller, state: State, box: Box
) -> Response:
    await owned_webhook(state, caller.org_id, webhook_id)
    changes: dict[str, Any] = {}
    if body.url is not None:
        changes["url"] = await checked_url(state, body.url)
    if body.events is not None:
        changes["events"] = list(dict.fromkeys(body.events))
    if body.description is not None:
        changes["description"] = body.description
    if body.active is not None:
        changes["active"] = body.active
    secret = new_secret() if body.rotate_secret else None
    if secret is not None:
        changes["secret"] = box.encrypt(secret)
    webhook = await state.store.update_webhook(caller.org_id, webhook_id, changes)
    if webhook is None:
        raise not_found("webhook")
    await audit(state, caller, "webhook.updated", "webhook", webhook.id,
                changed=sorted(set(changes) - {"secret"}), secret_rotated=secret is not None)
    return JSONResponse(webhook_view(webhook, secret))


@router.delete("/{webhook_id}", summary="Delete a webhook and its delivery log")
async def delete_webhook(webhook_id: str, caller: Caller, state: State) -> Response:
    await owned_webhook(state, caller.org_id, webhook_id)
    if not await state.store.delete_webhook(caller.org_id, webhook_id):
        raise not_found("webhook")
    await audit(state, caller, "webhook.deleted", "webhook", webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", summary="A webhook's deliveries, newest first")
async def list_deliveries(
    webhook_id: str,
    caller: Caller,
    state: State,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    await owned_webhook(state, caller.org_id, webhook_id)
    span = window(page, page_size, offset, limit)
    result = await state.store.list_deliveries(
        caller.org_id, webhook_id, offset=span.offset, limit=span.limit
    )
    return JSONResponse(
        {"items": [delivery_view(d) for d in result.items], **span.envelope(result.total)},
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery's event again (a new delivery, signed afresh)",
)
async def redeliver(webhook_id: str, delivery_id: str, caller: Caller, state: State) -> Response:
    await owned_webhook(state, caller.org_id, webhook_id)
    delivery = await state.store.redeliver(caller.org_id, webhook_id, delivery_id[:64])
    if delivery is None:
        raise not_found("delivery")
    return JSONResponse(delivery_view(delivery), status_code=202)
