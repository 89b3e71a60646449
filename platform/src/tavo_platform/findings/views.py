"""How tracked findings, their history and triage-adjusted scan summaries look in the API."""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from typing import Any

from tavo_platform.server.views import iso
from tavo_platform.store.findings import FindingEvent, TrackedFinding

CURSOR_VERSION = "v1"


def finding_view(finding: TrackedFinding) -> dict[str, Any]:
    """The finding's latest document (the shape of scan results), plus its life."""
    return {
        **finding.data,
        "id": finding.id,
        "repository_id": finding.repository_id,
        "project": finding.scope.removeprefix("upload:") if not finding.repository_id else None,
        "status": finding.status,
        "detection_status": finding.detection,
        "triage": (
            {
                "status": finding.triage,
                "by": finding.triage_by,
                "at": iso(finding.triage_at),
                "comment": finding.triage_comment,
            }
            if finding.triage
            else None
        ),
        "first_seen_scan_id": finding.first_seen_scan_id,
        "last_seen_scan_id": finding.last_seen_scan_id,
        "fixed_scan_id": finding.fixed_scan_id,
        "first_seen_at": iso(finding.first_seen_at),
        "last_seen_at": iso(finding.last_seen_at),
        "updated_at": iso(finding.updated_at),
    }


def event_view(event: FindingEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": event.actor,
        "comment": event.comment,
        "scan_id": event.scan_id,
        "at": iso(event.created_at),
    }


def encode_cursor(seq: int) -> str:
    raw = f"{CURSOR_VERSION}:{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The keyset position in a cursor, or None when it is not one this server issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    version, _, seq = raw.partition(":")
    if version != CURSOR_VERSION or not seq.isdigit() or len(seq) > 19:
        return None
    return int(seq)


def without_triaged(
    summary: dict[str, Any] | None, triaged: list[TrackedFinding]
) -> dict[str, Any] | None:
    """A scan summary whose counts leave out the findings triaged away, with what was left
    out under `triaged`."""
    if summary is None:
        return None
    adjusted = dict(summary)
    adjusted["triaged"] = {
        "total": len(triaged),
        "by_status": dict(sorted(Counter(f.triage or "" for f in triaged).items())),
    }
    if not triaged:
        return adjusted
    adjusted["total"] = max(0, int(summary.get("total", 0)) - len(triaged))
    for key, values in (
        ("by_severity", Counter(f.severity for f in triaged)),
        ("by_category", Counter(f.category for f in triaged)),
        ("by_owasp_llm", Counter(f.owasp_llm for f in triaged if f.owasp_llm)),
    ):
        counts = dict(summary.get(key) or {})
        for name, removed in values.items():
            if name in counts:
                counts[name] = max(0, int(counts[name]) - removed)
        if key != "by_severity":
            counts = {name: count for name, count in counts.items() if count}
        adjusted[key] = counts
    return adjusted
