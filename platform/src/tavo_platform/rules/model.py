"""The rule format: one YAML document per file, holding a list of rules.

Each rule has metadata (what, why, how to fix, CWE, OWASP LLM id), exactly one matcher
(`structural`, `regex` or `artifact`) and its own positive and negative examples. See
`docs/rules.md` for the reference.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tavo_platform.artifacts import CHECKS
from tavo_platform.engine import (
    AFTER_TEXT,
    PLACEHOLDER,
    TAINT_ENTRY_KEYS,
    Confidence,
    Language,
    Severity,
)
from tavo_platform.rules.linear_regex import linear_problem

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,80}$")
CWE_ID = re.compile(r"^CWE-\d{1,5}$")
OWASP_LLM_IDS = tuple(f"LLM{n:02d}" for n in range(1, 11))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StructuralMatcher(_Strict):
    """An ast-grep rule object (https://ast-grep.github.io/reference/rule.html)."""

    rule: dict[str, Any]
    constraints: dict[str, Any] | None = None
    utils: dict[str, Any] | None = None
    transform: dict[str, Any] | None = None

    @property
    def needs_own_pass(self) -> bool:
        """Constraints, utilities and transforms are per-config in ast-grep, so such a rule
        cannot join the single combined traversal and gets a pass of its own."""
        return bool(self.constraints or self.utils or self.transform)

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"rule": self.rule}
        for key in ("constraints", "utils", "transform"):
            value = getattr(self, key)
            if value:
                config[key] = value
        return config


