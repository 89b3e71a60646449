"""The database under every aggregate store: engines, connections, error classification.

SQLAlchemy 2 async: SQLite (aiosqlite) by default, PostgreSQL when configured.

SQLite specifics: WAL so readers never block the writer, and write transactions start with
BEGIN IMMEDIATE on a dedicated engine, because a deferred transaction that later needs the
write lock fails instantly under contention instead of waiting on busy_timeout.

SQLite reads run synchronously on the calling (event-loop) thread. Under WAL a read never
waits for a writer, and an indexed lookup takes tens of microseconds, whereas aiosqlite hands
every statement, fetch and rollback to its own thread: under load each of those hops waits
for the GIL (up to the interpreter's 5 ms switch interval), which made a one-row read cost
milliseconds. Writes stay on aiosqlite, because they can wait on busy_timeout for another
process's write lock, and that wait must not block the event loop. The hottest reads (a scan
by id, a page of findings) skip SQLAlchemy's per-execution machinery too: see
`DirectSqliteReads`. The database is used from one event loop (one thread) at a time.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from sqlalchemy import Select, create_engine, event, select
from sqlalchemy.engine import Connection, Dialect, Engine, Result, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Executable

from tavo_platform.store._write_signal import WriteSignal, signal_for
from tavo_platform.store.errors import StoreUnavailable
from tavo_platform.store.freshness import Freshness, SqliteFreshness
from tavo_platform.store.read_cache import ReadCache

if TYPE_CHECKING:
    from tavo_platform.store._postgres_reads import DirectPostgresReads

# SQLSTATE classes that mean "the database cannot serve us right now" rather than "this
# statement is wrong": connection exceptions (08), insufficient resources (53), operator
# intervention such as a terminated backend or a shutdown (57), and serialization
# failures/deadlocks (40), which a retry resolves.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means "unavailable, retry later" (the API's 503) as opposed
    to a bug or bad data, which must not be disguised as an outage."""
    if isinstance(error, IntegrityError):
        return False
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout | OSError):
        return True  # OSError covers refused/reset connections and timeouts
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        original = error.orig
        sqlstate = getattr(original, "sqlstate", None) or getattr(
            getattr(original, "__cause__", None), "sqlstate", None
        )
        return isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
    return False


def _unavailable(error: BaseException) -> StoreUnavailable:
    return StoreUnavailable(str(error).splitlines()[0] if str(error) else type(error).__name__)


def now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _sqlite_pragmas(immediate: bool):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


# A statement naming a table that a scan's answer is read from (scans, findings, tracked
# findings: those migration 0014's triggers announce on PostgreSQL); a transaction of none
# cannot change a cached scan (freshness.py), and none of them is changed by a cascade from
# another table.
_READ_TABLES = re.compile(r"scans|findings", re.IGNORECASE)
_TOUCHED = "tavo_touched_read_tables"


def _note_read_tables(
    connection: Connection, _cursor: Any, statement: str, *_args: Any
) -> None:
    if _READ_TABLES.search(statement):
        connection.info[_TOUCHED] = True


def _engine(url: str, *, immediate: bool, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=1 if immediate else 4, max_overflow=0)
        on_connect, on_begin = _sqlite_pragmas(immediate)
        event.listen(engine.sync_engine, "connect", on_connect)
        event.listen(engine.sync_engine, "begin", on_begin)
        return engine
    # pre-ping: a pooled connection whose backend was terminated (server restart, failover,
    # pg_terminate_backend) is replaced at checkout instead of failing the next request.
    # A short connect timeout lets requests fail fast (503) while the server is unreachable.
    # No overflow: SQLAlchemy closes an overflow connection when it is returned, so under
    # load every burst opened and closed connections (549 in 10 s in bench/scale_out.py,
    # PostgreSQL's CPU doubled); a fixed pool keeps them.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"timeout": 5} if url.startswith("postgresql+asyncpg") else {},
    )


# 19 digits in a row may be an integer beyond 64 bits, which orjson would turn into a
# float. Found by mapping every byte to "0" (a digit) or " " and looking for the run: all in
# C, several times faster than a regular expression over the document.
_DIGITS_AS_ZERO = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19


