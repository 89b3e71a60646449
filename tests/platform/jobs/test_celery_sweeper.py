"""The Celery dispatcher's sweeper on the real brokers (Redis, RabbitMQ): scans whose messages
merely wait in the queue (a backlog) are never re-sent, however long they wait; messages that
are gone (a broker that keeps no data restarted) are re-sent, once, and only as many as are
missing. Also the store's side of it, on both databases."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Queue
from tavo_platform.jobs.celery_dispatcher import CeleryDispatcher
from tavo_platform.settings import Settings
from tavo_platform.store.interface import DispatchBacklog
from tavo_platform.store.records import NewScan
from tavo_platform.store.sql import SqlStore

from tests.support import services

pytestmark = pytest.mark.usefixtures("scale_services")

SCANS = 12
RESEND_SECONDS = 1.0


def new_scan(org_id: str) -> NewScan:
    return NewScan(org_id=org_id, source="git", scan_type="code",
                   repository_url="https://example.invalid/r.git")


class BrokerQueue:
    """The scan queue as seen from outside the dispatcher (a kombu connection of its own)."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self._connection = Connection(url, connect_timeout=5)
        self._channel = self._connection.channel()

    def close(self) -> None:
        self._connection.release()

    def length(self) -> int:
        try:
            return int(self._channel.queue_declare(queue=self.name, passive=True).message_count)
        except Exception as error:
            if getattr(error, "code", None) != 404 and "NOT_FOUND" not in str(error):
                raise
            # An AMQP channel is closed by the error; Redis drops an empty queue.
            self._channel = self._connection.channel()
            return 0

    def purge(self) -> None:
        self._channel.queue_purge(self.name)

    def take(self, count: int) -> list[str]:
        """Removes the `count` oldest messages; returns their scan ids."""
        queue = Queue(self.name, no_declare=True).bind(self._channel)
        taken = []
        for _ in range(count):
            message = queue.get(no_ack=True)
            assert message is not None
            args, _kwargs, _embed = message.decode()
            taken.append(args[0])
        return taken


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def steady(queue: BrokerQueue, expected: int, seconds: float) -> None:
    """The queue holds `expected` messages throughout `seconds` (several sweeps)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert await asyncio.to_thread(queue.length) == expected
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_sweeper_resends_lost_messages_but_never_a_backlog(
    broker: str, postgres_url: str, tmp_path: Path
) -> None:
    queue_url = services.AMQP_URL if broker == "amqp" else services.redis_url()
    settings = Settings(
        data_dir=tmp_path,
        database_url=postgres_url,
        queue_url=queue_url,
        queue_name=f"tavo-test-{uuid.uuid4().hex[:10]}",
        queue_resend_seconds=RESEND_SECONDS,
        scan_lease_seconds=1,  # a sweep every half second
    )

    async def body() -> None:
        store = SqlStore(postgres_url)
        dispatcher = CeleryDispatcher(store, settings)
        queue = BrokerQueue(queue_url, settings.queue_name)
        sends: list[str] = []
        publish = dispatcher._publish

        def counting_publish(scan_ids: Any) -> int:
            scan_ids = list(scan_ids)
            sends.extend(scan_ids)
            return publish(scan_ids)

        dispatcher._publish = counting_publish  # type: ignore[method-assign]
        try:
            org = await store.ensure_organization("acme")
            ids = [(await store.create_scans(org.id, [new_scan(org.id)])).scans[0].id
                   for _ in range(SCANS)]
            dispatcher.notify(*ids)
            await until(lambda: queue.length() == SCANS, 10, "the scans never reached the queue")
            await dispatcher.start()

            # No worker: the messages wait, long past queue_resend_seconds. Nothing is
            # re-sent (the old sweeper re-sent all of them every second here).
            await steady(queue, SCANS, 4 * RESEND_SECONDS)
            assert sends == ids
            assert await store.dispatch_backlog(timedelta(seconds=RESEND_SECONDS)) == \
                DispatchBacklog(waiting=SCANS, orphaned=0, overdue=SCANS)

            # The broker loses every message: each scan is re-sent once.
            await asyncio.to_thread(queue.purge)
            await until(lambda: queue.length() == SCANS, 10, "lost messages were not re-sent")
            await steady(queue, SCANS, 3 * RESEND_SECONDS)
            assert sorted(sends[SCANS:]) == sorted(ids)

            # Three messages go missing: exactly those three are re-sent (the oldest
            # dispatches; the queue is first-in first-out).
            lost = await asyncio.to_thread(queue.take, 3)
            assert len(set(lost)) == 3
            await until(lambda: queue.length() == SCANS, 10, "lost messages were not re-sent")
            await steady(queue, SCANS, 3 * RESEND_SECONDS)
            assert sorted(sends[2 * SCANS:]) == sorted(lost)

            await dispatcher.stop()
            remaining = await asyncio.to_thread(queue.take, SCANS)
            assert sorted(remaining) == sorted(ids)
            assert await asyncio.to_thread(queue.length) == 0
        finally:
            await dispatcher.stop()
            queue.close()
            services.delete_queue(queue_url, settings.queue_name)
            await store.close()

    asyncio.run(body())


def test_sweeper_skips_resends_while_the_broker_cannot_be_asked(
    postgres_url: str, tmp_path: Path
) -> None:
    """Broker down: the overdue scans stay queued (nothing is lost, nothing is re-sent);
    back up and empty (a Redis without persistence), they are all re-sent once."""
    broker = services.PrivateRedis(tmp_path / "broker").start()
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, queue_url=broker.url,
                        queue_resend_seconds=0.5)

    async def body() -> None:
        store = SqlStore(postgres_url)
        dispatcher = CeleryDispatcher(store, settings)
        try:
            org = await store.ensure_organization("acme")
            ids = [s.id for s in (await store.create_scans(org.id, [new_scan(org.id)] * 4)).scans]
            await asyncio.sleep(0.6)
            broker.stop()
            assert await dispatcher.sweep() == 0
            assert (await store.dispatch_backlog(timedelta(seconds=0.5))).overdue == 4
            broker.start()  # same port, empty
            assert await dispatcher.sweep() == 4
            assert await dispatcher.sweep() == 0
            queue = BrokerQueue(broker.url, settings.queue_name)
            try:
                assert queue.length() == 4
                assert sorted(queue.take(4)) == sorted(ids)
            finally:
                queue.close()
        finally:
            await dispatcher.stop()
            await store.close()
            broker.stop()

    asyncio.run(body())


def with_store(url: str, body: Callable[[SqlStore], Awaitable[None]]) -> None:
    async def run() -> None:
        store = SqlStore(url)
        try:
            await body(store)
        finally:
            await store.close()

    asyncio.run(run())


def test_dispatch_backlog_and_a_limit_on_overdue_resends(database_url: str) -> None:
    async def body(store: SqlStore) -> None:
        org = await store.ensure_organization("acme")
        created = [(await store.create_scans(org.id, [new_scan(org.id)])).scans[0]
                   for _ in range(5)]
        orphaned, healthy, *queued = created
        # Windows of a second, not milliseconds: a loaded CI machine may take tens of
        # milliseconds between two statements, which must not make a fresh dispatch overdue.
        assert await store.claim_scan_id(orphaned.id, "dead", timedelta(milliseconds=500))
        assert await store.claim_scan_id(healthy.id, "alive", timedelta(minutes=5))
        await asyncio.sleep(1.2)
        long = timedelta(minutes=1)
        assert await store.dispatch_backlog(long) == \
            DispatchBacklog(waiting=4, orphaned=1, overdue=0)
        short = timedelta(seconds=1)
        assert await store.dispatch_backlog(short) == \
            DispatchBacklog(waiting=4, orphaned=1, overdue=3)
        # Orphans always; of the overdue, the ones dispatched longest ago, up to the limit.
        assert await store.take_undispatched(short, 100, overdue_limit=0) == [orphaned.id]
        assert await store.take_undispatched(short, 100, overdue_limit=2) == \
            [q.id for q in queued[:2]]
        assert await store.dispatch_backlog(short) == \
            DispatchBacklog(waiting=4, orphaned=0, overdue=1)
        await asyncio.sleep(1.1)
        # Now the one never re-sent is the oldest dispatch, then the orphan, then the others.
        assert await store.take_undispatched(short, 100, overdue_limit=2) == \
            [queued[2].id, orphaned.id]
        assert await store.take_undispatched(long, 100, overdue_limit=10) == []

    with_store(database_url, body)
