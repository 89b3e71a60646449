"""What follows a scan's end, in the transaction that records it: its findings join the
tracked findings, and the webhooks' events (`scan.completed`/`scan.failed`, `finding.new`)
are written to the outbox. Readers and receivers never see one without the other."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tavo_platform.enums import ScanStatus
from tavo_platform.store.event_data import finding_event_data, scan_event_data
from tavo_platform.store.findings_sql import ingest_in
from tavo_platform.store.schema import scans, tracked_findings
from tavo_platform.store.webhooks_sql import enqueue

# A finding.new event lists at most this many findings (and says how many there are).
NEW_FINDINGS_PER_EVENT = 100


async def after_scan_finished(
    connection: AsyncConnection, scan_id: str, status: str, rules_run: Collection[str] | None
) -> None:
    completed = status == ScanStatus.COMPLETED
    ingested = await ingest_in(connection, scan_id, rules_run) if completed else None
    if status not in (ScanStatus.COMPLETED, ScanStatus.FAILED):
        return
    row = (await connection.execute(select(scans).where(scans.c.id == scan_id))).one()
    await enqueue(connection, row.org_id, f"scan.{status}", {"scan": scan_event_data(row)})
    if ingested is None or not ingested.new:
        return
    shown = ingested.new[:NEW_FINDINGS_PER_EVENT]
    found = (
        await connection.execute(
            select(tracked_findings).where(tracked_findings.c.id.in_(shown))
        )
    ).all()
    await enqueue(
        connection,
        row.org_id,
        "finding.new",
        {
            "scan_id": scan_id,
            "repository_id": row.repository_id,
            "project": row.project,
            "total": len(ingested.new),
            "findings": [finding_event_data(f) for f in found],
        },
    )
