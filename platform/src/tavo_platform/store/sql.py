"""The Store over SQLAlchemy 2 async: SQLite (aiosqlite) by default, PostgreSQL when configured.

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
`_DirectSqliteReads`. The store is used from one event loop (one thread) at a time.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Hashable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection, Engine, Result, Row, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter

from tavo_platform.store.findings_sql import FindingsSql, ingest_in
from tavo_platform.store.interface import DispatchBacklog, StoreUnavailable
from tavo_platform.store.records import (
    Analysis,
    ApiKey,
    CreatedScans,
    CustomRuleFile,
    FindingFilter,
    NewScan,
    Organization,
    Page,
    Repository,
    Scan,
)
from tavo_platform.store.schema import (
    analyses,
    analysis_cache,
    api_keys,
    custom_rule_files,
    findings,
    idempotency_keys,
    organizations,
    repositories,
    scans,
)

FINDINGS_BATCH = 500

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


def _json_loads(text: str) -> Any:
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


def _json_fragment(text: str) -> Any:
    """A stored JSON document to splice into a response as it is (orjson.Fragment), saving
    a decode and an encode per finding. One that may hold the standard library's tokens for
    non-finite floats (NaN, Infinity: not JSON) is decoded instead."""
    if "NaN" in text or "Infinity" in text:
        return _json_loads(text)
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
        json_deserializer=_json_loads,
    )
    on_connect, on_begin = _sqlite_pragmas(immediate=False)
    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


class _ReadConnection(Protocol):
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
class _Prepared:
    """A SELECT compiled once: its SQL, its positional parameters with their bind
    processors, and its result columns with their result processors."""

    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    columns: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


class _DirectSqliteReads:
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
        self._prepared: dict[Hashable, tuple[_Prepared, ...]] = {}

    def prepare(
        self, key: Hashable, build: Callable[[], Sequence[Select[Any]]]
    ) -> tuple[_Prepared, ...]:
        """The statements `build` makes, compiled on first use and then kept under `key`."""
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= self._MAX_PREPARED:
                self._prepared.clear()
            prepared = self._prepared[key] = tuple(self._compile(s) for s in build())
        return prepared

    def _compile(self, statement: Select[Any]) -> _Prepared:
        dialect = self._dialect
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        return _Prepared(
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

    def rows(self, prepared: _Prepared, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
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


def _scan_by_id() -> Select[Any]:
    return select(scans).where(
        scans.c.id == bindparam("scan_id"), scans.c.org_id == bindparam("org_id")
    )


def _dispatch_conditions(moment: datetime, resend_after: timedelta) -> tuple[Any, Any, Any]:
    """(waiting, orphaned, overdue) scans for the task queue's sweeper: waiting for a worker
    (queued, or running with an expired lease); orphaned (lease expired, not re-sent since);
    overdue (waiting, not orphaned, last handed to the queue before `moment - resend_after`;
    the first dispatch of a scan is not recorded: its creation stands for it)."""
    last_sent = func.coalesce(scans.c.dispatched_at, scans.c.created_at)
    cutoff = moment - resend_after
    lapsed = and_(scans.c.status == "running", scans.c.lease_until < moment)
    waiting = or_(scans.c.status == "queued", lapsed)
    orphaned = and_(lapsed, last_sent < scans.c.lease_until)
    overdue = or_(
        and_(scans.c.status == "queued", last_sent < cutoff),
        and_(lapsed, last_sent >= scans.c.lease_until, last_sent < cutoff),
    )
    return waiting, orphaned, overdue


def _results_queries(
    severities: int, rules: int, path_prefix: bool, json_text: bool = False
) -> tuple[Select[Any], Select[Any]]:
    """Count and page of a scan's findings, for a filter of this shape (bound parameters
    scan_id, severity_<i>, rule_<i>, path_pattern, offset, limit); `json_text` selects each
    finding's stored JSON as text, undecoded."""
    condition = findings.c.scan_id == bindparam("scan_id")
    if severities:
        wanted: list[BindParameter[Any]] = [bindparam(f"severity_{i}") for i in range(severities)]
        condition = and_(condition, findings.c.severity.in_(wanted))
    if rules:
        wanted = [bindparam(f"rule_{i}") for i in range(rules)]
        condition = and_(condition, findings.c.rule_id.in_(wanted))
    if path_prefix:
        condition = and_(condition, findings.c.path.like(bindparam("path_pattern"), escape="\\"))
    count = select(func.count().label("total")).select_from(findings).where(condition)
    data = type_coerce(findings.c.data, Text).label("data") if json_text else findings.c.data
    page = (
        select(data)
        .where(condition)
        .order_by(findings.c.seq)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return count, page


def _results_parameters(
    scan_id: str, flt: FindingFilter, offset: int, limit: int
) -> tuple[tuple[int, int, bool], dict[str, Any]]:
    severities = list(dict.fromkeys(flt.severity))
    rules = list(dict.fromkeys(flt.rule_id))
    parameters: dict[str, Any] = {"scan_id": scan_id, "offset": offset, "limit": limit}
    parameters.update({f"severity_{i}": value for i, value in enumerate(severities)})
    parameters.update({f"rule_{i}": value for i, value in enumerate(rules)})
    if flt.path_prefix:
        escaped = flt.path_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parameters["path_pattern"] = escaped + "%"
    return (len(severities), len(rules), bool(flt.path_prefix)), parameters


class SqlStore(FindingsSql):
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self._writer = _engine(url, immediate=True, pool_size=pool_size)
        self._reader = self._writer
        self._inline_reader: Engine | None = None
        self._direct: _DirectSqliteReads | None = None
        if url.startswith("sqlite"):
            self._inline_reader = _inline_sqlite_reader(url)
            self._direct = _DirectSqliteReads(self._inline_reader)

    async def close(self) -> None:
        await self._writer.dispose()
        if self._direct is not None:
            self._direct.close()
        if self._inline_reader is not None:
            self._inline_reader.dispose()

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[_ReadConnection]:
        try:
            if self._inline_reader is not None:
                with self._inline_reader.connect() as connection:
                    yield _InlineConnection(connection)
            else:
                async with self._reader.connect() as connection:
                    yield connection
        except (DBAPIError, PoolTimeout, OSError) as error:
            if not is_unavailable(error):
                raise
            raise _unavailable(error) from error

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._writer.begin() as connection:
                yield connection
        except (DBAPIError, PoolTimeout, OSError) as error:
            if not is_unavailable(error):
                raise
            raise _unavailable(error) from error

    async def ping(self) -> None:
        async with self._read() as connection:
            await connection.execute(select(1))

    # --- organisations and keys -------------------------------------------------------

    async def ensure_organization(self, name: str) -> Organization:
        try:
            async with self._write() as connection:
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
            async with self._read() as reader:
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
    ) -> ApiKey:
        values: dict[str, Any] = {
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
        }
        async with self._write() as connection:
            await connection.execute(insert(api_keys).values(**values))
        return ApiKey(**values)

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        async with self._read() as connection:
            row = (
                await connection.execute(select(api_keys).where(api_keys.c.key_hash == key_hash))
            ).first()
        return ApiKey(**row._mapping) if row else None

    async def list_api_keys(self, org_id: str | None = None) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.created_at)
        if org_id is not None:
            query = query.where(api_keys.c.org_id == org_id)
        async with self._read() as connection:
            rows = (await connection.execute(query)).all()
        return [ApiKey(**row._mapping) for row in rows]

    async def revoke_api_key(self, key_id: str, org_id: str | None = None) -> ApiKey | None:
        condition = api_keys.c.id == key_id
        if org_id is not None:
            condition = and_(condition, api_keys.c.org_id == org_id)
        async with self._write() as connection:
            await connection.execute(
                update(api_keys)
                .where(condition, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
            row = (await connection.execute(select(api_keys).where(condition))).first()
        return ApiKey(**row._mapping) if row else None

    async def count_api_keys(self) -> int:
        async with self._read() as connection:
            return int(
                (await connection.execute(select(func.count()).select_from(api_keys))).scalar_one()
            )

    # --- scans ------------------------------------------------------------------------

    async def _insert_scan(self, connection: AsyncConnection, new: NewScan) -> Scan:
        values: dict[str, Any] = {
            "id": new_id("scan"),
            "org_id": new.org_id,
            "repository_id": new.repository_id,
            "repository_url": new.repository_url,
            "source": new.source,
            "upload_path": new.upload_path,
            "branch": new.branch,
            "scan_type": new.scan_type,
            "rules": list(new.rules),
            "exclusions": list(new.exclusions),
            "status": "queued",
            "error": None,
            "summary": None,
            "created_at": now(),
            "started_at": None,
            "finished_at": None,
            "attempts": 0,
            "worker": None,
            "lease_until": None,
            "cancel_requested": False,
            "version": 0,
            "dispatched_at": None,
            "commit_sha": None,
            "base_ref": new.base_ref,
            "project": new.project,
            "tracked_at": None,
        }
        await connection.execute(insert(scans).values(**values))
        return Scan(**values)

    async def get_scan(self, org_id: str, scan_id: str) -> Scan | None:
        parameters = {"scan_id": scan_id, "org_id": org_id}
        if self._direct is not None:
            (query,) = self._direct.prepare("scan", lambda: (_scan_by_id(),))
            found = self._direct.rows(query, parameters)
            return Scan(**found[0]) if found else None
        async with self._read() as connection:
            row = (await connection.execute(_scan_by_id(), parameters)).first()
        return _scan(row) if row else None

    async def get_scans(self, org_id: str, scan_ids: Sequence[str]) -> list[Scan]:
        if not scan_ids:
            return []
        async with self._read() as connection:
            rows = (
                await connection.execute(
                    select(scans).where(scans.c.org_id == org_id, scans.c.id.in_(list(scan_ids)))
                )
            ).all()
        return [_scan(row) for row in rows]

    async def list_scans(self, org_id: str, *, status: str | None, offset: int, limit: int) -> Page:
        condition = scans.c.org_id == org_id
        if status:
            condition = and_(condition, scans.c.status == status)
        async with self._read() as connection:
            total = (
                await connection.execute(select(func.count()).select_from(scans).where(condition))
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(scans)
                    .where(condition)
                    .order_by(scans.c.created_at.desc(), scans.c.id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([_scan(row) for row in rows], int(total))

    async def cancel_scan(self, org_id: str, scan_id: str) -> Scan | None:
        mine = and_(scans.c.id == scan_id, scans.c.org_id == org_id)
        async with self._write() as connection:
            await connection.execute(
                update(scans)
                .where(mine, scans.c.status == "queued")
                .values(status="cancelled", finished_at=now(), version=scans.c.version + 1)
            )
            await connection.execute(
                update(scans)
                .where(mine, scans.c.status == "running")
                .values(cancel_requested=True, version=scans.c.version + 1)
            )
            row = (await connection.execute(select(scans).where(mine))).first()
        return _scan(row) if row else None

    async def delete_scan(self, org_id: str, scan_id: str) -> Scan | None:
        mine = and_(scans.c.id == scan_id, scans.c.org_id == org_id)
        async with self._write() as connection:
            row = (await connection.execute(select(scans).where(mine))).first()
            if row is None:
                return None
            await connection.execute(delete(findings).where(findings.c.scan_id == scan_id))
            await connection.execute(delete(scans).where(mine))
        return _scan(row)

    async def scan_results(
        self,
        org_id: str,
        scan_id: str,
        flt: FindingFilter,
        *,
        offset: int,
        limit: int,
        json_fragments: bool = False,
    ) -> Page:
        shape, parameters = _results_parameters(scan_id, flt, offset, limit)
        direct = self._direct
        if direct is not None:
            key = ("results", *shape, json_fragments)
            count, page = direct.prepare(key, lambda: _results_queries(*shape, json_fragments))
            with direct.snapshot():
                total = direct.rows(count, parameters)[0]["total"]
                documents = [row["data"] for row in direct.rows(page, parameters)]
            if json_fragments:
                return Page([_json_fragment(text) for text in documents], int(total))
            return Page(documents, int(total))
        count_query, page_query = _results_queries(*shape)
        async with self._read() as connection:
            total = (await connection.execute(count_query, parameters)).scalar_one()
            rows = (await connection.execute(page_query, parameters)).all()
        return Page([row.data for row in rows], int(total))

    async def count_queued(self) -> int:
        async with self._read() as connection:
            return int(
                (
                    await connection.execute(
                        select(func.count()).select_from(scans).where(scans.c.status == "queued")
                    )
                ).scalar_one()
            )

    # --- worker side ------------------------------------------------------------------

    async def claim_scan(self, worker: str, lease: timedelta) -> Scan | None:
        """Atomically takes the oldest queued scan, or a running one whose lease ran out."""
        moment = now()
        claimable = or_(
            scans.c.status == "queued",
            and_(scans.c.status == "running", scans.c.lease_until < moment),
        )
        async with self._write() as connection:
            candidate = (
                await connection.execute(
                    select(scans.c.id, scans.c.version)
                    .where(claimable)
                    .order_by(scans.c.created_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if candidate is None:
                return None
            claimed = await connection.execute(
                update(scans)
                .where(scans.c.id == candidate.id, scans.c.version == candidate.version)
                .values(
                    status="running",
                    worker=worker,
                    lease_until=moment + lease,
                    started_at=func.coalesce(scans.c.started_at, moment),
                    attempts=scans.c.attempts + 1,
                    version=scans.c.version + 1,
                )
            )
            if claimed.rowcount != 1:
                return None
            row = (await connection.execute(select(scans).where(scans.c.id == candidate.id))).one()
        return _scan(row)

    async def claim_scan_id(self, scan_id: str, worker: str, lease: timedelta) -> Scan | None:
        """Atomically takes one given scan if it is claimable (queued, or running with an
        expired lease): the claim is a single conditional UPDATE, so of any number of
        workers handed the same scan exactly one gets it."""
        moment = now()
        claimable = or_(
            scans.c.status == "queued",
            and_(scans.c.status == "running", scans.c.lease_until < moment),
        )
        async with self._write() as connection:
            claimed = await connection.execute(
                update(scans)
                .where(scans.c.id == scan_id, claimable)
                .values(
                    status="running",
                    worker=worker,
                    lease_until=moment + lease,
                    started_at=func.coalesce(scans.c.started_at, moment),
                    attempts=scans.c.attempts + 1,
                    version=scans.c.version + 1,
                )
            )
            if claimed.rowcount != 1:
                return None
            row = (await connection.execute(select(scans).where(scans.c.id == scan_id))).one()
        return _scan(row)

    async def dispatch_backlog(self, resend_after: timedelta) -> DispatchBacklog:
        """How many scans wait for a worker, how many of them are orphaned (their lease ran
        out and they were not re-sent since) and how many are overdue (last handed to the
        task queue more than `resend_after` ago). The sweeper compares the waiting scans with
        the messages in the broker's queue to tell lost messages from a mere backlog."""
        waiting, orphaned, overdue = _dispatch_conditions(now(), resend_after)
        counted = select(
            func.count().label("waiting"),
            func.coalesce(func.sum(case((orphaned, 1), else_=0)), 0).label("orphaned"),
            func.coalesce(func.sum(case((overdue, 1), else_=0)), 0).label("overdue"),
        ).select_from(scans).where(waiting)
        async with self._read() as connection:
            row = (await connection.execute(counted)).one()
        return DispatchBacklog(
            waiting=int(row.waiting), orphaned=int(row.orphaned), overdue=int(row.overdue)
        )

    async def take_undispatched(
        self, resend_after: timedelta, limit: int, overdue_limit: int | None = None
    ) -> list[str]:
        """Scans to (re)send to the task queue: running ones whose lease expired (their
        worker died) that were not re-sent since, and overdue ones — queued, or orphans
        already re-sent, whose last dispatch is older than `resend_after` (their message may
        have been lost with the broker). At most `overdue_limit` overdue ones (all when None),
        those dispatched longest ago first. Their dispatch time is set to now in the same
        transaction, so several API processes sweeping at once never send the same scan
        twice."""
        moment = now()
        _, orphaned, overdue = _dispatch_conditions(moment, resend_after)
        due = or_(orphaned, overdue)
        last_sent = func.coalesce(scans.c.dispatched_at, scans.c.created_at)
        async with self._write() as connection:

            async def oldest(condition: Any, order: Sequence[Any], count: int) -> list[str]:
                rows = await connection.execute(
                    select(scans.c.id)
                    .where(condition)
                    .order_by(*order)
                    .limit(count)
                    .with_for_update(skip_locked=True)
                )
                return [row.id for row in rows]

            if overdue_limit is None:
                candidates = await oldest(due, [scans.c.created_at], limit)
            else:
                candidates = await oldest(orphaned, [scans.c.created_at], limit)
                room = min(overdue_limit, limit - len(candidates))
                if room > 0:
                    candidates += await oldest(overdue, [last_sent, scans.c.created_at], room)
            if not candidates:
                return []
            taken = await connection.execute(
                update(scans)
                .where(scans.c.id.in_(candidates), due)
                .values(dispatched_at=moment)
                .returning(scans.c.id)
            )
            sent = {row.id for row in taken}
            return [scan_id for scan_id in candidates if scan_id in sent]  # in their order

    async def renew_lease(self, scan_id: str, worker: str, lease: timedelta) -> bool:
        async with self._write() as connection:
            result = await connection.execute(
                update(scans)
                .where(scans.c.id == scan_id, scans.c.worker == worker, scans.c.status == "running")
                .values(lease_until=now() + lease)
            )
        return result.rowcount == 1

    async def is_cancel_requested(self, scan_id: str) -> bool:
        async with self._read() as connection:
            value = (
                await connection.execute(
                    select(scans.c.cancel_requested).where(scans.c.id == scan_id)
                )
            ).scalar_one_or_none()
        return bool(value)

    async def finish_scan(
        self,
        scan_id: str,
        worker: str,
        *,
        status: str,
        summary: dict[str, Any] | None,
        results: Sequence[dict[str, Any]],
        error: str | None = None,
        rules_run: Collection[str] | None = None,
    ) -> bool:
        """Replaces the scan's findings and closes it, only if `worker` still holds it; a
        completed scan's findings join the tracked findings in the same transaction
        (`rules_run`: the ids of the rules it ran, for what counts as fixed)."""
        async with self._write() as connection:
            owned = await connection.execute(
                update(scans)
                .where(scans.c.id == scan_id, scans.c.worker == worker, scans.c.status == "running")
                .values(
                    status=status,
                    summary=summary,
                    error=error,
                    finished_at=now(),
                    lease_until=None,
                    version=scans.c.version + 1,
                )
            )
            if owned.rowcount != 1:
                return False
            await connection.execute(delete(findings).where(findings.c.scan_id == scan_id))
            for start in range(0, len(results), FINDINGS_BATCH):
                batch = results[start : start + FINDINGS_BATCH]
                await connection.execute(
                    insert(findings),
                    [
                        {
                            "scan_id": scan_id,
                            "fingerprint": f["fingerprint"],
                            "rule_id": f["rule_id"],
                            "severity": f["severity"],
                            "path": f["path"],
                            "start_line": f["start_line"],
                            "data": f,
                        }
                        for f in batch
                    ],
                )
            if status == "completed":
                await ingest_in(connection, scan_id, rules_run)
        return True

    # --- idempotency ------------------------------------------------------------------

    async def create_scans(
        self,
        org_id: str,
        news: Sequence[NewScan],
        idempotency: tuple[str, str] | None = None,
        response: dict[str, Any] | None = None,
    ) -> CreatedScans:
        """Creates scans, at most once per idempotency key: the scans and the key are written
        in one transaction, so a retried or concurrent duplicate gets the first scans back."""
        if idempotency is not None:
            replay = await self.idempotent_scans(org_id, idempotency[0])
            if replay is not None:
                return replay
        try:
            async with self._write() as connection:
                created = [await self._insert_scan(connection, new) for new in news]
                if idempotency is not None:
                    await connection.execute(
                        insert(idempotency_keys).values(
                            org_id=org_id,
                            key=idempotency[0],
                            request_hash=idempotency[1],
                            status_code=202,
                            response={**(response or {}), "scan_ids": [s.id for s in created]},
                            created_at=now(),
                        )
                    )
        except IntegrityError:
            if idempotency is None:
                raise
            replay = await self.idempotent_scans(org_id, idempotency[0])
            assert replay is not None
            return replay
        return CreatedScans(
            created,
            replayed=False,
            request_hash=idempotency[1] if idempotency else "",
            response=response or {},
        )

    async def idempotent_scans(self, org_id: str, key: str) -> CreatedScans | None:
        async with self._read() as connection:
            row = (
                await connection.execute(
                    select(idempotency_keys).where(
                        idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key
                    )
                )
            ).first()
        if row is None:
            return None
        ids = list(row.response.get("scan_ids", []))
        by_id = {scan.id: scan for scan in await self.get_scans(org_id, ids)}
        return CreatedScans(
            [by_id[i] for i in ids if i in by_id],
            replayed=True,
            request_hash=row.request_hash,
            response=row.response,
        )

    # --- repositories -----------------------------------------------------------------

    async def upsert_repository(
        self, org_id: str, url: str, name: str, default_branch: str | None = None
    ) -> Repository:
        mine = and_(repositories.c.org_id == org_id, repositories.c.url == url)
        try:
            async with self._write() as connection:
                row = (await connection.execute(select(repositories).where(mine))).first()
                if row is not None:
                    return Repository(**row._mapping)
                values: dict[str, Any] = {
                    "id": new_id("repo"),
                    "org_id": org_id,
                    "url": url,
                    "name": name,
                    "default_branch": default_branch,
                    "created_at": now(),
                }
                await connection.execute(insert(repositories).values(**values))
                return Repository(**values)
        except IntegrityError:
            async with self._read() as connection:
                row = (await connection.execute(select(repositories).where(mine))).one()
            return Repository(**row._mapping)

    async def upsert_repositories(
        self, org_id: str, names_by_url: Mapping[str, str]
    ) -> dict[str, Repository]:
        """Many repositories in one transaction (a bulk request names many); a race with
        another writer falls back to one upsert each."""
        if not names_by_url:
            return {}
        urls = list(names_by_url)
        mine = and_(repositories.c.org_id == org_id, repositories.c.url.in_(urls))
        try:
            async with self._write() as connection:
                rows = (await connection.execute(select(repositories).where(mine))).all()
                found = {row.url: Repository(**row._mapping) for row in rows}
                missing: list[dict[str, Any]] = [
                    {
                        "id": new_id("repo"),
                        "org_id": org_id,
                        "url": url,
                        "name": names_by_url[url],
                        "default_branch": None,
                        "created_at": now(),
                    }
                    for url in urls
                    if url not in found
                ]
                if missing:
                    await connection.execute(insert(repositories), missing)
                found.update((values["url"], Repository(**values)) for values in missing)
                return found
        except IntegrityError:
            return {
                url: await self.upsert_repository(org_id, url, names_by_url[url]) for url in urls
            }

    async def get_repository(self, org_id: str, id_or_url: str) -> Repository | None:
        async with self._read() as connection:
            row = (
                await connection.execute(
                    select(repositories).where(
                        repositories.c.org_id == org_id,
                        or_(repositories.c.id == id_or_url, repositories.c.url == id_or_url),
                    )
                )
            ).first()
        return Repository(**row._mapping) if row else None

    async def list_repositories(self, org_id: str, *, offset: int, limit: int) -> Page:
        condition = repositories.c.org_id == org_id
        async with self._read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(repositories).where(condition)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(repositories)
                    .where(condition)
                    .order_by(repositories.c.created_at, repositories.c.id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([Repository(**row._mapping) for row in rows], int(total))

    async def repository_scans(self, org_id: str, repository_id: str, limit: int) -> list[Scan]:
        async with self._read() as connection:
            rows = (
                await connection.execute(
                    select(scans)
                    .where(scans.c.org_id == org_id, scans.c.repository_id == repository_id)
                    .order_by(scans.c.created_at.desc())
                    .limit(limit)
                )
            ).all()
        return [_scan(row) for row in rows]

    async def recent_repository_scans(
        self,
        org_id: str,
        repository_ids: Sequence[str],
        *,
        per_repository: int,
        status: str | None = None,
    ) -> dict[str, list[Scan]]:
        """The newest `per_repository` scans (optionally of one status) of each repository,
        newest first, in one query: a page of repositories costs one round trip, not one
        per repository."""
        if not repository_ids or per_repository < 1:
            return {}
        condition = and_(scans.c.org_id == org_id, scans.c.repository_id.in_(list(repository_ids)))
        if status is not None:
            condition = and_(condition, scans.c.status == status)
        rank = (
            func.row_number()
            .over(
                partition_by=scans.c.repository_id,
                order_by=(scans.c.created_at.desc(), scans.c.id.desc()),
            )
            .label("recency_rank")
        )
        ranked = select(scans, rank).where(condition).subquery()
        query = (
            select(*(ranked.c[column.name] for column in scans.columns))
            .where(ranked.c.recency_rank <= per_repository)
            .order_by(ranked.c.repository_id, ranked.c.recency_rank)
        )
        async with self._read() as connection:
            rows = (await connection.execute(query)).all()
        grouped: dict[str, list[Scan]] = {}
        for row in rows:
            scan = _scan(row)
            grouped.setdefault(scan.repository_id or "", []).append(scan)
        return grouped

    # --- custom rules -----------------------------------------------------------------

    async def save_rule_file(
        self, org_id: str, name: str, content: str, rule_ids: list[str]
    ) -> CustomRuleFile:
        values: dict[str, Any] = {
            "id": new_id("rules"),
            "org_id": org_id,
            "name": name,
            "content": content,
            "rule_ids": rule_ids,
            "created_at": now(),
        }
        async with self._write() as connection:
            await connection.execute(
                delete(custom_rule_files).where(
                    custom_rule_files.c.org_id == org_id, custom_rule_files.c.name == name
                )
            )
            await connection.execute(insert(custom_rule_files).values(**values))
        return CustomRuleFile(**values)

    async def list_rule_files(self, org_id: str) -> list[CustomRuleFile]:
        async with self._read() as connection:
            rows = (
                await connection.execute(
                    select(custom_rule_files)
                    .where(custom_rule_files.c.org_id == org_id)
                    .order_by(custom_rule_files.c.name)
                )
            ).all()
        return [CustomRuleFile(**row._mapping) for row in rows]

    async def delete_rule_file(self, org_id: str, file_id: str) -> bool:
        async with self._write() as connection:
            result = await connection.execute(
                delete(custom_rule_files).where(
                    custom_rule_files.c.org_id == org_id, custom_rule_files.c.id == file_id
                )
            )
        return result.rowcount == 1

    # --- AI analyses ------------------------------------------------------------------

    async def create_analysis(
        self, org_id: str, scan_id: str, model: str, options: dict[str, Any]
    ) -> Analysis:
        values: dict[str, Any] = {
            "id": new_id("ana"),
            "org_id": org_id,
            "scan_id": scan_id,
            "model": model,
            "options": options,
            "status": "queued",
            "error": None,
            "summary": None,
            "created_at": now(),
            "started_at": None,
            "finished_at": None,
            "attempts": 0,
            "worker": None,
            "lease_until": None,
            "version": 0,
        }
        async with self._write() as connection:
            await connection.execute(insert(analyses).values(**values, result=None))
        return Analysis(**values)

    async def get_analysis(self, org_id: str, analysis_id: str) -> Analysis | None:
        async with self._read() as connection:
            row = (
                await connection.execute(
                    select(*_ANALYSIS_COLUMNS).where(
                        analyses.c.id == analysis_id, analyses.c.org_id == org_id
                    )
                )
            ).first()
        return Analysis(**row._mapping) if row else None

    async def analysis_result(self, org_id: str, analysis_id: str) -> str | None:
        async with self._read() as connection:
            value = (
                await connection.execute(
                    select(analyses.c.result).where(
                        analyses.c.id == analysis_id, analyses.c.org_id == org_id
                    )
                )
            ).scalar_one_or_none()
        return value if isinstance(value, str) else None

    async def list_analyses(
        self, org_id: str, *, scan_id: str | None, offset: int, limit: int
    ) -> Page:
        condition = analyses.c.org_id == org_id
        if scan_id is not None:
            condition = and_(condition, analyses.c.scan_id == scan_id)
        async with self._read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(analyses).where(condition)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(*_ANALYSIS_COLUMNS)
                    .where(condition)
                    .order_by(analyses.c.created_at.desc(), analyses.c.id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([Analysis(**row._mapping) for row in rows], int(total))

    async def claim_analysis(
        self, worker: str, lease: timedelta, analysis_id: str | None = None
    ) -> Analysis | None:
        """Atomically takes a queued analysis, or a running one whose lease ran out (its
        process died): the given one, or else the oldest."""
        moment = now()
        claimable = or_(
            analyses.c.status == "queued",
            and_(analyses.c.status == "running", analyses.c.lease_until < moment),
        )
        async with self._write() as connection:
            if analysis_id is None:
                candidate = (
                    await connection.execute(
                        select(analyses.c.id)
                        .where(claimable)
                        .order_by(analyses.c.created_at)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if candidate is None:
                    return None
                analysis_id = candidate.id
            claimed = await connection.execute(
                update(analyses)
                .where(analyses.c.id == analysis_id, claimable)
                .values(
                    status="running",
                    worker=worker,
                    lease_until=moment + lease,
                    started_at=func.coalesce(analyses.c.started_at, moment),
                    attempts=analyses.c.attempts + 1,
                    version=analyses.c.version + 1,
                )
            )
            if claimed.rowcount != 1:
                return None
            row = (
                await connection.execute(
                    select(*_ANALYSIS_COLUMNS).where(analyses.c.id == analysis_id)
                )
            ).one()
        return Analysis(**row._mapping)

    async def renew_analysis_lease(self, analysis_id: str, worker: str, lease: timedelta) -> bool:
        async with self._write() as connection:
            result = await connection.execute(
                update(analyses)
                .where(
                    analyses.c.id == analysis_id,
                    analyses.c.worker == worker,
                    analyses.c.status == "running",
                )
                .values(lease_until=now() + lease)
            )
        return result.rowcount == 1

    async def finish_analysis(
        self,
        analysis_id: str,
        worker: str,
        *,
        status: str,
        summary: dict[str, Any] | None,
        result_json: str | None,
        error: str | None = None,
    ) -> bool:
        """Records the outcome (the result as JSON text), only if `worker` still holds the
        analysis."""
        async with self._write() as connection:
            owned = await connection.execute(
                update(analyses)
                .where(
                    analyses.c.id == analysis_id,
                    analyses.c.worker == worker,
                    analyses.c.status == "running",
                )
                .values(
                    status=status,
                    summary=summary,
                    result=result_json,
                    error=error,
                    finished_at=now(),
                    lease_until=None,
                    version=analyses.c.version + 1,
                )
            )
        return owned.rowcount == 1

    async def cached_answers(
        self, org_id: str, model: str, fingerprints: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        wanted = list(dict.fromkeys(fingerprints))
        async with self._read() as connection:
            for start in range(0, len(wanted), FINDINGS_BATCH):
                batch = wanted[start : start + FINDINGS_BATCH]
                rows = (
                    await connection.execute(
                        select(analysis_cache.c.fingerprint, analysis_cache.c.answer).where(
                            analysis_cache.c.org_id == org_id,
                            analysis_cache.c.model == model,
                            analysis_cache.c.fingerprint.in_(batch),
                        )
                    )
                ).all()
                found.update({row.fingerprint: row.answer for row in rows})
        return found

    async def store_answers(
        self, org_id: str, model: str, answers: dict[str, dict[str, Any]]
    ) -> None:
        if not answers:
            return
        moment = now()
        async with self._write() as connection:
            # Replace: a newer answer for the same fingerprint and model wins.
            await connection.execute(
                delete(analysis_cache).where(
                    analysis_cache.c.org_id == org_id,
                    analysis_cache.c.model == model,
                    analysis_cache.c.fingerprint.in_(list(answers)),
                )
            )
            await connection.execute(
                insert(analysis_cache),
                [
                    {
                        "org_id": org_id,
                        "model": model,
                        "fingerprint": fingerprint,
                        "answer": answer,
                        "created_at": moment,
                    }
                    for fingerprint, answer in answers.items()
                ],
            )


# Every column but the (possibly large) result document.
_ANALYSIS_COLUMNS = tuple(column for column in analyses.columns if column.name != "result")


def _scan(row: Row[Any]) -> Scan:
    return Scan(**row._mapping)
