"""Alembic migrations on SQLite and PostgreSQL: from empty to head, a schema identical to the
code's tables, downgrade/upgrade round trips that keep the data, and `tavo serve`/`tavo
worker` refusing a database whose schema is missing, older or newer."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import Result
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from tavo_platform.cli import app
from tavo_platform.cluster import TAVO
from tavo_platform.store import migrate
from tavo_platform.store.records import NewScan
from tavo_platform.store.schema import metadata
from tavo_platform.store.sql import SqlStore
from typer.testing import CliRunner

from tests.support import services
from tests.support.cluster import scaled_env


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tavo.db'}"
        return
    with services.fresh_database() as url:
        yield url


def on_connection(url: str, function: Any) -> Any:
    async def run() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(function)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def test_upgrade_from_empty_gives_exactly_the_codes_schema(empty_database: str) -> None:
    assert on_connection(empty_database, tables) == set()
    migrate.upgrade(empty_database)
    assert asyncio.run(migrate.current_revision(empty_database)) == migrate.head_revision()
    assert on_connection(empty_database, schema_differences) == []
    asyncio.run(migrate.check_schema(empty_database))


def test_downgrade_and_upgrade_round_trip_keeps_the_data(empty_database: str) -> None:
    all_revisions = revisions()
    assert all_revisions[-1] == migrate.head_revision() and len(all_revisions) >= 3
    migrate.upgrade(empty_database)

    async def seed() -> tuple[str, str]:
        store = SqlStore(empty_database)
        try:
            org = await store.ensure_organization("acme")
            created = await store.create_scans(
                org.id, [NewScan(org_id=org.id, source="git", scan_type="code",
                                 repository_url="https://example.invalid/r.git")])
            return org.id, created.scans[0].id
        finally:
            await store.close()

    org_id, scan_id = asyncio.run(seed())
    # One step down at a time to the first revision, then back up one step at a time.
    for revision in reversed(all_revisions[:-1]):
        migrate.downgrade(empty_database, revision)
        assert asyncio.run(migrate.current_revision(empty_database)) == revision
    for revision in all_revisions[1:]:
        migrate.upgrade(empty_database, revision)
    assert on_connection(empty_database, schema_differences) == []

    async def read() -> Any:
        store = SqlStore(empty_database)
        try:
            return await store.get_scan(org_id, scan_id)
        finally:
            await store.close()

    scan = asyncio.run(read())
    assert scan is not None and scan.status == "queued" and scan.dispatched_at is None
    # All the way down empties the database; and up again from there.
    migrate.downgrade(empty_database, "base")
    assert on_connection(empty_database, tables) <= {"alembic_version"}
    migrate.upgrade(empty_database)
    assert on_connection(empty_database, schema_differences) == []


def serve(data: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`tavo serve` as a process (should it start, it would serve until the timeout)."""
    return subprocess.run([TAVO, "serve", "--port", str(services.free_port()), *data],
                          env=env, capture_output=True, text=True, timeout=120)


def tavo(*args: str, env: dict[str, str | None]) -> Result:
    """Other commands in-process: they load the same code much faster."""
    return CliRunner().invoke(app, list(args), env=env)


def test_tavo_db_upgrade_with_database_url_and_refusals_on_postgresql(tmp_path: Path) -> None:
    with services.fresh_database() as url:
        # CliRunner's env: None removes a variable.
        env: dict[str, str | None] = {n: None for n in os.environ if n.startswith("TAVO_")}
        env |= {k: v for k, v in scaled_env(url).items() if k.startswith("TAVO_")}
        env_without_url = {**env, "TAVO_DATABASE_URL": None}
        data = ["--data-dir", str(tmp_path / "data")]
        process_env = scaled_env(url)

        refused = serve(data, process_env)
        assert refused.returncode == 2
        assert "no Tavo schema yet: run `tavo db upgrade`" in refused.stderr
        worker = tavo("worker", *data, env=env)
        assert worker.exit_code == 2 and "no Tavo schema yet" in worker.output

        older = revisions()[-2]
        upgraded = tavo("db", "upgrade", older, "--database-url", url, *data,
                        env=env_without_url)
        assert upgraded.exit_code == 0, upgraded.output
        refused = serve(data, process_env)
        assert refused.returncode == 2
        assert f"schema is at {older}, not {migrate.head_revision()}" in refused.stderr

        upgraded = tavo("db", "upgrade", "--database-url", url, *data, env=env_without_url)
        assert upgraded.exit_code == 0, upgraded.output
        assert f"database at {migrate.head_revision()}" in upgraded.output
        key = tavo("keys", "create", "--json", "--database-url", url, *data,
                   env=env_without_url)
        assert key.exit_code == 0, key.output

        def from_the_future(connection: Connection) -> None:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
            connection.commit()

        on_connection(url, from_the_future)
        refused = serve(data, process_env)
        assert refused.returncode == 2
        assert "is newer than this Tavo" in refused.stderr
        worker = tavo("worker", *data, env=env)
        assert worker.exit_code == 2 and "is newer than this Tavo" in worker.output


def test_upgrade_to_tracked_findings_keeps_scans_and_backfills_them(
    empty_database: str,
) -> None:
    """From the schema before tracked findings (0004), with a completed scan and its
    findings in it: the upgrade keeps them, and the catch-up tracks the old scan once."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table
    from tavo_platform.findings.tracking import FindingsTracker

    migrate.upgrade(empty_database, "0004")
    moment = datetime.now(UTC)

    def seed(connection: Connection) -> None:
        # The tables as they are at 0004 (reflected: the code's tables have more columns).
        old = MetaData()
        table = {name: Table(name, old, autoload_with=connection)
                 for name in ("organizations", "repositories", "scans", "findings")}
        connection.execute(table["organizations"].insert().values(
            id="org_1", name="acme", created_at=moment))
        connection.execute(table["repositories"].insert().values(
            id="repo_1", org_id="org_1", url="https://example.invalid/r.git", name="r",
            created_at=moment))
        connection.execute(table["scans"].insert().values(
            id="scan_1", org_id="org_1", repository_id="repo_1", source="git",
            scan_type="code", rules=[], exclusions=[], status="completed",
            summary={"total": 1}, created_at=moment, attempts=1, cancel_requested=False,
            version=2))
        document = {"id": "f1", "rule_id": "python-eval", "severity": "HIGH",
                    "category": "code-injection", "owasp_llm": None, "path": "app.py",
                    "start_line": 3, "fingerprint": "ab" * 16}
        connection.execute(table["findings"].insert().values(
            scan_id="scan_1", fingerprint=document["fingerprint"], rule_id="python-eval",
            severity="HIGH", path="app.py", start_line=3, data=document))
        connection.commit()

    on_connection(empty_database, seed)
    migrate.upgrade(empty_database)
    assert on_connection(empty_database, schema_differences) == []

    async def backfill() -> tuple[Any, ...]:
        store = SqlStore(empty_database)
        try:
            before = await store.get_scan("org_1", "scan_1")
            tracker = FindingsTracker(store)
            looked_at = await tracker.catch_up()
            again = await tracker.catch_up()
            from tavo_platform.store.findings import TrackedFilter

            page = await store.list_tracked_findings("org_1", TrackedFilter(), offset=0,
                                                     limit=10)
            return before, looked_at, again, page
        finally:
            await store.close()

    before, looked_at, again, page = asyncio.run(backfill())
    assert before is not None and before.tracked_at is None and before.commit_sha is None
    assert looked_at == 1 and again == 0
    assert [(f.fingerprint, f.status, f.first_seen_scan_id) for f in page.items] == [
        ("ab" * 16, "open", "scan_1")
    ]
