"""What the scans service is asked for, and what it answers: plain records, no HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from tavo_platform.enums import ScanType
from tavo_platform.fetch.archive import Unpacked
from tavo_platform.store.records import Scan

BUDGET_MESSAGE = "scan creation limit exceeded for this key"


class Charge(Protocol):
    """A budget's answer to one charge (the server's rate-limit decision is one)."""

    @property
    def allowed(self) -> bool: ...


C = TypeVar("C", bound=Charge)

# Checks the caller's scan budget and, if it allows one more scan, charges it (one atomic
# step); the service calls it once per scan, only after the request passed validation.
Charger = Callable[[], Awaitable[C]]


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's Idempotency-Key and the fingerprint of the request it came with."""

    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class GitScanRequest:
    """A scan of a git repository (single and bulk creates)."""

    repository_url: str
    scan_type: str = ScanType.SECURITY
    ref: str | None = None
    base_ref: str | None = None
    rules: Sequence[str] = ()
    exclusions: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class UploadScanRequest:
    """A scan of an uploaded archive (.tar.gz/.tgz/.tar/.zip bytes)."""

    archive: bytes
    max_entries: int  # the caller's cap on archive entries (its tier)
    scan_type: str = ScanType.SECURITY
    rules: Sequence[str] = ()
    exclusions: Sequence[str] = ()
    project: str | None = None


@dataclass(frozen=True, slots=True)
class Admitted(Generic[C]):
    """Created scans (or, `replayed`, the ones an earlier request with the same key made),
    the budget charge that admitted them and, for uploads, what was unpacked."""

    scans: list[Scan]
    replayed: bool
    charge: C | None = None
    unpacked: Unpacked | None = None


@dataclass(frozen=True, slots=True)
class BulkAdmitted(Generic[C]):
    """A bulk create's outcome: `results[i]` is about item i (`{"index", "success"}`, plus
    `error` for refused items), `scan_ids` the created scans' ids in the order of the
    successful items, `scans` those scans that still exist, `charge` the last budget
    decision taken (None when nothing was charged: no valid item, or a replay)."""

    results: list[dict[str, Any]]
    scan_ids: list[str]
    scans: list[Scan] = field(default_factory=list)
    replayed: bool = False
    charge: C | None = None
