"""Tracked findings over SQL (composed into SqlStore, on the database it shares).

Tracking a scan runs in one transaction that first claims the scan (`tracked_at`), so a
scan's findings are taken in exactly once however many processes try; on PostgreSQL a
transaction-scoped advisory lock per scope serialises scans of the same repository, so
two of them never race to insert the same new fingerprint.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from tavo_platform.enums import ScanStatus
from tavo_platform.findings.lifecycle import (
    Detection,
    Known,
    Triage,
    effective_status,
    plan,
    scope_of,
)
from tavo_platform.store._database import SqlAggregate
from tavo_platform.store.event_data import finding_event_data
from tavo_platform.store.findings import (
    FindingEvent,
    Ingested,
    TrackedFilter,
    TrackedFinding,
)
from tavo_platform.store.records import Page, Scan
from tavo_platform.store.scan_stamp import drop_triaged, take_triaged
from tavo_platform.store.schema import finding_events, findings, scans, tracked_findings
from tavo_platform.store.webhooks_sql import enqueue

_BATCH = 500
_T = tracked_findings.c


def _now() -> datetime:
    return datetime.now(UTC)


def _tracked(row: Row[Any]) -> TrackedFinding:
    return TrackedFinding(**row._mapping)


def _event(row: Row[Any]) -> FindingEvent:
    return FindingEvent(**row._mapping)


def _escaped_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(org_id: str, flt: TrackedFilter) -> Any:
    condition = _T.org_id == org_id
    if flt.repository_id is not None:
        condition = and_(condition, _T.repository_id == flt.repository_id)
    if flt.project is not None:
        condition = and_(condition, _T.scope == scope_of(None, flt.project))
    for column, wanted in (
        (_T.status, flt.status),
        (_T.severity, flt.severity),
        (_T.rule_id, flt.rule_id),
        (_T.category, flt.category),
        (_T.owasp_llm, flt.owasp_llm),
    ):
        if wanted:
            condition = and_(condition, column.in_(list(dict.fromkeys(wanted))))
    if flt.path_prefix:
        condition = and_(condition, _T.path.like(_escaped_prefix(flt.path_prefix), escape="\\"))
    if flt.first_seen_after is not None:
        condition = and_(condition, _T.first_seen_at > flt.first_seen_after)
    return condition


def _columns_of(document: dict[str, Any]) -> dict[str, Any]:
    """The filterable columns of a finding document, truncated to their column sizes."""
    return {
        "rule_id": str(document.get("rule_id", ""))[:100],
        "severity": str(document.get("severity", "INFO"))[:10],
        "category": str(document.get("category") or "")[:100],
        "owasp_llm": (str(document["owasp_llm"])[:20] if document.get("owasp_llm") else None),
        "path": str(document.get("path", ""))[:2048],
        "start_line": int(document.get("start_line") or 0),
    }


class FindingsSql(SqlAggregate):
    async def untracked_scans(self, limit: int) -> list[Scan]:
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    select(scans)
                    .where(scans.c.status == ScanStatus.COMPLETED, scans.c.tracked_at.is_(None))
                    .order_by(scans.c.created_at)
                    .limit(limit)
                )
            ).all()
        return [Scan(**row._mapping) for row in rows]

    async def ingest_scan_findings(
        self, scan_id: str, rules_run: Collection[str] | None
    ) -> Ingested | None:
        async with self._db.write() as connection:
            return await ingest_in(connection, scan_id, rules_run)

    async def list_tracked_findings(
        self, org_id: str, flt: TrackedFilter, *, offset: int, limit: int
    ) -> Page:
        condition = _conditions(org_id, flt)
        async with self._db.read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(tracked_findings).where(condition)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(tracked_findings)
                    .where(condition)
                    .order_by(_T.seq.desc())
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([_tracked(row) for row in rows], int(total))

    async def tracked_findings_before(
        self, org_id: str, flt: TrackedFilter, before_seq: int | None, limit: int
    ) -> list[TrackedFinding]:
        condition = _conditions(org_id, flt)
        if before_seq is not None:
            condition = and_(condition, _T.seq < before_seq)
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    select(tracked_findings).where(condition).order_by(_T.seq.desc()).limit(limit)
                )
            ).all()
        return [_tracked(row) for row in rows]

    async def get_tracked_finding(self, org_id: str, finding_id: str) -> TrackedFinding | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    select(tracked_findings).where(_T.id == finding_id, _T.org_id == org_id)
                )
            ).first()
        return _tracked(row) if row else None

    async def triage_finding(
        self, org_id: str, finding_id: str, status: str, actor: str, comment: str | None
    ) -> tuple[TrackedFinding, FindingEvent] | None:
        mine = and_(_T.id == finding_id, _T.org_id == org_id)
        drop_triaged()
        async with self._db.write() as connection:
            row = (
                await connection.execute(select(tracked_findings).where(mine).with_for_update())
            ).first()
            if row is None:
                return None
            triage = status if status in set(Triage) else None
            moment = _now()
            new_status = effective_status(row.detection, triage)
            await connection.execute(
                update(tracked_findings)
                .where(mine)
                .values(
                    triage=triage,
                    triage_by=actor if triage else None,
                    triage_at=moment if triage else None,
                    triage_comment=comment if triage else None,
                    status=new_status,
                    updated_at=moment,
                )
            )
            event: dict[str, Any] = {
                "finding_id": finding_id,
                "kind": "triaged",
                "from_status": row.status,
                "to_status": new_status,
                "actor": actor,
                "comment": comment,
                "scan_id": None,
                "created_at": moment,
            }
            seq = (
                await connection.execute(
                    insert(finding_events).values(**event).returning(finding_events.c.seq)
                )
            ).scalar_one()
            updated = (await connection.execute(select(tracked_findings).where(mine))).one()
            await enqueue(
                connection,
                org_id,
                "finding.triaged",
                {
                    "finding": {**finding_event_data(updated), "triage": updated.triage},
                    "from_status": row.status,
                    "actor": actor,
                    "comment": comment,
                },
            )
        return _tracked(updated), FindingEvent(seq=int(seq), **event)

    async def finding_history(
        self, org_id: str, finding_id: str, *, offset: int, limit: int
    ) -> Page:
        owned = select(_T.id).where(_T.id == finding_id, _T.org_id == org_id)
        condition = finding_events.c.finding_id.in_(owned.scalar_subquery())
        async with self._db.read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(finding_events).where(condition)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(finding_events)
                    .where(condition)
                    .order_by(finding_events.c.seq)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([_event(row) for row in rows], int(total))

    async def triaged_in_scan(self, org_id: str, scope: str, scan_id: str) -> list[TrackedFinding]:
        taken = take_triaged(org_id, scope, scan_id)
        if taken is not None:  # read with the scan's stamp, in this request (scan_stamp.py)
            return taken
        parameters = {"scan_id": scan_id, "scope": scope, "org_id": org_id}
        found = await self._db.fetch("triaged-in-scan", lambda: (_triaged_in_scan(),), parameters)
        if found is not None:
            return [TrackedFinding(**row) for row in found]
        async with self._db.read() as connection:
            rows = (await connection.execute(_triaged_in_scan(), parameters)).all()
        return [_tracked(row) for row in rows]


def _triaged_in_scan() -> Select[Any]:
    """A scan's findings that are triaged in its scope (bound: scan_id, scope, org_id)."""
    joined = tracked_findings.join(
        findings,
        and_(findings.c.scan_id == bindparam("scan_id"), findings.c.fingerprint == _T.fingerprint),
    )
    return (
        select(tracked_findings)
        .select_from(joined)
        .where(_T.scope == bindparam("scope"), _T.triage.is_not(None),
               _T.org_id == bindparam("org_id"))
        .order_by(_T.seq)
    )


