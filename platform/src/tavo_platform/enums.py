"""The platform's closed sets of names, in one place: scan and analysis statuses, scan types
and sources, webhook delivery statuses, key scopes, finding statuses.

Each is a `StrEnum`, so a member *is* its string (`ScanStatus.QUEUED == "queued"`, it is
stored and serialised as "queued"). Where the HTTP schema spells a set out inline (a
pydantic `Literal`, which keeps the OpenAPI document as clients know it) the `Literal` is
defined here too, beside its enum, and tests/platform/test_enums.py checks the two agree.
tests/platform/test_enums.py also fails when a scan-status string is written as a bare
literal anywhere else in the platform package.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class ScanStatus(StrEnum):
    """A scan's (and an AI analysis's) lifecycle: queued -> running -> one of the finished."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATUSES


FINISHED_STATUSES = frozenset({ScanStatus.COMPLETED, ScanStatus.FAILED, ScanStatus.CANCELLED})

# The same set as the API's query parameter and response fields spell it.
ScanStatusName = Literal["queued", "running", "completed", "failed", "cancelled"]


class ScanType(StrEnum):
    SECURITY = "security"
    COMPREHENSIVE = "comprehensive"
    LLM = "llm"
    SECRETS = "secrets"
    CODE = "code"
    MODELS = "models"


ScanTypeName = Literal["security", "comprehensive", "llm", "secrets", "code", "models"]


class ScanSource(StrEnum):
    """Where a scan's code comes from: a git clone, or an uploaded archive."""

    GIT = "git"
    UPLOAD = "upload"


class DeliveryStatus(StrEnum):
    """A webhook delivery's state."""

    PENDING = "pending"
    DELIVERING = "delivering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class KeyScope(StrEnum):
    FULL = "full"
    READ_ONLY = "read-only"
    SCANS_ONLY = "scans-only"


KeyScopeName = Literal["full", "read-only", "scans-only"]
