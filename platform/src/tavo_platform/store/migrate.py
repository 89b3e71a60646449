"""Schema migrations (Alembic), run from code: `tavo db upgrade` and the server's start-up check."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaMismatch(Exception):
    """The database's schema is not the one this version of Tavo expects."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    _in_thread(command.upgrade, alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    _in_thread(command.downgrade, alembic_config(url), revision)


def _in_thread(function, *args) -> None:  # type: ignore[no-untyped-def]
    """Alembic's env.py runs its own event loop, so keep it off any running loop."""
    import threading

    failure: list[BaseException] = []

    def target() -> None:
        try:
            function(*args)
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def current_revision(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def check_schema(url: str) -> None:
    """Raises SchemaMismatch unless the database is exactly at this code's head revision."""
    current = await current_revision(url)
    head = head_revision()
    if current == head:
        return
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    if current is None:
        raise SchemaMismatch("the database has no Tavo schema yet: run `tavo db upgrade`")
    if current not in known:
        raise SchemaMismatch(
            f"the database schema ({current}) is newer than this Tavo ({head}): upgrade Tavo"
        )
    raise SchemaMismatch(f"the database schema is at {current}, not {head}: run `tavo db upgrade`")


def check_schema_sync(url: str) -> None:
    """check_schema for synchronous callers, also those inside a running event loop."""
    _in_thread(asyncio.run, check_schema(url))
