"""The audit log: security-relevant actions of an organisation, append-only (this store
offers adding and reading, nothing else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select

from tavo_platform.store._database import SqlAggregate
from tavo_platform.store.records import Page
from tavo_platform.store.schema import audit_log

_A = audit_log.c


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    org_id: str
    actor: str
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]
    created_at: datetime
    actor_user_id: str | None = None
    actor_email: str | None = None


class AuditStore(Protocol):
    async def record_audit(
        self, org_id: str, actor: str, action: str, target_type: str, target_id: str | None,
        details: dict[str, Any], *, actor_user_id: str | None = None,
        actor_email: str | None = None,
    ) -> None: ...
    async def list_audit(
        self, org_id: str, *, action: str | None, target_id: str | None, offset: int, limit: int,
        actor_user_id: str | None = None,
    ) -> Page: ...


class SqlAuditStore(SqlAggregate):
    async def record_audit(
        self, org_id: str, actor: str, action: str, target_type: str, target_id: str | None,
        details: dict[str, Any], *, actor_user_id: str | None = None,
        actor_email: str | None = None,
    ) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                insert(audit_log).values(
                    org_id=org_id, actor=actor, action=action, target_type=target_type,
                    target_id=target_id, details=details, created_at=datetime.now(UTC),
                    actor_user_id=actor_user_id, actor_email=actor_email,
                )
            )

    async def list_audit(
        self, org_id: str, *, action: str | None, target_id: str | None, offset: int, limit: int,
        actor_user_id: str | None = None,
    ) -> Page:
        condition = _A.org_id == org_id
        if actor_user_id:
            condition = condition & (_A.actor_user_id == actor_user_id)
        if action:
            escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            condition = condition & _A.action.like(escaped + "%", escape="\\")
        if target_id:
            condition = condition & (_A.target_id == target_id)
        async with self._db.read() as connection:
            total = (
                await connection.execute(select(func.count()).select_from(audit_log)
                                         .where(condition))
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(audit_log).where(condition).order_by(_A.seq.desc())
                    .offset(offset).limit(limit)
                )
            ).all()
        return Page([AuditEntry(**row._mapping) for row in rows], int(total))
