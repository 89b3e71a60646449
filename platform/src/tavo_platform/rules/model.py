"""The rule format: one YAML document per file, holding a list of rules.

Each rule has metadata (what, why, how to fix, CWE, OWASP LLM id), exactly one matcher
(`structural`, `regex` or `artifact`) and its own positive and negative examples. See
`docs/rules.md` for the reference.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from tavo import Severity

from tavo_platform.artifacts import CHECKS
from tavo_platform.engine.languages import Language

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,80}$")
CWE_ID = re.compile(r"^CWE-\d{1,5}$")
OWASP_LLM_IDS = tuple(f"LLM{n:02d}" for n in range(1, 11))


class Confidence(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


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


class Example(_Strict):
    code: str | None = None
    # Binary examples (model files) are given base64-encoded.
    base64: str | None = None
    language: Language | None = None
    filename: str | None = None

    @model_validator(mode="after")
    def _one_body(self) -> Example:
        if (self.code is None) == (self.base64 is None):
            raise ValueError("an example needs exactly one of `code` or `base64`")
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
        matchers = [m for m in (self.structural, self.regex, self.artifact) if m is not None]
        if len(matchers) != 1:
            raise ValueError("a rule needs exactly one of `structural`, `regex` or `artifact`")
        languages = set(self.languages)
        if self.structural and not languages <= {lang for lang in Language if lang.is_structural}:
            raise ValueError(
                "a structural rule's languages must be python/javascript/typescript/tsx"
            )
        if self.regex and Language.ARTIFACT in languages:
            raise ValueError("a regex rule cannot target artifacts")
        if self.artifact and languages != {Language.ARTIFACT}:
            raise ValueError("an artifact rule's languages must be [artifact]")
        if self.autofix is not None and self.structural is None:
            raise ValueError("`autofix` is only supported on structural rules")
        return self

    @property
    def matcher_kind(self) -> Literal["structural", "regex", "artifact"]:
        if self.structural is not None:
            return "structural"
        if self.regex is not None:
            return "regex"
        return "artifact"

    def examples_of(self, kind: Literal["positive", "negative"]) -> list[Example]:
        raw = getattr(self.examples, kind)
        return [Example(code=item) if isinstance(item, str) else item for item in raw]
