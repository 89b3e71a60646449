"""Changing and deleting a repository: its name, default branch and inbound hook secret;
deletion takes its scans, findings and schedules with it."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from tavo_platform.encryption import SecretBox
from tavo_platform.enums import ScanStatus
from tavo_platform.scans.lifecycle import discard_upload
from tavo_platform.server.audit import audit
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes.repositories import (
    DEFAULT_TREND_SCANS,
    find_repository,
    with_activity,
)
from tavo_platform.server.routes.scans import GitRef
from tavo_platform.server.routes.webhooks import Box

router = APIRouter(prefix="/api/v1/repositories", tags=["repositories"])


class Credentials(BaseModel):
    """How to fetch a private repository: an HTTPS token (sent as basic auth with
    `username`, default `x-access-token` as GitHub and GitLab take it) or an SSH deploy key
    (`private_key`, PEM/OpenSSH text)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["https_token", "ssh_key"]
    token: str | None = Field(default=None, min_length=1, max_length=4096)
    username: str | None = Field(default=None, min_length=1, max_length=200,
                                 pattern=r"^[^:\s]+$")
    private_key: str | None = Field(default=None, min_length=1, max_length=16384)

    @model_validator(mode="after")
    def _complete(self) -> Credentials:
        if self.kind == "https_token" and (not self.token or self.private_key):
            raise ValueError("an https_token credential needs `token` (and no private_key)")
        if self.kind == "ssh_key":
            if not self.private_key or self.token or self.username:
                raise ValueError("an ssh_key credential needs `private_key` only")
            if "PRIVATE KEY-----" not in self.private_key:
                raise ValueError("`private_key` must be a PEM or OpenSSH private key")
        return self


class RepositoryUpdate(BaseModel):
    """Fields to change; `default_branch`, `hook_secret` and `credentials` may be null to
    clear them. Secrets are write-only: answers say only whether a hook secret is set
    (`hooks_enabled`) and which kind of credentials (`credentials: {kind, username}`)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=300)
    default_branch: GitRef | None = None
    hook_secret: str | None = Field(default=None, min_length=16, max_length=256)
    credentials: Credentials | None = None


def _changes(body: RepositoryUpdate, box: SecretBox) -> dict[str, Any]:
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    if "name" in given:
        if body.name is None:
            raise APIError(422, "VALIDATION_ERROR", "a repository's name cannot be cleared")
        changes["name"] = body.name
    if "default_branch" in given:
        changes["default_branch"] = body.default_branch
    if "hook_secret" in given:
        changes["hook_secret"] = box.encrypt(body.hook_secret) if body.hook_secret else None
    if "credentials" in given:
        given_credentials = body.credentials
        changes["credential_kind"] = given_credentials.kind if given_credentials else None
        changes["credential_username"] = (
            (given_credentials.username or "x-access-token")
            if given_credentials and given_credentials.kind == "https_token"
            else None
        )
        secret = (
            (given_credentials.token or given_credentials.private_key)
            if given_credentials
            else None
        )
        changes["credential_secret"] = box.encrypt(secret) if secret else None
    return changes


@router.patch("/{reference:path}", summary="Update a repository (name, default branch, "
              "hook secret)")
async def update_repository(
    reference: str, body: RepositoryUpdate, caller: Caller, state: State, box: Box
) -> Response:
    repository = await find_repository(state, caller.org_id, reference)
    changes = _changes(body, box)
    updated = await state.store.update_repository(caller.org_id, repository.id, changes)
    if updated is None:
        raise not_found("repository")
    await audit(state, caller, "repository.updated", "repository", repository.id,
                changed=sorted(body.model_fields_set),
                hook_secret="set" if changes.get("hook_secret") else (
                    "cleared" if "hook_secret" in changes else None),
                credentials=changes.get("credential_kind") or (
                    "cleared" if "credential_kind" in changes else None))
    [view] = await with_activity(state, caller.org_id, [updated], DEFAULT_TREND_SCANS)
    return JSONResponse(view)


@router.delete("/{reference:path}", summary="Delete a repository with its scans, findings "
               "and schedules")
async def delete_repository(reference: str, caller: Caller, state: State) -> Response:
    repository = await find_repository(state, caller.org_id, reference)
    running = await state.store.recent_repository_scans(
        caller.org_id, [repository.id], per_repository=1, status=ScanStatus.RUNNING
    )
    if running.get(repository.id):
        raise APIError(409, "REPOSITORY_BUSY",
                       "a scan of this repository is running; cancel it first",
                       {"scan_id": running[repository.id][0].id})
    uploads = await state.store.delete_repository(caller.org_id, repository.id)
    await audit(state, caller, "repository.deleted", "repository", repository.id,
                url=repository.url, scans=len(uploads))
    for upload in uploads:
        await asyncio.to_thread(discard_upload, state.settings, upload)
    return Response(status_code=204)
