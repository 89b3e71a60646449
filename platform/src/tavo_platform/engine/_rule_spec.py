"""What the engine needs of a rule, as protocols: the rules package's YAML model (and any
other rule source) satisfies them, so the engine never imports the rules package.

The matcher specs list only what each matcher reads; `RuleSpec` adds the metadata a
finding carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tavo_platform.engine._findings import Confidence, Severity
from tavo_platform.engine._languages import Language

# Keys of a taint entry that are Tavo's, not ast-grep's: the rest is an ast-grep rule object.
TAINT_ENTRY_KEYS = frozenset(
    {"focus", "label", "from", "to", "constraints", "utils", "placeholder"}
)
# `placeholder: {name: $K, template: $T}`: the match holds only where the text bound to
# $K names a `{K}` placeholder of the template string bound to $T (the variables of a
# prompt template filled by `chain.invoke({"K": ...})` or `format_messages(K=...)`).
PLACEHOLDER = "placeholder"
# A sanitiser by position, not by syntax: `{after_text: REGEX}` cleans each part of a
# string built from pieces (f-string, template literal, `+`, `%`, `.format`) whose preceding
# literal text matches REGEX (a value after "?" in a URL is in its query, say).
AFTER_TEXT = "after_text"


class StructuralSpec(Protocol):
    """An ast-grep rule object, with the per-config parts ast-grep allows beside it."""

    @property
    def rule(self) -> dict[str, Any]: ...

    @property
    def needs_own_pass(self) -> bool: ...

    def config(self) -> dict[str, Any]: ...


class RegexSpec(Protocol):
    @property
    def pattern(self) -> str: ...

    @property
    def group(self) -> str | None: ...

    @property
    def min_entropy(self) -> float | None: ...

    @property
    def allow(self) -> Sequence[str]: ...

    @property
    def redact(self) -> bool: ...

    @property
    def ignore_case(self) -> bool: ...

    @property
    def paths(self) -> Sequence[str]: ...

    @property
    def exclude_paths(self) -> Sequence[str]: ...

    @property
    def linear(self) -> bool:
        """Match on a linear-time engine (RE2): user-supplied rules must."""
        ...


class ArtifactSpec(Protocol):
    @property
    def imports(self) -> Sequence[str]: ...

    @property
    def exclude_imports(self) -> Sequence[str]: ...

    @property
    def checks(self) -> Sequence[str]: ...


class TaintSpec(Protocol):
    """Entries are ast-grep rule objects plus TAINT_ENTRY_KEYS."""

    @property
    def sources(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def sinks(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def sanitizers(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def propagators(self) -> Sequence[Mapping[str, Any]]: ...


class RuleSpec(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def confidence(self) -> Confidence: ...

    @property
    def category(self) -> str: ...

    @property
    def languages(self) -> Sequence[Language]: ...

    @property
    def cwe(self) -> Sequence[str]: ...

    @property
    def owasp_llm(self) -> str | None: ...

    @property
    def references(self) -> Sequence[str]: ...

    @property
    def fix(self) -> str: ...

    @property
    def autofix(self) -> str | None: ...

    @property
    def tags(self) -> Sequence[str]: ...

    @property
    def pack(self) -> str: ...

    @property
    def structural(self) -> StructuralSpec | None: ...

    @property
    def regex(self) -> RegexSpec | None: ...

    @property
    def artifact(self) -> ArtifactSpec | None: ...

    @property
    def taint(self) -> TaintSpec | None: ...
