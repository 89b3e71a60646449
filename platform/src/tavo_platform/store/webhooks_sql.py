"""Webhooks and deliveries over SQL (a mixin of SqlStore), and the outbox: `enqueue` writes
an event's deliveries within the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tavo_platform.store._database import SqlAggregate
from tavo_platform.store.records import Page
from tavo_platform.store.schema import webhook_deliveries, webhooks
from tavo_platform.store.webhooks import Claimed, Delivery, Webhook

_W = webhooks.c
_D = webhook_deliveries.c


def _now() -> datetime:
    return datetime.now(UTC)


def _event_body(event_id: str, event_type: str, moment: datetime, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": moment.isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def _delivery_row(
    webhook_id: str, org_id: str, event_id: str, event_type: str, payload: str, moment: datetime
) -> dict[str, Any]:
    return {
        "id": f"dlv_{uuid.uuid4().hex}",
        "webhook_id": webhook_id,
        "org_id": org_id,
        "event_id": event_id,
        "event_type": event_type,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": moment,
        "last_status_code": None,
        "last_error": None,
        "last_duration_ms": None,
        "redelivery_of": None,
        "created_at": moment,
        "delivered_at": None,
        "worker": None,
        "lease_until": None,
    }


async def enqueue(
    connection: AsyncConnection, org_id: str, event_type: str, data: dict[str, Any]
) -> int:
    """One delivery of the event per active webhook of the organisation that wants it;
    returns how many."""
    rows = (
        await connection.execute(
            select(_W.id, _W.events).where(_W.org_id == org_id, _W.active.is_(True))
        )
    ).all()
    wanting = [row.id for row in rows if event_type in (row.events or [])]
    if not wanting:
        return 0
    moment = _now()
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = _event_body(event_id, event_type, moment, data)
    await connection.execute(
        insert(webhook_deliveries),
        [_delivery_row(w, org_id, event_id, event_type, payload, moment) for w in wanting],
    )
    return len(wanting)


class WebhooksSql(SqlAggregate):
    async def create_webhook(
        self, org_id: str, url: str, events: list[str], description: str, secret: str
    ) -> Webhook:
        moment = _now()
        values: dict[str, Any] = {
            "id": f"wh_{uuid.uuid4().hex}",
            "org_id": org_id,
            "url": url,
            "events": list(events),
            "description": description,
            "active": True,
            "secret": secret,
            "created_at": moment,
            "updated_at": moment,
        }
        async with self._db.write() as connection:
            await connection.execute(insert(webhooks).values(**values))
        return Webhook(**values)

    async def list_webhooks(self, org_id: str, *, offset: int, limit: int) -> Page:
        mine = _W.org_id == org_id
        async with self._db.read() as connection:
            total = (
                await connection.execute(select(func.count()).select_from(webhooks).where(mine))
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(webhooks).where(mine).order_by(_W.created_at, _W.id)
                    .offset(offset).limit(limit)
                )
            ).all()
        return Page([Webhook(**row._mapping) for row in rows], int(total))

    async def get_webhook(self, org_id: str, webhook_id: str) -> Webhook | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    select(webhooks).where(_W.id == webhook_id, _W.org_id == org_id)
                )
            ).first()
        return Webhook(**row._mapping) if row else None

    async def update_webhook(
        self, org_id: str, webhook_id: str, changes: dict[str, Any]
    ) -> Webhook | None:
        mine = and_(_W.id == webhook_id, _W.org_id == org_id)
        async with self._db.write() as connection:
            if changes:
                await connection.execute(
                    update(webhooks).where(mine).values(**changes, updated_at=_now())
                )
            row = (await connection.execute(select(webhooks).where(mine))).first()
        return Webhook(**row._mapping) if row else None

    async def delete_webhook(self, org_id: str, webhook_id: str) -> bool:
        async with self._db.write() as connection:
            await connection.execute(
                delete(webhook_deliveries).where(_D.webhook_id == webhook_id, _D.org_id == org_id)
            )
            result = await connection.execute(
                delete(webhooks).where(_W.id == webhook_id, _W.org_id == org_id)
            )
        return result.rowcount == 1

    async def list_deliveries(
        self, org_id: str, webhook_id: str, *, offset: int, limit: int
    ) -> Page:
        mine = and_(_D.webhook_id == webhook_id, _D.org_id == org_id)
        async with self._db.read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(webhook_deliveries).where(mine)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(webhook_deliveries).where(mine)
                    .order_by(_D.created_at.desc(), _D.id).offset(offset).limit(limit)
                )
            ).all()
        return Page([Delivery(**row._mapping) for row in rows], int(total))

    async def redeliver(self, org_id: str, webhook_id: str, delivery_id: str) -> Delivery | None:
        """A new delivery of the same event (same event id and body, signed afresh)."""
        async with self._db.write() as connection:
            row = (
                await connection.execute(
                    select(webhook_deliveries).where(
                        _D.id == delivery_id, _D.webhook_id == webhook_id, _D.org_id == org_id
                    )
                )
            ).first()
            if row is None:
                return None
            values = _delivery_row(
                webhook_id, org_id, row.event_id, row.event_type, row.payload, _now()
            )
            values["redelivery_of"] = row.id
            await connection.execute(insert(webhook_deliveries).values(**values))
        return Delivery(**values)

    async def claim_deliveries(self, worker: str, lease: timedelta, limit: int) -> list[Claimed]:
        """Due deliveries (pending and due, or delivering with an expired lease: their
        sender died), taken atomically: several processes never send the same one at once."""
        moment = _now()
        due = or_(
            and_(_D.status == "pending", _D.next_attempt_at <= moment),
            and_(_D.status == "delivering", _D.lease_until < moment),
        )
        async with self._db.write() as connection:
            ids = [
                row.id
                for row in await connection.execute(
                    select(_D.id).where(due).order_by(_D.next_attempt_at).limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ]
            if not ids:
                return []
            await connection.execute(
                update(webhook_deliveries)
                .where(_D.id.in_(ids), due)
                .values(status="delivering", worker=worker, lease_until=moment + lease,
                        attempts=_D.attempts + 1)
            )
            rows = (
                await connection.execute(
                    select(webhook_deliveries, _W.url, _W.secret)
                    .join(webhooks, webhooks.c.id == _D.webhook_id)
                    .where(_D.id.in_(ids), _D.worker == worker, _D.status == "delivering")
                )
            ).all()
        claimed = []
        for row in rows:
            mapping = dict(row._mapping)
            url, secret = mapping.pop("url"), mapping.pop("secret")
            claimed.append(Claimed(Delivery(**mapping), url, secret))
        return claimed

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
    ) -> bool:
        moment = _now()
        async with self._db.write() as connection:
            result = await connection.execute(
                update(webhook_deliveries)
                .where(_D.id == delivery_id, _D.worker == worker, _D.status == "delivering")
                .values(
                    status=status,
                    last_status_code=status_code,
                    last_error=error,
                    last_duration_ms=duration_ms,
                    next_attempt_at=retry_at,
                    delivered_at=moment if status == "succeeded" else None,
                    worker=None,
                    lease_until=None,
                )
            )
        return result.rowcount == 1

    async def reencrypt_webhook_secrets(self, rotate: Callable[[str], str]) -> int:
        async with self._db.write() as connection:
            rows = (await connection.execute(select(_W.id, _W.secret))).all()
            for row in rows:
                await connection.execute(
                    update(webhooks).where(_W.id == row.id).values(secret=rotate(row.secret))
                )
        return len(rows)
