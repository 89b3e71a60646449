"""The audit log: security-relevant actions of an organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = ["AuditEntry", "AuditLog"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry(Model):
    """Who (`actor`: a key id) did what (`action`, e.g. `webhook.created`) to which object."""

    id: int
    actor: str
    action: str
    target_type: str
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditLog(PageInfo):
    items: list[AuditEntry] = field(default_factory=list)
