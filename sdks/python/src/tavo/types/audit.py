"""The audit log: security-relevant actions of an organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = ["AuditActor", "AuditEntry", "AuditLog"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditActor(Model):
    """The user who acted, with their e-mail address at the time."""

    id: str
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry(Model):
    """Who (`actor`: a key id; `actor_user`: the user whose key it is, None for an
    organisation key) did what (`action`, e.g. `webhook.created`) to which object."""

    id: int
    actor: str
    actor_user: AuditActor | None = None
    action: str
    target_type: str
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditLog(PageInfo):
    items: list[AuditEntry] = field(default_factory=list)
