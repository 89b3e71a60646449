"""Repositories, with their last scan and finding trend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from tavo._models import Model
from tavo.types.common import PageInfo
from tavo.types.scans import Scan

__all__ = ["ListRepositoriesParams", "Repository", "RepositoryList", "TrendPoint"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendPoint(Model):
    """Finding counts of one completed scan, oldest first in a repository's trend."""

    scan_id: str
    created_at: str | None = None
    finished_at: str | None = None
    total: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Repository(Model):
    """A repository the organisation scans."""

    id: str
    url: str
    name: str = ""
    default_branch: str | None = None
    created_at: str | None = None
    last_scan: Scan | None = None
    trend: list[TrendPoint] = field(default_factory=list)
    hooks_enabled: bool = False
    # The kind of credentials set for fetching ({"kind", "username"}), never the secret.
    credentials: dict[str, Any] | None = None
    # Tracked findings still open: {"total": n, "by_severity": {...}}.
    open_findings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RepositoryList(PageInfo):
    """One page of repositories."""

    items: list[Repository] = field(default_factory=list)


class ListRepositoriesParams(TypedDict, total=False):
    """Paging of `list_repositories`, and how many scans each trend shows."""

    page: int
    page_size: int
    offset: int
    limit: int
    trend_size: int
