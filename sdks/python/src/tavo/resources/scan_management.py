"""Scans: create, list, get, status, results, cancel, delete, upload, and waiting for the
end of a scan (following the server's event stream, else polling with backoff).

Every method takes its parameters as a dict (as the seed does), as keywords, or both:

    await client.scan_management.list_scans({"page": 0, "page_size": 100, "status": "completed"})
    await client.scan_management.list_scans(status="completed", page_size=100)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tavo import _constants as C
from tavo._base_client import SCAN_CREATION, APIRequest, path
from tavo._config import NOT_GIVEN, NotGiven, Timeout
from tavo._exceptions import (
    TavoConnectionError,
    TavoNotFoundError,
    TavoServerError,
    TavoTimeoutError,
)
from tavo._packing import pack_directory
from tavo._sse import ServerSentEvent
from tavo.pagination import AsyncPager, SyncPager
from tavo.resources._base import AsyncResource, SyncResource, merged, parse
from tavo.resources._scan_exports import AsyncScanExports, SyncScanExports
from tavo.types.scans import (
    CreateScanParams,
    ListScansParams,
    Scan,
    ScanList,
    ScanResults,
    ScanResultsParams,
    ScanStatus,
    ScanStatusName,
    ScanType,
    Vulnerability,
)

__all__ = ["AsyncScanManagement", "SyncScanManagement"]

StrOrList = str | Sequence[str]
ARCHIVE_TYPE = "application/octet-stream"


# --- requests (shared by both twins) ---------------------------------------------------------


def _list_scans(query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("scans"), params=query)


def _create_scan(body: Mapping[str, Any], idempotency_key: str | None) -> APIRequest:
    if "repository_url" not in body:
        raise ValueError("create_scan needs a repository_url")
    return APIRequest(
        "POST", path("scans"), json=body, idempotency_key=idempotency_key, scope=SCAN_CREATION
    )


# The requests of the polling calls are immutable: the same scan's are made once.
@functools.lru_cache(maxsize=1024)
def _get_scan(scan_id: str) -> APIRequest:
    return APIRequest("GET", path("scans", scan_id))


@functools.lru_cache(maxsize=1024)
def _get_scan_status(scan_id: str) -> APIRequest:
    return APIRequest("GET", path("scans", scan_id, "status"))


def _get_scan_results(scan_id: str, query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("scans", scan_id, "results"), params=_listed(query))


def _cancel_scan(scan_id: str) -> APIRequest:
    return APIRequest("POST", path("scans", scan_id, "cancel"))


def _delete_scan(scan_id: str) -> APIRequest:
    return APIRequest("DELETE", path("scans", scan_id))


def _scan_events(scan_id: str, timeout: Timeout) -> APIRequest:
    return APIRequest("GET", path("scans", scan_id, "events"), cacheable=False, timeout=timeout)


def _upload_scan(
    archive: bytes, query: Mapping[str, Any], idempotency_key: str | None
) -> APIRequest:
    return APIRequest(
        "POST",
        path("uploads", "scans"),
        params=_listed(query),
        content=archive,
        content_type=ARCHIVE_TYPE,
        idempotency_key=idempotency_key,
        scope=SCAN_CREATION,
    )


def _listed(query: Mapping[str, Any]) -> dict[str, Any]:
    # Filters that take several values are repeated query parameters.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in query.items()}


def _archive_bytes(archive: bytes | str | Path) -> bytes:
    """Archive bytes as given, an archive file's bytes, or a directory packed as .tar.gz
    (honouring its .gitignore files)."""
    if isinstance(archive, bytes):
        return archive
    if Path(archive).is_dir():
        return pack_directory(archive)
    return Path(archive).read_bytes()


def _status_event(event: ServerSentEvent, scan_id: str) -> ScanStatus | None:
    """The status carried by a stream event (None for other events)."""
    if event.event == "deleted":
        raise TavoNotFoundError(
            f"scan {scan_id} was deleted while waiting for it", status_code=404, code="NOT_FOUND"
        )
    if event.event != "status":
        return None
    return parse(ScanStatus, json.loads(event.data))


def _stream_timeout(base: Timeout) -> Timeout:
    # The server sends a keep-alive comment every 15 s: a read timeout shorter than that
    # would break a healthy stream.
    read = max(base.read or 0.0, 30.0)
    return Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)


def _timed_out(scan_id: str, timeout: float) -> TavoTimeoutError:
    return TavoTimeoutError(f"scan {scan_id} did not finish within {timeout:g}s")


# Failures of the event stream after which waiting goes on by polling.
_STREAM_FAILURES = (TavoConnectionError, TavoTimeoutError, TavoServerError, ValueError)


class AsyncScanManagement(AsyncScanExports, AsyncResource):
    """`client.scan_management` of the async client."""

    async def list_scans(
        self,
        params: ListScansParams | Mapping[str, Any] | None = None,
        /,
        *,
        status: ScanStatusName | str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> ScanList:
        """One page of the organisation's scans, newest first, optionally of one status.
        Pages count from 0 (`page`/`page_size`), or use `offset`/`limit`."""
        query = merged(
            params, status=status, page=page, page_size=page_size, offset=offset, limit=limit
        )
        return await self._client.request(_list_scans(query), ScanList)

    def iter_scans(
        self,
        *,
        status: ScanStatusName | str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
    ) -> AsyncPager[ScanList, Scan]:
        """Every scan (of one status), fetched a page at a time as iteration goes."""

        async def fetch(offset: int, limit: int) -> ScanList:
            return await self.list_scans(status=status, offset=offset, limit=limit)

        return AsyncPager(
            fetch, lambda page: page.items, page_size=page_size, key=lambda item: item.id
        )

    async def create_scan(
        self,
        params: CreateScanParams | Mapping[str, Any] | None = None,
        /,
        *,
        repository_url: str | NotGiven = NOT_GIVEN,
        scan_type: ScanType | str | NotGiven = NOT_GIVEN,
        branch: str | NotGiven | None = NOT_GIVEN,
        rules: Sequence[str] | NotGiven = NOT_GIVEN,
        exclusions: Sequence[str] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ref: str | NotGiven | None = NOT_GIVEN,
        base_ref: str | NotGiven | None = NOT_GIVEN,
    ) -> Scan:
        """Queues a scan of a repository at `ref` (or `branch`). With `base_ref` it is
        diff-aware: it reports only findings new relative to that branch or tag. Safe to
        retry: the same `idempotency_key` (one is made when not given) never creates a
        second scan."""
        body = merged(
            params,
            repository_url=repository_url,
            scan_type=scan_type,
            branch=branch,
            ref=ref,
            base_ref=base_ref,
            rules=list(rules) if not isinstance(rules, NotGiven) else rules,
            exclusions=list(exclusions) if not isinstance(exclusions, NotGiven) else exclusions,
        )
        return await self._client.request(_create_scan(body, idempotency_key), Scan)

    async def upload_scan(
        self,
        archive: bytes | str | Path,
        *,
        scan_type: ScanType | str = "security",
        rules: Sequence[str] = (),
        exclusions: Sequence[str] = (),
        idempotency_key: str | None = None,
        project: str | None = None,
    ) -> Scan:
        """Uploads a .tar.gz/.tgz/.tar/.zip of code (bytes or a file path) and scans it.
        Uploads naming the same `project` share tracked findings (client.findings)."""
        query: dict[str, Any] = {
            "scan_type": scan_type,
            "rules": list(rules),
            "exclusions": list(exclusions),
        }
        if project is not None:
            query["project"] = project
        request = _upload_scan(_archive_bytes(archive), query, idempotency_key)
        return await self._client.request(request, Scan)

    async def get_scan(self, scan_id: str) -> Scan:
        """A scan with its summary (once finished)."""
        return await self._client.request(_get_scan(scan_id), Scan)

    async def get_scan_status(self, scan_id: str) -> ScanStatus:
        """A scan's status: small and cheap, for polling."""
        return await self._client.request(_get_scan_status(scan_id), ScanStatus)

    async def get_scan_results(
        self,
        scan_id: str,
        params: ScanResultsParams | Mapping[str, Any] | None = None,
        /,
        *,
        severity: StrOrList | NotGiven | None = NOT_GIVEN,
        rule: StrOrList | NotGiven | None = NOT_GIVEN,
        path: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> ScanResults:
        """One page of a scan's findings (`vulnerabilities`), filtered by severity, rule
        and path. Results of a finished scan are cached (they no longer change)."""
        query = merged(
            params,
            severity=severity,
            rule=rule,
            path=path,
            page=page,
            page_size=page_size,
            offset=offset,
            limit=limit,
        )
        return await self._client.request(_get_scan_results(scan_id, query), ScanResults)

    def iter_results(
        self,
        scan_id: str,
        *,
        severity: StrOrList | None = None,
        rule: StrOrList | None = None,
        path: str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
    ) -> AsyncPager[ScanResults, Vulnerability]:
        """Every finding of a scan, fetched a page at a time as iteration goes."""

        async def fetch(offset: int, limit: int) -> ScanResults:
            return await self.get_scan_results(
                scan_id, severity=severity, rule=rule, path=path, offset=offset, limit=limit
            )

        return AsyncPager(
            fetch, lambda page: page.vulnerabilities, page_size=page_size, key=lambda item: item.id
        )

    async def cancel_scan(self, scan_id: str) -> Scan:
        """Cancels a queued or running scan."""
        return await self._client.request(_cancel_scan(scan_id), Scan)

    async def delete_scan(self, scan_id: str) -> None:
        """Deletes a scan and its findings (cancel a running scan first)."""
        await self._client.request(_delete_scan(scan_id))

    async def wait_for_scan(
        self, scan_id: str, *, timeout: float = C.DEFAULT_SCAN_WAIT_TIMEOUT
    ) -> ScanStatus:
        """Waits until the scan is completed, failed or cancelled and returns its final
        status. Follows the server's event stream (no polling); if the stream is not
        available or breaks, polls the status with backoff. Raises TavoTimeoutError after
        `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            async with asyncio.timeout(timeout):
                final = await self._follow_events(scan_id)
                if final is not None:
                    return final
                interval = C.POLL_INITIAL_INTERVAL
                while True:
                    status = await self.get_scan_status(scan_id)
                    if status.finished:
                        return status
                    await asyncio.sleep(min(interval, max(0.0, deadline - loop.time())))
                    interval = min(interval * C.POLL_BACKOFF, C.POLL_MAX_INTERVAL)
        except TimeoutError as error:
            if isinstance(error, TavoTimeoutError):
                raise
            raise _timed_out(scan_id, timeout) from None

    async def _follow_events(self, scan_id: str) -> ScanStatus | None:
        """The final status from the event stream, or None to go on by polling."""
        request = _scan_events(scan_id, _stream_timeout(self._client.core.timeout))
        try:
            async with contextlib.aclosing(self._client.events(request)) as events:
                async for event in events:
                    status = _status_event(event, scan_id) if event is not None else None
                    if status is not None and status.finished:
                        return status
        except _STREAM_FAILURES:
            return None
        return None


class SyncScanManagement(SyncScanExports, SyncResource):
    """`client.scan_management` of the sync client (the same methods, blocking)."""

    def list_scans(
        self,
        params: ListScansParams | Mapping[str, Any] | None = None,
        /,
        *,
        status: ScanStatusName | str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> ScanList:
        """One page of the organisation's scans, newest first, optionally of one status."""
        query = merged(
            params, status=status, page=page, page_size=page_size, offset=offset, limit=limit
        )
        return self._client.request(_list_scans(query), ScanList)

    def iter_scans(
        self,
        *,
        status: ScanStatusName | str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
    ) -> SyncPager[ScanList, Scan]:
        """Every scan (of one status), fetched a page at a time as iteration goes."""

        def fetch(offset: int, limit: int) -> ScanList:
            return self.list_scans(status=status, offset=offset, limit=limit)

        return SyncPager(
            fetch, lambda page: page.items, page_size=page_size, key=lambda item: item.id
        )

    def create_scan(
        self,
        params: CreateScanParams | Mapping[str, Any] | None = None,
        /,
        *,
        repository_url: str | NotGiven = NOT_GIVEN,
        scan_type: ScanType | str | NotGiven = NOT_GIVEN,
        branch: str | NotGiven | None = NOT_GIVEN,
        rules: Sequence[str] | NotGiven = NOT_GIVEN,
        exclusions: Sequence[str] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ref: str | NotGiven | None = NOT_GIVEN,
        base_ref: str | NotGiven | None = NOT_GIVEN,
    ) -> Scan:
        """Queues a scan of a repository (idempotent under retries)."""
        body = merged(
            params,
            repository_url=repository_url,
            scan_type=scan_type,
            branch=branch,
            ref=ref,
            base_ref=base_ref,
            rules=list(rules) if not isinstance(rules, NotGiven) else rules,
            exclusions=list(exclusions) if not isinstance(exclusions, NotGiven) else exclusions,
        )
        return self._client.request(_create_scan(body, idempotency_key), Scan)

    def upload_scan(
        self,
        archive: bytes | str | Path,
        *,
        scan_type: ScanType | str = "security",
        rules: Sequence[str] = (),
        exclusions: Sequence[str] = (),
        idempotency_key: str | None = None,
        project: str | None = None,
    ) -> Scan:
        """Uploads a .tar.gz/.tgz/.tar/.zip of code (bytes or a file path) and scans it.
        Uploads naming the same `project` share tracked findings (client.findings)."""
        query: dict[str, Any] = {
            "scan_type": scan_type,
            "rules": list(rules),
            "exclusions": list(exclusions),
        }
        if project is not None:
            query["project"] = project
        request = _upload_scan(_archive_bytes(archive), query, idempotency_key)
        return self._client.request(request, Scan)

    def get_scan(self, scan_id: str) -> Scan:
        """A scan with its summary (once finished)."""
        return self._client.request(_get_scan(scan_id), Scan)

    def get_scan_status(self, scan_id: str) -> ScanStatus:
        """A scan's status: small and cheap, for polling."""
        return self._client.request(_get_scan_status(scan_id), ScanStatus)

    def get_scan_results(
        self,
        scan_id: str,
        params: ScanResultsParams | Mapping[str, Any] | None = None,
        /,
        *,
        severity: StrOrList | NotGiven | None = NOT_GIVEN,
        rule: StrOrList | NotGiven | None = NOT_GIVEN,
        path: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> ScanResults:
        """One page of a scan's findings (`vulnerabilities`)."""
        query = merged(
            params,
            severity=severity,
            rule=rule,
            path=path,
            page=page,
            page_size=page_size,
            offset=offset,
            limit=limit,
        )
        return self._client.request(_get_scan_results(scan_id, query), ScanResults)

    def iter_results(
        self,
        scan_id: str,
        *,
        severity: StrOrList | None = None,
        rule: StrOrList | None = None,
        path: str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
    ) -> SyncPager[ScanResults, Vulnerability]:
        """Every finding of a scan, fetched a page at a time as iteration goes."""

        def fetch(offset: int, limit: int) -> ScanResults:
            return self.get_scan_results(
                scan_id, severity=severity, rule=rule, path=path, offset=offset, limit=limit
            )

        return SyncPager(
            fetch, lambda page: page.vulnerabilities, page_size=page_size, key=lambda item: item.id
        )

    def cancel_scan(self, scan_id: str) -> Scan:
        """Cancels a queued or running scan."""
        return self._client.request(_cancel_scan(scan_id), Scan)

    def delete_scan(self, scan_id: str) -> None:
        """Deletes a scan and its findings (cancel a running scan first)."""
        self._client.request(_delete_scan(scan_id))

    def wait_for_scan(
        self, scan_id: str, *, timeout: float = C.DEFAULT_SCAN_WAIT_TIMEOUT
    ) -> ScanStatus:
        """Waits until the scan is finished (event stream, else polling with backoff) and
        returns its final status; TavoTimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        final = self._follow_events(scan_id, deadline, timeout)
        if final is not None:
            return final
        interval = C.POLL_INITIAL_INTERVAL
        while True:
            status = self.get_scan_status(scan_id)
            if status.finished:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timed_out(scan_id, timeout)
            time.sleep(min(interval, left))
            interval = min(interval * C.POLL_BACKOFF, C.POLL_MAX_INTERVAL)

    def _follow_events(self, scan_id: str, deadline: float, timeout: float) -> ScanStatus | None:
        # A blocking read cannot be interrupted: the read timeout bounds the overshoot.
        base = _stream_timeout(self._client.core.timeout)
        read = max(1.0, min(base.read or timeout, timeout))
        stream_timeout = Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)
        request = _scan_events(scan_id, stream_timeout)
        events = self._client.events(request)
        try:
            for event in events:
                status = _status_event(event, scan_id) if event is not None else None
                if status is not None and status.finished:
                    return status
                if time.monotonic() >= deadline:
                    raise _timed_out(scan_id, timeout)
        except _STREAM_FAILURES as error:
            if isinstance(error, TavoTimeoutError) and time.monotonic() >= deadline:
                raise
            return None
        finally:
            events.close()
        return None
