"""A user's own API keys, and their password.

A user creates keys for themselves only (no one else ever sees them), each acting with at
most the user's role and never above the key that creates it; the user or an admin of the
organisation lists and revokes them. Removing the user revokes them all (routes/users.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.server.audit import audit
from tavo_platform.server.auth import Principal, display_prefix, generate_key, hash_key
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.passwords import hash_password_async, verify_password_async
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.roles import has_role, role_of
from tavo_platform.server.routes.users import Name, Password, Role, target_user
from tavo_platform.server.views import key_view
from tavo_platform.store.users import ROLES, User, key_role, role_rank

router = APIRouter(prefix="/api/v1/users/{user_id}", tags=["users"])


class UserKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = ""
    # Default: the user's role, or the creating key's when that is lower.
    role: Role | None = None
    scope: Literal["full", "read-only", "scans-only"] = "full"
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class UserKeyRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # How long the old key keeps working beside the new one.
    overlap_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password


def _own(caller: Principal, user: User, action: str) -> None:
    if caller.key.user_id != user.id:
        raise APIError(403, "FORBIDDEN", f"only the user themselves may {action}")


def _own_or_admin(caller: Principal, user: User) -> None:
    if caller.key.user_id != user.id and not has_role(caller, "admin"):
        raise APIError(403, "FORBIDDEN", "another user's keys need the admin role")


@router.get("/keys", summary="A user's keys (the user, or the admin role)")
async def list_user_keys(
    user_id: str,
    caller: Caller,
    state: State,
    include_revoked: Annotated[bool, Query()] = False,
) -> Response:
    user = await target_user(caller, state, user_id)
    _own_or_admin(caller, user)
    keys = await state.store.list_user_keys(user.id, include_revoked=include_revoked)
    return JSONResponse({"items": [key_view(k) for k in keys], "total": len(keys)})


@router.post("/keys", status_code=201,
             summary="Create a key of one's own (shown once; at most the user's role)")
async def create_user_key(
    user_id: str, body: UserKeyCreate, caller: Caller, state: State
) -> Response:
    user = await target_user(caller, state, user_id)
    _own(caller, user, "create their keys")
    ceiling = min(role_rank(user.role), role_rank(role_of(caller)))
    role = body.role or ROLES[ceiling]
    if role_rank(role) > ceiling:
        raise APIError(
            403, "FORBIDDEN", "a key cannot act above its user's role or the key creating it",
            {"requested_role": role, "user_role": user.role, "key_role": role_of(caller)},
        )
    key = generate_key()
    expires = (
        datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    )
    record = await state.store.add_api_key(
        user.org_id, hash_key(key), display_prefix(key), user.tier, name=body.name,
        expires_at=expires, scope=body.scope, user_id=user.id, role=role,
    )
    await audit(state, caller, "key.created", "api_key", record.id, role=role,
                scope=record.scope, user_id=user.id)
    return JSONResponse({**key_view(record), "key": key}, status_code=201)


@router.delete("/keys/{key_id}", summary="Revoke a user's key (the user, or the admin role)")
async def revoke_user_key(user_id: str, key_id: str, caller: Caller, state: State) -> Response:
    user = await target_user(caller, state, user_id)
    _own_or_admin(caller, user)
    keys = await state.store.list_user_keys(user.id, include_revoked=True)
    if not any(k.id == key_id for k in keys):
        raise not_found("API key")
    record = await state.store.revoke_api_key(key_id, caller.org_id)
    if record is None:
        raise not_found("API key")
    state.auth.forget()
    await audit(state, caller, "key.revoked", "api_key", record.id, user_id=user.id)
    return JSONResponse(key_view(record))


@router.post("/keys/{key_id}/rotate", status_code=201,
             summary="Rotate one's own key: a new one now, the old one expires after an overlap")
async def rotate_user_key(
    user_id: str, key_id: str, body: UserKeyRotation, caller: Caller, state: State
) -> Response:
    user = await target_user(caller, state, user_id)
    _own(caller, user, "rotate their keys")
    keys = await state.store.list_user_keys(user.id, include_revoked=False)
    old = next((k for k in keys if k.id == key_id and k.kind == "api"), None)
    if old is None:
        raise not_found("API key")
    if role_rank(key_role(old)) > role_rank(role_of(caller)):
        raise APIError(403, "FORBIDDEN", "a key cannot rotate a key that acts above it",
                       {"key_role": key_role(old), "caller_role": role_of(caller)})
    key = generate_key()
    record = await state.store.add_api_key(
        old.org_id, hash_key(key), display_prefix(key), old.tier, name=old.name,
        limits=old.limits, expires_at=old.expires_at, scope=old.scope, user_id=user.id,
        role=old.role,
    )
    retired = await state.store.expire_api_key(
        old.id, datetime.now(UTC) + timedelta(seconds=body.overlap_seconds)
    )
    state.auth.forget()
    await audit(state, caller, "key.rotated", "api_key", old.id, new_key_id=record.id,
                overlap_seconds=body.overlap_seconds, user_id=user.id)
    return JSONResponse(
        {**key_view(record), "key": key, "replaces": key_view(retired) if retired else None},
        status_code=201,
    )


@router.post("/password", summary="Change one's own password (the current one is needed)")
async def change_password(
    user_id: str, body: PasswordChange, caller: Caller, state: State
) -> Response:
    user = await target_user(caller, state, user_id)
    _own(caller, user, "change their password")
    if not await verify_password_async(body.current_password, user.password_hash):
        raise APIError(403, "INVALID_CREDENTIALS", "the current password is wrong")
    await state.store.set_password(user.id, await hash_password_async(body.new_password))
    await audit(state, caller, "user.password_changed", "user", user.id)
    return JSONResponse({"success": True})
