"""Which scans the task queue's sweeper (jobs/celery_dispatcher.py) hands to the broker
again: those waiting for a worker whose message may be lost, and the orphans of dead
workers (their lease expired, see _leases.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tavo_platform.store import _leases
from tavo_platform.store._database import ReadConnection
from tavo_platform.store.schema import scans


@dataclass(frozen=True)
class DispatchBacklog:
    """The scans waiting for a worker (queued, or running with an expired lease), as the
    sweeper of the task queue sees them (see ScanStore.dispatch_backlog)."""

    waiting: int
    # Running scans whose lease expired and that were not re-sent since: sent regardless.
    orphaned: int
    # Waiting scans last handed to the queue more than `resend_after` ago (orphans aside):
    # their message may be lost, or merely waiting in the queue.
    overdue: int


def _conditions(
    moment: datetime, resend_after: timedelta
) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]:
    """(waiting, orphaned, overdue) scans for the task queue's sweeper: waiting for a worker
    (queued, or running with an expired lease); orphaned (lease expired, not re-sent since);
    overdue (waiting, not orphaned, last handed to the queue before `moment - resend_after`;
    the first dispatch of a scan is not recorded: its creation stands for it)."""
    last_sent = func.coalesce(scans.c.dispatched_at, scans.c.created_at)
    cutoff = moment - resend_after
    lapsed = _leases.expired(scans, moment)
    waiting = _leases.claimable(scans, moment)
    orphaned = and_(lapsed, last_sent < scans.c.lease_until)
    overdue = or_(
        and_(scans.c.status == _leases.QUEUED, last_sent < cutoff),
        and_(lapsed, last_sent >= scans.c.lease_until, last_sent < cutoff),
    )
    return waiting, orphaned, overdue


async def backlog(
    connection: ReadConnection, moment: datetime, resend_after: timedelta
) -> DispatchBacklog:
    """How many scans wait for a worker, how many of them are orphaned (their lease ran
    out and they were not re-sent since) and how many are overdue (last handed to the
    task queue more than `resend_after` ago). The sweeper compares the waiting scans with
    the messages in the broker's queue to tell lost messages from a mere backlog."""
    waiting, orphaned, overdue = _conditions(moment, resend_after)
    counted = select(
        func.count().label("waiting"),
        func.coalesce(func.sum(case((orphaned, 1), else_=0)), 0).label("orphaned"),
        func.coalesce(func.sum(case((overdue, 1), else_=0)), 0).label("overdue"),
    ).select_from(scans).where(waiting)
    row = (await connection.execute(counted)).one()
    return DispatchBacklog(
        waiting=int(row.waiting), orphaned=int(row.orphaned), overdue=int(row.overdue)
    )


async def take_undispatched(
    connection: AsyncConnection,
    moment: datetime,
    resend_after: timedelta,
    limit: int,
    overdue_limit: int | None,
) -> list[str]:
    """Scans to (re)send to the task queue: running ones whose lease expired (their
    worker died) that were not re-sent since, and overdue ones — queued, or orphans
    already re-sent, whose last dispatch is older than `resend_after` (their message may
    have been lost with the broker). At most `overdue_limit` overdue ones (all when None),
    those dispatched longest ago first. Their dispatch time is set to now in the same
    transaction, so several API processes sweeping at once never send the same scan
    twice."""
    _, orphaned, overdue = _conditions(moment, resend_after)
    due = or_(orphaned, overdue)
    last_sent = func.coalesce(scans.c.dispatched_at, scans.c.created_at)

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
