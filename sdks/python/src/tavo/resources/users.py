"""People of the organisation (`client.users`): invite, list, get, change role or name,
remove (revoking their keys), reissue an invitation; a user's own keys and password.

`user_id` may be `"me"`: the user whose key the client uses. Accepting an invitation needs
no key: see `tavo.accept_invitation`.
"""

from __future__ import annotations

from typing import Any

from tavo._base_client import APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.users import (
    AcceptedInvitation,
    InvitedUser,
    RemovedUser,
    RotatedUserKey,
    User,
    UserKey,
    UserKeyList,
    UserList,
)

__all__ = ["AsyncUsers", "SyncUsers", "accept_request"]


def _list(role: str | None, offset: int | None, limit: int | None) -> APIRequest:
    return APIRequest("GET", path("users"), cacheable=False,
                      params=merged(None, role=role, offset=offset, limit=limit))


def _invite(email: str, role: str, name: str | None, tier: str | None,
            invitation_days: int | None) -> APIRequest:
    body = merged(None, email=email, role=role, name=name, tier=tier,
                  invitation_days=invitation_days)
    return APIRequest("POST", path("users"), json=body)


def _get(user_id: str) -> APIRequest:
    return APIRequest("GET", path("users", user_id), cacheable=False)


def _update(user_id: str, role: str | None, name: str | None) -> APIRequest:
    return APIRequest("PATCH", path("users", user_id), json=merged(None, role=role, name=name))


def _remove(user_id: str) -> APIRequest:
    return APIRequest("DELETE", path("users", user_id))


def _reissue(user_id: str, invitation_days: int | None) -> APIRequest:
    return APIRequest("POST", path("users", user_id, "invitation"),
                      json=merged(None, invitation_days=invitation_days))


def _keys(user_id: str, include_revoked: bool) -> APIRequest:
    params = {"include_revoked": "true"} if include_revoked else None
    return APIRequest("GET", path("users", user_id, "keys"), params=params, cacheable=False)


def _create_key(user_id: str, body: dict[str, Any]) -> APIRequest:
    return APIRequest("POST", path("users", user_id, "keys"), json=body)


def _revoke_key(user_id: str, key_id: str) -> APIRequest:
    return APIRequest("DELETE", path("users", user_id, "keys", key_id))


def _rotate_key(key_id: str, overlap_seconds: int | None) -> APIRequest:
    return APIRequest("POST", path("users", "me", "keys", key_id, "rotate"),
                      json=merged(None, overlap_seconds=overlap_seconds))


def _password(current: str, new: str) -> APIRequest:
    return APIRequest("POST", path("users", "me", "password"),
                      json={"current_password": current, "new_password": new})


def accept_request(token: str, password: str, name: str | None) -> APIRequest:
    return APIRequest("POST", path("invitations", "accept"),
                      json=merged(None, token=token, password=password, name=name))


def _key_body(name: str | None, role: str | None, scope: str | None,
              expires_in_days: int | None) -> dict[str, Any]:
    return merged(None, name=name, role=role, scope=scope, expires_in_days=expires_in_days)


