"""The scans aggregate: scans (created at most once per idempotency key), their lifecycle
under a worker's lease (see _leases.py), their findings written as they finish, and the
backlog the task queue's sweeper re-sends (see _dispatch.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tavo_platform.enums import ScanStatus
from tavo_platform.store import _dispatch, _leases
from tavo_platform.store._database import SqlAggregate, new_id, now
from tavo_platform.store._dispatch import DispatchBacklog
from tavo_platform.store.read_cache import stamp_of
from tavo_platform.store.records import CreatedScans, NewScan, Page, Scan
from tavo_platform.store.scan_events import after_scan_finished
from tavo_platform.store.scan_results import delete_findings, replace_findings
from tavo_platform.store.scan_stamp import drop_triaged, keep_triaged, read_stamp, scan_scope
from tavo_platform.store.schema import idempotency_keys, scans

CANCELLED = ScanStatus.CANCELLED


@dataclass(frozen=True)
class ClaimCandidate:
    """The oldest claimable scan of one organisation, and how many of its scans run now."""

    scan_id: str
    org_id: str
    running: int


class ScanStore(Protocol):
    # creating and reading (the API side)
    async def create_scans(
        self,
        org_id: str,
        news: Sequence[NewScan],
        idempotency: tuple[str, str] | None = None,
        response: dict[str, Any] | None = None,
    ) -> CreatedScans: ...
    async def idempotent_scans(self, org_id: str, key: str) -> CreatedScans | None: ...
    async def get_scan(self, org_id: str, scan_id: str) -> Scan | None: ...
    def fresh_scan(self, org_id: str, scan_id: str) -> tuple[object, ...] | None:
        """Without any I/O: what `get_scan` (and the triage of the scan's findings) would
        give this organisation now, when the read cache holds it confirmed and nothing has
        changed since (freshness.py), as objects compared by identity: the same tuple
        items mean the same answer. None: ask get_scan."""
        ...

    async def get_scans(self, org_id: str, scan_ids: Sequence[str]) -> list[Scan]: ...
    async def list_scans(
        self, org_id: str, *, status: str | None, offset: int, limit: int
    ) -> Page: ...
    async def repository_scans(self, org_id: str, repository_id: str, limit: int) -> list[Scan]: ...
    async def recent_repository_scans(
        self,
        org_id: str,
        repository_ids: Sequence[str],
        *,
        per_repository: int,
        status: str | None = None,
    ) -> dict[str, list[Scan]]: ...
    async def cancel_scan(self, org_id: str, scan_id: str) -> Scan | None: ...
    async def delete_scan(self, org_id: str, scan_id: str) -> Scan | None: ...
    async def count_queued(self) -> int: ...

    # the worker side
    async def claim_scan(self, worker: str, lease: timedelta) -> Scan | None: ...
    async def claim_scan_id(self, scan_id: str, worker: str, lease: timedelta) -> Scan | None: ...
    async def claim_candidates(self, limit: int) -> list[ClaimCandidate]: ...
    async def renew_lease(self, scan_id: str, worker: str, lease: timedelta) -> bool: ...
    async def is_cancel_requested(self, scan_id: str) -> bool: ...
    async def record_scan_commit(self, scan_id: str, commit_sha: str) -> None:
        """The commit a scan's clone checked out."""
        ...

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
    ) -> bool: ...

    # the task queue's sweeper
    async def dispatch_backlog(self, resend_after: timedelta) -> DispatchBacklog: ...
    async def take_undispatched(
        self, resend_after: timedelta, limit: int, overdue_limit: int | None = None
    ) -> list[str]: ...


def _scan_by_id() -> Select[Any]:
    return select(scans).where(
        scans.c.id == bindparam("scan_id"), scans.c.org_id == bindparam("org_id")
    )


def _scan(row: Row[Any]) -> Scan:
    return Scan(**row._mapping)


