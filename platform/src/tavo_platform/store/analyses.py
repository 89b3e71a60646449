"""The AI analyses aggregate: analyses of a scan's findings (analysis/service.py runs them
under the shared lease lifecycle, see _leases.py) and the per-finding answer cache."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, insert, select

from tavo_platform.store import _leases
from tavo_platform.store._database import SqlAggregate, new_id, now
from tavo_platform.store.records import Analysis, Page
from tavo_platform.store.schema import analyses, analysis_cache

# Fingerprints per IN list: well under every driver's limit on bound parameters.
_FINGERPRINTS_BATCH = 500
# Every column but the (possibly large) result document.
_ANALYSIS_COLUMNS = tuple(column for column in analyses.columns if column.name != "result")


class AnalysisStore(Protocol):
    async def create_analysis(
        self, org_id: str, scan_id: str, model: str, options: dict[str, Any]
    ) -> Analysis: ...
    async def get_analysis(self, org_id: str, analysis_id: str) -> Analysis | None: ...
    async def analysis_result(self, org_id: str, analysis_id: str) -> str | None:
        """The result document as raw JSON text (parse it off the event loop)."""
        ...
    async def list_analyses(
        self, org_id: str, *, scan_id: str | None, offset: int, limit: int
    ) -> Page: ...
    async def claim_analysis(
        self, worker: str, lease: timedelta, analysis_id: str | None = None
    ) -> Analysis | None: ...
    async def renew_analysis_lease(
        self, analysis_id: str, worker: str, lease: timedelta
    ) -> bool: ...
    async def finish_analysis(
        self,
        analysis_id: str,
        worker: str,
        *,
        status: str,
        summary: dict[str, Any] | None,
        result_json: str | None,
        error: str | None = None,
    ) -> bool: ...
    async def cached_answers(
        self, org_id: str, model: str, fingerprints: Sequence[str]
    ) -> dict[str, dict[str, Any]]: ...
    async def store_answers(
        self, org_id: str, model: str, answers: dict[str, dict[str, Any]]
    ) -> None: ...


class SqlAnalysisStore(SqlAggregate):
    async def create_analysis(
        self, org_id: str, scan_id: str, model: str, options: dict[str, Any]
    ) -> Analysis:
        values: dict[str, Any] = {
            "id": new_id("ana"),
            "org_id": org_id,
            "scan_id": scan_id,
            "model": model,
            "options": options,
            "status": _leases.QUEUED,
            "error": None,
            "summary": None,
            "created_at": now(),
            "started_at": None,
            "finished_at": None,
            "attempts": 0,
            "worker": None,
            "lease_until": None,
            "version": 0,
        }
        async with self._db.write() as connection:
            await connection.execute(insert(analyses).values(**values, result=None))
        return Analysis(**values)

    async def get_analysis(self, org_id: str, analysis_id: str) -> Analysis | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    select(*_ANALYSIS_COLUMNS).where(
                        analyses.c.id == analysis_id, analyses.c.org_id == org_id
                    )
                )
            ).first()
        return Analysis(**row._mapping) if row else None

    async def analysis_result(self, org_id: str, analysis_id: str) -> str | None:
        async with self._db.read() as connection:
            value = (
                await connection.execute(
                    select(analyses.c.result).where(
                        analyses.c.id == analysis_id, analyses.c.org_id == org_id
                    )
                )
            ).scalar_one_or_none()
        return value if isinstance(value, str) else None

    async def list_analyses(
        self, org_id: str, *, scan_id: str | None, offset: int, limit: int
    ) -> Page:
        condition = analyses.c.org_id == org_id
        if scan_id is not None:
            condition = and_(condition, analyses.c.scan_id == scan_id)
        async with self._db.read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(analyses).where(condition)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(*_ANALYSIS_COLUMNS)
                    .where(condition)
                    .order_by(analyses.c.created_at.desc(), analyses.c.id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([Analysis(**row._mapping) for row in rows], int(total))

    async def claim_analysis(
        self, worker: str, lease: timedelta, analysis_id: str | None = None
    ) -> Analysis | None:
        """Atomically takes a queued analysis, or a running one whose lease ran out (its
        process died): the given one, or else the oldest."""
        moment = now()
        async with self._db.write() as connection:
            if analysis_id is None:
                analysis_id = await _leases.oldest_claimable(connection, analyses, moment)
                if analysis_id is None:
                    return None
            if not await _leases.claim(connection, analyses, analysis_id, worker, lease, moment):
                return None
            row = (
                await connection.execute(
                    select(*_ANALYSIS_COLUMNS).where(analyses.c.id == analysis_id)
                )
            ).one()
        return Analysis(**row._mapping)

    async def renew_analysis_lease(self, analysis_id: str, worker: str, lease: timedelta) -> bool:
        async with self._db.write() as connection:
            return await _leases.heartbeat(connection, analyses, analysis_id, worker, lease, now())

    async def finish_analysis(
        self,
        analysis_id: str,
        worker: str,
        *,
        status: str,
        summary: dict[str, Any] | None,
        result_json: str | None,
        error: str | None = None,
    ) -> bool:
        """Records the outcome (the result as JSON text), only if `worker` still holds the
        analysis."""
        async with self._db.write() as connection:
            return await _leases.finish(
                connection, analyses, analysis_id, worker, now(),
                status=status, summary=summary, result=result_json, error=error,
            )

    async def cached_answers(
        self, org_id: str, model: str, fingerprints: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        wanted = list(dict.fromkeys(fingerprints))
        async with self._db.read() as connection:
            for start in range(0, len(wanted), _FINGERPRINTS_BATCH):
                batch = wanted[start : start + _FINGERPRINTS_BATCH]
                rows = (
                    await connection.execute(
                        select(analysis_cache.c.fingerprint, analysis_cache.c.answer).where(
                            analysis_cache.c.org_id == org_id,
                            analysis_cache.c.model == model,
                            analysis_cache.c.fingerprint.in_(batch),
                        )
                    )
                ).all()
                found.update({row.fingerprint: row.answer for row in rows})
        return found

    async def store_answers(
        self, org_id: str, model: str, answers: dict[str, dict[str, Any]]
    ) -> None:
        if not answers:
            return
        moment = now()
        rows = [
            {"org_id": org_id, "model": model, "fingerprint": fingerprint, "answer": answer,
             "created_at": moment}
            for fingerprint, answer in answers.items()
        ]
        async with self._db.write() as connection:
            # Replace: a newer answer for the same fingerprint and model wins.
            await connection.execute(
                delete(analysis_cache).where(
                    analysis_cache.c.org_id == org_id,
                    analysis_cache.c.model == model,
                    analysis_cache.c.fingerprint.in_(list(answers)),
                )
            )
            await connection.execute(insert(analysis_cache), rows)
