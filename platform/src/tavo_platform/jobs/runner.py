"""Runs one claimed scan to its end, for every kind of worker (in-process pool, Celery task).

fetch the source → run the engine → record findings and the final status. While the engine
works, a lease keeper renews the claim and relays a cancel request (or the loss of the claim
to another worker) to the engine through a flag file the engine checks. The result is
written only if this worker still holds the claim, and a re-run replaces the scan's
findings rather than adding to them (see SqlStore.finish_scan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from tavo_platform.encryption import SecretBox, SecretError, secret_box
from tavo_platform.enums import ScanSource, ScanStatus
from tavo_platform.fetch import FetchError
from tavo_platform.fetch.git import GitCredentials, clone, head_commit
from tavo_platform.fetch.urls import check_repository_url
from tavo_platform.findings.diffing import diff_aware_outcome
from tavo_platform.jobs.execution import ScanCancelled, ScanJob, ScanLimitExceeded, ScanLimits
from tavo_platform.jobs.processes import ScanProcessDied
from tavo_platform.scans import lifecycle
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.records import Scan
from tavo_platform.tiers import TierLimits

log = logging.getLogger("tavo.jobs")

# Runs the engine for a job in a scan process, held to the limits, stopped when the
# callable says the scan was cancelled; returns its outcome.
EngineCall = Callable[[ScanJob, ScanLimits, Callable[[], bool]], Awaitable[dict[str, Any]]]
_CANCEL_POLL_SECONDS = 0.5
_TIER_CACHE_SECONDS = 10.0


class GaveUp(Exception):
    """The scan was claimed more times than `scan_max_attempts` allows."""

_NOTHING: dict[str, Any] = {"summary": None, "findings": []}


class ScanRunner:
    def __init__(self, store: Store, settings: Settings, run_engine: EngineCall) -> None:
        self._store = store
        self._settings = settings
        self._run_engine = run_engine
        self._box: SecretBox | None = None  # made when a private repository needs it
        self._tiers: dict[str, tuple[float, TierLimits]] = {}

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self._settings.scan_lease_seconds)

    async def run(self, scan: Scan, worker: str) -> str | None:
        """Runs a scan `worker` has just claimed; returns the status recorded, or None when
        nothing could be recorded (the claim was lost, or the database is unreachable: the
        lease then lapses and the scan runs again)."""
        # One directory per claim: a worker that lost its claim but is still finishing up
        # never shares (or deletes) the directory of the worker that took the scan over.
        work = self._settings.work_dir / f"{scan.id}.{scan.attempts}"
        cancel_flag = work / "cancel"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        if scan.cancel_requested:
            cancel_flag.touch()
        keeper = asyncio.create_task(self._keep_lease(scan.id, worker, cancel_flag))
        error: str | None = None
        try:
            if scan.attempts > self._settings.scan_max_attempts:
                raise GaveUp(
                    f"gave up after {scan.attempts - 1} attempts: the worker running this "
                    "scan stopped each time before it finished"
                )
            if cancel_flag.exists():
                raise ScanCancelled()
            outcome = await self._perform(scan, work, cancel_flag)
            status = ScanStatus.COMPLETED
        except ScanCancelled:
            outcome, status = _NOTHING, ScanStatus.CANCELLED
        except (FetchError, ScanLimitExceeded, ScanProcessDied, GaveUp) as failure:
            outcome, status, error = _NOTHING, ScanStatus.FAILED, str(failure)
        except StoreUnavailable as failure:
            # Not the scan's fault: leave it running; its lease lapses and it runs again.
            log.warning("scan %s interrupted (it will run again): %s", scan.id, failure)
            shutil.rmtree(work, ignore_errors=True)
            return None
        except Exception:
            log.exception("scan %s failed", scan.id)
            outcome, status, error = _NOTHING, ScanStatus.FAILED, "internal error while scanning"
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        if status == ScanStatus.COMPLETED and cancel_flag.exists():
            outcome, status = _NOTHING, ScanStatus.CANCELLED
        try:
            return await lifecycle.finish(
                self._store, self._settings, scan, worker, status, outcome, error
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    async def _perform(self, scan: Scan, work: Path, cancel_flag: Path) -> dict[str, Any]:
        source = await self._source(scan, work, scan.branch, "src")
        if scan.source == ScanSource.GIT:
            commit = await head_commit(source)
            if commit is not None:
                await self._store.record_scan_commit(scan.id, commit)
        custom = tuple((f.name, f.content) for f in await self._store.list_rule_files(scan.org_id))
        job = ScanJob(
            source_dir=str(source),
            scan_type=scan.scan_type,
            selectors=tuple(scan.rules),
            exclusions=tuple(scan.exclusions),
            custom_rule_files=custom,
            cancel_flag=str(cancel_flag),
        )
        limits = await self.limits_for(scan.org_id)
        cancelled = cancel_flag.exists
        outcome = await self._run_engine(job, limits, cancelled)
        if scan.base_ref is None or scan.source != ScanSource.GIT:
            return outcome
        # Diff-aware: the base is scanned with the same rules; only what the head adds stays.
        base = await self._source(scan, work, scan.base_ref, "base")
        base_outcome = await self._run_engine(replace(job, source_dir=str(base)), limits,
                                              cancelled)
        return diff_aware_outcome(outcome, base_outcome, scan.base_ref, await head_commit(base))

    async def _source(self, scan: Scan, work: Path, ref: str | None, into: str) -> Path:
        if scan.source == ScanSource.UPLOAD:
            if not scan.upload_path or not Path(scan.upload_path).is_dir():
                raise FetchError("the uploaded code is no longer available")
            return Path(scan.upload_path)
        assert scan.repository_url is not None
        checked = await asyncio.to_thread(
            check_repository_url,
            scan.repository_url,
            self._settings.fetch_allow_hosts,
            self._settings.file_url_roots,
        )
        destination = work / into
        await clone(
            checked,
            destination,
            credentials=await self._credentials(scan),
            branch=ref,
            timeout=self._settings.clone_timeout_seconds,
            max_bytes=self._settings.clone_max_bytes,
        )
        return destination

    async def _credentials(self, scan: Scan) -> GitCredentials | None:
        """The repository's credentials, decrypted for this clone only."""
        if scan.repository_id is None:
            return None
        repository = await self._store.get_repository(scan.org_id, scan.repository_id)
        if repository is None or not repository.credential_secret:
            return None
        if self._box is None:
            self._box = secret_box(self._settings)
        try:
            secret = self._box.decrypt(repository.credential_secret)
        except SecretError:
            raise FetchError(
                "the repository's credentials cannot be decrypted with this server's keys"
            ) from None
        return GitCredentials(
            kind=repository.credential_kind or "https_token",
            secret=secret,
            username=repository.credential_username or "x-access-token",
        )

    async def limits_for(self, org_id: str) -> ScanLimits:
        tier = await self.tier_of(org_id)
        return ScanLimits(tier.scan_seconds, tier.scan_cpu_seconds, tier.file_seconds,
                          nice=tier.scan_nice)

    async def tier_of(self, org_id: str) -> TierLimits:
        """An organisation's execution limits: those of its best active key's tier (kept
        for a few seconds, so claiming and running do not query keys every time)."""
        cached = self._tiers.get(org_id)
        moment = time.monotonic()
        if cached is not None and cached[0] > moment:
            return cached[1]
        tiers = self._settings.tiers
        keys = [k for k in await self._store.list_api_keys(org_id) if k.revoked_at is None]
        candidates = [tiers.get(k.tier, tiers["free"]) for k in keys] or [tiers["free"]]
        best = max(candidates, key=lambda t: (t.concurrent_scans, t.scan_seconds))
        if len(self._tiers) > 10_000:
            self._tiers.clear()
        self._tiers[org_id] = (moment + _TIER_CACHE_SECONDS, best)
        return best

    async def _keep_lease(self, scan_id: str, worker: str, cancel_flag: Path) -> None:
        """Renews the claim every third of the lease, and looks for a cancel request (or a
        claim lost to another worker) twice a second: the flag file it then touches stops
        the scan's process within a second."""
        renew_every = max(0.2, self._settings.scan_lease_seconds / 3)
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(_CANCEL_POLL_SECONDS)
            try:
                if time.monotonic() - renewed >= renew_every:
                    renewed = time.monotonic()
                    if not await self._store.renew_lease(scan_id, worker, self.lease):
                        cancel_flag.touch()
                if await self._store.is_cancel_requested(scan_id):
                    cancel_flag.touch()
            except StoreUnavailable as error:
                log.warning("lease renewal for %s failed: %s", scan_id, error)