def json_loads(text: str) -> Any:
    """json.loads' result, several times faster (a page of findings is mostly JSON to
    decode). Documents orjson reads differently take the standard route: those with very
    long integers, and those it refuses (NaN, Infinity, lone surrogates), which the standard
    encoder may have written."""
    if _LONG_DIGIT_RUN in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def json_fragment(text: str) -> Any:
    """A stored JSON document to splice into a response as it is (orjson.Fragment), saving
    a decode and an encode per finding. One that may hold the standard library's tokens for
    non-finite floats (NaN, Infinity: not JSON) is decoded instead."""
    if "NaN" in text or "Infinity" in text:
        return json_loads(text)
    return orjson.Fragment(text)


def _inline_sqlite_reader(url: str) -> Engine:
    """A synchronous (pysqlite) engine on the same database file, for reads on the loop."""
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    # Nested checkouts never wait: a wait here would block the event loop itself.
    engine = create_engine(
        sync_url,
        pool_size=2,
        max_overflow=16,
        connect_args={"check_same_thread": False},
        json_deserializer=json_loads,
    )
    on_connect, on_begin = _sqlite_pragmas(immediate=False)
    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


class ReadConnection(Protocol):
    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]: ...


class _InlineConnection:
    """AsyncConnection's `execute` over a synchronous connection: runs without a thread hop.
    Results come back buffered, as AsyncConnection.execute returns them."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        return self._connection.execute(statement, parameters)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A SELECT compiled once: its SQL, its positional parameters with their bind
    processors, and its result columns with their result processors."""

    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    columns: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


def compile_select(dialect: Dialect, statement: Select[Any]) -> Prepared:
    """A SELECT compiled for `dialect` once, with the processors SQLAlchemy would apply."""
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    return Prepared(
        sql=compiled.string,
        binds=tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ),
        columns=tuple(str(column.key) for column in statement.selected_columns),
        processors=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ),
    )