class AsyncUsers(AsyncResource):
    """`client.users` of the async client."""

    async def list_users(self, *, role: str | None = None, offset: int | None = None,
                         limit: int | None = None) -> UserList:
        return await self._client.request(_list(role, offset, limit), UserList)

    async def invite_user(self, email: str, *, role: str = "member", name: str | None = None,
                          tier: str | None = None,
                          invitation_days: int | None = None) -> InvitedUser:
        """Invites a person (admin role); hand them `invitation.token` (shown only now)."""
        return await self._client.request(_invite(email, role, name, tier, invitation_days),
                                          InvitedUser)

    async def get_user(self, user_id: str = "me") -> User:
        return await self._client.request(_get(user_id), User)

    async def me(self) -> User:
        """The user whose key the client uses."""
        return await self._client.request(_get("me"), User)

    async def update_user(self, user_id: str, *, role: str | None = None,
                          name: str | None = None) -> User:
        """Changes a user's role or name (admin role); a demotion lowers their keys."""
        return await self._client.request(_update(user_id, role, name), User)

    async def remove_user(self, user_id: str) -> RemovedUser:
        """Removes a user (admin role), revoking every key of theirs."""
        return await self._client.request(_remove(user_id), RemovedUser)

    async def reissue_invitation(self, user_id: str, *,
                                 invitation_days: int | None = None) -> InvitedUser:
        return await self._client.request(_reissue(user_id, invitation_days), InvitedUser)

    async def list_keys(self, user_id: str = "me", *,
                        include_revoked: bool = False) -> UserKeyList:
        return await self._client.request(_keys(user_id, include_revoked), UserKeyList)

    async def create_key(self, *, name: str | None = None, role: str | None = None,
                         scope: str | None = None,
                         expires_in_days: int | None = None) -> UserKey:
        """A key of the calling user (`key` is shown only now), acting with at most the
        user's role (default: the user's, or the calling key's when lower)."""
        body = _key_body(name, role, scope, expires_in_days)
        return await self._client.request(_create_key("me", body), UserKey)

    async def revoke_key(self, key_id: str, *, user_id: str = "me") -> UserKey:
        return await self._client.request(_revoke_key(user_id, key_id), UserKey)

    async def rotate_key(self, key_id: str, *,
                         overlap_seconds: int | None = None) -> RotatedUserKey:
        """A new key (shown once) in place of one of the caller's own; the old one keeps
        working for `overlap_seconds` (default a day)."""
        return await self._client.request(_rotate_key(key_id, overlap_seconds), RotatedUserKey)

    async def change_password(self, current_password: str, new_password: str) -> None:
        await self._client.request(_password(current_password, new_password))

    async def accept_invitation(self, token: str, password: str, *,
                                name: str | None = None) -> AcceptedInvitation:
        return await self._client.request(accept_request(token, password, name),
                                          AcceptedInvitation)


class SyncUsers(SyncResource):
    """`client.users` of the sync client."""

    def list_users(self, *, role: str | None = None, offset: int | None = None,
                   limit: int | None = None) -> UserList:
        return self._client.request(_list(role, offset, limit), UserList)

    def invite_user(self, email: str, *, role: str = "member", name: str | None = None,
                    tier: str | None = None, invitation_days: int | None = None) -> InvitedUser:
        """Invites a person (admin role); hand them `invitation.token` (shown only now)."""
        return self._client.request(_invite(email, role, name, tier, invitation_days),
                                    InvitedUser)

    def get_user(self, user_id: str = "me") -> User:
        return self._client.request(_get(user_id), User)

    def me(self) -> User:
        """The user whose key the client uses."""
        return self._client.request(_get("me"), User)

    def update_user(self, user_id: str, *, role: str | None = None,
                    name: str | None = None) -> User:
        """Changes a user's role or name (admin role); a demotion lowers their keys."""
        return self._client.request(_update(user_id, role, name), User)

    def remove_user(self, user_id: str) -> RemovedUser:
        """Removes a user (admin role), revoking every key of theirs."""
        return self._client.request(_remove(user_id), RemovedUser)

    def reissue_invitation(self, user_id: str, *,
                           invitation_days: int | None = None) -> InvitedUser:
        return self._client.request(_reissue(user_id, invitation_days), InvitedUser)

    def list_keys(self, user_id: str = "me", *, include_revoked: bool = False) -> UserKeyList:
        return self._client.request(_keys(user_id, include_revoked), UserKeyList)

    def create_key(self, *, name: str | None = None, role: str | None = None,
                   scope: str | None = None, expires_in_days: int | None = None) -> UserKey:
        """A key of the calling user (`key` is shown only now), acting with at most the
        user's role (default: the user's, or the calling key's when lower)."""
        body = _key_body(name, role, scope, expires_in_days)
        return self._client.request(_create_key("me", body), UserKey)

    def revoke_key(self, key_id: str, *, user_id: str = "me") -> UserKey:
        return self._client.request(_revoke_key(user_id, key_id), UserKey)

    def rotate_key(self, key_id: str, *, overlap_seconds: int | None = None) -> RotatedUserKey:
        """A new key (shown once) in place of one of the caller's own; the old one keeps
        working for `overlap_seconds` (default a day)."""
        return self._client.request(_rotate_key(key_id, overlap_seconds), RotatedUserKey)

    def change_password(self, current_password: str, new_password: str) -> None:
        self._client.request(_password(current_password, new_password))

    def accept_invitation(self, token: str, password: str, *,
                          name: str | None = None) -> AcceptedInvitation:
        return self._client.request(accept_request(token, password, name), AcceptedInvitation)
