"""The real services the scale-out tests run on: PostgreSQL, Redis, RabbitMQ.

Addresses come from TEST_POSTGRES_URL, TEST_REDIS_URL and TEST_AMQP_URL (defaults: the
services on this machine, which scripts/ensure-services starts). A service that does not
answer fails the test that needs it, with the address in the message: nothing is skipped.

Isolation: every deployment gets its own PostgreSQL database (created here, dropped after)
and its own broker queue (a unique name, deleted after); rate-limit counters are per API key,
and keys are new in every test. Nothing is ever flushed: several test sessions may share the
services (developers' and CI's), and a flush would wipe another session's counters.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
# The Redis database the tests use (not 0, which a developer's own deployment may use).
TEST_REDIS_DB = 8


class ServiceDown(AssertionError):
    """A service the test needs is not running: a failure, never a skip."""


def require(url: str, name: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    assert port is not None, url
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as error:
        raise ServiceDown(
            f"{name} is not reachable at {host}:{port} ({error}); start it with "
            "scripts/ensure-services"
        ) from None


@pytest.fixture(scope="session")
def scale_services() -> None:
    """PostgreSQL, Redis and RabbitMQ must answer (a failure, not a skip, when one does
    not)."""
    require(POSTGRES_URL, "PostgreSQL")
    require(REDIS_URL, "Redis")
    require(AMQP_URL, "RabbitMQ")


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + database


async def admin_sql(statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(prefix: str = "tavo_test") -> str:
    """A new, empty database on the test server; returns its SQLAlchemy URL."""
    require(POSTGRES_URL, "PostgreSQL")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    return _with_database(POSTGRES_URL, name)


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    # FORCE: also when a killed process's backend has not gone away yet.
    asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_database(prefix: str = "tavo_test") -> Iterator[str]:
    url = create_database(prefix)
    try:
        yield url
    finally:
        drop_database(url)


def migrated_template(prefix: str = "tavo_tpl") -> str:
    """A new database migrated to head, to clone fresh databases from (cheaper than
    migrating each one); drop it with drop_database."""
    from tavo_platform.store.migrate import upgrade

    url = create_database(prefix)
    try:
        upgrade(url)
    except BaseException:
        drop_database(url)
        raise
    return url


@contextmanager
def cloned_database(template_url: str) -> Iterator[str]:
    """A fresh copy of a (migrated) template database, dropped afterwards."""
    name = f"tavo_test_{uuid.uuid4().hex[:12]}"
    template = template_url.rsplit("/", 1)[1]
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _with_database(template_url, name)
    try:
        yield url
    finally:
        drop_database(url)


def terminate_backends(url: str) -> int:
    """pg_terminate_backend on every connection to the database of `url`."""
    name = url.rsplit("/", 1)[1]

    async def terminate() -> int:
        connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=10)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
            )
        finally:
            await connection.close()

    return asyncio.run(terminate())


def redis_url(db: int = TEST_REDIS_DB) -> str:
    return f"{REDIS_URL.rstrip('/')}/{db}"


def delete_queue(broker_url: str, queue: str) -> None:
    """Removes a test deployment's broker queue: RabbitMQ queues are durable, and Celery's
    Redis transport leaves a binding key per queue behind."""
    if broker_url.startswith("amqp"):
        from kombu import Connection

        with Connection(broker_url, connect_timeout=5) as connection:
            connection.default_channel.queue_delete(queue)
        return
    client = redis.Redis.from_url(broker_url, socket_connect_timeout=5)
    try:
        # The name is unique (a random suffix): every key holding it belongs to this queue
        # (the list, its priority lists, the binding set).
        stale = list(client.scan_iter(match=f"*{queue}*", count=1000))
        if stale:
            client.delete(*stale)
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and start at will (the
    shared one on 6379 serves every other test)."""

    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is not installed (scripts/ensure-services installs it)"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [executable, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None