async def ingest_in(
    connection: AsyncConnection, scan_id: str, rules_run: Collection[str] | None
) -> Ingested | None:
    """Tracks a completed scan's findings within the caller's transaction (the one that
    records the scan's results, so readers never see a completed scan whose findings are
    not tracked yet); None when it is not completed or was tracked already."""
    row = (await connection.execute(select(scans).where(scans.c.id == scan_id))).first()
    if row is None or row.status != ScanStatus.COMPLETED or row.tracked_at is not None:
        return None
    scan = Scan(**row._mapping)
    scope = scope_of(scan.repository_id, scan.project)
    if scope is not None and connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(scope))))
    moment = _now()
    claimed = await connection.execute(
        update(scans)
        .where(scans.c.id == scan_id, scans.c.tracked_at.is_(None))
        .values(tracked_at=moment)
    )
    if claimed.rowcount != 1:
        return None
    if scope is None or scan.base_ref or await _newer_tracked(connection, scan):
        return Ingested(scan, applied=False)
    return await _apply(connection, scan, scope, rules_run, moment)


async def _newer_tracked(connection: AsyncConnection, scan: Scan) -> bool:
    """Whether a later scan of the same scope was tracked already: an older scan finishing
    late must not undo what the newer one found."""
    same_scope = (
        scans.c.repository_id == scan.repository_id
        if scan.repository_id
        else and_(scans.c.repository_id.is_(None), scans.c.project == scan.project)
    )
    found = (
        await connection.execute(
            select(scans.c.id)
            .where(
                same_scope,
                scans.c.id != scan.id,
                scans.c.status == ScanStatus.COMPLETED,
                scans.c.base_ref.is_(None),
                scans.c.tracked_at.is_not(None),
                scans.c.created_at > scan.created_at,
            )
            .limit(1)
        )
    ).first()
    return found is not None


