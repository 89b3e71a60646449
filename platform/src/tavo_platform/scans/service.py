"""The one service that creates, admits, enqueues and cancels scans. Every way a scan is
made goes through it: the single, bulk and upload routes, schedules and inbound hooks.

Every creation takes the same steps, in this order, and stops at the first refusal:

1. validate   - the request itself: repository URL policy, rule selectors, the archive;
2. authorise  - the caller's key and scope are checked by the server before the request
                reaches the service; the service checks that what the request names (a
                schedule's repository) belongs to the organisation;
3. budget     - check the caller's scan budget and charge it (one atomic step, the
                `charge` callable), only for a request that passed 1 and 2;
4. persist    - repository, scans and the idempotency record, in the store;
5. enqueue    - tell the job dispatcher the scans are waiting.

So a refused request charges nothing and writes nothing. An Idempotency-Key is looked up
before step 1: a retry returns what the first request made, whatever it would cost now.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tavo_platform.enums import ScanSource, ScanStatus, ScanType
from tavo_platform.errors import BudgetExceeded, Conflict, DomainError, NotFound
from tavo_platform.fetch.archive import ArchiveLimits, inspect, unpack
from tavo_platform.jobs.interface import JobDispatcher
from tavo_platform.scans import checks
from tavo_platform.scans.bulk import BulkPlan, ItemErrorBody
from tavo_platform.scans.lifecycle import discard_upload
from tavo_platform.scans.requests import (
    BUDGET_MESSAGE,
    Admitted,
    BulkAdmitted,
    C,
    Charger,
    GitScanRequest,
    Idempotency,
    UploadScanRequest,
)
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store
from tavo_platform.store.records import CreatedScans, NewScan, Repository, Scan
from tavo_platform.store.schedules import Schedule

MAX_SCAN_ID_LENGTH = 64
# Marks idempotency records of bulk creates, so they are never read as a single create's
# record (and vice versa: the request fingerprints differ as well).
BULK_RECORD = "bulk-create"


def key_reused() -> Conflict:
    return Conflict(
        "this Idempotency-Key was used with a different request body",
        code="IDEMPOTENCY_KEY_REUSED",
    )


def check_replay(created: CreatedScans, fingerprint: str, kind: str | None = None) -> None:
    """A stored outcome may be replayed only to the request that made it."""
    if created.request_hash != fingerprint:
        raise key_reused()
    if kind is not None and created.response.get("kind") != kind:
        raise key_reused()


def _stored_key(idempotency: Idempotency | None) -> tuple[str, str] | None:
    return (idempotency.key, idempotency.fingerprint) if idempotency else None


class ScanService:
    def __init__(self, store: Store, jobs: JobDispatcher, settings: Settings | None = None):
        self._store = store
        self._jobs = jobs
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:  # schedules and hooks need none; creation from requests do
            raise RuntimeError("this ScanService was made without settings")
        return self._settings

    # --- single creates ---------------------------------------------------------------

    async def create(
        self,
        org_id: str,
        request: GitScanRequest,
        charge: Charger[C],
        idempotency: Idempotency | None = None,
    ) -> Admitted[C]:
        """One scan of a git repository (POST /scans)."""
        replay = await self._replay(org_id, idempotency)
        if replay is not None:
            return replay
        problems = await checks.url_problems(self.settings, [request.repository_url])
        if problems:
            raise checks.invalid_url(request.repository_url, problems[request.repository_url])
        await checks.check_rules(self._store, org_id, list(request.rules))
        decision = await self._charge(charge)
        repository = await self._store.upsert_repository(
            org_id, request.repository_url, checks.repository_name(request.repository_url)
        )
        created = await self._store.create_scans(
            org_id, [_git_scan(org_id, request, repository)], _stored_key(idempotency)
        )
        return self._admitted(created, idempotency, decision)

    async def create_upload(
        self,
        org_id: str,
        request: UploadScanRequest,
        charge: Charger[C],
        idempotency: Idempotency | None = None,
    ) -> Admitted[C]:
        """One scan of an uploaded archive (POST /uploads/scans): the whole archive is
        checked before the budget is charged for it."""
        replay = await self._replay(org_id, idempotency)
        if replay is not None:
            return replay
        await checks.check_rules(self._store, org_id, list(request.rules))
        limits = ArchiveLimits(
            min(self.settings.max_upload_files, request.max_entries),
            self.settings.max_upload_unpacked_bytes,
        )
        await checks.archive_checked(inspect, request.archive, limits)
        decision = await self._charge(charge)
        destination = self.settings.uploads_dir / uuid.uuid4().hex
        unpacked = await checks.archive_checked(unpack, request.archive, destination, limits)
        new = NewScan(
            org_id=org_id,
            source=ScanSource.UPLOAD,
            scan_type=request.scan_type,
            upload_path=str(destination.resolve()),
            rules=list(dict.fromkeys(request.rules)),
            exclusions=list(dict.fromkeys(request.exclusions)),
            project=request.project,
        )
        created = await self._store.create_scans(
            org_id, [new], _stored_key(idempotency), response={"files": unpacked.files}
        )
        if created.replayed:  # a concurrent request with the same key got there first
            await asyncio.to_thread(shutil.rmtree, destination, True)
        admitted = self._admitted(created, idempotency, decision)
        return Admitted(admitted.scans, admitted.replayed, admitted.charge, unpacked)

    async def _replay(self, org_id: str, idempotency: Idempotency | None) -> Admitted[Any] | None:
        if idempotency is None:
            return None
        previous = await self._store.idempotent_scans(org_id, idempotency.key)
        if previous is None:
            return None
        return _replayed(previous, idempotency)

    async def _charge(self, charge: Charger[C]) -> C:
        decision = await charge()
        if not decision.allowed:
            raise BudgetExceeded(BUDGET_MESSAGE, decision)
        return decision

    def _admitted(
        self, created: CreatedScans, idempotency: Idempotency | None, decision: C
    ) -> Admitted[C]:
        if created.replayed:
            assert idempotency is not None
            return _replayed(created, idempotency)
        self.enqueue(created.scans)
        return Admitted(created.scans, False, decision)

    # --- bulk creates -----------------------------------------------------------------

    async def create_many(
        self,
        org_id: str,
        items: Sequence[GitScanRequest | DomainError],
        charge: Charger[C],
        item_error: ItemErrorBody,
        idempotency: Idempotency | None = None,
    ) -> BulkAdmitted[C]:
        """Many scans, each item on its own (POST /scans/bulk): items come validated by
        their schema (a DomainError for one that is not); each valid one is then checked,
        charged in order (after the first refusal, every later item is refused with the
        same answer) and created. `item_error` renders a refusal as stored and returned."""
        if idempotency is not None:
            previous = await self._store.idempotent_scans(org_id, idempotency.key)
            if previous is not None:
                check_replay(previous, idempotency.fingerprint, BULK_RECORD)
                return _bulk_outcome(previous, replayed=True)
        plan = BulkPlan(items, item_error)
        await plan.validate(self.settings, self._store, org_id)
        decision = await plan.charge(charge)
        news = await plan.new_scans(self._store, org_id)
        if not news and idempotency is None:
            return BulkAdmitted(plan.results(), [], charge=decision)
        record = {"kind": BULK_RECORD, "results": plan.results()}
        created = await self._store.create_scans(org_id, news, _stored_key(idempotency), record)
        if created.replayed:  # a concurrent request with the same key got there first
            assert idempotency is not None
            check_replay(created, idempotency.fingerprint, BULK_RECORD)
            return _bulk_outcome(created, replayed=True)
        self.enqueue(created.scans)
        return BulkAdmitted(
            plan.results(), [s.id for s in created.scans], created.scans, charge=decision
        )

    # --- scans nobody asked for by API key: hooks and schedules -----------------------

    async def create_for_hook(
        self,
        repository: Repository,
        ref: str,
        base_ref: str | None,
        delivery: Idempotency | None,
    ) -> list[Scan]:
        """A scan of a repository's pushed ref (or pull request) for an inbound hook whose
        signature was verified: no API key, so no budget; a redelivery (same `delivery`
        key) returns the scans made the first time."""
        new = NewScan(
            org_id=repository.org_id,
            source=ScanSource.GIT,
            scan_type=ScanType.SECURITY,
            repository_url=repository.url,
            repository_id=repository.id,
            branch=ref,
            base_ref=base_ref,
        )
        created = await self._store.create_scans(
            repository.org_id, [new], _stored_key(delivery)
        )
        if not created.replayed:
            self.enqueue(created.scans)
        return created.scans

    async def fire_schedule(
        self, schedule: Schedule, tick: datetime, following: datetime
    ) -> Scan | None:
        """The scan of a schedule's due `tick`, and the schedule moved to `following`, once
        across processes (None: the repository is gone, or another process fired it)."""
        repository = await self._store.get_repository(schedule.org_id, schedule.repository_id)
        if repository is None:
            return None
        new = NewScan(
            org_id=schedule.org_id,
            source=ScanSource.GIT,
            scan_type=schedule.scan_type,
            repository_url=repository.url,
            repository_id=repository.id,
            branch=schedule.ref or repository.default_branch,
        )
        scan = await self._store.fire_schedule(schedule, tick, following, new)
        if scan is not None:
            self.enqueue([scan])
        return scan

    def enqueue(self, scans: Sequence[Scan]) -> None:
        if scans:
            self._jobs.notify(*(scan.id for scan in scans))

    # --- cancelling -------------------------------------------------------------------

    async def cancel(self, org_id: str, scan_id: str) -> tuple[Scan, Scan]:
        """Cancels a queued or running scan (a finished one is returned unchanged): the scan
        before and after. A scan no worker took yet has its upload removed at once."""
        before = await self.owned(org_id, scan_id)
        after = await self.cancel_owned(before)
        if after is None:
            raise NotFound.of("scan")
        return before, after

    async def cancel_owned(self, before: Scan) -> Scan | None:
        """Cancels a scan already read (`owned`); None if it was deleted meanwhile."""
        after = await self._store.cancel_scan(before.org_id, before.id)
        if after is None:
            return None
        if before.status == ScanStatus.QUEUED and after.status == ScanStatus.CANCELLED:
            # Cancelled before any worker took it: nothing will read the upload now.
            await asyncio.to_thread(discard_upload, self.settings, after.upload_path)
        return after

    # --- deleting ---------------------------------------------------------------------

    async def delete(self, org_id: str, scan_id: str) -> Scan:
        """Deletes a scan that is not running, with its findings and upload."""
        return await self.delete_owned(await self.owned(org_id, scan_id))

    async def delete_owned(self, scan: Scan) -> Scan:
        """Deletes a scan already read (`owned`): Conflict while it runs (cancel it
        first), NotFound if it was deleted meanwhile."""
        if scan.status == ScanStatus.RUNNING:
            raise Conflict("cancel the scan before deleting it", code="SCAN_RUNNING")
        if await self._store.delete_scan(scan.org_id, scan.id) is None:
            raise NotFound.of("scan")
        await asyncio.to_thread(discard_upload, self.settings, scan.upload_path)
        return scan

    async def owned(self, org_id: str, scan_id: str) -> Scan:
        if len(scan_id) > MAX_SCAN_ID_LENGTH:
            raise NotFound.of("scan")
        scan = await self._store.get_scan(org_id, scan_id)
        if scan is None:
            raise NotFound.of("scan")
        return scan


def _git_scan(org_id: str, request: GitScanRequest, repository: Repository) -> NewScan:
    return NewScan(
        org_id=org_id,
        source=ScanSource.GIT,
        scan_type=request.scan_type,
        repository_url=request.repository_url,
        repository_id=repository.id,
        branch=request.ref,
        base_ref=request.base_ref,
        rules=list(dict.fromkeys(request.rules)),
        exclusions=list(dict.fromkeys(request.exclusions)),
    )


def _replayed(created: CreatedScans, idempotency: Idempotency) -> Admitted[Any]:
    check_replay(created, idempotency.fingerprint)
    if not created.scans:
        raise NotFound.of("scan")
    return Admitted(created.scans, True)


def _bulk_outcome(created: CreatedScans, *, replayed: bool) -> BulkAdmitted[Any]:
    return BulkAdmitted(
        list(created.response["results"]),
        list(created.response.get("scan_ids", [])),
        created.scans,
        replayed,
    )
