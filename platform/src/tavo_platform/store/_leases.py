"""The lease lifecycle that scans and analyses share, over any table with the columns
status, worker, lease_until, started_at, attempts and version.

- claim: a queued row, or a running one whose lease expired (its worker died), becomes
  running under a worker's lease, in one conditional UPDATE, so of any number of workers
  racing for a row exactly one wins; a re-claim counts one more attempt.
- heartbeat: the worker holding a row extends its lease.
- expire: a lease that ran out makes its row claimable again (nothing writes that: the
  conditions below say it), and the worker that lost it can no longer heartbeat or finish.
- finish: the holder closes the row and releases the lease.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tavo_platform.enums import ScanStatus

QUEUED = ScanStatus.QUEUED
RUNNING = ScanStatus.RUNNING


def expired(table: Table, moment: datetime) -> ColumnElement[bool]:
    """Running, but its lease ran out before `moment`: its worker is presumed dead."""
    return and_(table.c.status == RUNNING, table.c.lease_until < moment)


def claimable(table: Table, moment: datetime) -> ColumnElement[bool]:
    """Waiting for a worker: queued, or running under an expired lease."""
    return or_(table.c.status == QUEUED, expired(table, moment))


def held_by(table: Table, row_id: str, worker: str) -> ColumnElement[bool]:
    """The row, only while `worker` holds its lease (heartbeats and finishing check it)."""
    return and_(table.c.id == row_id, table.c.worker == worker, table.c.status == RUNNING)


async def oldest_claimable(
    connection: AsyncConnection, table: Table, moment: datetime
) -> str | None:
    """The id of the oldest claimable row, locked (SKIP LOCKED: concurrent claimers on
    PostgreSQL each get a different row; SQLite's write lock serialises them anyway)."""
    row = (
        await connection.execute(
            select(table.c.id)
            .where(claimable(table, moment))
            .order_by(table.c.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    return None if row is None else str(row.id)


async def claim(
    connection: AsyncConnection, table: Table, row_id: str, worker: str, lease: timedelta,
    moment: datetime,
) -> bool:
    """Takes the row for `worker` if it is claimable: whether this worker got it."""
    claimed = await connection.execute(
        update(table)
        .where(table.c.id == row_id, claimable(table, moment))
        .values(
            status=RUNNING,
            worker=worker,
            lease_until=moment + lease,
            started_at=func.coalesce(table.c.started_at, moment),
            attempts=table.c.attempts + 1,
            version=table.c.version + 1,
        )
    )
    return claimed.rowcount == 1


async def heartbeat(
    connection: AsyncConnection, table: Table, row_id: str, worker: str, lease: timedelta,
    moment: datetime,
) -> bool:
    """Extends the lease `worker` holds: false once it lost the row (expired and re-claimed,
    cancelled or finished)."""
    renewed = await connection.execute(
        update(table).where(held_by(table, row_id, worker)).values(lease_until=moment + lease)
    )
    return renewed.rowcount == 1


async def finish(
    connection: AsyncConnection, table: Table, row_id: str, worker: str, moment: datetime,
    **outcome: Any,
) -> bool:
    """Closes the row with `outcome` (status, summary, error...) and releases the lease, only
    if `worker` still holds it: whether it did."""
    finished = await connection.execute(
        update(table)
        .where(held_by(table, row_id, worker))
        .values(**outcome, finished_at=moment, lease_until=None, version=table.c.version + 1)
    )
    return finished.rowcount == 1