async def _apply(
    connection: AsyncConnection,
    scan: Scan,
    scope: str,
    rules_run: Collection[str] | None,
    moment: datetime,
) -> Ingested:
    found = {
        row.fingerprint: row.data
        for row in await connection.execute(
            select(findings.c.fingerprint, findings.c.data).where(findings.c.scan_id == scan.id)
        )
    }
    known = {
        row.fingerprint: Known(row.id, row.fingerprint, row.rule_id, row.detection)
        for row in await connection.execute(
            select(_T.id, _T.fingerprint, _T.rule_id, _T.detection).where(
                _T.org_id == scan.org_id, _T.scope == scope
            )
        )
    }
    changes = plan(known, found, rules_run)
    fresh = [(fingerprint, found[fingerprint]) for fingerprint in changes.new]
    new_ids = await _insert_new(connection, scan, scope, fresh, moment)
    seen = [(known[fp].id, document) for fp, document in found.items() if fp in known]
    await _refresh_seen(connection, scan.id, seen, moment)
    await _move(connection, changes.reopened, Detection.REOPENED, scan.id, moment)
    await _move(connection, changes.fixed, Detection.FIXED, scan.id, moment)
    return Ingested(scan, True, new_ids, changes.reopened, changes.fixed)


async def _insert_new(
    connection: AsyncConnection,
    scan: Scan,
    scope: str,
    documents: Sequence[tuple[str, dict[str, Any]]],
    moment: datetime,
) -> list[str]:
    rows = [
        {
            "id": f"fnd_{uuid.uuid4().hex}",
            "org_id": scan.org_id,
            "scope": scope,
            "repository_id": scan.repository_id,
            "fingerprint": fingerprint,
            **_columns_of(document),
            "detection": Detection.OPEN.value,
            "status": Detection.OPEN.value,
            "triage": None,
            "triage_by": None,
            "triage_at": None,
            "triage_comment": None,
            "first_seen_scan_id": scan.id,
            "last_seen_scan_id": scan.id,
            "fixed_scan_id": None,
            "first_seen_at": moment,
            "last_seen_at": moment,
            "updated_at": moment,
            "data": document,
        }
        for fingerprint, document in documents
    ]
    events = [
        {
            "finding_id": row["id"],
            "kind": "detected",
            "from_status": None,
            "to_status": Detection.OPEN.value,
            "actor": None,
            "comment": None,
            "scan_id": scan.id,
            "created_at": moment,
        }
        for row in rows
    ]
    for start in range(0, len(rows), _BATCH):
        await connection.execute(insert(tracked_findings), rows[start : start + _BATCH])
        await connection.execute(insert(finding_events), events[start : start + _BATCH])
    return [row["id"] for row in rows]


async def _refresh_seen(
    connection: AsyncConnection,
    scan_id: str,
    seen: Sequence[tuple[str, dict[str, Any]]],
    moment: datetime,
) -> None:
    """Known findings seen again carry this scan's document (lines move, snippets change)."""
    if not seen:
        return
    statement = (
        update(tracked_findings)
        .where(_T.id == bindparam("finding_id"))
        .values(
            last_seen_scan_id=scan_id,
            last_seen_at=moment,
            data=bindparam("document"),
            severity=bindparam("new_severity"),
            path=bindparam("new_path"),
            start_line=bindparam("new_start_line"),
        )
    )
    rows = []
    for finding_id, document in seen:
        columns = _columns_of(document)
        rows.append(
            {
                "finding_id": finding_id,
                "document": document,
                "new_severity": columns["severity"],
                "new_path": columns["path"],
                "new_start_line": columns["start_line"],
            }
        )
    for start in range(0, len(rows), _BATCH):
        await connection.execute(statement, rows[start : start + _BATCH])


async def _move(
    connection: AsyncConnection,
    finding_ids: Sequence[str],
    detection: Detection,
    scan_id: str,
    moment: datetime,
) -> None:
    """Fixed or reopened by a scan: the status follows unless a triage state holds it."""
    for start in range(0, len(finding_ids), _BATCH):
        batch = list(finding_ids[start : start + _BATCH])
        before = {
            row.id: (row.status, row.triage)
            for row in await connection.execute(
                select(_T.id, _T.status, _T.triage).where(_T.id.in_(batch))
            )
        }
        await connection.execute(
            update(tracked_findings)
            .where(_T.id.in_(batch))
            .values(
                detection=detection.value,
                status=func.coalesce(_T.triage, detection.value),
                fixed_scan_id=scan_id if detection == Detection.FIXED else None,
                updated_at=moment,
            )
        )
        await connection.execute(
            insert(finding_events),
            [
                {
                    "finding_id": finding_id,
                    "kind": detection.value,
                    "from_status": before[finding_id][0],
                    "to_status": effective_status(detection.value, before[finding_id][1]),
                    "actor": None,
                    "comment": None,
                    "scan_id": scan_id,
                    "created_at": moment,
                }
                for finding_id in batch
            ],
        )