class RegexMatcher(_Strict):
    pattern: str
    # Named group holding the sensitive or interesting part; entropy, allow-list and
    # redaction apply to it. Defaults to the whole match.
    group: str | None = None
    min_entropy: float | None = Field(default=None, ge=0, le=8)
    allow: list[str] = []
    redact: bool = False
    ignore_case: bool = False
    paths: list[str] = []
    exclude_paths: list[str] = []
    # Run on RE2, in time linear in the text. The loader sets it on every user-supplied
    # rule (whatever the file says); such a rule's patterns must then compile under RE2.
    linear: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"invalid regular expression: {error}") from None
        return value

    @field_validator("allow")
    @classmethod
    def _allow_compiles(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid allow-list expression {value!r}: {error}") from None
        return values

    @model_validator(mode="after")
    def _group_exists(self) -> RegexMatcher:
        if self.group and self.group not in re.compile(self.pattern).groupindex:
            raise ValueError(f"group {self.group!r} is not a named group of the pattern")
        return self

    @model_validator(mode="after")
    def _linear_when_asked(self) -> RegexMatcher:
        if self.linear:
            for pattern in (self.pattern, *self.allow):
                problem = linear_problem(pattern)
                if problem:
                    raise ValueError(problem)
        return self


class ArtifactMatcher(_Strict):
    """Flags imports of callables, by `module.name` glob, found in a pickle stream; or
    format checks (a Keras Lambda layer, an ONNX path out of the model's directory...)
    reported by the artifacts package, by check id."""

    imports: list[str] = []
    exclude_imports: list[str] = []
    checks: list[str] = []

    @model_validator(mode="after")
    def _imports_or_checks(self) -> ArtifactMatcher:
        if bool(self.imports) == bool(self.checks):
            raise ValueError("an artifact matcher needs exactly one of `imports` or `checks`")
        if self.exclude_imports and not self.imports:
            raise ValueError("`exclude_imports` needs `imports`")
        unknown = sorted(set(self.checks) - CHECKS)
        if unknown:
            raise ValueError(f"unknown artifact checks {unknown}; known: {sorted(CHECKS)}")
        return self


_METAVARIABLE = re.compile(r"^\$[A-Z_][A-Z0-9_]*$")


class TaintMatcher(_Strict):
    """Data flow from `sources` to `sinks`, unless a `sanitizers` entry cleans it on the way;
    `propagators` name calls that pass taint from one argument to another. Each entry is an
    ast-grep rule object; `focus: $X` narrows it to the node bound to `$X` (the query of
    `cursor.execute($Q, $$$)`), `label` names a source in traces, and a propagator says
    `from: $A` and `to: $B`. See docs/rules.md."""

    sources: list[dict[str, Any]] = Field(min_length=1)
    sinks: list[dict[str, Any]] = Field(min_length=1)
    sanitizers: list[dict[str, Any]] = []
    propagators: list[dict[str, Any]] = []

    @field_validator("sources", "sinks", "sanitizers", "propagators", mode="before")
    @classmethod
    def _flattened(cls, value: Any) -> Any:
        """An entry may be a list of entries (a YAML alias of a shared list): flattened."""
        if not isinstance(value, list):
            return value
        flat: list[Any] = []
        pending = list(reversed(value))
        while pending:
            item = pending.pop()
            if isinstance(item, list):
                pending.extend(reversed(item))
            else:
                flat.append(item)
        return flat

    @model_validator(mode="after")
    def _entries_well_formed(self) -> TaintMatcher:
        for role in ("sources", "sinks", "sanitizers", "propagators"):
            for index, entry in enumerate(getattr(self, role)):
                problem = _taint_entry_problem(role, entry)
                if problem:
                    raise ValueError(f"taint.{role}[{index}]: {problem}")
        return self


def _taint_entry_problem(role: str, entry: dict[str, Any]) -> str | None:
    if AFTER_TEXT in entry:
        return _after_text_problem(role, entry)
    if not {k for k in entry if k not in TAINT_ENTRY_KEYS}:
        return "needs an ast-grep rule (pattern, kind, regex, any, all, ...)"
    for key in ("focus", "from", "to"):
        value = entry.get(key)
        if value is not None and not (isinstance(value, str) and _METAVARIABLE.match(value)):
            return f"`{key}` must name a metavariable such as $X"
    if role == "propagators" and not (entry.get("from") and entry.get("to")):
        return "a propagator needs `from: $A` and `to: $B`"
    if role != "propagators" and (entry.get("from") or entry.get("to")):
        return "`from`/`to` belong to propagators"
    if entry.get("label") is not None and not isinstance(entry.get("label"), str):
        return "`label` must be text"
    placeholder = entry.get(PLACEHOLDER)
    if placeholder is not None and not (
        isinstance(placeholder, dict)
        and set(placeholder) == {"name", "template"}
        and all(isinstance(v, str) and _METAVARIABLE.match(v) for v in placeholder.values())
    ):
        return f"`{PLACEHOLDER}` must be {{name: $K, template: $T}} (two metavariables)"
    return None


def _after_text_problem(role: str, entry: dict[str, Any]) -> str | None:
    """`{after_text: REGEX}`: a sanitiser by position in a string built from pieces."""
    if role != "sanitizers":
        return f"`{AFTER_TEXT}` belongs to sanitizers"
    if set(entry) != {AFTER_TEXT}:
        return f"`{AFTER_TEXT}` stands alone in its entry"
    value = entry[AFTER_TEXT]
    if not isinstance(value, str) or not value:
        return f"`{AFTER_TEXT}` must be a regular expression"
    try:
        re.compile(value)
    except re.error as error:
        return f"`{AFTER_TEXT}`: invalid regular expression: {error}"
    return None


class Example(_Strict):
    code: str | None = None
    # Binary examples (model files) are given base64-encoded.
    base64: str | None = None
    # A small project (relative path -> code), for flows across files; scanned as one root.
    files: dict[str, str] | None = None
    language: Language | None = None
    filename: str | None = None

    @model_validator(mode="after")
    def _one_body(self) -> Example:
        bodies = [b for b in (self.code, self.base64, self.files) if b is not None]
        if len(bodies) != 1:
            raise ValueError("an example needs exactly one of `code`, `base64` or `files`")
        if self.files is not None and not self.files:
            raise ValueError("`files` needs at least one file")
        return self


class Examples(_Strict):
    positive: list[Example | str] = Field(min_length=1)
    negative: list[Example | str] = Field(min_length=1)


class Rule(_Strict):
    id: str
    title: str = Field(min_length=3)
    message: str = Field(min_length=3)
    severity: Severity
    confidence: Confidence
    category: str = Field(min_length=2)
    languages: list[Language] = Field(min_length=1)
    cwe: list[str] = []
    owasp_llm: Literal[
        "LLM01", "LLM02", "LLM03", "LLM04", "LLM05", "LLM06", "LLM07", "LLM08", "LLM09", "LLM10"
    ] | None = None
    references: list[str] = []
    fix: str = Field(min_length=3)
    autofix: str | None = None
    structural: StructuralMatcher | None = None
    regex: RegexMatcher | None = None
    artifact: ArtifactMatcher | None = None
    taint: TaintMatcher | None = None
    # Free-form labels carried to findings (a finding merged from several rules has them all).
    tags: list[str] = []
    examples: Examples
    # Filled in by the loader, not written in the file.
    pack: str = "custom"
    source: str = ""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError("must be 3-81 chars of lowercase letters, digits, '.', '_' or '-'")
        return value

    @field_validator("severity", mode="before")
    @classmethod
    def _severity_any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence_any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cwe")
    @classmethod
    def _cwe_shape(cls, values: list[str]) -> list[str]:
        for value in values:
            if not CWE_ID.match(value):
                raise ValueError(f"{value!r} is not of the form CWE-<number>")
        return values

    @model_validator(mode="after")
    def _one_matcher_fitting_languages(self) -> Rule:
        matchers = [
            m for m in (self.structural, self.regex, self.artifact, self.taint) if m is not None
        ]
        if len(matchers) != 1:
            raise ValueError(
                "a rule needs exactly one of `structural`, `regex`, `artifact` or `taint`"
            )
        languages = set(self.languages)
        structural_languages = {lang for lang in Language if lang.is_structural}
        if self.structural and not languages <= structural_languages:
            raise ValueError(
                "a structural rule's languages must be python/javascript/typescript/tsx"
            )
        if self.taint and not languages <= structural_languages:
            raise ValueError("a taint rule's languages must be python/javascript/typescript/tsx")
        if self.regex and Language.ARTIFACT in languages:
            raise ValueError("a regex rule cannot target artifacts")
        if self.artifact and languages != {Language.ARTIFACT}:
            raise ValueError("an artifact rule's languages must be [artifact]")
        if self.autofix is not None and self.structural is None:
            raise ValueError("`autofix` is only supported on structural rules")
        return self

    @property
    def matcher_kind(self) -> Literal["structural", "regex", "artifact", "taint"]:
        if self.structural is not None:
            return "structural"
        if self.taint is not None:
            return "taint"
        if self.regex is not None:
            return "regex"
        return "artifact"

    def examples_of(self, kind: Literal["positive", "negative"]) -> list[Example]:
        raw = getattr(self.examples, kind)
        return [Example(code=item) if isinstance(item, str) else item for item in raw]
