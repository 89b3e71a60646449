"""The organisations and API keys aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tavo_platform.store._database import SqlAggregate, new_id, now
from tavo_platform.store.records import ApiKey, Organization
from tavo_platform.store.schema import api_keys, organizations


class KeyStore(Protocol):
    async def ensure_organization(self, name: str) -> Organization: ...
    async def add_api_key(
        self,
        org_id: str,
        key_hash: str,
        prefix: str,
        tier: str,
        *,
        name: str = "",
        is_admin: bool = False,
        limits: dict[str, int] | None = None,
        expires_at: datetime | None = None,
        scope: str = "full",
        user_id: str | None = None,
        role: str | None = None,
        kind: str = "api",
    ) -> ApiKey: ...
    async def expire_api_key(self, key_id: str, expires_at: datetime) -> ApiKey | None:
        """Moves a key's expiry earlier (key rotation's overlap window)."""
        ...
    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None: ...
    async def list_api_keys(self, org_id: str | None = None) -> list[ApiKey]: ...
    async def revoke_api_key(self, key_id: str, org_id: str | None = None) -> ApiKey | None: ...
    async def count_api_keys(self) -> int: ...


def key_values(
    org_id: str,
    key_hash: str,
    prefix: str,
    tier: str,
    *,
    name: str = "",
    is_admin: bool = False,
    limits: dict[str, int] | None = None,
    expires_at: datetime | None = None,
    scope: str = "full",
    user_id: str | None = None,
    role: str | None = None,
    kind: str = "api",
) -> dict[str, Any]:
    """A new api_keys row (the users store inserts some inside its own transactions)."""
    return {
        "id": new_id("key"),
        "org_id": org_id,
        "name": name,
        "key_hash": key_hash,
        "prefix": prefix,
        "tier": tier,
        "is_admin": is_admin,
        "limits": limits,
        "created_at": now(),
        "expires_at": expires_at,
        "revoked_at": None,
        "scope": scope,
        "user_id": user_id,
        "role": role,
        "kind": kind,
    }


class SqlKeyStore(SqlAggregate):
    async def ensure_organization(self, name: str) -> Organization:
        try:
            async with self._db.write() as connection:
                row = (
                    await connection.execute(
                        select(organizations).where(organizations.c.name == name)
                    )
                ).first()
                if row is None:
                    values: dict[str, Any] = {
                        "id": new_id("org"),
                        "name": name,
                        "created_at": now(),
                    }
                    await connection.execute(insert(organizations).values(**values))
                    return Organization(**values)
                return Organization(**row._mapping)
        except IntegrityError:  # created concurrently (another process): use that one
            async with self._db.read() as reader:
                row = (
                    await reader.execute(select(organizations).where(organizations.c.name == name))
                ).one()
            return Organization(**row._mapping)

    async def add_api_key(
        self,
        org_id: str,
        key_hash: str,
        prefix: str,
        tier: str,
        *,
        name: str = "",
        is_admin: bool = False,
        limits: dict[str, int] | None = None,
        expires_at: datetime | None = None,
        scope: str = "full",
        user_id: str | None = None,
        role: str | None = None,
        kind: str = "api",
    ) -> ApiKey:
        values = key_values(
            org_id, key_hash, prefix, tier, name=name, is_admin=is_admin, limits=limits,
            expires_at=expires_at, scope=scope, user_id=user_id, role=role, kind=kind,
        )
        async with self._db.write() as connection:
            await connection.execute(insert(api_keys).values(**values))
        return ApiKey(**values)

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        # A prepared statement where the database has direct reads: on PostgreSQL one
        # round trip (Core took four: pre-ping, BEGIN, the query, ROLLBACK).
        found = await self._db.fetch("api-key-by-hash", lambda: (_key_by_hash(),),
                                     {"key_hash": key_hash})
        if found is not None:
            return ApiKey(**found[0]) if found else None
        async with self._db.read() as connection:
            row = (
                await connection.execute(select(api_keys).where(api_keys.c.key_hash == key_hash))
            ).first()
        return ApiKey(**row._mapping) if row else None

    async def list_api_keys(self, org_id: str | None = None) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.created_at)
        if org_id is not None:
            query = query.where(api_keys.c.org_id == org_id)
        async with self._db.read() as connection:
            rows = (await connection.execute(query)).all()
        return [ApiKey(**row._mapping) for row in rows]

    async def revoke_api_key(self, key_id: str, org_id: str | None = None) -> ApiKey | None:
        condition = api_keys.c.id == key_id
        if org_id is not None:
            condition = and_(condition, api_keys.c.org_id == org_id)
        async with self._db.write() as connection:
            await connection.execute(
                update(api_keys)
                .where(condition, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
            row = (await connection.execute(select(api_keys).where(condition))).first()
        return ApiKey(**row._mapping) if row else None

    async def expire_api_key(self, key_id: str, expires_at: datetime) -> ApiKey | None:
        mine = api_keys.c.id == key_id
        async with self._db.write() as connection:
            await connection.execute(
                update(api_keys)
                .where(mine, or_(api_keys.c.expires_at.is_(None),
                                 api_keys.c.expires_at > expires_at))
                .values(expires_at=expires_at)
            )
            row = (await connection.execute(select(api_keys).where(mine))).first()
        return ApiKey(**row._mapping) if row else None

    async def count_api_keys(self) -> int:
        async with self._db.read() as connection:
            return int(
                (await connection.execute(select(func.count()).select_from(api_keys))).scalar_one()
            )


def _key_by_hash() -> Select[Any]:
    return select(api_keys).where(api_keys.c.key_hash == bindparam("key_hash"))
