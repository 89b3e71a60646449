"""AI analysis: the models this server offers, analyses of finished scans (jobs with a
status, like scans), and verdicts on uploaded model files.

    GET  /api/v1/ai/models                   the models (cacheable: ETag, Cache-Control)
    POST /api/v1/ai/analyses                 analyse a completed scan -> 202, the job
    GET  /api/v1/ai/analyses                 the organisation's analyses (by scan)
    GET  /api/v1/ai/analyses/{id}            the job: status, summary (?wait=N long-polls)
    GET  /api/v1/ai/analyses/{id}/result     the analysis, findings paginated
    POST /api/v1/ai/analyze                  a model file -> {safe, risks, ...}

An analysis with an LLM model spends provider tokens, so creating one counts against the
key's scan-creation budget; the built-in model does not.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.analysis.builtin import expand
from tavo_platform.analysis.interface import AnalysisOptions, UnknownModel
from tavo_platform.analysis.model_files import analyze_model_file
from tavo_platform.analysis.registry import DEFAULT_MODEL_ID
from tavo_platform.analysis.service import AnalysisService
from tavo_platform.enums import ScanStatus
from tavo_platform.server.caching import cached_json
from tavo_platform.server.deps import Caller, State, rate_limited
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import window
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import iso
from tavo_platform.store.records import Analysis

router = APIRouter(prefix="/api/v1/ai", tags=["ai analysis"])

MODELS_CACHE = "public, max-age=300"
FINISHED_RESULT_CACHE = "private, max-age=300"
MAX_WAIT_SECONDS = 60
WAIT_POLL_SECONDS = 0.2
VERDICT = Literal["likely_true_positive", "needs_review", "likely_false_positive"]
PARSED_RESULTS_KEPT = 8
_PARSED_RESULTS: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()


class AnalysisCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    scan_id: str = Field(min_length=1, max_length=64)
    model: str = Field(default=DEFAULT_MODEL_ID, min_length=1, max_length=200)
    options: AnalysisOptions = Field(default_factory=AnalysisOptions)


def analysis_service(request: Request) -> AnalysisService:
    service: AnalysisService = request.app.state.tavo_analysis
    return service


def analysis_view(analysis: Analysis) -> dict[str, Any]:
    return {
        "id": analysis.id,
        "scan_id": analysis.scan_id,
        "model": analysis.model,
        "options": analysis.options,
        "status": analysis.status,
        "finished": analysis.finished,
        "error": analysis.error,
        "summary": analysis.summary,
        "created_at": iso(analysis.created_at),
        "started_at": iso(analysis.started_at),
        "finished_at": iso(analysis.finished_at),
        "attempts": analysis.attempts,
        "links": {
            "self": f"/api/v1/ai/analyses/{analysis.id}",
            "result": f"/api/v1/ai/analyses/{analysis.id}/result",
        },
    }


@router.get("/models", summary="The analysis models this server offers")
async def list_models(request: Request, caller: Caller) -> Response:
    models = analysis_service(request).registry.infos()
    content = {
        "items": [model.to_dict() for model in models],
        "total": len(models),
        "default_model": DEFAULT_MODEL_ID,
    }
    return cached_json(request, content, MODELS_CACHE)


@router.post("/analyses", status_code=202, summary="Analyse a completed scan")
async def create_analysis(
    request: Request, body: AnalysisCreate, caller: Caller, state: State
) -> Response:
    service = analysis_service(request)
    try:
        model = service.registry.get(body.model)
    except UnknownModel:
        raise APIError(
            422,
            "UNKNOWN_MODEL",
            f"no analysis model {body.model!r} on this server",
            {"models": [info.id for info in service.registry.infos()]},
        ) from None
    scan = await state.store.get_scan(caller.org_id, body.scan_id)
    if scan is None:
        raise not_found("scan")
    if scan.status != ScanStatus.COMPLETED:
        code = "SCAN_NOT_FINISHED" if not scan.finished else "SCAN_NOT_COMPLETED"
        raise APIError(
            409,
            code,
            f"the scan is {scan.status}: only a completed scan can be analysed",
            {"scan_status": scan.status},
        )
    if model.info.kind == "llm":
        decision = await state.limiter.hit_scan_creation(caller)
        if not decision.allowed:
            raise rate_limited(decision, "analysis creation limit exceeded for this key")
    analysis = await state.store.create_analysis(
        caller.org_id, scan.id, body.model, body.options.model_dump()
    )
    service.submit(analysis.id)
    return JSONResponse(
        analysis_view(analysis),
        status_code=202,
        headers={"Location": f"/api/v1/ai/analyses/{analysis.id}"},
    )


@router.get("/analyses", summary="List analyses")
async def list_analyses(
    caller: Caller,
    state: State,
    scan_id: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_analyses(
        caller.org_id, scan_id=scan_id, offset=span.offset, limit=span.limit
    )
    return JSONResponse(
        {"items": [analysis_view(a) for a in result.items], **span.envelope(result.total)}
    )


async def owned_analysis(state: State, org_id: str, analysis_id: str) -> Analysis:
    if len(analysis_id) > 64:
        raise not_found("analysis")
    analysis = await state.store.get_analysis(org_id, analysis_id)
    if analysis is None:
        raise not_found("analysis")
    return analysis


@router.get("/analyses/{analysis_id}", summary="An analysis job: status and summary")
async def get_analysis(
    analysis_id: str,
    caller: Caller,
    state: State,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for it to finish")
    ] = 0,
) -> Response:
    analysis = await owned_analysis(state, caller.org_id, analysis_id)
    deadline = time.monotonic() + wait
    while not analysis.finished and time.monotonic() < deadline:
        await asyncio.sleep(WAIT_POLL_SECONDS)
        analysis = await owned_analysis(state, caller.org_id, analysis_id)
    return JSONResponse(analysis_view(analysis))


@router.get("/analyses/{analysis_id}/result", summary="The analysis, findings paginated")
async def get_analysis_result(
    request: Request,
    analysis_id: str,
    caller: Caller,
    state: State,
    verdict: Annotated[list[VERDICT] | None, Query()] = None,
    min_risk: Annotated[int | None, Query(ge=0, le=100)] = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    analysis = await owned_analysis(state, caller.org_id, analysis_id)
    if not analysis.finished:
        raise APIError(
            409,
            "ANALYSIS_NOT_FINISHED",
            f"the analysis is {analysis.status}",
            {"status": analysis.status},
            headers={"Retry-After": "1"},
        )
    if analysis.status != ScanStatus.COMPLETED:
        raise APIError(
            409,
            "ANALYSIS_FAILED",
            analysis.error or "the analysis failed",
            {"status": ScanStatus.FAILED},
        )
    result = await _parsed_result(state, caller.org_id, analysis.id)
    findings = result.get("findings") or []
    if verdict:
        findings = [f for f in findings if f.get("verdict") in verdict]
    if min_risk is not None:
        findings = [f for f in findings if (f.get("risk") or {}).get("score", 0) >= min_risk]
    chosen = findings[span.offset : span.offset + span.limit]
    content = {
        "analysis_id": analysis.id,
        "scan_id": analysis.scan_id,
        "model": analysis.model,
        "status": analysis.status,
        **{key: value for key, value in result.items() if key not in ("findings", "rules")},
        "findings": expand(result, chosen),
        **span.envelope(len(findings)),
    }
    return cached_json(request, content, FINISHED_RESULT_CACHE)


@router.post("/analyze", summary="Verdict on an uploaded model file (never loaded)")
async def analyze_model(
    request: Request,
    caller: Caller,
    state: State,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    name, data = await _model_upload(request, filename)
    limit = state.settings.ai_max_model_bytes
    if len(data) > limit:
        raise APIError(
            413,
            "PAYLOAD_TOO_LARGE",
            f"model files are limited to {limit} bytes",
            {"max_bytes": limit},
        )
    if not data:
        raise APIError(422, "VALIDATION_ERROR", "the request body must be a model file")
    verdict = await asyncio.to_thread(analyze_model_file, data, name)
    return JSONResponse(verdict)


async def _parsed_result(state: State, org_id: str, analysis_id: str) -> dict[str, Any]:
    """A finished analysis's result document. It can be megabytes of JSON: parsed off the
    event loop, and the last few kept parsed (finished results never change), so paging
    through one costs one parse."""
    cached = _PARSED_RESULTS.get(analysis_id)
    if cached is not None and cached[0] == org_id:
        _PARSED_RESULTS.move_to_end(analysis_id)
        return cached[1]
    raw = await state.store.analysis_result(org_id, analysis_id)
    if raw is None:
        raise not_found("analysis result")
    result: dict[str, Any] = await asyncio.to_thread(orjson.loads, raw)
    _PARSED_RESULTS[analysis_id] = (org_id, result)
    while len(_PARSED_RESULTS) > PARSED_RESULTS_KEPT:
        _PARSED_RESULTS.popitem(last=False)
    return result


async def _model_upload(request: Request, filename: str | None) -> tuple[str, bytes]:
    """(file name, bytes) from a multipart `file` part or the raw body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise APIError(422, "VALIDATION_ERROR", "multipart upload needs a `file` part")
            return filename or upload.filename or "model", await upload.read()
        finally:
            await form.close()
    return filename or "model", await request.body()
