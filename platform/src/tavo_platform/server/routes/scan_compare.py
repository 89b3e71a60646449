"""What a finished scan tells next to another (new, fixed, unchanged findings) and its
findings as SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tavo_platform.engine import ScanResult, SkipReport
from tavo_platform.enums import ScanStatus
from tavo_platform.findings.diffing import diff
from tavo_platform.findings.lifecycle import scope_of
from tavo_platform.formats.sarif import SOURCE_ROOT, sarif_log
from tavo_platform.formats.stored import finding_from_dict
from tavo_platform.jobs.execution import select_rules
from tavo_platform.server.caching import cached_json
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError
from tavo_platform.server.routes.scans import FINISHED_RESULTS_CACHE, owned_scan
from tavo_platform.store.records import Scan

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])

SARIF_MEDIA_TYPE = "application/sarif+json"


def _completed(scan: Scan, role: str) -> None:
    if scan.status != ScanStatus.COMPLETED:
        raise APIError(
            409,
            "SCAN_NOT_COMPLETED",
            f"the {role} scan is {scan.status}; only completed scans can be compared",
            {"scan_id": scan.id, "status": scan.status},
        )


@router.get("/{scan_id}/diff", summary="New, fixed and unchanged findings against a base scan")
async def scan_diff(
    request: Request,
    scan_id: str,
    caller: Caller,
    state: State,
    base: Annotated[str, Query(min_length=1, max_length=64, description="the base scan's id")],
) -> Response:
    head = await owned_scan(state, caller.org_id, scan_id)
    try:
        earlier = await owned_scan(state, caller.org_id, base)
    except APIError:
        raise APIError(404, "NOT_FOUND", "base scan not found", {"base": base}) from None
    _completed(head, "compared")
    _completed(earlier, "base")
    scope = scope_of(head.repository_id, head.project)
    if scope is None or scope != scope_of(earlier.repository_id, earlier.project):
        raise APIError(
            422,
            "DIFF_SCOPE_MISMATCH",
            "the scans are not of the same repository (or upload project)",
            {"scan_id": head.id, "base": earlier.id},
        )
    for scan in (head, earlier):
        if scan.base_ref is not None:
            raise APIError(
                422,
                "DIFF_AWARE_SCAN",
                "a diff-aware scan holds only the findings new against its base_ref; "
                "compare full scans",
                {"scan_id": scan.id, "base_ref": scan.base_ref},
            )
    changes = diff(
        await state.store.scan_documents(head.id), await state.store.scan_documents(earlier.id)
    )
    content = {
        "scan_id": head.id,
        "base_scan_id": earlier.id,
        "repository_id": head.repository_id,
        "project": head.project,
        "commit_sha": head.commit_sha,
        "base_commit_sha": earlier.commit_sha,
        "counts": changes.counts(),
        "new": changes.new,
        "fixed": changes.fixed,
        "unchanged": changes.unchanged,
    }
    return cached_json(request, content, FINISHED_RESULTS_CACHE)


@router.get(
    "/{scan_id}/results.sarif",
    summary="A completed scan's findings as SARIF 2.1.0 (GitHub code scanning)",
    response_class=Response,
    responses={200: {"content": {SARIF_MEDIA_TYPE: {}}}},
)
async def scan_sarif(request: Request, scan_id: str, caller: Caller, state: State) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)
    _completed(scan, "requested")
    documents = list((await state.store.scan_documents(scan.id)).values())
    custom = tuple((f.name, f.content) for f in await state.store.list_rule_files(scan.org_id))
    log = await asyncio.to_thread(_sarif_for, scan, documents, custom)
    response = cached_json(request, log, FINISHED_RESULTS_CACHE)
    if response.status_code == 200:
        response.headers["Content-Type"] = SARIF_MEDIA_TYPE
    return response


def _sarif_for(
    scan: Scan, documents: list[dict[str, Any]], custom: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    try:
        rules = select_rules(scan.scan_type, tuple(scan.rules), custom)
    except Exception:  # a custom rule file that no longer loads: the built-in rules remain
        rules = select_rules(scan.scan_type, tuple(scan.rules), ())
    known = {rule.id for rule in rules}
    findings = [finding_from_dict(d) for d in documents if d.get("rule_id") in known]
    result = ScanResult(
        root=f"scan/{scan.id}",
        findings=findings,
        files_scanned=int((scan.summary or {}).get("files_scanned", 0)),
        skipped=SkipReport(Counter((scan.summary or {}).get("skipped_by_reason") or {})),
        suppressed_inline=0,
        suppressed_baseline=0,
        notes=Counter(),
        rules=[rule for rule in rules if rule.id in {f.rule_id for f in findings}],
        duration_seconds=float((scan.summary or {}).get("duration_seconds", 0.0)),
    )
    log = sarif_log(result, root_and_prefix=(Path("/"), ""))
    run = log["runs"][0]
    # Paths are relative to the repository's root; where that is, provenance says.
    run.pop("originalUriBaseIds", None)
    if scan.repository_url:
        provenance: dict[str, Any] = {
            "repositoryUri": scan.repository_url,
            "mappedTo": {"uriBaseId": SOURCE_ROOT},
        }
        if scan.commit_sha:
            provenance["revisionId"] = scan.commit_sha
        if scan.branch:
            provenance["branch"] = scan.branch
        run["versionControlProvenance"] = [provenance]
    run["automationDetails"] = {"id": f"tavo/{scan.scan_type}/{scan.id}"}
    dropped = len(documents) - len(findings)
    if dropped:
        run.setdefault("properties", {})["tavo_unrendered_findings"] = dropped
    return log