class DirectSqliteReads:
    """The hottest reads straight through the stdlib sqlite3 driver, on one connection of
    the inline reader's pool. The SQL is what SQLAlchemy compiles for the statement, and
    each value goes through the processors SQLAlchemy itself would apply (UTC datetimes,
    JSON, booleans), so rows are exactly what a Core query returns; what is skipped is
    Core's per-execution work (statement building, cache keys, execution contexts, pool
    checkout, transaction events), which cost a GET of one scan ~30 times the query itself.
    """

    _MAX_PREPARED = 512

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._pooled: PoolProxiedConnection | None = None
        self._prepared: dict[Hashable, tuple[Prepared, ...]] = {}
        # Counts the connections this has used: data_version is comparable only on one.
        self._connections = 0

    def data_version(self) -> tuple[int, int] | None:
        """(this connection, its PRAGMA data_version): changes whenever another connection
        (this process's writer, another process) commits; None when it cannot be read."""
        try:
            connection = self._connection()
            (version,) = connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None
        return self._connections, int(version)

    def prepare(
        self, key: Hashable, build: Callable[[], Sequence[Select[Any]]]
    ) -> tuple[Prepared, ...]:
        """The statements `build` makes, compiled on first use and then kept under `key`."""
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= self._MAX_PREPARED:
                self._prepared.clear()
            prepared = self._prepared[key] = tuple(self._compile(s) for s in build())
        return prepared

    def _compile(self, statement: Select[Any]) -> Prepared:
        return compile_select(self._dialect, statement)

    def rows(self, prepared: Prepared, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        values = [
            parameters[name] if process is None else process(parameters[name])
            for name, process in prepared.binds
        ]
        with self._errors():
            fetched = self._connection().execute(prepared.sql, values).fetchall()
        columns, processors = prepared.columns, prepared.processors
        return [
            {
                column: value if process is None else process(value)
                for column, process, value in zip(columns, processors, row, strict=True)
            }
            for row in fetched
        ]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that see one consistent state of the database."""
        with self._errors():
            self._connection().execute("BEGIN")
        try:
            yield
        finally:
            if self._pooled is not None:
                with self._errors():
                    self._connection().execute("ROLLBACK")

    def close(self) -> None:
        if self._pooled is not None:
            pooled, self._pooled = self._pooled, None
            pooled.close()

    def _connection(self) -> sqlite3.Connection:
        if self._pooled is None:
            self._pooled = self._engine.raw_connection()
            self._connections += 1
        connection = self._pooled.dbapi_connection
        assert isinstance(connection, sqlite3.Connection)
        return connection

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver errors classified as SQLAlchemy's would be; the connection is replaced."""
        try:
            yield
        except sqlite3.Error as error:
            if self._pooled is not None:
                pooled, self._pooled = self._pooled, None
                pooled.invalidate(error)
            wrapped = DBAPIError.instance(None, None, error, sqlite3.Error)
            if is_unavailable(wrapped):
                raise _unavailable(wrapped) from error
            raise wrapped from error


class Database:
    """One database's engines: a writer (aiosqlite or asyncpg) and, on SQLite, an inline
    reader and its direct reads. The aggregate stores share one."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self._writer = _engine(url, immediate=True, pool_size=pool_size)
        self._inline_reader: Engine | None = None
        # Finished scans and their pages of findings (read_cache.py).
        self.read_cache = ReadCache()
        # Write transactions this process ended (freshness.py), and those of them that
        # named a table a scan's answer is read from (PostgreSQL only: _READ_TABLES).
        self.writes = 0
        self.read_table_writes = 0
        # Whether rows read earlier are still current without a read (freshness.py).
        self.freshness: Freshness | None = None
        # The hottest reads on SQLite (None on PostgreSQL, or when a test turns them off).
        self.direct: DirectSqliteReads | None = None
        # The hottest reads on PostgreSQL (asyncpg prepared statements; _postgres_reads.py).
        self.postgres: DirectPostgresReads | None = None
        # SQLite: the installation's shared write signal (_write_signal.py).
        self.signal: WriteSignal | None = None
        if url.startswith("sqlite"):
            self._inline_reader = _inline_sqlite_reader(url)
            self.direct = DirectSqliteReads(self._inline_reader)
            self.signal = signal_for(url)
            self.freshness = SqliteFreshness(self, self.direct, self.signal)
        elif url.startswith("postgresql+asyncpg"):
            from tavo_platform.store._postgres_reads import DirectPostgresReads

            self.postgres = DirectPostgresReads(url, self._writer.dialect, pool_size)
            self.freshness = self.postgres.freshness(self)
            event.listen(self._writer.sync_engine, "before_cursor_execute", _note_read_tables)

    async def close(self) -> None:
        await self._writer.dispose()
        if self.postgres is not None:
            await self.postgres.close()
        if self.direct is not None:
            self.direct.close()
        if self._inline_reader is not None:
            self._inline_reader.dispose()
        if self.signal is not None:
            # Nothing is served unread from here on (a closed signal cannot be read).
            self.freshness = None
            self.signal.close()
            self.signal = None

    async def fetch(
        self,
        key: Hashable,
        build: Callable[[], Sequence[Select[Any]]],
        parameters: Mapping[str, Any],
    ) -> list[dict[str, Any]] | None:
        """The rows of the one statement `build` makes, through the direct reads (compiled
        once under `key`); None when this database has none (then use Core)."""
        if self.direct is not None:
            (query,) = self.direct.prepare(key, build)
            return self.direct.rows(query, parameters)
        if self.postgres is not None:
            (query,) = self.postgres.prepare(key, build)
            return await self.postgres.rows(query, parameters)
        return None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[ReadConnection]:
        try:
            if self._inline_reader is not None:
                with self._inline_reader.connect() as connection:
                    yield _InlineConnection(connection)
            else:
                async with self._writer.connect() as connection:
                    yield connection
        except (DBAPIError, PoolTimeout, OSError) as error:
            if not is_unavailable(error):
                raise
            raise _unavailable(error) from error

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        # Unless the transaction is seen to name none of the read tables, it counts as one
        # that did (an error before or after its statements included).
        touched = True
        try:
            async with self._writer.begin() as connection:
                synchronous = connection.sync_connection
                info = synchronous.info if self.postgres and synchronous else None
                if info is not None:
                    info[_TOUCHED] = False
                yield connection
                if info is not None:
                    touched = info[_TOUCHED]
        except (DBAPIError, PoolTimeout, OSError) as error:
            if not is_unavailable(error):
                raise
            raise _unavailable(error) from error
        finally:
            # Committed or not, rows read before may be stale now (freshness.py), here and
            # in the installation's other processes.
            self.writes += 1
            if touched:
                self.read_table_writes += 1
            if self.signal is not None:
                self.signal.bump()

    async def ping(self) -> None:
        async with self.read() as connection:
            await connection.execute(select(1))


class SqlAggregate:
    """Base of each aggregate's SQL store: they share one Database (the Store facade in
    sql.py composes them over one)."""

    def __init__(self, database: Database) -> None:
        self._db = database
