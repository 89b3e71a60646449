"""Inbound hooks: `POST /hooks/github` takes GitHub's `push` and `pull_request` events
(and `ping`), verified with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body) against
the hook secret of the repository the event names (PATCH /repositories/{id} sets it). A
push scans the pushed branch or tag; a pull request (opened, synchronize, reopened, ready
for review) gets a diff-aware scan of its head branch against its base branch. GitHub's
retries of a delivery (same `X-GitHub-Delivery`) return the scans made the first time.

No API key: GitHub cannot send one. Nothing is read from the body or written before the
signature checks out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.responses import Response

from tavo_platform.encryption import SecretError
from tavo_platform.scans import Idempotency
from tavo_platform.server.deps import State
from tavo_platform.server.errors import APIError
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes.webhooks import Box
from tavo_platform.server.views import scan_view
from tavo_platform.store.records import Repository

router = APIRouter(prefix="/api/v1/hooks", tags=["hooks"])

PULL_REQUEST_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
_REF = re.compile(r"^[A-Za-z0-9_/+@][A-Za-z0-9._/+@-]*$")
MAX_HOOK_BYTES = 5 * 1024 * 1024


def _urls(payload: dict[str, Any]) -> list[str]:
    repository = payload.get("repository")
    if not isinstance(repository, dict):
        return []
    urls = [repository.get(key) for key in ("clone_url", "html_url", "ssh_url", "git_url")]
    found = [url for url in urls if isinstance(url, str) and url]
    found += [url.removesuffix(".git") for url in found] + [url + ".git" for url in found]
    return list(dict.fromkeys(found))


def _signed_by(repository: Repository, box: Any, body: bytes, signature: str) -> bool:
    try:
        secret = box.decrypt(repository.hook_secret or "")
    except SecretError:
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _refs(event: str, payload: dict[str, Any]) -> tuple[str, str | None] | None:
    """(ref to scan, base ref) of an event that asks for a scan, else None."""
    if event == "push":
        ref = payload.get("ref")
        if payload.get("deleted") or not isinstance(ref, str):
            return None
        return ref.removeprefix("refs/heads/").removeprefix("refs/tags/"), None
    if event == "pull_request" and payload.get("action") in PULL_REQUEST_ACTIONS:
        pull = payload.get("pull_request") or {}
        head = (pull.get("head") or {}).get("ref")
        base = (pull.get("base") or {}).get("ref")
        if isinstance(head, str) and isinstance(base, str):
            return head, base
    return None


@router.post("/github", status_code=202, summary="GitHub push and pull_request events")
async def github_hook(
    request: Request,
    state: State,
    box: Box,
    x_github_event: Annotated[str, Header(max_length=100)] = "",
    x_hub_signature_256: Annotated[str, Header(max_length=100)] = "",
    x_github_delivery: Annotated[str, Header(max_length=100)] = "",
) -> Response:
    body = await request.body()
    if len(body) > MAX_HOOK_BYTES:
        raise APIError(413, "PAYLOAD_TOO_LARGE", "the hook's body is too large")
    if not x_hub_signature_256.startswith("sha256="):
        raise APIError(401, "INVALID_SIGNATURE", "X-Hub-Signature-256 is missing")
    try:
        payload = json.loads(body)
    except ValueError:
        raise APIError(400, "BAD_REQUEST", "the hook's body is not JSON") from None
    if not isinstance(payload, dict):
        raise APIError(400, "BAD_REQUEST", "the hook's body is not a JSON object")
    candidates = await state.store.hooked_repositories(_urls(payload))
    matched = [r for r in candidates if _signed_by(r, box, body, x_hub_signature_256)]
    if not matched:
        raise APIError(401, "INVALID_SIGNATURE",
                       "no repository with a hook secret matches this signature")
    if x_github_event == "ping":
        return JSONResponse({"ok": True, "repositories": [r.id for r in matched]},
                            status_code=200)
    refs = _refs(x_github_event, payload)
    if refs is None:
        return JSONResponse({"ignored": True, "event": x_github_event, "scans": []},
                            status_code=202)
    ref, base_ref = refs
    if not all(_REF.match(value) and ".." not in value for value in filter(None, refs)):
        raise APIError(422, "VALIDATION_ERROR", "the event names a ref Tavo cannot check out",
                       {"ref": ref, "base_ref": base_ref})
    scans = []
    for repository in matched:
        delivery = Idempotency(
            f"github:{x_github_delivery}:{repository.id}", hashlib.sha256(body).hexdigest()
        )
        scans += await state.scans.create_for_hook(
            repository, ref, base_ref, delivery if x_github_delivery else None
        )
    return JSONResponse({"ignored": False, "event": x_github_event,
                         "scans": [scan_view(scan) for scan in scans]}, status_code=202)
