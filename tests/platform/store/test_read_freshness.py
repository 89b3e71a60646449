"""A cached finished scan is served without reading the database while nothing it depends
on changed (store/freshness.py), and every change by another process is seen: on SQLite on
the very next read (data_version), on PostgreSQL once its notification arrives (migration
0014's triggers); another organisation never gets it; with the PostgreSQL listener down,
every read asks the database again."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tavo_platform.store._postgres_reads import LISTENER_NAME, Notifications
from tavo_platform.store._write_signal import signal_for
from tavo_platform.store.findings import TrackedFilter
from tavo_platform.store.freshness import FOREIGN_CHECK_SECONDS
from tavo_platform.store.migrate import upgrade
from tavo_platform.store.records import NewScan, Scan
from tavo_platform.store.sql import SqlStore

from tests.support import services
from tests.support.factories import finding

WORKER = "tests-freshness"
# How long a PostgreSQL notification may take to arrive on this (loaded) machine.
NOTIFICATION_SECONDS = 5.0


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'tavo.db'}"
        upgrade(url)
        yield url
        return
    request.getfixturevalue("scale_services")
    with services.fresh_database() as url:
        upgrade(url)
        yield url


class Reads:
    """Counts the statements a store sends to its database for the hot reads."""

    def __init__(self, store: SqlStore) -> None:
        self.count = 0
        database = store.database
        fetch = database.fetch

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await fetch(*args, **kwargs)

        database.fetch = counted  # type: ignore[method-assign]


async def finished_scan(store: SqlStore, org: str) -> tuple[str, Scan]:
    organization = await store.ensure_organization(org)
    url = f"https://127.0.0.1/{org}/app.git"
    repository = await store.upsert_repository(organization.id, url, "app")
    created = await store.create_scans(
        organization.id,
        [
            NewScan(
                org_id=organization.id,
                source="git",
                scan_type="code",
                repository_url=url,
                repository_id=repository.id,
            )
        ],
    )
    claimed = await store.claim_scan(WORKER, timedelta(minutes=5))
    assert claimed is not None and claimed.id == created.scans[0].id
    assert await store.finish_scan(
        claimed.id,
        WORKER,
        status="completed",
        summary={"total": 3, "by_severity": {"HIGH": 3}},
        results=[finding(n) for n in range(3)],
    )
    finished = await store.get_scan(organization.id, claimed.id)
    assert finished is not None and finished.finished
    return organization.id, finished


async def settled(check: Callable[[], Awaitable[bool]], exact: bool) -> bool:
    """Whether `check` holds: at once where the database tells at once (SQLite), else
    within the time a notification takes to arrive."""
    deadline = time.monotonic() + (0 if exact else NOTIFICATION_SECONDS)
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)


async def served_without_reads(store: SqlStore, reads: Reads, org_id: str, scan_id: str) -> bool:
    """Waits (PostgreSQL: for the listener) until a read of the cached scan needs no
    statement; False if it never does."""
    deadline = time.monotonic() + NOTIFICATION_SECONDS
    while time.monotonic() < deadline:
        before = reads.count
        assert await store.get_scan(org_id, scan_id) is not None
        if reads.count == before:
            return True
        await asyncio.sleep(0.02)
    return False

@asynccontextmanager
async def cached_scan(
    database_url: str,
) -> AsyncIterator[tuple[SqlStore, SqlStore, Reads, str, Scan]]:
    """A reader and a writer store (two processes' worth), a finished scan the writer made,
    and the reader serving it from its cache without a statement."""
    reader, writer = SqlStore(database_url), SqlStore(database_url)
    try:
        org_id, scan = await finished_scan(writer, "acme")
        reads = Reads(reader)
        assert await served_without_reads(reader, reads, org_id, scan.id)
        yield reader, writer, reads, org_id, scan
    finally:
        await reader.close()
        await writer.close()


def test_a_cached_scan_is_served_unread_until_another_process_changes_it(
    database_url: str,
) -> None:
    exact = database_url.startswith("sqlite")

    async def run() -> None:
        reader, writer = SqlStore(database_url), SqlStore(database_url)
        try:
            org_id, scan = await finished_scan(writer, "acme")
            other_org, _ = await finished_scan(writer, "globex")
            reads = Reads(reader)
            assert await served_without_reads(reader, reads, org_id, scan.id)
            before = reads.count
            for _ in range(5):
                assert (await reader.get_scan(org_id, scan.id)) == scan
                assert await reader.triaged_in_scan(org_id, scan.repository_id, scan.id) == []
            assert reads.count == before  # neither the stamp nor the triage read again
            # Another organisation's request never gets the cached scan.
            assert await reader.get_scan(other_org, scan.id) is None

            # A triage by another process shows.
            tracked = await writer.list_tracked_findings(
                org_id, TrackedFilter(repository_id=scan.repository_id), offset=0, limit=10
            )
            chosen = tracked.items[0]
            assert await writer.triage_finding(org_id, chosen.id, "false_positive", "me", "x")

            async def triaged() -> bool:
                assert await reader.get_scan(org_id, scan.id) is not None
                shown = await reader.triaged_in_scan(org_id, scan.repository_id, scan.id)
                return [f.fingerprint for f in shown] == [chosen.fingerprint]

            assert await settled(triaged, exact)
            assert await served_without_reads(reader, reads, org_id, scan.id)

            # So does a deletion.
            assert await writer.delete_scan(org_id, scan.id) is not None

            async def gone() -> bool:
                return await reader.get_scan(org_id, scan.id) is None

            assert await settled(gone, exact)
        finally:
            await reader.close()
            await writer.close()

    asyncio.run(run())


def test_without_its_listener_every_read_asks_postgresql(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's notifications only")

    async def run() -> None:
        async with cached_scan(database_url) as (reader, writer, reads, org_id, scan):
            # The listening connection is cut (a restarted server, a failover).
            admin = await asyncpg.connect(services._asyncpg_dsn(database_url))
            try:
                cut = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = $1",
                    LISTENER_NAME,
                )
                assert cut == 1
            finally:
                await admin.close()
            await asyncio.sleep(0.2)  # the loss arrives
            # A change made now cannot be announced to it; every read asks, and sees it.
            assert await writer.delete_scan(org_id, scan.id) is not None
            before = reads.count
            assert await reader.get_scan(org_id, scan.id) is None
            assert reads.count > before

    asyncio.run(run())


def test_on_postgresql_a_process_s_other_writes_leave_its_cached_scans_unread(
    database_url: str,
) -> None:
    """Usage counts and webhook claims (written several times a second by a serving
    process) touch no table a scan's answer is read from: they do not send the cached scan
    back to the database. A write of the scan's own tables by this process is seen at once,
    before its notification is counted."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's notifications only")

    async def run() -> None:
        store = SqlStore(database_url)
        try:
            org_id, scan = await finished_scan(store, "acme")
            reads = Reads(store)
            assert await served_without_reads(store, reads, org_id, scan.id)
            before = reads.count
            await store.add_usage({(org_id, "key_1", "2026-01-01"): 3})
            assert await store.claim_deliveries("tests", timedelta(minutes=1), 10) == []
            await store.ensure_organization("globex")
            assert await store.get_scan(org_id, scan.id) == scan
            assert reads.count == before

            # The scan deleted by this process, its notification not counted (as if it had
            # not arrived yet): the next read asks the database, and finds it gone.
            notifications = store.database.postgres._notifications  # type: ignore[union-attr]
            assert notifications is not None
            listening = notifications._connection
            assert listening is not None
            listening._tavo_notified = None
            assert await store.delete_scan(org_id, scan.id) is not None
            assert await store.get_scan(org_id, scan.id) is None
        finally:
            await store.close()

    asyncio.run(run())


