"""Analysis jobs: created by the API, run in the API process, kept in the database.

An analysis is cheap next to a scan (see bench/analysis_cost.py), so it runs here rather
than on the scan workers. It is still a job like a scan: a row (queued → running →
completed/failed) written before the API answers 202, claimed atomically with a lease the
runner renews, and finished only by the runner that holds the claim. If the process dies,
the lease runs out and any API process's sweeper takes the analysis up again, so an
accepted analysis is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson

from tavo_platform.analysis.interface import (
    AnalysisError,
    AnalysisOptions,
    ScanMaterial,
    UnknownModel,
)
from tavo_platform.analysis.registry import ModelRegistry
from tavo_platform.enums import ScanStatus
from tavo_platform.findings.lifecycle import scope_of
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.records import Analysis, FindingFilter, Scan

log = logging.getLogger("tavo.analysis")

FINDINGS_PAGE = 5000
SUMMARY_KEYS = ("total_findings", "by_verdict", "clusters", "max_risk", "mean_risk")


class StoreVerdictCache:
    """The LLM answer cache of one organisation, in the database."""

    def __init__(self, store: Store, org_id: str) -> None:
        self._store = store
        self._org_id = org_id

    async def get_many(self, model: str, fingerprints: Sequence[str]) -> dict[str, dict[str, Any]]:
        return await self._store.cached_answers(self._org_id, model, fingerprints)

    async def put_many(self, model: str, answers: dict[str, dict[str, Any]]) -> None:
        await self._store.store_answers(self._org_id, model, answers)


class AnalysisService:
    def __init__(self, store: Store, settings: Settings, registry: ModelRegistry) -> None:
        self.store = store
        self.settings = settings
        self.registry = registry
        self._identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._slots = asyncio.Semaphore(settings.ai_analysis_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.scan_lease_seconds)

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        """Stops running analyses where they are: their leases lapse and they run again
        after a restart (or in another process)."""
        tasks = [*self._tasks, *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.registry.aclose()

    def submit(self, analysis_id: str) -> None:
        """Starts an analysis that was just created (and committed)."""
        self._spawn(self._claim_and_run(analysis_id))

    async def wait_idle(self) -> None:
        """Waits for the analyses started so far (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        """Takes up analyses left queued or whose runner died (lease expired)."""
        interval = max(1.0, self.settings.scan_lease_seconds / 2)
        while True:
            try:
                while True:
                    await self._slots.acquire()
                    try:
                        claimed = await self.store.claim_analysis(self._worker(), self.lease)
                    except BaseException:
                        self._slots.release()
                        raise
                    if claimed is None:
                        self._slots.release()
                        break
                    self._spawn(self._run_holding_slot(claimed))
            except StoreUnavailable as error:
                log.warning("cannot claim analyses: %s", error)
            await asyncio.sleep(interval)

    def _worker(self) -> str:
        return f"{self._identity}:{uuid.uuid4().hex[:6]}"

    async def _claim_and_run(self, analysis_id: str) -> None:
        async with self._slots:
            try:
                analysis = await self.store.claim_analysis(self._worker(), self.lease, analysis_id)
            except StoreUnavailable as error:
                log.warning("cannot claim analysis %s: %s", analysis_id, error)
                return  # still queued: the sweeper takes it later
            if analysis is not None:
                await self._run(analysis)

    async def _run_holding_slot(self, analysis: Analysis) -> None:
        try:
            await self._run(analysis)
        finally:
            self._slots.release()

    async def _run(self, analysis: Analysis) -> None:
        assert analysis.worker is not None
        worker = analysis.worker
        keeper = asyncio.create_task(self._keep_lease(analysis.id, worker))
        status, result, error = ScanStatus.FAILED, None, None
        try:
            result = await self._analyze(analysis)
            status = ScanStatus.COMPLETED
        except AnalysisError as failure:
            error = str(failure) or type(failure).__name__
        except StoreUnavailable:
            keeper.cancel()
            return  # the lease lapses; the analysis is taken up again
        except Exception:
            log.exception("analysis %s failed", analysis.id)
            error = "internal error while analysing"
        finally:
            keeper.cancel()
        summary = _summary(result) if result is not None else None
        encoded = None
        if result is not None:
            encoded = (await asyncio.to_thread(orjson.dumps, result)).decode()
        try:
            await self.store.finish_analysis(
                analysis.id,
                worker,
                status=status,
                summary=summary,
                result_json=encoded,
                error=error,
            )
        except StoreUnavailable as failure:
            log.warning("cannot record analysis %s: %s", analysis.id, failure)

    async def _keep_lease(self, analysis_id: str, worker: str) -> None:
        interval = max(0.2, self.settings.scan_lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(StoreUnavailable):
                if not await self.store.renew_analysis_lease(analysis_id, worker, self.lease):
                    return

    async def _analyze(self, analysis: Analysis) -> dict[str, Any]:
        scan = await self.store.get_scan(analysis.org_id, analysis.scan_id)
        if scan is None:
            raise AnalysisError("the scan no longer exists")
        if scan.status != ScanStatus.COMPLETED:
            raise AnalysisError(f"the scan is {scan.status}, not completed")
        try:
            model = self.registry.get(analysis.model)
        except UnknownModel:
            raise AnalysisError(
                f"the model {analysis.model!r} is not configured on this server"
            ) from None
        options = AnalysisOptions.model_validate(analysis.options)
        material = ScanMaterial(
            scan_id=scan.id,
            findings=await self._findings(analysis.org_id, scan),
            checked_rules=await self._checked_rules(scan),
        )
        cache = StoreVerdictCache(self.store, analysis.org_id)
        return await model.analyze(material, options, cache)

    async def _findings(self, org_id: str, scan: Scan) -> list[dict[str, Any]]:
        """The scan's findings, less those triaged away (false positive, accepted risk,
        won't fix): they count in no score or grade."""
        findings: list[dict[str, Any]] = []
        while True:
            page = await self.store.scan_results(
                org_id, scan.id, FindingFilter(), offset=len(findings), limit=FINDINGS_PAGE
            )
            findings.extend(page.items)
            if len(page.items) < FINDINGS_PAGE:
                break
        scope = scope_of(scan.repository_id, scan.project)
        if scope is None:
            return findings
        away = {f.fingerprint for f in await self.store.triaged_in_scan(org_id, scope, scan.id)}
        return [f for f in findings if f.get("fingerprint") not in away]

    async def _checked_rules(self, scan: Scan) -> list[tuple[str, str | None]]:
        """The rules the scan ran: its type's packs, the organisation's custom rules, then
        its rule selectors."""
        from tavo_platform.jobs.execution import select_rules

        custom = tuple(
            (rule_file.name, rule_file.content)
            for rule_file in await self.store.list_rule_files(scan.org_id)
        )
        try:
            rules = await asyncio.to_thread(select_rules, scan.scan_type, tuple(scan.rules), custom)
        except Exception:
            # A custom rule file changed since the scan: count the built-in rules only.
            rules = await asyncio.to_thread(select_rules, scan.scan_type, tuple(scan.rules), ())
        return [(rule.id, rule.owasp_llm) for rule in rules]


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    summary = {key: result["summary"].get(key) for key in SUMMARY_KEYS}
    score = result.get("security_score") or {}
    summary["security_score"] = score.get("score")
    summary["grade"] = score.get("grade")
    return summary
