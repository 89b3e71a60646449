"""The end of a scan's life: recording how a worker finished it, and removing its upload
once nothing will read it again (after it finished, or when it is cancelled before any
worker took it, or deleted)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

from tavo_platform.enums import ScanStatus
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.records import Scan

log = logging.getLogger("tavo.jobs")


def discard_upload(settings: Settings, upload_path: str | None) -> None:
    """Removes a scan's unpacked upload (only ever inside the uploads directory)."""
    if not upload_path:
        return
    upload = Path(upload_path).resolve()
    if upload.is_relative_to(settings.uploads_dir.resolve()):
        shutil.rmtree(upload, ignore_errors=True)


async def finish(
    store: Store,
    settings: Settings,
    scan: Scan,
    worker: str,
    status: str,
    outcome: dict[str, Any],
    error: str | None,
) -> str | None:
    """Records a scan's end as `worker` ran it (only while it still holds the lease) and
    then removes its upload; the status recorded, or None when nothing was (the lease was
    lost, or the database is unreachable: the scan then runs again)."""
    recorded = await _record(store, scan.id, worker, status, outcome, error)
    if recorded is not None:
        # Final: the scan never reads its upload again.
        await asyncio.to_thread(discard_upload, settings, scan.upload_path)
    return recorded


async def _record(
    store: Store,
    scan_id: str,
    worker: str,
    status: str,
    outcome: dict[str, Any],
    error: str | None,
) -> str | None:
    try:
        kept = await store.finish_scan(
            scan_id,
            worker,
            status=status,
            summary=outcome["summary"],
            results=outcome["findings"],
            error=error,
            rules_run=outcome.get("rule_ids"),
        )
    except StoreUnavailable as failure:
        log.warning("could not record scan %s (it will run again): %s", scan_id, failure)
        return None
    except Exception:
        # The results themselves cannot be stored: running the scan again would fail the
        # same way forever, so close it as failed instead.
        log.exception("could not store the results of scan %s", scan_id)
        status, error = ScanStatus.FAILED, "internal error while storing the results"
        try:
            kept = await store.finish_scan(
                scan_id, worker, status=status, summary=None, results=[], error=error
            )
        except StoreUnavailable as failure:
            log.warning("could not record scan %s (it will run again): %s", scan_id, failure)
            return None
    if not kept:
        log.warning("scan %s was taken over by another worker; result dropped", scan_id)
        return None
    return status
