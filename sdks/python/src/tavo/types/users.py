"""People of an organisation, their roles, invitations and their own API keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = [
    "AcceptedInvitation",
    "Invitation",
    "InvitedUser",
    "RemovedUser",
    "RotatedUserKey",
    "User",
    "UserKey",
    "UserKeyList",
    "UserList",
    "UserRole",
]

UserRole = Literal["admin", "member", "viewer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class User(Model):
    """A person in the organisation. `role`: `viewer` reads, `member` also scans, triages
    and manages repositories, webhooks and schedules, `admin` also manages users and reads
    the audit log. `status`: `invited` until the invitation is accepted, then `active`."""

    id: str
    email: str
    role: str
    status: str
    org_id: str | None = None
    name: str = ""
    tier: str | None = None
    invited_by: str | None = None
    invitation_expires_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    activated_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Invitation(Model):
    """The token the invited person accepts with (shown once) and when it expires."""

    token: str
    expires_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitedUser(User):
    """A user just invited (or re-invited), with the invitation to hand over."""

    invitation: Invitation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovedUser(User):
    """A user removed from the organisation, and how many of their keys were revoked."""

    keys_revoked: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class UserList(PageInfo):
    items: list[User] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserKey(Model):
    """An API key of a user: it acts with `role` (never above the user's), within `scope`
    (`full`, `read-only`, `scans-only`). `key` is set only in the answer that made it.
    `kind` is `session` for a dashboard sign-in's key, else `api`."""

    id: str
    prefix: str
    role: str
    scope: str = "full"
    kind: str = "api"
    name: str = ""
    user_id: str | None = None
    org_id: str | None = None
    tier: str | None = None
    created_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RotatedUserKey(UserKey):
    """The new key of a rotation (`key` shown once) and the key it replaces, which keeps
    working until its `expires_at` (the overlap)."""

    replaces: UserKey | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserKeyList(PageInfo):
    items: list[UserKey] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedInvitation(Model):
    """The now active user and their first key (`key.key`, shown once)."""

    user: User
    key: UserKey
