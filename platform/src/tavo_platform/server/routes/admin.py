"""Admin endpoints: API keys (create shows the key once; only its hash is stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.server.audit import audit
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.server.deps import Admin, State
from tavo_platform.server.errors import not_found
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import key_view

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class KeyLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests_per_hour: int | None = Field(default=None, ge=1, le=10**9)
    requests_per_day: int | None = Field(default=None, ge=1, le=10**10)
    scans_per_hour: int | None = Field(default=None, ge=1, le=10**8)


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Literal["free", "pro", "enterprise"] = "free"
    org: str = Field(default="default", min_length=1, max_length=200)
    name: str = Field(default="", max_length=200)
    limits: KeyLimits | None = None
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    admin: bool = False
    # full; read-only (GET and HEAD only); scans-only (/scans and /uploads only).
    scope: Literal["full", "read-only", "scans-only"] = "full"
    # The role the key acts with in its organisation (server/roles.py); default: admin for
    # an admin key, else member.
    role: Literal["admin", "member", "viewer"] | None = None


class KeyRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # How long the old key keeps working beside the new one.
    overlap_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)


@router.post("/keys", status_code=201, summary="Create an API key (shown once)")
async def create_key(body: KeyCreate, _admin: Admin, state: State) -> Response:
    org = await state.store.ensure_organization(body.org)
    key = generate_key()
    limits = body.limits.model_dump(exclude_none=True) if body.limits else None
    expires = (
        datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    )
    record = await state.store.add_api_key(
        org.id,
        hash_key(key),
        display_prefix(key),
        body.tier,
        name=body.name,
        is_admin=body.admin,
        limits=limits or None,
        expires_at=expires,
        scope=body.scope,
        role=body.role,
    )
    await audit(state, _admin, "key.created", "api_key", record.id, org_id=record.org_id,
                tier=record.tier, is_admin=record.is_admin)
    return JSONResponse({**key_view(record), "key": key}, status_code=201)


@router.get("/keys", summary="List API keys (never the keys themselves)")
async def list_keys(_admin: Admin, state: State) -> Response:
    keys = await state.store.list_api_keys()
    return JSONResponse({"items": [key_view(k) for k in keys], "total": len(keys)})


@router.delete("/keys/{key_id}", summary="Revoke an API key")
async def revoke_key(key_id: str, _admin: Admin, state: State) -> Response:
    record = await state.store.revoke_api_key(key_id)
    if record is None:
        raise not_found("API key")
    state.auth.forget()
    await audit(state, _admin, "key.revoked", "api_key", record.id, org_id=record.org_id)
    return JSONResponse(key_view(record))


@router.post("/keys/{key_id}/rotate", status_code=201,
             summary="Rotate an API key: a new key now, the old one expires after an overlap")
async def rotate_key(key_id: str, body: KeyRotation, _admin: Admin, state: State) -> Response:
    old = next((k for k in await state.store.list_api_keys() if k.id == key_id), None)
    if old is None or old.revoked_at is not None:
        raise not_found("API key")
    key = generate_key()
    record = await state.store.add_api_key(
        old.org_id, hash_key(key), display_prefix(key), old.tier, name=old.name,
        is_admin=old.is_admin, limits=old.limits, expires_at=old.expires_at, scope=old.scope,
        user_id=old.user_id, role=old.role, kind=old.kind,
    )
    retired = await state.store.expire_api_key(
        old.id, datetime.now(UTC) + timedelta(seconds=body.overlap_seconds)
    )
    await audit(state, _admin, "key.rotated", "api_key", old.id, new_key_id=record.id,
                overlap_seconds=body.overlap_seconds)
    return JSONResponse(
        {**key_view(record), "key": key, "replaces": key_view(retired) if retired else None},
        status_code=201,
    )
