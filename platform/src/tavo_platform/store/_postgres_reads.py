"""The hottest reads on PostgreSQL straight through asyncpg: prepared statements on a pool
of their own.

Through SQLAlchemy's async Core each read paid a pool checkout with a pre-ping (a round
trip of its own), a transaction's BEGIN and ROLLBACK, and Core's per-execution work, so one
indexed lookup cost four round trips and far more Python than the query. Here a read is one
round trip on a pooled connection, as a statement asyncpg prepared once per connection (its
statement cache). The SQL is what SQLAlchemy compiles for the statement (the asyncpg
dialect), and values go through the processors SQLAlchemy would apply, with JSON decoded as
the engine decodes it, so rows are what a Core query returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import Dialect, make_url

from tavo_platform.store._database import Prepared, compile_select, json_loads
from tavo_platform.store.errors import StoreUnavailable

_CONNECT_TIMEOUT = 5.0
# The server cannot be reached or talked to: the API's 503, as for Core (is_unavailable).
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    # A connection whose backend was terminated under it can be left mid-protocol.
    asyncpg.InternalClientError,
)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _init(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, schema="pg_catalog", encoder=str, decoder=json_loads, format="text"
        )


def _unavailable(error: BaseException) -> StoreUnavailable | None:
    """The 503 for an error that means "the database cannot serve us now" (as
    is_unavailable classifies Core's errors), else None (a bug or bad data)."""
    sqlstate = getattr(error, "sqlstate", None) or ""
    if isinstance(error, _UNREACHABLE) or (
        isinstance(error, asyncpg.PostgresError) and sqlstate[:2] in ("08", "40", "53", "57")
    ):
        return StoreUnavailable(str(error).splitlines()[0] if str(error) else type(error).__name__)
    return None


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Nothing to undo when a connection goes back: these reads set no session state, and
    asyncpg's default reset (RESET ALL, UNLISTEN, advisory unlocks) is a round trip each."""


class DirectPostgresReads:
    _MAX_PREPARED = 512

    def __init__(self, url: str, dialect: Dialect, pool_size: int) -> None:
        self._dsn = _dsn(url)
        self._dialect = dialect
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self._prepared: dict[Hashable, tuple[Prepared, ...]] = {}

    def prepare(
        self, key: Hashable, build: Callable[[], Sequence[Select[Any]]]
    ) -> tuple[Prepared, ...]:
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= self._MAX_PREPARED:
                self._prepared.clear()
            prepared = self._prepared[key] = tuple(
                compile_select(self._dialect, statement) for statement in build()
            )
        return prepared

    async def rows(
        self, prepared: Prepared, parameters: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        (result,) = await self.many(((prepared, parameters),))
        return result

    async def many(
        self, queries: Sequence[tuple[Prepared, Mapping[str, Any]]]
    ) -> list[list[dict[str, Any]]]:
        """Each query's rows; several are read in one repeatable-read snapshot.

        A connection found dead (a restarted server, a terminated backend) makes every
        pooled connection suspect: they are replaced and the read, which changes nothing,
        runs once more on a fresh one (as the Core engine's pre-ping would have done at
        checkout). A second failure is the API's 503."""
        pool = self._pool or await self._open()
        try:
            return await self._read(pool, queries)
        except Exception as error:
            if _unavailable(error) is None:
                raise
        await pool.expire_connections()
        try:
            return await self._read(pool, queries)
        except Exception as error:
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            raise unavailable from error

    async def _read(
        self, pool: asyncpg.Pool, queries: Sequence[tuple[Prepared, Mapping[str, Any]]]
    ) -> list[list[dict[str, Any]]]:
        async with pool.acquire() as connection:
            if len(queries) == 1:
                return [await self._fetch(connection, *queries[0])]
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                return [await self._fetch(connection, *query) for query in queries]

    async def _fetch(
        self, connection: asyncpg.Connection, prepared: Prepared, parameters: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        values = [
            parameters[name] if process is None else process(parameters[name])
            for name, process in prepared.binds
        ]
        fetched = await connection.fetch(prepared.sql, *values)
        columns, processors = prepared.columns, prepared.processors
        return [
            {
                column: value if process is None else process(value)
                for column, process, value in zip(columns, processors, row, strict=True)
            }
            for row in fetched
        ]

    async def _open(self) -> asyncpg.Pool:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                try:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=self._pool_size,
                        init=_init,
                        reset=_no_reset,
                        timeout=_CONNECT_TIMEOUT,
                    )
                except (TimeoutError, OSError, asyncpg.PostgresError) as error:
                    raise StoreUnavailable(str(error) or type(error).__name__) from error
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
