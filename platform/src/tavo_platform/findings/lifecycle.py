"""The rules of a tracked finding's life, apart from storage.

A finding is identified by its fingerprint within a scope (a repository, or an upload
project). Each completed scan of the scope is compared with what is known:
- a fingerprint never seen is new (`open`);
- a known one seen again stays as it is, unless it was `fixed`: then it is `reopened`;
- a known `open`/`reopened` one not seen is `fixed`, but only when the scan ran its rule
  (a scan of secrets only says nothing about injection findings).
Triage (`false_positive`, `accepted_risk`, `wont_fix`) is a person's verdict and is kept
through all of this; the status shown is the triage state while there is one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Detection(StrEnum):
    OPEN = "open"
    FIXED = "fixed"
    REOPENED = "reopened"


class Triage(StrEnum):
    FALSE_POSITIVE = "false_positive"
    ACCEPTED_RISK = "accepted_risk"
    WONT_FIX = "wont_fix"


STATUSES = tuple(Detection) + tuple(Triage)
STILL_PRESENT = frozenset({Detection.OPEN, Detection.REOPENED})


def effective_status(detection: str, triage: str | None) -> str:
    return triage if triage else detection


def scope_of(repository_id: str | None, project: str | None) -> str | None:
    """The scope a scan's findings live in: its repository, else its upload project, else
    none (an upload without a project is an island)."""
    if repository_id:
        return repository_id
    if project:
        return f"upload:{project}"
    return None


@dataclass(frozen=True, slots=True)
class Known:
    """What the comparison needs of a tracked finding."""

    id: str
    fingerprint: str
    rule_id: str
    detection: str


@dataclass(slots=True)
class Plan:
    new: list[str] = field(default_factory=list)  # fingerprints
    seen: list[str] = field(default_factory=list)  # ids of known findings seen again
    reopened: list[str] = field(default_factory=list)  # ids, a subset of `seen`
    fixed: list[str] = field(default_factory=list)  # ids


def plan(
    known: Mapping[str, Known],
    found: Mapping[str, Mapping[str, Any]],
    rules_run: Collection[str] | None,
) -> Plan:
    """What a completed scan with findings `found` (by fingerprint) changes. `rules_run`
    None means the scan's rules are not known: nothing is then marked fixed."""
    result = Plan()
    for fingerprint in found:
        existing = known.get(fingerprint)
        if existing is None:
            result.new.append(fingerprint)
            continue
        result.seen.append(existing.id)
        if existing.detection == Detection.FIXED:
            result.reopened.append(existing.id)
    if rules_run is not None:
        ran = set(rules_run)
        result.fixed = [
            existing.id
            for fingerprint, existing in known.items()
            if fingerprint not in found
            and existing.detection in STILL_PRESENT
            and existing.rule_id in ran
        ]
    return result
