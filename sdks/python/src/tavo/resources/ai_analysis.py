"""AI analysis of finished scans: the models, analysis jobs and their results, and verdicts
on model files. `analyze_scan` does it all: starts the analysis, waits for it (the server
long-polls, so waiting costs a request a minute at most) and returns the whole result."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tavo import _constants as C
from tavo._base_client import APIRequest, path
from tavo._config import NOT_GIVEN, NotGiven, Timeout
from tavo._exceptions import TavoTimeoutError
from tavo.pagination import AsyncPager, SyncPager
from tavo.resources._base import AsyncResource, SyncResource, merged, parse
from tavo.types.ai import (
    AIModelList,
    Analysis,
    AnalysisList,
    AnalysisOptions,
    AnalysisResult,
    AnalyzedFinding,
    ModelFileVerdict,
)

__all__ = ["AsyncAIAnalysis", "SyncAIAnalysis"]

# The server holds a GET of an unfinished analysis open for at most this long.
MAX_SERVER_WAIT = 60.0
RESULT_PAGE = 500
StrOrList = str | Sequence[str]


def _models() -> APIRequest:
    return APIRequest("GET", path("ai", "models"))


def _create(scan_id: str, model: str | None, options: Mapping[str, Any] | None) -> APIRequest:
    body: dict[str, Any] = {"scan_id": scan_id}
    if model is not None:
        body["model"] = model
    if options:
        body["options"] = dict(options)
    return APIRequest("POST", path("ai", "analyses"), json=body)


def _get(analysis_id: str, wait: float, base: Timeout) -> APIRequest:
    # The read timeout must outlast the server's long poll.
    read = None if base.read is None else base.read + wait
    timeout = Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)
    params = {"wait": round(wait, 3)} if wait > 0 else None
    return APIRequest(
        "GET", path("ai", "analyses", analysis_id), params=params, cacheable=False, timeout=timeout
    )


def _list(query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("ai", "analyses"), params=query)


def _result(analysis_id: str, query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("ai", "analyses", analysis_id, "result"), params=query)


def _model_file(data: bytes, filename: str | None) -> APIRequest:
    return APIRequest(
        "POST",
        path("ai", "analyze"),
        params={"filename": filename} if filename else None,
        content=data,
        content_type="application/octet-stream",
    )


def _file_bytes(model_file: bytes | str | Path) -> tuple[bytes, str | None]:
    if isinstance(model_file, bytes):
        return model_file, None
    file_path = Path(model_file)
    return file_path.read_bytes(), file_path.name


def _joined(pages: list[AnalysisResult]) -> AnalysisResult:
    """One result holding the findings of every page."""
    first = pages[0].to_dict()
    first["findings"] = [f for page in pages for f in page.to_dict()["findings"]]
    first.update(offset=0, limit=len(first["findings"]), page=0, has_more=False)
    first["page_size"] = first["limit"]
    return parse(AnalysisResult, first)


def _timed_out(analysis_id: str, timeout: float) -> TavoTimeoutError:
    return TavoTimeoutError(f"analysis {analysis_id} did not finish within {timeout:g}s")


class AsyncAIAnalysis(AsyncResource):
    """`client.ai_analysis` of the async client."""

    async def get_models(self) -> AIModelList:
        """The analysis models this server offers (cached while fresh)."""
        return await self._client.request(_models(), AIModelList)

    async def analyze_scan(
        self,
        scan_id: str,
        *,
        model: str | None = None,
        options: AnalysisOptions | Mapping[str, Any] | None = None,
        timeout: float = C.DEFAULT_SCAN_WAIT_TIMEOUT,
    ) -> AnalysisResult:
        """Analyses a completed scan and returns the whole result (every finding's risk,
        verdict and remediation; the fix-first list; the security score; coverage)."""
        job = await self.create_analysis(scan_id, model=model, options=options)
        await self.wait_for_analysis(job.id, timeout=timeout)
        pages = [page async for page in self.iter_findings(job.id).pages()]
        return _joined(pages)

    async def create_analysis(
        self,
        scan_id: str,
        *,
        model: str | None = None,
        options: AnalysisOptions | Mapping[str, Any] | None = None,
    ) -> Analysis:
        """Starts an analysis of a completed scan (with the server's default model unless
        one is named) and returns the job."""
        return await self._client.request(_create(scan_id, model, options), Analysis)

    async def get_analysis(self, analysis_id: str, *, wait: float = 0) -> Analysis:
        """An analysis job; with `wait`, the server answers when it finishes or after that
        many seconds (at most 60)."""
        request = _get(analysis_id, min(wait, MAX_SERVER_WAIT), self._client.core.timeout)
        return await self._client.request(request, Analysis)

    async def wait_for_analysis(
        self, analysis_id: str, *, timeout: float = C.DEFAULT_SCAN_WAIT_TIMEOUT
    ) -> Analysis:
        """Waits until the analysis is finished and returns the job."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            job = await self.get_analysis(analysis_id, wait=max(0.0, left))
            if job.finished:
                return job
            if time.monotonic() >= deadline:
                raise _timed_out(analysis_id, timeout)

    async def list_analyses(
        self,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        scan_id: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> AnalysisList:
        """The organisation's analyses (of one scan)."""
        query = merged(
            params, scan_id=scan_id, page=page, page_size=page_size, offset=offset, limit=limit
        )
        return await self._client.request(_list(query), AnalysisList)

    async def get_analysis_result(
        self,
        analysis_id: str,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        verdict: StrOrList | NotGiven | None = NOT_GIVEN,
        min_risk: int | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> AnalysisResult:
        """One page of a finished analysis's findings (filtered by verdict and minimum
        risk), with the scan-level parts."""
        query = merged(
            params,
            verdict=list(verdict) if isinstance(verdict, tuple) else verdict,
            min_risk=min_risk,
            page=page,
            page_size=page_size,
            offset=offset,
            limit=limit,
        )
        return await self._client.request(_result(analysis_id, query), AnalysisResult)

    def iter_findings(
        self,
        analysis_id: str,
        *,
        verdict: StrOrList | None = None,
        min_risk: int | None = None,
        page_size: int = RESULT_PAGE,
    ) -> AsyncPager[AnalysisResult, AnalyzedFinding]:
        """Every analysed finding, a page at a time as iteration goes."""

        async def fetch(offset: int, limit: int) -> AnalysisResult:
            return await self.get_analysis_result(
                analysis_id, verdict=verdict, min_risk=min_risk, offset=offset, limit=limit
            )

        return AsyncPager(
            fetch,
            lambda page: page.findings,
            page_size=page_size,
            key=lambda finding: finding.finding_id,
        )

    async def analyze_model_file(
        self, model_file: bytes | str | Path, *, filename: str | None = None
    ) -> ModelFileVerdict:
        """A verdict on a model file (pickle, PyTorch, joblib, Keras, safetensors, ONNX,
        GGUF) from its bytes or path; the server inspects it and never loads it."""
        data, name = _file_bytes(model_file)
        request = _model_file(data, filename or name)
        return await self._client.request(request, ModelFileVerdict)


class SyncAIAnalysis(SyncResource):
    """`client.ai_analysis` of the sync client."""

    def get_models(self) -> AIModelList:
        """The analysis models this server offers (cached while fresh)."""
        return self._client.request(_models(), AIModelList)

    def analyze_scan(
        self,
        scan_id: str,
        *,
        model: str | None = None,
        options: AnalysisOptions | Mapping[str, Any] | None = None,
        timeout: float = C.DEFAULT_SCAN_WAIT_TIMEOUT,
    ) -> AnalysisResult:
        """Analyses a completed scan and returns the whole result."""
        job = self.create_analysis(scan_id, model=model, options=options)
        self.wait_for_analysis(job.id, timeout=timeout)
        return _joined(list(self.iter_findings(job.id).pages()))

    def create_analysis(
        self,
        scan_id: str,
        *,
        model: str | None = None,
        options: AnalysisOptions | Mapping[str, Any] | None = None,
    ) -> Analysis:
        """Starts an analysis of a completed scan and returns the job."""
        return self._client.request(_create(scan_id, model, options), Analysis)

    def get_analysis(self, analysis_id: str, *, wait: float = 0) -> Analysis:
        """An analysis job; with `wait`, the server answers when it finishes or after that
        many seconds (at most 60)."""
        request = _get(analysis_id, min(wait, MAX_SERVER_WAIT), self._client.core.timeout)
        return self._client.request(request, Analysis)

    def wait_for_analysis(
        self, analysis_id: str, *, timeout: float = C.DEFAULT_SCAN_WAIT_TIMEOUT
    ) -> Analysis:
        """Waits until the analysis is finished and returns the job."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            job = self.get_analysis(analysis_id, wait=max(0.0, left))
            if job.finished:
                return job
            if time.monotonic() >= deadline:
                raise _timed_out(analysis_id, timeout)

    def list_analyses(
        self,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        scan_id: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> AnalysisList:
        """The organisation's analyses (of one scan)."""
        query = merged(
            params, scan_id=scan_id, page=page, page_size=page_size, offset=offset, limit=limit
        )
        return self._client.request(_list(query), AnalysisList)

    def get_analysis_result(
        self,
        analysis_id: str,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        verdict: StrOrList | NotGiven | None = NOT_GIVEN,
        min_risk: int | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
    ) -> AnalysisResult:
        """One page of a finished analysis's findings, with the scan-level parts."""
        query = merged(
            params,
            verdict=list(verdict) if isinstance(verdict, tuple) else verdict,
            min_risk=min_risk,
            page=page,
            page_size=page_size,
            offset=offset,
            limit=limit,
        )
        return self._client.request(_result(analysis_id, query), AnalysisResult)

    def iter_findings(
        self,
        analysis_id: str,
        *,
        verdict: StrOrList | None = None,
        min_risk: int | None = None,
        page_size: int = RESULT_PAGE,
    ) -> SyncPager[AnalysisResult, AnalyzedFinding]:
        """Every analysed finding, a page at a time as iteration goes."""

        def fetch(offset: int, limit: int) -> AnalysisResult:
            return self.get_analysis_result(
                analysis_id, verdict=verdict, min_risk=min_risk, offset=offset, limit=limit
            )

        return SyncPager(
            fetch,
            lambda page: page.findings,
            page_size=page_size,
            key=lambda finding: finding.finding_id,
        )

    def analyze_model_file(
        self, model_file: bytes | str | Path, *, filename: str | None = None
    ) -> ModelFileVerdict:
        """A verdict on a model file from its bytes or path (inspected, never loaded)."""
        data, name = _file_bytes(model_file)
        return self._client.request(_model_file(data, filename or name), ModelFileVerdict)
