"""People of an organisation: their roles, invitations, passwords (as scrypt hashes) and
keys. A user's keys act with at most the user's role: demoting a user lowers their keys in
the same transaction, and removing a user revokes every key of theirs before the user goes.
An organisation never loses its last active admin user this way (UserConflict)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tavo_platform.store._database import SqlAggregate, new_id, now
from tavo_platform.store.errors import StoreError
from tavo_platform.store.records import ApiKey, Page
from tavo_platform.store.schema import api_keys, organizations, users

ROLES = ("viewer", "member", "admin")  # weakest first
_U = users.c
_K = api_keys.c


def role_rank(role: str) -> int:
    return ROLES.index(role)


def roles_above(role: str) -> tuple[str, ...]:
    return ROLES[role_rank(role) + 1 :]


def key_role(key: ApiKey) -> str:
    """The role a key acts with: its own; for an organisation key without one, admin when
    it is an admin key, else member."""
    if key.role in ROLES:
        return key.role
    return "admin" if key.is_admin else "member"


class UserConflict(StoreError):
    """A change the organisation's users forbid: `reason` is `email_taken` or `last_admin`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class User:
    id: str
    org_id: str
    email: str
    name: str
    role: str
    tier: str
    password_hash: str | None  # never shown
    invitation_hash: str | None  # never shown
    invitation_expires_at: datetime | None
    invited_by: str | None
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None

    @property
    def status(self) -> str:
        return "active" if self.password_hash is not None else "invited"


@dataclass(frozen=True, slots=True)
class NewUser:
    org_id: str
    email: str
    name: str
    role: str
    tier: str
    invitation_hash: str
    invitation_expires_at: datetime
    invited_by: str | None


class UserStore(Protocol):
    async def create_user(self, new: NewUser) -> User:
        """Raises UserConflict("email_taken") when the organisation has that address."""
        ...
    async def get_user(self, user_id: str, org_id: str) -> User | None: ...
    async def list_users(
        self, org_id: str, *, role: str | None, offset: int, limit: int
    ) -> Page: ...
    async def users_by_email(self, email: str, org_name: str | None = None) -> list[User]:
        """The users with that address (in the organisation named, by name or id, when
        one is)."""
        ...
    async def user_by_invitation(self, invitation_hash: str) -> User | None: ...
    async def accept_invitation(
        self, invitation_hash: str, password_hash: str, name: str | None,
        first_key: dict[str, Any],
    ) -> tuple[User, ApiKey] | None:
        """Activates the invited user (once: the invitation is spent) and adds their first
        key (a `key_values` row, given the user's id and role here); None when the
        invitation is unknown, spent or expired."""
        ...
    async def reissue_invitation(
        self, user_id: str, org_id: str, invitation_hash: str, expires_at: datetime
    ) -> User | None: ...
    async def update_user(
        self, user_id: str, org_id: str, *, role: str | None = None, name: str | None = None
    ) -> User | None: ...
    async def set_password(self, user_id: str, password_hash: str) -> None: ...
    async def remove_user(self, user_id: str, org_id: str) -> tuple[User, int] | None:
        """Revokes the user's keys, then removes the user; (user, keys revoked)."""
        ...
    async def list_user_keys(self, user_id: str, *, include_revoked: bool) -> list[ApiKey]: ...


