"""Findings across scans: list (filters; page, offset or cursor), get, triage, history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from tavo import _constants as C
from tavo._base_client import APIRequest, path
from tavo._config import NOT_GIVEN, NotGiven
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.findings import (
    FindingHistory,
    FindingList,
    ListFindingsParams,
    TrackedFinding,
    TriageStatus,
)

__all__ = ["AsyncFindings", "SyncFindings"]

Filter = str | list[str] | NotGiven | None


def _list(query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("findings"), params=query)


def _get(finding_id: str) -> APIRequest:
    return APIRequest("GET", path("findings", finding_id), cacheable=False)


def _triage(finding_id: str, status: str, comment: str | None) -> APIRequest:
    body: dict[str, Any] = {"status": status}
    if comment is not None:
        body["comment"] = comment
    return APIRequest("PATCH", path("findings", finding_id), json=body)


def _history(finding_id: str, query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("findings", finding_id, "history"), params=query)


def _query(params: ListFindingsParams | Mapping[str, Any] | None, **named: Any) -> dict[str, Any]:
    return merged(params, **named)


class AsyncFindings(AsyncResource):
    """`client.findings` of the async client."""

    async def list_findings(
        self,
        params: ListFindingsParams | Mapping[str, Any] | None = None,
        /,
        *,
        repository: str | NotGiven | None = NOT_GIVEN,
        project: str | NotGiven | None = NOT_GIVEN,
        status: Filter = NOT_GIVEN,
        severity: Filter = NOT_GIVEN,
        rule: Filter = NOT_GIVEN,
        category: Filter = NOT_GIVEN,
        owasp_llm: Filter = NOT_GIVEN,
        path: str | NotGiven | None = NOT_GIVEN,
        first_seen_after: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
        cursor: str | NotGiven | None = NOT_GIVEN,
    ) -> FindingList:
        """One page of the organisation's findings, newest first. Pass `cursor=""` for
        the first page of a keyset listing, then each page's `next_cursor`."""
        query = _query(
            params, repository=repository, project=project, status=status,
            severity=severity, rule=rule, category=category, owasp_llm=owasp_llm, path=path,
            first_seen_after=first_seen_after, page=page, page_size=page_size,
            offset=offset, limit=limit, cursor=cursor,
        )
        return await self._client.request(_list(query), FindingList)

    async def iter_findings(
        self,
        params: ListFindingsParams | Mapping[str, Any] | None = None,
        /,
        *,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        **filters: Any,
    ) -> AsyncIterator[TrackedFinding]:
        """Every matching finding, a keyset page at a time (stable however deep it goes)."""
        query = _query(params, **filters)
        cursor = ""
        while True:
            page = await self.list_findings(query, cursor=cursor, limit=page_size)
            for item in page.items:
                yield item
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def get_finding(self, finding_id: str) -> TrackedFinding:
        return await self._client.request(_get(finding_id), TrackedFinding)

    async def triage_finding(
        self, finding_id: str, status: TriageStatus, *, comment: str | None = None
    ) -> TrackedFinding:
        """Sets a triage state (`false_positive`, `accepted_risk`, `wont_fix`), or clears
        it with `open`; kept across rescans and recorded in the history."""
        return await self._client.request(_triage(finding_id, status, comment), TrackedFinding)

    async def get_finding_history(
        self,
        finding_id: str,
        *,
        offset: int | None = None,
        limit: int | None = None,
    ) -> FindingHistory:
        query = merged(None, offset=offset, limit=limit)
        return await self._client.request(_history(finding_id, query), FindingHistory)


class SyncFindings(SyncResource):
    """`client.findings` of the sync client."""

    def list_findings(
        self,
        params: ListFindingsParams | Mapping[str, Any] | None = None,
        /,
        *,
        repository: str | NotGiven | None = NOT_GIVEN,
        project: str | NotGiven | None = NOT_GIVEN,
        status: Filter = NOT_GIVEN,
        severity: Filter = NOT_GIVEN,
        rule: Filter = NOT_GIVEN,
        category: Filter = NOT_GIVEN,
        owasp_llm: Filter = NOT_GIVEN,
        path: str | NotGiven | None = NOT_GIVEN,
        first_seen_after: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
        cursor: str | NotGiven | None = NOT_GIVEN,
    ) -> FindingList:
        """One page of the organisation's findings, newest first (see the async client)."""
        query = _query(
            params, repository=repository, project=project, status=status,
            severity=severity, rule=rule, category=category, owasp_llm=owasp_llm, path=path,
            first_seen_after=first_seen_after, page=page, page_size=page_size,
            offset=offset, limit=limit, cursor=cursor,
        )
        return self._client.request(_list(query), FindingList)

    def iter_findings(
        self,
        params: ListFindingsParams | Mapping[str, Any] | None = None,
        /,
        *,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        **filters: Any,
    ) -> Iterator[TrackedFinding]:
        """Every matching finding, a keyset page at a time."""
        query = _query(params, **filters)
        cursor = ""
        while True:
            page = self.list_findings(query, cursor=cursor, limit=page_size)
            yield from page.items
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor

    def get_finding(self, finding_id: str) -> TrackedFinding:
        return self._client.request(_get(finding_id), TrackedFinding)

    def triage_finding(
        self, finding_id: str, status: TriageStatus, *, comment: str | None = None
    ) -> TrackedFinding:
        """Sets a triage state, or clears it with `open` (see the async client)."""
        return self._client.request(_triage(finding_id, status, comment), TrackedFinding)

    def get_finding_history(
        self,
        finding_id: str,
        *,
        offset: int | None = None,
        limit: int | None = None,
    ) -> FindingHistory:
        query = merged(None, offset=offset, limit=limit)
        return self._client.request(_history(finding_id, query), FindingHistory)