def test_on_postgresql_a_notification_waiting_unread_is_heeded(database_url: str) -> None:
    """A change announced while the event loop is busy (the notification's bytes are on the
    listening socket, not yet read): the next read does not serve the cached scan."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's notifications only")

    async def run() -> None:
        store = SqlStore(database_url)
        try:
            org_id, scan = await finished_scan(store, "acme")
            reads = Reads(store)
            assert await served_without_reads(store, reads, org_id, scan.id)

            async def bump() -> None:
                outside = await asyncpg.connect(services._asyncpg_dsn(database_url))
                try:
                    await outside.execute(
                        "UPDATE scans SET version = version + 1 WHERE id = $1", scan.id
                    )
                finally:
                    await outside.close()

            # Written from another thread while this loop is blocked (it reads nothing
            # meanwhile); then given time for the notification to arrive.
            writer = threading.Thread(target=lambda: asyncio.run(bump()))
            writer.start()
            writer.join()
            time.sleep(0.5)
            before = reads.count
            changed = await store.get_scan(org_id, scan.id)
            assert reads.count > before
            assert changed is not None and changed.version == scan.version + 1
        finally:
            await store.close()

    asyncio.run(run())


def test_on_postgresql_the_listening_socket_is_polled_once_per_quiet_spell(
    database_url: str,
) -> None:
    """The unread check polls the listening socket (a syscall that releases the GIL) once,
    then trusts it for QUIET_SECONDS: a burst of cached reads polls once, not per read; a
    notification read off the socket ends the spell, so the change it names shows at once."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's notifications only")

    async def run() -> None:
        async with cached_scan(database_url) as (reader, writer, reads, org_id, scan):
            notifications = reader.database.freshness
            assert isinstance(notifications, Notifications)
            notifications.QUIET_SECONDS = 60.0  # a spell longer than the test
            polls = 0
            socket_poll = notifications._poll
            assert socket_poll is not None

            class Counted:
                def poll(self, timeout: int) -> list[tuple[int, int]]:
                    nonlocal polls
                    polls += 1
                    return socket_poll.poll(timeout)

            notifications._poll = Counted()  # type: ignore[assignment]
            notifications._quiet_until = 0.0
            before = reads.count
            for _ in range(50):
                assert await reader.get_scan(org_id, scan.id) == scan
            assert (polls, reads.count) == (1, before)

            # A change by another process: its notification, once read, is heeded at once.
            assert await writer.delete_scan(org_id, scan.id) is not None

            async def gone() -> bool:
                return await reader.get_scan(org_id, scan.id) is None

            assert await settled(gone, exact=False)

    asyncio.run(run())


