"""What every matcher produces: raw matches that the scanner turns into findings."""

from __future__ import annotations

from dataclasses import dataclass

from tavo_platform.engine._findings import Autofix, Span
from tavo_platform.engine._rule_spec import RuleSpec


@dataclass(frozen=True, slots=True)
class Match:
    rule: RuleSpec
    span: Span
    # The text the fingerprint is computed from: what matched, not where.
    matched_text: str
    # Shown to users (after redaction); defaults to the source lines of the span.
    snippet: str | None = None
    autofix: Autofix | None = None
