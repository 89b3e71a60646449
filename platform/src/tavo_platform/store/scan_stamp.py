"""The stamp read that confirms a cached finished scan (read_cache.py), and, for a scan in a
scope, the triage of its findings read by the same statement: a GET of a finished scan or
of a page of its results then costs the database one round trip, where the stamp and the
triage of the scan's findings were two.

The triage rows go to the request that read them only: they are kept in a context variable
(a request runs in a task of its own, with its own context) and taken by the first
`triaged_in_scan` for that very scan, right after, in the same request. A triage written
in between by the same task drops them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import Select, and_, bindparam, select

from tavo_platform.findings.lifecycle import scope_of
from tavo_platform.store._database import Database
from tavo_platform.store.findings import TrackedFinding
from tavo_platform.store.read_cache import ScanStamp
from tavo_platform.store.records import Scan
from tavo_platform.store.schema import findings, scans, tracked_findings

_T = tracked_findings.c
_TRACKED_COLUMNS = tuple(str(column.key) for column in tracked_findings.c)

# (org_id, scope, scan_id, the triaged findings) read with the stamp in this task.
_TRIAGED: ContextVar[tuple[str, str, str, list[TrackedFinding]] | None] = ContextVar(
    "tavo_triaged_with_stamp", default=None
)


def scan_stamp() -> Select[Any]:
    """What can still change on a finished scan (bound: scan_id, org_id)."""
    return select(scans.c.version, scans.c.status, scans.c.tracked_at).where(
        scans.c.id == bindparam("scan_id"), scans.c.org_id == bindparam("org_id")
    )


def scan_stamp_and_triaged() -> Select[Any]:
    """The stamp, and each of the scan's findings triaged in `scope` (a row each; one row
    with no finding when there is none). Bound: scan_id, org_id, scope."""
    triaged = tracked_findings.join(findings, findings.c.fingerprint == _T.fingerprint)
    joined = scans.outerjoin(
        triaged,
        and_(
            findings.c.scan_id == scans.c.id,
            _T.scope == bindparam("scope"),
            _T.triage.is_not(None),
            _T.org_id == scans.c.org_id,
        ),
    )
    return (
        select(
            scans.c.version.label("stamp_version"),
            scans.c.status.label("stamp_status"),
            scans.c.tracked_at.label("stamp_tracked_at"),
            *tracked_findings.c,
        )
        .select_from(joined)
        .where(scans.c.id == bindparam("scan_id"), scans.c.org_id == bindparam("org_id"))
        .order_by(_T.seq)
    )


def scan_scope(scan: Scan) -> str | None:
    """Where the triage of a scan's findings lives (findings.lifecycle.scope_of)."""
    return scope_of(scan.repository_id, scan.project)


async def read_stamp(
    db: Database, cached: Scan
) -> tuple[ScanStamp | None, list[TrackedFinding] | None]:
    """The stamp of a cached scan as the database has it now (None: gone). For a scan whose
    triage the API shows, the triage rows read with it are left for this request, and
    returned (else None)."""
    parameters: dict[str, Any] = {"scan_id": cached.id, "org_id": cached.org_id}
    scope = scope_of(cached.repository_id, cached.project)
    if scope is not None and cached.summary is not None:
        parameters["scope"] = scope
        rows = await db.fetch("scan-stamp-triaged", lambda: (scan_stamp_and_triaged(),), parameters)
        if rows is not None:
            if not rows:
                return None, None
            first = rows[0]
            triaged = [
                TrackedFinding(**{name: row[name] for name in _TRACKED_COLUMNS})
                for row in rows
                if row["id"] is not None
            ]
            _TRIAGED.set((cached.org_id, scope, cached.id, triaged))
            stamp = first["stamp_version"], first["stamp_status"], first["stamp_tracked_at"]
            return stamp, triaged
    found = await db.fetch("scan-stamp", lambda: (scan_stamp(),), parameters)
    if found is not None:
        if not found:
            return None, None
        return (found[0]["version"], found[0]["status"], found[0]["tracked_at"]), None
    async with db.read() as connection:
        row = (await connection.execute(scan_stamp(), parameters)).first()
    return ((row.version, row.status, row.tracked_at) if row else None), None


def keep_triaged(org_id: str, scope: str, scan_id: str, triaged: list[TrackedFinding]) -> None:
    """The triage of a scan read with its stamp earlier and still current (freshness.py),
    left for this request as read_stamp leaves it."""
    _TRIAGED.set((org_id, scope, scan_id, triaged))


def take_triaged(org_id: str, scope: str, scan_id: str) -> list[TrackedFinding] | None:
    """The triaged findings read with this scan's stamp in this request, once."""
    kept = _TRIAGED.get()
    if kept is None or kept[:3] != (org_id, scope, scan_id):
        return None
    _TRIAGED.set(None)
    return kept[3]


def drop_triaged() -> None:
    _TRIAGED.set(None)
