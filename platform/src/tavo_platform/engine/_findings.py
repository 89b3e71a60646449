"""The one shape of a finding, used by every output (CLI, JSON, SARIF, API)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

FINGERPRINT_VERSION = "tavo/v1"


class Severity(StrEnum):
    """Finding severities, most severe first. The engine's own: the API's `Severity` schema
    is generated from it, and the Python SDK's copy is checked against that schema."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        """0 for CRITICAL up to 4 for INFO: lower is more severe."""
        return SEVERITY_ORDER.index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().upper())
        except ValueError:
            choices = ", ".join(s.value.lower() for s in cls)
            raise ValueError(f"unknown severity {value!r} (choose from {choices})") from None


SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)


class Confidence(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


@dataclass(frozen=True, slots=True)
class Span:
    start_line: int  # 1-based
    start_column: int  # 1-based, in characters
    end_line: int
    end_column: int  # 1-based, exclusive


@dataclass(frozen=True, slots=True)
class Autofix:
    """Replace the characters of `span` with `replacement`."""

    span: Span
    start_offset: int  # character offsets into the file, for applying the fix
    end_offset: int
    replacement: str


@dataclass(frozen=True, slots=True)
class CodeContext:
    """What the syntax tree says about the code around a finding, worked out at scan time
    (engine/_context.py) because scans keep no source once they finish."""

    function: str | None = None  # the innermost named function around the finding
    # How that code is reached from outside: web_handler, llm_tool, cli, or None.
    entrypoint: str | None = None
    # Untrusted input seen reaching the flagged code within the same function: request,
    # handler_parameter, llm_output, user_input.
    untrusted_sources: tuple[str, ...] = ()
    # A parameter of the enclosing (not entry-point) function reaches it: callers decide.
    from_parameters: bool = False
    # Only literals and constants reach the flagged call's arguments (None: no arguments).
    constant_input: bool | None = None
    dead_code: bool = False
    # Sanitising calls (int(), shlex.quote(), html.escape()...) that untrusted input reaching
    # it went through; whether they protect this sink is for the analysis to judge.
    sanitizers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["untrusted_sources"] = list(self.untrusted_sources)
        data["sanitizers"] = list(self.sanitizers)
        return data


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a data flow: where the data is and what happens to it there."""

    path: str
    line: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "note": self.note}


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    title: str
    message: str
    severity: Severity
    confidence: str
    category: str
    cwe: tuple[str, ...]
    owasp_llm: str | None
    path: str  # relative to the scan root, '/'-separated
    span: Span
    snippet: str  # secrets already redacted
    fingerprint: str
    fix: str
    pack: str
    autofix: Autofix | None = None
    references: tuple[str, ...] = field(default=())
    context: CodeContext | None = None
    # For a finding of a taint rule: the flow from source to sink, source first.
    trace: tuple[TraceStep, ...] = ()
    # Labels of the rules behind the finding (`test-code` when it lies in test code).
    tags: tuple[str, ...] = ()
    # Other rules that reported the same root cause, merged into this finding.
    related_rules: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.fingerprint[:16]

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.start_line, self.span.start_column, self.rule_id)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "rule_id": self.rule_id,
            "title": self.title,
            "message": self.message,
            "severity": self.severity.value,
            "confidence": self.confidence,
            "category": self.category,
            "cwe": list(self.cwe),
            "owasp_llm": self.owasp_llm,
            "pack": self.pack,
            "path": self.path,
            **asdict(self.span),
            "snippet": self.snippet,
            "fingerprint": self.fingerprint,
            "fix": self.fix,
            "references": list(self.references),
            "autofix": None,
            "context": self.context.to_dict() if self.context is not None else None,
            "trace": [step.to_dict() for step in self.trace],
            "tags": list(self.tags),
            "related_rules": list(self.related_rules),
        }
        if self.autofix is not None:
            data["autofix"] = {
                "replacement": self.autofix.replacement,
                **asdict(self.autofix.span),
            }
        return data


def fingerprint(rule_id: str, path: str, matched_text: str, occurrence: int) -> str:
    """Identity of a finding that survives unrelated edits: it hashes what matched (with
    whitespace normalised) and which occurrence of that text it is in the file, never the
    line number."""
    normalised = normalise_matched_text(matched_text)
    material = "\0".join((FINGERPRINT_VERSION, rule_id, path, normalised, str(occurrence)))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


_SPACE_NEXT_TO_PUNCTUATION = re.compile(r" (?=\W)|(?<=\W) ")
_TRAILING_COMMA = re.compile(r",(?=[)\]}])")


def normalise_matched_text(text: str) -> str:
    """The matched code with formatting removed, so a reformatter (re-indenting, wrapping a
    call over several lines, a magic trailing comma) keeps the fingerprint: whitespace
    survives only as one space between two word characters (`not x`, `return y`)."""
    collapsed = _SPACE_NEXT_TO_PUNCTUATION.sub("", " ".join(text.split()))
    return _TRAILING_COMMA.sub("", collapsed)
