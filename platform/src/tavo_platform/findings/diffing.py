"""New, fixed and unchanged findings between two sets, by fingerprint (which stays the same
when unrelated lines move), and a diff-aware scan's outcome: only what its head introduced
relative to its base."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tavo_platform.jobs.execution import summarise


@dataclass(frozen=True, slots=True)
class Diff:
    new: list[dict[str, Any]]
    fixed: list[dict[str, Any]]
    unchanged: list[dict[str, Any]]

    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "fixed": len(self.fixed), "unchanged": len(self.unchanged)}


def by_fingerprint(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {document["fingerprint"]: document for document in documents}


def diff(
    head: Mapping[str, dict[str, Any]], base: Mapping[str, dict[str, Any]]
) -> Diff:
    """Findings of `head` not in `base` are new, of `base` not in `head` fixed; both keep
    their scan's order. Unchanged ones are given as `head` has them (current lines)."""
    return Diff(
        new=[document for fingerprint, document in head.items() if fingerprint not in base],
        fixed=[document for fingerprint, document in base.items() if fingerprint not in head],
        unchanged=[document for fingerprint, document in head.items() if fingerprint in base],
    )


def diff_aware_outcome(
    head: dict[str, Any],
    base: dict[str, Any],
    base_ref: str,
    base_commit: str | None,
) -> dict[str, Any]:
    """A scan outcome (summary, findings, rule ids) that keeps only the findings the head
    introduced; its summary counts those and tells what the comparison found."""
    changes = diff(by_fingerprint(head["findings"]), by_fingerprint(base["findings"]))
    scanned = head["summary"]
    summary = summarise(
        changes.new,
        scanned["files_scanned"],
        scanned["skipped_by_reason"],
        scanned["rules_run"],
        scanned["duration_seconds"] + base["summary"]["duration_seconds"],
    )
    summary["diff"] = {"base_ref": base_ref, "base_commit": base_commit, **changes.counts()}
    return {**head, "summary": summary, "findings": changes.new}
