"""The users store on SQLite and PostgreSQL (the same tests on both): invitations spent
once, roles that cap the user's keys, the last active admin kept, removal revoking keys."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from tavo_platform.store import migrate
from tavo_platform.store.keys import key_values
from tavo_platform.store.sql import SqlStore
from tavo_platform.store.users import NewUser, UserConflict, key_role

from tests.support import services

T = TypeVar("T")
LATER = datetime.now(UTC) + timedelta(days=3)


def with_store(url: str, body: Callable[[SqlStore], Awaitable[T]]) -> T:
    async def run() -> T:
        store = SqlStore(url)
        try:
            return await body(store)
        finally:
            await store.close()

    return asyncio.run(run())


def invited(org_id: str, email: str, role: str, token: str, expires: datetime = LATER) -> NewUser:
    return NewUser(org_id=org_id, email=email, name="", role=role, tier="pro",
                   invitation_hash=token * 64, invitation_expires_at=expires, invited_by="key_x")


def first_key(digest: str) -> dict[str, object]:
    return key_values("placeholder", digest * 64, "tavo_abc", "pro", name="first")


def test_invitation_is_accepted_once_and_makes_the_first_key(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        user = await store.create_user(invited(org.id, "ada@example.com", "member", "a"))
        assert user.status == "invited" and user.password_hash is None
        with pytest.raises(UserConflict) as taken:
            await store.create_user(invited(org.id, "ada@example.com", "viewer", "b"))
        assert taken.value.reason == "email_taken"
        other = await store.ensure_organization("globex")
        assert (await store.create_user(invited(other.id, "ada@example.com", "viewer", "c"))
                ).org_id == other.id  # the same person may be in another organisation
        assert (await store.user_by_invitation("a" * 64)) == user
        accepted = await store.accept_invitation("a" * 64, "scrypt$hash", "Ada", first_key("k"))
        assert accepted is not None
        active, key = accepted
        assert active.status == "active" and active.name == "Ada"
        assert active.activated_at is not None and active.invitation_hash is None
        assert key.user_id == user.id and key.role == "member" and key.org_id == org.id
        assert await store.api_key_by_hash("k" * 64) == key
        # Spent: a second acceptance changes nothing.
        assert await store.accept_invitation("a" * 64, "other", None, first_key("l")) is None
        assert await store.api_key_by_hash("l" * 64) is None
        assert (await store.get_user(user.id, org.id)) == active
        assert await store.get_user(user.id, other.id) is None
        assert [u.email for u in await store.users_by_email("ada@example.com")] == [
            "ada@example.com", "ada@example.com"]

    with_store(database_url, body)


def test_expired_invitation_and_reissue(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        past = datetime.now(UTC) - timedelta(seconds=1)
        user = await store.create_user(invited(org.id, "bo@example.com", "viewer", "e", past))
        assert await store.accept_invitation("e" * 64, "h", None, first_key("m")) is None
        again = await store.reissue_invitation(user.id, org.id, "f" * 64, LATER)
        assert again is not None and again.invitation_hash == "f" * 64
        assert await store.accept_invitation("e" * 64, "h", None, first_key("m")) is None
        assert await store.accept_invitation("f" * 64, "h", None, first_key("m")) is not None
        # An active user has no invitation to reissue.
        assert await store.reissue_invitation(user.id, org.id, "g" * 64, LATER) is None

    with_store(database_url, body)


def test_demotion_caps_keys_and_removal_revokes_them(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        admin = await store.create_user(invited(org.id, "root@example.com", "admin", "r"))
        await store.accept_invitation("r" * 64, "h", None, first_key("r"))
        user = await store.create_user(invited(org.id, "cy@example.com", "admin", "c"))
        await store.accept_invitation("c" * 64, "h", None, first_key("c"))
        viewer_key = await store.add_api_key(org.id, "v" * 64, "tavo_v", "pro",
                                             user_id=user.id, role="viewer")
        demoted = await store.update_user(user.id, org.id, role="member", name="Cy")
        assert demoted is not None and demoted.role == "member" and demoted.name == "Cy"
        keys = {k.key_hash[0]: k for k in await store.list_user_keys(user.id,
                                                                      include_revoked=False)}
        assert keys["c"].role == "member"  # capped
        assert keys["v"].role == "viewer"  # below the new role: unchanged
        # Promotion does not raise the keys.
        await store.update_user(user.id, org.id, role="admin")
        assert (await store.api_key_by_hash("c" * 64)).role == "member"  # type: ignore[union-attr]
        assert await store.update_user(user.id, "org_other", role="viewer") is None
        removed = await store.remove_user(user.id, org.id)
        assert removed is not None and removed[0].id == user.id and removed[1] == 2
        assert await store.get_user(user.id, org.id) is None
        assert await store.list_user_keys(user.id, include_revoked=False) == []
        revoked = await store.api_key_by_hash(viewer_key.key_hash)
        assert revoked is not None and revoked.revoked_at is not None
        assert await store.remove_user(user.id, org.id) is None
        # The last active admin stays.
        for change in (store.update_user(admin.id, org.id, role="member"),
                       store.remove_user(admin.id, org.id)):
            with pytest.raises(UserConflict) as refused:
                await change
            assert refused.value.reason == "last_admin"
        assert (await store.get_user(admin.id, org.id)).role == "admin"  # type: ignore[union-attr]
        page = await store.list_users(org.id, role=None, offset=0, limit=10)
        assert page.total == 1 and page.items[0].id == admin.id
        assert (await store.list_users(org.id, role="viewer", offset=0, limit=10)).total == 0

    with_store(database_url, body)


def test_audit_names_the_acting_user(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        await store.record_audit(org.id, "key_a", "user.invited", "user", "usr_1", {},
                                 actor_user_id="usr_0", actor_email="root@example.com")
        await store.record_audit(org.id, "key_b", "key.created", "api_key", "key_1", {})
        entries = (await store.list_audit(org.id, action=None, target_id=None, offset=0,
                                          limit=10)).items
        assert [(e.actor_user_id, e.actor_email) for e in entries] == [
            (None, None), ("usr_0", "root@example.com")]
        mine = await store.list_audit(org.id, action=None, target_id=None, offset=0, limit=10,
                                      actor_user_id="usr_0")
        assert [e.action for e in mine.items] == ["user.invited"]

    with_store(database_url, body)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tavo.db'}"
        return
    with services.fresh_database() as url:
        yield url


def test_upgrade_to_users_keeps_keys_working_as_organisation_keys(empty_database: str) -> None:
    """From the schema before users (0012), with keys and an audit entry in it: the keys
    stay organisation keys (admin keys act as admin, others as member), nothing is lost."""
    migrate.upgrade(empty_database, "0012")
    moment = datetime.now(UTC)

    async def seed() -> None:
        engine = create_async_engine(empty_database)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(_seed_0012, moment)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    migrate.upgrade(empty_database)

    async def read() -> None:
        store = SqlStore(empty_database)
        try:
            admin = await store.api_key_by_hash("a" * 64)
            plain = await store.api_key_by_hash("b" * 64)
            assert admin is not None and plain is not None
            assert (admin.user_id, admin.role, admin.kind) == (None, None, "api")
            assert (key_role(admin), key_role(plain)) == ("admin", "member")
            assert plain.scope == "read-only"
            entries = await store.list_audit("org_1", action=None, target_id=None, offset=0,
                                             limit=5)
            assert [(e.action, e.actor_user_id) for e in entries.items] == [
                ("key.created", None)]
            assert (await store.list_users("org_1", role=None, offset=0, limit=5)).total == 0
        finally:
            await store.close()

    asyncio.run(read())


def _seed_0012(connection: Connection, moment: datetime) -> None:
    old = MetaData()
    table = {name: Table(name, old, autoload_with=connection)
             for name in ("organizations", "api_keys", "audit_log")}
    connection.execute(table["organizations"].insert().values(
        id="org_1", name="acme", created_at=moment))
    for key_id, digest, is_admin, scope in (("key_a", "a", True, "full"),
                                            ("key_b", "b", False, "read-only")):
        connection.execute(table["api_keys"].insert().values(
            id=key_id, org_id="org_1", name="", key_hash=digest * 64, prefix="tavo_x",
            tier="pro", is_admin=is_admin, created_at=moment, scope=scope))
    connection.execute(table["audit_log"].insert().values(
        org_id="org_1", actor="key_a", action="key.created", target_type="api_key",
        target_id="key_b", details={}, created_at=moment))


def test_concurrent_demotions_keep_one_admin(database_url: str) -> None:
    """Two admins demoted at the same moment (each seeing the other as the admin left): the
    organisation's row lock orders them, so exactly one demotion is refused."""

    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        admins = []
        for token in ("p", "q"):
            user = await store.create_user(invited(org.id, f"{token}@example.com", "admin",
                                                   token))
            await store.accept_invitation(token * 64, "h", None, first_key(token))
            admins.append(user)
        outcomes = await asyncio.gather(
            *(store.update_user(user.id, org.id, role="member") for user in admins),
            return_exceptions=True,
        )
        refused = [o for o in outcomes if isinstance(o, UserConflict)]
        assert len(refused) == 1 and refused[0].reason == "last_admin", outcomes
        roles = {(await store.get_user(u.id, org.id)).role for u in admins}  # type: ignore[union-attr]
        assert roles == {"admin", "member"}

    with_store(database_url, body)
