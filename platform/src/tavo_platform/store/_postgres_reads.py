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
import contextlib
import os
import select
import socket
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import Dialect, make_url

from tavo_platform.store._database import Prepared, compile_select, json_loads
from tavo_platform.store.errors import StoreUnavailable

if TYPE_CHECKING:
    from tavo_platform.store._database import Database

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


# The channel migration 0014's triggers notify, and the triggers it installs: without all of
# them, changes could go unnoticed, so nothing is served unread.
CHANNEL = "tavo_reads"
LISTENER_NAME = "tavo read notifications"  # the listening connection's application_name
_TRIGGERS = (
    ("scans", "tavo_scans_notify_reads"),
    ("findings", "tavo_findings_insert_notify_reads"),
    ("findings", "tavo_findings_update_notify_reads"),
    ("findings", "tavo_findings_delete_notify_reads"),
    ("tracked_findings", "tavo_tracked_findings_notify_reads"),
)


class _ListeningConnection(asyncpg.Connection):  # type: ignore[misc]
    """Numbers each notification as asyncpg parses it off the socket (asyncpg itself hands
    it to listeners a loop iteration later, after requests already queued could have read
    the cache)."""

    _tavo_notified: Callable[[str], None] | None = None

    def _process_notification(self, pid: int, channel: str, payload: str) -> None:
        if self._tavo_notified is not None and channel == CHANNEL:
            self._tavo_notified(payload)
        super()._process_notification(pid, channel, payload)


