"""Shapes shared by several resources: the page envelope and the per-item error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tavo._models import Model

__all__ = ["ErrorInfo", "PageInfo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageInfo(Model):
    """Where a page sits in the whole list. Both styles are given: offset/limit and
    page/page_size (pages count from 0)."""

    total: int = 0
    offset: int = 0
    limit: int = 0
    page: int = 0
    page_size: int = 0
    has_more: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo(Model):
    """An error about one item of a bulk request (the same fields as the error envelope)."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
