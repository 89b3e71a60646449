"""The audit log (the admin role): users, keys, repository secrets and credentials, webhooks,
schedules, triage and deletions, newest first."""

from __future__ import annotations

from tavo._base_client import APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.audit import AuditLog

__all__ = ["AsyncAuditLog", "SyncAuditLog"]


def _list(action: str | None, target_id: str | None, offset: int | None,
          limit: int | None, actor_user: str | None = None) -> APIRequest:
    query = merged(None, action=action, target_id=target_id, offset=offset, limit=limit,
                   actor_user=actor_user)
    return APIRequest("GET", path("audit-log"), params=query, cacheable=False)


class AsyncAuditLog(AsyncResource):
    """`client.audit_log` of the async client."""

    async def list_audit_log(
        self, *, action: str | None = None, target_id: str | None = None,
        offset: int | None = None, limit: int | None = None, actor_user: str | None = None,
    ) -> AuditLog:
        """Entries newest first; `action` is a prefix (`webhook.`); `actor_user` a user's
        id (what that user did)."""
        return await self._client.request(
            _list(action, target_id, offset, limit, actor_user), AuditLog
        )


class SyncAuditLog(SyncResource):
    """`client.audit_log` of the sync client."""

    def list_audit_log(
        self, *, action: str | None = None, target_id: str | None = None,
        offset: int | None = None, limit: int | None = None, actor_user: str | None = None,
    ) -> AuditLog:
        """Entries newest first; `action` is a prefix (`webhook.`); `actor_user` a user's
        id (what that user did)."""
        return self._client.request(_list(action, target_id, offset, limit, actor_user),
                                    AuditLog)