class SqlUserStore(SqlAggregate):
    async def create_user(self, new: NewUser) -> User:
        moment = now()
        values: dict[str, Any] = {
            "id": new_id("usr"), "org_id": new.org_id, "email": new.email, "name": new.name,
            "role": new.role, "tier": new.tier, "password_hash": None,
            "invitation_hash": new.invitation_hash,
            "invitation_expires_at": new.invitation_expires_at, "invited_by": new.invited_by,
            "created_at": moment, "updated_at": moment, "activated_at": None,
        }
        try:
            async with self._db.write() as connection:
                await connection.execute(insert(users).values(**values))
        except IntegrityError as error:
            raise UserConflict("email_taken") from error
        return User(**values)

    async def get_user(self, user_id: str, org_id: str) -> User | None:
        async with self._db.read() as connection:
            row = (await connection.execute(
                select(users).where(_U.id == user_id, _U.org_id == org_id)
            )).first()
        return User(**row._mapping) if row else None

    async def list_users(
        self, org_id: str, *, role: str | None, offset: int, limit: int
    ) -> Page:
        condition = _U.org_id == org_id
        if role is not None:
            condition = and_(condition, _U.role == role)
        async with self._db.read() as connection:
            total = (await connection.execute(
                select(func.count()).select_from(users).where(condition)
            )).scalar_one()
            rows = (await connection.execute(
                select(users).where(condition).order_by(_U.created_at, _U.id)
                .offset(offset).limit(limit)
            )).all()
        return Page([User(**row._mapping) for row in rows], int(total))

    async def users_by_email(self, email: str, org_name: str | None = None) -> list[User]:
        query = select(users).where(_U.email == email).order_by(_U.created_at)
        if org_name is not None:
            query = query.join(organizations, organizations.c.id == _U.org_id).where(
                or_(organizations.c.name == org_name, organizations.c.id == org_name)
            )
        async with self._db.read() as connection:
            rows = (await connection.execute(query)).all()
        return [User(**row._mapping) for row in rows]

    async def user_by_invitation(self, invitation_hash: str) -> User | None:
        async with self._db.read() as connection:
            row = (await connection.execute(
                select(users).where(_U.invitation_hash == invitation_hash)
            )).first()
        return User(**row._mapping) if row else None

    async def accept_invitation(
        self, invitation_hash: str, password_hash: str, name: str | None,
        first_key: dict[str, Any],
    ) -> tuple[User, ApiKey] | None:
        moment = now()
        changes: dict[str, Any] = {
            "password_hash": password_hash, "invitation_hash": None,
            "invitation_expires_at": None, "updated_at": moment, "activated_at": moment,
        }
        if name is not None:
            changes["name"] = name
        async with self._db.write() as connection:
            row = (await connection.execute(
                select(users).where(_U.invitation_hash == invitation_hash)
            )).first()
            if row is None or row.invitation_expires_at is None:
                return None
            if row.invitation_expires_at <= moment:
                return None
            spent = await connection.execute(
                update(users).where(_U.id == row.id, _U.invitation_hash == invitation_hash)
                .values(**changes)
            )
            if spent.rowcount != 1:
                return None  # accepted concurrently
            key = {**first_key, "user_id": row.id, "role": row.role, "org_id": row.org_id}
            await connection.execute(insert(api_keys).values(**key))
            user = (await connection.execute(select(users).where(_U.id == row.id))).one()
        return User(**user._mapping), ApiKey(**key)

    async def reissue_invitation(
        self, user_id: str, org_id: str, invitation_hash: str, expires_at: datetime
    ) -> User | None:
        mine = and_(_U.id == user_id, _U.org_id == org_id, _U.password_hash.is_(None))
        async with self._db.write() as connection:
            await connection.execute(update(users).where(mine).values(
                invitation_hash=invitation_hash, invitation_expires_at=expires_at,
                updated_at=now(),
            ))
            row = (await connection.execute(select(users).where(mine))).first()
        return User(**row._mapping) if row else None

    async def update_user(
        self, user_id: str, org_id: str, *, role: str | None = None, name: str | None = None
    ) -> User | None:
        mine = and_(_U.id == user_id, _U.org_id == org_id)
        async with self._db.write() as connection:
            await _lock_organization(connection, org_id)
            row = (await connection.execute(select(users).where(mine))).first()
            if row is None:
                return None
            changes: dict[str, Any] = {"updated_at": now()}
            if name is not None:
                changes["name"] = name
            if role is not None and role != row.role:
                if row.role == "admin":
                    await _keep_an_admin(connection, row)
                changes["role"] = role
                # The user's keys never act above the user.
                await connection.execute(
                    update(api_keys).where(_K.user_id == user_id, _K.role.in_(roles_above(role)))
                    .values(role=role)
                )
            await connection.execute(update(users).where(mine).values(**changes))
            updated = (await connection.execute(select(users).where(mine))).one()
        return User(**updated._mapping)

    async def set_password(self, user_id: str, password_hash: str) -> None:
        async with self._db.write() as connection:
            await connection.execute(update(users).where(_U.id == user_id).values(
                password_hash=password_hash, updated_at=now()
            ))

    async def remove_user(self, user_id: str, org_id: str) -> tuple[User, int] | None:
        mine = and_(_U.id == user_id, _U.org_id == org_id)
        async with self._db.write() as connection:
            await _lock_organization(connection, org_id)
            row = (await connection.execute(select(users).where(mine))).first()
            if row is None:
                return None
            if row.role == "admin":
                await _keep_an_admin(connection, row)
            revoked = await connection.execute(
                update(api_keys).where(_K.user_id == user_id, _K.revoked_at.is_(None))
                .values(revoked_at=now())
            )
            await connection.execute(delete(users).where(mine))
        return User(**row._mapping), int(revoked.rowcount or 0)

    async def list_user_keys(self, user_id: str, *, include_revoked: bool) -> list[ApiKey]:
        condition = _K.user_id == user_id
        if not include_revoked:
            condition = and_(condition, _K.revoked_at.is_(None))
        async with self._db.read() as connection:
            rows = (await connection.execute(
                select(api_keys).where(condition).order_by(_K.created_at, _K.id)
            )).all()
        return [ApiKey(**row._mapping) for row in rows]


async def _lock_organization(connection: Any, org_id: str) -> None:
    """Serialises changes to one organisation's users (PostgreSQL: a row lock; SQLite's
    write transactions are serial already, and it has no FOR UPDATE)."""
    await connection.execute(
        select(organizations.c.id).where(organizations.c.id == org_id).with_for_update()
    )


async def _keep_an_admin(connection: Any, user: Any) -> None:
    """Refuses to demote or remove an active admin when no other active admin is left."""
    if user.password_hash is None:
        return
    others = (await connection.execute(
        select(func.count()).select_from(users).where(
            _U.org_id == user.org_id, _U.role == "admin", _U.id != user.id,
            _U.password_hash.is_not(None),
        )
    )).scalar_one()
    if int(others) == 0:
        raise UserConflict("last_admin")

