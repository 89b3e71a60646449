"""People of an organisation: invite (the invitation token is shown once), list, get,
change role or name, remove (revoking every key of theirs), reissue an invitation; and
accepting an invitation (no key needed: the token is the credential), which sets the
password and hands over the user's first key, shown once.

What each route needs is in server/roles.py: reading users takes `viewer`, changing them
`admin`. Another organisation's user is a 404, as any object of another organisation.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.server.audit import audit
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import window
from tavo_platform.server.passwords import MAX_LENGTH, MIN_LENGTH, hash_password_async
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import iso, key_view
from tavo_platform.store.keys import key_values
from tavo_platform.store.users import NewUser, User, UserConflict

router = APIRouter(prefix="/api/v1", tags=["users"])

Role = Literal["admin", "member", "viewer"]
INVITATION_PREFIX = "tavo_inv_"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


def normalise_email(value: str) -> str:
    address = value.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise ValueError("not an e-mail address")
    return address


def _password(value: str) -> str:
    if not value.strip():
        raise ValueError("the password must not be blank")
    return value


Email = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(normalise_email)]
Password = Annotated[
    str,
    Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH,
          description=f"{MIN_LENGTH} to {MAX_LENGTH} characters"),
    AfterValidator(_password),
]
Name = Annotated[str, Field(max_length=200)]


class UserInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: Role = "member"
    name: Name = ""
    # The tier of the user's keys (a platform admin key only; else the inviting key's).
    tier: Literal["free", "pro", "enterprise"] | None = None
    invitation_days: int = Field(default=7, ge=1, le=90)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    name: Name | None = None


class InvitationReissue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invitation_days: int = Field(default=7, ge=1, le=90)


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    password: Password
    name: Name | None = None


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "org_id": user.org_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "status": user.status,
        "tier": user.tier,
        "invited_by": user.invited_by,
        "invitation_expires_at": iso(user.invitation_expires_at),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "activated_at": iso(user.activated_at),
    }


def invitation_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invitation(days: int) -> tuple[str, datetime]:
    """A fresh invitation token and when it expires."""
    return INVITATION_PREFIX + secrets.token_urlsafe(32), datetime.now(UTC) + timedelta(days=days)


def _conflict(error: UserConflict) -> APIError:
    if error.reason == "email_taken":
        return APIError(409, "USER_EXISTS", "the organisation has a user with that e-mail address")
    return APIError(409, "LAST_ADMIN",
                    "the organisation's last active admin cannot be demoted or removed")


async def target_user(caller: Caller, state: State, user_id: str) -> User:
    """The user a path names (`me`: the caller's own) in the caller's organisation."""
    if user_id == "me":
        if caller.key.user_id is None:
            raise APIError(404, "NOT_FOUND",
                           "this key belongs to the organisation, not to a user")
        user_id = caller.key.user_id
    user = await state.store.get_user(user_id, caller.org_id) if len(user_id) <= 40 else None
    if user is None:
        raise not_found("user")
    return user


def _actor(caller: Caller) -> str:
    return caller.key.user_id or caller.key_id


@router.get("/users", summary="The organisation's users")
async def list_users(
    caller: Caller,
    state: State,
    role: Role | None = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_users(caller.org_id, role=role, offset=span.offset,
                                          limit=span.limit)
    return JSONResponse({"items": [user_view(u) for u in result.items],
                         **span.envelope(result.total)})


@router.post("/users", status_code=201,
             summary="Invite a user (admin role; the invitation token is shown once)")
async def invite_user(body: UserInvite, caller: Caller, state: State) -> Response:
    if body.tier is not None and not caller.is_admin:
        raise APIError(403, "FORBIDDEN", "only a platform admin key sets a user's tier")
    token, expires = new_invitation(body.invitation_days)
    new = NewUser(org_id=caller.org_id, email=body.email, name=body.name, role=body.role,
                  tier=body.tier or caller.key.tier, invitation_hash=invitation_digest(token),
                  invitation_expires_at=expires, invited_by=_actor(caller))
    try:
        user = await state.store.create_user(new)
    except UserConflict as error:
        raise _conflict(error) from None
    await audit(state, caller, "user.invited", "user", user.id, email=user.email, role=user.role)
    return JSONResponse(
        {**user_view(user), "invitation": {"token": token, "expires_at": iso(expires)}},
        status_code=201,
    )


@router.get("/users/{user_id}", summary="A user (`me`: the caller's own)")
async def get_user(user_id: str, caller: Caller, state: State) -> Response:
    return JSONResponse(user_view(await target_user(caller, state, user_id)))


@router.patch("/users/{user_id}",
              summary="Change a user's role or name (admin role; a demotion lowers their keys)")
async def update_user(user_id: str, body: UserUpdate, caller: Caller, state: State) -> Response:
    if body.role is None and body.name is None:
        raise APIError(422, "VALIDATION_ERROR", "nothing to change: give role or name")
    user = await target_user(caller, state, user_id)
    try:
        updated = await state.store.update_user(user.id, caller.org_id, role=body.role,
                                                name=body.name)
    except UserConflict as error:
        raise _conflict(error) from None
    if updated is None:
        raise not_found("user")
    state.auth.forget()  # the user's keys act with the new role at once
    changes: dict[str, Any] = {}
    if body.role is not None and body.role != user.role:
        changes["role"] = {"from": user.role, "to": body.role}
    if body.name is not None and body.name != user.name:
        changes["name"] = "changed"
    await audit(state, caller, "user.updated", "user", user.id, email=user.email, **changes)
    return JSONResponse(user_view(updated))


@router.delete("/users/{user_id}",
               summary="Remove a user from the organisation (admin role; revokes their keys)")
async def remove_user(user_id: str, caller: Caller, state: State) -> Response:
    user = await target_user(caller, state, user_id)
    try:
        removed = await state.store.remove_user(user.id, caller.org_id)
    except UserConflict as error:
        raise _conflict(error) from None
    if removed is None:
        raise not_found("user")
    state.auth.forget()
    await audit(state, caller, "user.removed", "user", user.id, email=user.email,
                keys_revoked=removed[1])
    return JSONResponse({**user_view(removed[0]), "keys_revoked": removed[1]})


@router.post("/users/{user_id}/invitation", status_code=201,
             summary="Issue a new invitation to a user who has not accepted (admin role)")
async def reissue_invitation(
    user_id: str, body: InvitationReissue, caller: Caller, state: State
) -> Response:
    user = await target_user(caller, state, user_id)
    token, expires = new_invitation(body.invitation_days)
    updated = await state.store.reissue_invitation(user.id, caller.org_id,
                                                   invitation_digest(token), expires)
    if updated is None:
        raise APIError(409, "USER_ACTIVE", "the user has accepted their invitation already")
    await audit(state, caller, "user.invitation_reissued", "user", user.id, email=user.email)
    return JSONResponse(
        {**user_view(updated), "invitation": {"token": token, "expires_at": iso(expires)}},
        status_code=201,
    )


@router.post("/invitations/accept",
             summary="Accept an invitation: set a password, get the first key (shown once)")
async def accept_invitation(body: InvitationAccept, state: State) -> Response:
    digest = invitation_digest(body.token)
    invited = await state.store.user_by_invitation(digest)
    expires = invited.invitation_expires_at if invited else None
    if invited is None or expires is None or expires <= datetime.now(UTC):
        # Checked before the (deliberately slow) password hashing.
        raise APIError(400, "INVITATION_INVALID",
                       "the invitation is unknown, already accepted or expired")
    password_hash = await hash_password_async(body.password)
    key = generate_key()
    first = key_values(invited.org_id, hash_key(key), display_prefix(key), invited.tier,
                       name="first key")
    accepted = await state.store.accept_invitation(digest, password_hash, body.name, first)
    if accepted is None:
        raise APIError(400, "INVITATION_INVALID",
                       "the invitation is unknown, already accepted or expired")
    user, record = accepted
    await state.store.record_audit(user.org_id, record.id, "user.activated", "user", user.id,
                                   {"email": user.email}, actor_user_id=user.id,
                                   actor_email=user.email)
    return JSONResponse({"user": user_view(user), "key": {**key_view(record), "key": key}})