def _new_scan_values(new: NewScan) -> dict[str, Any]:
    return {
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
        "status": _leases.QUEUED,
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


class SqlScanStore(SqlAggregate):
    # --- creating ---------------------------------------------------------------------

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
            async with self._db.write() as connection:
                created = [await _insert_scan(connection, new) for new in news]
                if idempotency is not None:
                    await _remember_key(connection, org_id, idempotency, response, created)
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
        async with self._db.read() as connection:
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

    # --- reading ----------------------------------------------------------------------

    async def get_scan(self, org_id: str, scan_id: str) -> Scan | None:
        parameters = {"scan_id": scan_id, "org_id": org_id}
        cache = self._db.read_cache
        cached = cache.scan(org_id, scan_id)
        if cached is not None:
            scan = cached.scan
            mark = None
            freshness = self._db.freshness
            if freshness is not None:
                if cached.confirming is not None:
                    # Another request is reading this scan's stamp: what it finds, if
                    # nothing changed since it began, answers this one too (below).
                    await asyncio.shield(cached.confirming)
                if cached.mark is not None and freshness.unchanged(cached.mark, cached.keys):
                    if cached.triaged is not None and cached.scope is not None:
                        keep_triaged(org_id, cached.scope, scan_id, cached.triaged)
                    return scan
                mark = freshness.mark()
            confirming = cached.confirming = asyncio.get_running_loop().create_future()
            try:
                stamp, triaged = await read_stamp(self._db, scan)
            finally:
                if cached.confirming is confirming:
                    cached.confirming = None
                confirming.set_result(None)
            if stamp == stamp_of(scan):
                shows_triage = cached.scope is not None and scan.summary is not None
                # Served unread later only with all it shows: the triage too, if it has one.
                cached.mark = mark if triaged is not None or not shows_triage else None
                if triaged is None or triaged != cached.triaged:
                    # (the same triage keeps its object: answers made from it stay valid)
                    cached.triaged = triaged
                return scan
            drop_triaged()
            cache.forget_scan(scan_id)
        found = await self._read_scan(parameters)
        if found is not None:
            cache.keep_scan(found, scan_scope(found))
        return found

    def fresh_scan(self, org_id: str, scan_id: str) -> tuple[object, ...] | None:
        cached = self._db.read_cache.scan(org_id, scan_id)
        freshness = self._db.freshness
        if (
            cached is None
            or freshness is None
            or cached.mark is None
            or not freshness.unchanged(cached.mark, cached.keys)
        ):
            return None
        return cached, cached.scan, cached.triaged

    async def _read_scan(self, parameters: dict[str, Any]) -> Scan | None:
        found = await self._db.fetch("scan", lambda: (_scan_by_id(),), parameters)
        if found is not None:
            return Scan(**found[0]) if found else None
        async with self._db.read() as connection:
            row = (await connection.execute(_scan_by_id(), parameters)).first()
        return _scan(row) if row else None

    async def get_scans(self, org_id: str, scan_ids: Sequence[str]) -> list[Scan]:
        if not scan_ids:
            return []
        async with self._db.read() as connection:
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
        async with self._db.read() as connection:
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

    async def repository_scans(self, org_id: str, repository_id: str, limit: int) -> list[Scan]:
        async with self._db.read() as connection:
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
        query = _recent_scans_query(org_id, repository_ids, per_repository, status)
        async with self._db.read() as connection:
            rows = (await connection.execute(query)).all()
        grouped: dict[str, list[Scan]] = {}
        for row in rows:
            scan = _scan(row)
            grouped.setdefault(scan.repository_id or "", []).append(scan)
        return grouped

    async def count_queued(self) -> int:
        async with self._db.read() as connection:
            return int(
                (
                    await connection.execute(
                        select(func.count())
                        .select_from(scans)
                        .where(scans.c.status == _leases.QUEUED)
                    )
                ).scalar_one()
            )

    # --- cancelling and deleting ------------------------------------------------------

    async def cancel_scan(self, org_id: str, scan_id: str) -> Scan | None:
        """A queued scan is cancelled at once; a running one is asked to stop (its worker
        sees `cancel_requested` and finishes it as cancelled)."""
        mine = and_(scans.c.id == scan_id, scans.c.org_id == org_id)
        async with self._db.write() as connection:
            await connection.execute(
                update(scans)
                .where(mine, scans.c.status == _leases.QUEUED)
                .values(status=CANCELLED, finished_at=now(), version=scans.c.version + 1)
            )
            await connection.execute(
                update(scans)
                .where(mine, scans.c.status == _leases.RUNNING)
                .values(cancel_requested=True, version=scans.c.version + 1)
            )
            row = (await connection.execute(select(scans).where(mine))).first()
        return _scan(row) if row else None

    async def delete_scan(self, org_id: str, scan_id: str) -> Scan | None:
        mine = and_(scans.c.id == scan_id, scans.c.org_id == org_id)
        async with self._db.write() as connection:
            row = (await connection.execute(select(scans).where(mine))).first()
            if row is None:
                return None
            await delete_findings(connection, scan_id)
            await connection.execute(delete(scans).where(mine))
        return _scan(row)

    # --- the worker side --------------------------------------------------------------

    async def claim_scan(self, worker: str, lease: timedelta) -> Scan | None:
        """Atomically takes the oldest queued scan, or a running one whose lease ran out."""
        moment = now()
        async with self._db.write() as connection:
            scan_id = await _leases.oldest_claimable(connection, scans, moment)
            if scan_id is None:
                return None
            return await _claimed(connection, scan_id, worker, lease, moment)

    async def claim_candidates(self, limit: int) -> list[ClaimCandidate]:
        """Fair queueing across organisations: each organisation's oldest claimable scan,
        those of organisations running the fewest scans first, then the oldest. A worker
        takes the first whose organisation is below its concurrency (claim_scan_id)."""
        moment = now()
        claimable = _leases.claimable(scans, moment)
        running = (
            select(scans.c.org_id, func.count().label("running_now"))
            .where(scans.c.status == _leases.RUNNING, scans.c.lease_until >= moment)
            .group_by(scans.c.org_id)
            .subquery()
        )
        first = (
            select(scans.c.org_id, func.min(scans.c.created_at).label("first"))
            .where(claimable)
            .group_by(scans.c.org_id)
            .subquery()
        )
        count = func.coalesce(running.c.running_now, 0)
        query = (
            select(scans.c.id, scans.c.org_id, count.label("running_now"))
            .join(
                first, and_(scans.c.org_id == first.c.org_id, scans.c.created_at == first.c.first)
            )
            .outerjoin(running, running.c.org_id == scans.c.org_id)
            .where(claimable)
            .order_by(count, scans.c.created_at)
            .limit(limit)
        )
        async with self._db.read() as connection:
            rows = (await connection.execute(query)).all()
        return [ClaimCandidate(row.id, row.org_id, int(row.running_now)) for row in rows]

    async def claim_scan_id(self, scan_id: str, worker: str, lease: timedelta) -> Scan | None:
        """Atomically takes one given scan if it is claimable (queued, or running with an
        expired lease): the claim is a single conditional UPDATE, so of any number of
        workers handed the same scan exactly one gets it."""
        async with self._db.write() as connection:
            return await _claimed(connection, scan_id, worker, lease, now())

    async def renew_lease(self, scan_id: str, worker: str, lease: timedelta) -> bool:
        async with self._db.write() as connection:
            return await _leases.heartbeat(connection, scans, scan_id, worker, lease, now())

    async def is_cancel_requested(self, scan_id: str) -> bool:
        async with self._db.read() as connection:
            value = (
                await connection.execute(
                    select(scans.c.cancel_requested).where(scans.c.id == scan_id)
                )
            ).scalar_one_or_none()
        return bool(value)

    async def record_scan_commit(self, scan_id: str, commit_sha: str) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                update(scans).where(scans.c.id == scan_id).values(commit_sha=commit_sha[:64])
            )

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
        async with self._db.write() as connection:
            held = await _leases.finish(
                connection,
                scans,
                scan_id,
                worker,
                now(),
                status=status,
                summary=summary,
                error=error,
            )
            if held:
                await replace_findings(connection, scan_id, results)
                await after_scan_finished(connection, scan_id, status, rules_run)
        return held

    # --- the task queue's sweeper -----------------------------------------------------

    async def dispatch_backlog(self, resend_after: timedelta) -> DispatchBacklog:
        async with self._db.read() as connection:
            return await _dispatch.backlog(connection, now(), resend_after)

    async def take_undispatched(
        self, resend_after: timedelta, limit: int, overdue_limit: int | None = None
    ) -> list[str]:
        async with self._db.write() as connection:
            return await _dispatch.take_undispatched(
                connection, now(), resend_after, limit, overdue_limit
            )


async def _insert_scan(connection: AsyncConnection, new: NewScan) -> Scan:
    values = _new_scan_values(new)
    await connection.execute(insert(scans).values(**values))
    return Scan(**values)


async def _remember_key(
    connection: AsyncConnection,
    org_id: str,
    idempotency: tuple[str, str],
    response: dict[str, Any] | None,
    created: Sequence[Scan],
) -> None:
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


async def _claimed(
    connection: AsyncConnection, scan_id: str, worker: str, lease: timedelta, moment: datetime
) -> Scan | None:
    if not await _leases.claim(connection, scans, scan_id, worker, lease, moment):
        return None
    row = (await connection.execute(select(scans).where(scans.c.id == scan_id))).one()
    return _scan(row)


def _recent_scans_query(
    org_id: str, repository_ids: Sequence[str], per_repository: int, status: str | None
) -> Select[Any]:
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
    return (
        select(*(ranked.c[column.name] for column in scans.columns))
        .where(ranked.c.recency_rank <= per_repository)
        .order_by(ranked.c.repository_id, ranked.c.recency_rank)
    )