class Notifications:
    """What changed in the database, as the triggers of migration 0014 announce it on
    `tavo_reads`: the freshness of PostgreSQL reads (freshness.py).

    A connection of its own listens. Each notification names what changed ("s:<scan id>",
    "f:<scan id>", "t:<org id>:<scope>", or "*" for anything) and is numbered as it is read
    off the socket, and while bytes wait unread on that socket (polled at most every
    QUIET_SECONDS) nothing counts as unchanged;
    a mark is (listening session, last number, this process's writes to the tables the
    triggers watch: Database.read_table_writes, so that a process sees its own writes before
    their notifications arrive, while its other writes, such as usage counts and webhook
    claims several times a second, leave cached scans confirmed), and a key is
    unchanged since a mark while no notification for it numbered after the mark arrived.
    The connection is checked every HEARTBEAT_SECONDS; when it is lost or has not answered
    for STALE_SECONDS, no mark is given (every read asks the database) until it listens
    again, as a new session, so that nothing announced in between is missed."""

    HEARTBEAT_SECONDS = 1.0
    STALE_SECONDS = 3.0
    RETRY_SECONDS = 2.0
    MAX_KEYS = 65536
    QUIET_SECONDS = 0.0005

    def __init__(self, dsn: str, database: Database) -> None:
        self._dsn = dsn
        self._database = database
        self._connection: asyncpg.Connection | None = None
        self._session = 0
        self._number = 0
        self._floor = 0  # marks numbered before it are stale (a "*", or keys forgotten)
        self._last: dict[str, int] = {}
        self._alive_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_at = 0.0
        self._peek: socket.socket | None = None
        self._poll: select.poll | None = None  # polls _peek's descriptor
        self._quiet_until = 0.0  # found listening with nothing unread until then (_quiet)

    def mark(self) -> Hashable | None:
        if not self._listening():
            self._start()
            return None
        return (self._session, self._number, self._database.read_table_writes)

    def unchanged(self, mark: Hashable, keys: Sequence[str]) -> bool:
        assert isinstance(mark, tuple)
        session, number, writes = mark
        if (
            session != self._session
            or writes != self._database.read_table_writes
            or self._floor > number
            or not self._quiet()
        ):
            return False
        last = self._last
        return all(last.get(key, 0) <= number for key in keys)

    def _quiet(self) -> bool:
        """Listening, with nothing waiting unread on its socket; once found so, taken as so
        for QUIET_SECONDS. Asked for every answer served from the cache, and the socket's
        poll releases the GIL: granian's threads take it, and the loop waits to have it
        back before it serves the next request (a poll per request held a GET of a cached
        scan to 15,000 requests/s where SQLite served 24,500; polled once a spell, 23,500).
        A notification that arrives during a spell is heeded by the first check after it,
        as one PostgreSQL has not sent yet would be."""
        moment = time.monotonic()
        if moment < self._quiet_until:
            return True
        if not self._listening() or self._unread():
            return False
        self._quiet_until = moment + self.QUIET_SECONDS
        return True

    def _listening(self) -> bool:
        """Listening, heard from lately, on the loop reading (a connection is of one loop)."""
        return (
            self._connection is not None
            and time.monotonic() <= self._alive_until
            and asyncio.get_running_loop() is self._loop
        )

    def _unread(self) -> bool:
        """Whether bytes (maybe a notification) wait on the listening socket, unread, or
        its connection ended or failed: a poll that does not wait (a fifth of the cost of
        a peeking recv, which raised an exception whenever there was nothing to read)."""
        poll = self._poll
        return poll is None or bool(poll.poll(0))

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and loop is self._loop:
            return
        if time.monotonic() < self._retry_at:
            return
        self._retry_at = time.monotonic() + self.RETRY_SECONDS
        self._stop_listening()
        if self._task is not None and loop is self._loop:
            self._task.cancel()
        self._loop = loop
        self._task = loop.create_task(self._listen())

    async def _listen(self) -> None:
        connection: asyncpg.Connection | None = None
        try:
            connection = await asyncpg.connect(
                self._dsn,
                timeout=_CONNECT_TIMEOUT,
                server_settings={"application_name": LISTENER_NAME},
                connection_class=_ListeningConnection,
            )
            installed = await connection.fetch(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c "
                "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
                "AND c.relnamespace = current_schema()::regnamespace"
            )
            if not set(_TRIGGERS) <= {(row[0], row[1]) for row in installed}:
                return  # an older schema: every read keeps asking the database
            connection._tavo_notified = self._notified
            await connection.add_listener(CHANNEL, _ignored)
            connection.add_termination_listener(self._lost)
            transport_socket = connection._transport.get_extra_info("socket")
            # A duplicate of its descriptor, only ever polled (never read).
            self._peek = socket.socket(fileno=os.dup(transport_socket.fileno()))
            poll = select.poll()
            poll.register(self._peek.fileno(), select.POLLIN | select.POLLPRI)
            self._poll = poll
            self._session += 1
            self._last.clear()
            self._floor = self._number
            self._connection = connection
            while True:
                self._alive_until = time.monotonic() + self.STALE_SECONDS
                await asyncio.sleep(self.HEARTBEAT_SECONDS)
                await asyncio.wait_for(connection.fetchval("SELECT 1"), self.STALE_SECONDS)
        except Exception:
            return
        finally:
            if self._connection is connection:
                self._stop_listening()
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.terminate()

    def _stop_listening(self) -> None:
        self._connection = None
        self._quiet_until = 0.0
        self._session += 1
        self._poll = None
        peek, self._peek = self._peek, None
        if peek is not None:
            peek.close()

    def _notified(self, payload: str) -> None:
        self._quiet_until = 0.0
        self._number += 1
        if payload == "*" or len(self._last) >= self.MAX_KEYS:
            self._last.clear()
            self._floor = self._number
        else:
            self._last[payload] = self._number

    def _lost(self, connection: object) -> None:
        if connection is self._connection:
            self._stop_listening()
            if self._task is not None:
                self._task.cancel()

    async def close(self) -> None:
        task, self._task = self._task, None
        self._stop_listening()
        if task is not None and self._loop is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


def _ignored(*_args: object) -> None:
    """asyncpg's own delivery (the numbering is done as the notification is parsed)."""


class DirectPostgresReads:
    _MAX_PREPARED = 512

    def __init__(self, url: str, dialect: Dialect, pool_size: int) -> None:
        self._dsn = _dsn(url)
        self._dialect = dialect
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self._prepared: dict[Hashable, tuple[Prepared, ...]] = {}
        self._notifications: Notifications | None = None

    def freshness(self, database: Database) -> Notifications:
        self._notifications = Notifications(self._dsn, database)
        return self._notifications

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

    async def rows(self, prepared: Prepared, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
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
        if self._notifications is not None:
            await self._notifications.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
