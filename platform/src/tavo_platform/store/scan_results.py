"""A scan's own findings (the `findings` table): written when the scan finishes (by the
scans store, in the same transaction) and read a page at a time with filters. Findings
followed across scans (triage, fixed/reopened) are the tracked findings: findings.py and
findings_sql.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from tavo_platform.store._database import SqlAggregate, json_fragment
from tavo_platform.store.records import FindingFilter, Page
from tavo_platform.store.schema import findings

# Rows per INSERT: well under every driver's limit on bound parameters.
FINDINGS_BATCH = 500


class ScanResultStore(Protocol):
    async def scan_results(
        self,
        org_id: str,
        scan_id: str,
        flt: FindingFilter,
        *,
        offset: int,
        limit: int,
        json_fragments: bool = False,
        finished_version: int | None = None,
    ) -> Page:
        """A page of findings, oldest first. With `json_fragments`, items may come as
        orjson.Fragment (the stored JSON, for responses to splice in as it is).
        `finished_version`: the caller has just read the scan finished at this version; its
        findings cannot change under it, so the page may come from (and go to) the
        process's read cache."""
        ...

    async def scan_documents(self, scan_id: str) -> dict[str, dict[str, Any]]:
        """Every finding of a scan, by fingerprint, in the scan's order."""
        ...


async def replace_findings(
    connection: AsyncConnection, scan_id: str, results: Sequence[dict[str, Any]]
) -> None:
    """A scan's findings become `results` (a re-run replaces those of an earlier attempt)."""
    await delete_findings(connection, scan_id)
    for start in range(0, len(results), FINDINGS_BATCH):
        batch = results[start : start + FINDINGS_BATCH]
        await connection.execute(
            insert(findings),
            [
                {
                    "scan_id": scan_id,
                    "fingerprint": f["fingerprint"],
                    "rule_id": f["rule_id"],
                    "severity": f["severity"],
                    "path": f["path"],
                    "start_line": f["start_line"],
                    "data": f,
                }
                for f in batch
            ],
        )


async def delete_findings(connection: AsyncConnection, scan_id: str) -> None:
    await connection.execute(delete(findings).where(findings.c.scan_id == scan_id))


def _results_queries(
    severities: int, rules: int, path_prefix: bool, json_text: bool = False
) -> tuple[Select[Any], Select[Any]]:
    """Count and page of a scan's findings, for a filter of this shape (bound parameters
    scan_id, severity_<i>, rule_<i>, path_pattern, offset, limit); `json_text` selects each
    finding's stored JSON as text, undecoded."""
    condition = findings.c.scan_id == bindparam("scan_id")
    if severities:
        wanted: list[BindParameter[Any]] = [bindparam(f"severity_{i}") for i in range(severities)]
        condition = and_(condition, findings.c.severity.in_(wanted))
    if rules:
        wanted = [bindparam(f"rule_{i}") for i in range(rules)]
        condition = and_(condition, findings.c.rule_id.in_(wanted))
    if path_prefix:
        condition = and_(condition, findings.c.path.like(bindparam("path_pattern"), escape="\\"))
    count = select(func.count().label("total")).select_from(findings).where(condition)
    data = cast(findings.c.data, Text).label("data") if json_text else findings.c.data
    page = (
        select(data)
        .where(condition)
        .order_by(findings.c.seq)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return count, page


def _results_parameters(
    scan_id: str, flt: FindingFilter, offset: int, limit: int
) -> tuple[tuple[int, int, bool], dict[str, Any]]:
    severities = list(dict.fromkeys(flt.severity))
    rules = list(dict.fromkeys(flt.rule_id))
    parameters: dict[str, Any] = {"scan_id": scan_id, "offset": offset, "limit": limit}
    parameters.update({f"severity_{i}": value for i, value in enumerate(severities)})
    parameters.update({f"rule_{i}": value for i, value in enumerate(rules)})
    if flt.path_prefix:
        escaped = flt.path_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parameters["path_pattern"] = escaped + "%"
    return (len(severities), len(rules), bool(flt.path_prefix)), parameters


class SqlScanResultStore(SqlAggregate):
    async def scan_results(
        self,
        org_id: str,
        scan_id: str,
        flt: FindingFilter,
        *,
        offset: int,
        limit: int,
        json_fragments: bool = False,
        finished_version: int | None = None,
    ) -> Page:
        shape, parameters = _results_parameters(scan_id, flt, offset, limit)
        if finished_version is None or not json_fragments:
            return await self._scan_results(shape, parameters, json_fragments)
        key = ("results", scan_id, finished_version, shape, tuple(sorted(parameters.items())))
        cache = self._db.read_cache
        page = cache.page(key)
        if page is None:
            page = await self._scan_results(shape, parameters, json_fragments)
            try:
                size = len(orjson.dumps(page.items))
            except TypeError:  # an integer beyond 64 bits: not cached, read each time
                return page
            cache.keep_page(key, page, size + 64)
        return page

    async def _scan_results(
        self, shape: tuple[int, int, bool], parameters: dict[str, Any], json_fragments: bool
    ) -> Page:
        direct = self._db.direct
        if direct is not None:
            key = ("results", *shape, json_fragments)
            count, page = direct.prepare(key, lambda: _results_queries(*shape, json_fragments))
            with direct.snapshot():
                total = direct.rows(count, parameters)[0]["total"]
                documents = [row["data"] for row in direct.rows(page, parameters)]
            if json_fragments:
                return Page([json_fragment(text) for text in documents], int(total))
            return Page(documents, int(total))
        postgres = self._db.postgres
        if postgres is not None:
            key = ("results", *shape, json_fragments)
            count, page = postgres.prepare(key, lambda: _results_queries(*shape, json_fragments))
            counted, paged = await postgres.many(((count, parameters), (page, parameters)))
            documents = [row["data"] for row in paged]
            if json_fragments:
                documents = [json_fragment(text) for text in documents]
            return Page(documents, int(counted[0]["total"]))
        count_query, page_query = _results_queries(*shape)
        async with self._db.read() as connection:
            total = (await connection.execute(count_query, parameters)).scalar_one()
            rows = (await connection.execute(page_query, parameters)).all()
        return Page([row.data for row in rows], int(total))

    async def scan_documents(self, scan_id: str) -> dict[str, dict[str, Any]]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                select(findings.c.fingerprint, findings.c.data)
                .where(findings.c.scan_id == scan_id)
                .order_by(findings.c.seq)
            )
            return {row.fingerprint: row.data for row in rows}