def test_a_write_from_outside_the_store_shows_within_the_foreign_check(tmp_path: Path) -> None:
    """A writer that does not go through the store (the sqlite3 shell) leaves the write
    signal alone; data_version, read every FOREIGN_CHECK_SECONDS, tells the reader."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tavo.db'}"
    upgrade(url)

    async def run() -> None:
        store = SqlStore(url)
        try:
            org_id, scan = await finished_scan(store, "acme")
            reads = Reads(store)
            assert await served_without_reads(store, reads, org_id, scan.id)
            with sqlite3.connect(tmp_path / "tavo.db") as outside:
                outside.execute("UPDATE scans SET version = version + 1 WHERE id = ?", (scan.id,))
            deadline = time.monotonic() + FOREIGN_CHECK_SECONDS + NOTIFICATION_SECONDS
            while (await store.get_scan(org_id, scan.id)) == scan:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        finally:
            await store.close()

    asyncio.run(run())


def test_the_write_signal_is_shared_and_never_repeats(tmp_path: Path) -> None:
    first = signal_for(f"sqlite+aiosqlite:///{tmp_path / 'tavo.db'}")
    second = signal_for(f"sqlite:///{tmp_path / 'tavo.db'}")
    assert first is not None and second is not None
    try:
        seen = {first.value()}
        for _ in range(50):
            first.bump()
            assert second.value() == first.value() not in seen
            seen.add(first.value())
    finally:
        first.close()
        second.close()
    assert signal_for("sqlite+aiosqlite:///:memory:") is None
    assert signal_for("sqlite+aiosqlite://") is None
