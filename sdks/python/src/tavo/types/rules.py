"""Scan rules and rule packs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from tavo._models import Model

__all__ = [
    "CustomRuleFile",
    "CustomRuleFileList",
    "ListRulesParams",
    "Rule",
    "RuleDetail",
    "RuleList",
    "RulePack",
    "RulePackList",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule(Model):
    """A rule's metadata."""

    id: str
    title: str = ""
    message: str = ""
    severity: str = "INFO"
    confidence: str | None = None
    category: str | None = None
    cwe: list[str] = field(default_factory=list)
    owasp_llm: str | None = None
    languages: list[str] = field(default_factory=list)
    pack: str | None = None
    references: list[str] = field(default_factory=list)
    fix: str | None = None
    autofix: str | None = None
    matcher: str | None = None
    custom: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleDetail(Rule):
    """A rule with its definition and its test examples."""

    definition: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RulePack(Model):
    """A pack of rules and what it covers."""

    name: str
    custom: bool = False
    rules: int = 0
    languages: list[str] = field(default_factory=list)
    severities: dict[str, int] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    owasp_llm: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleList(Model):
    """The rules (after filters) and the packs they come from."""

    items: list[Rule] = field(default_factory=list)
    total: int = 0
    packs: list[RulePack] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class RulePackList(Model):
    """Every pack."""

    items: list[RulePack] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomRuleFile(Model):
    """An organisation's own rule file."""

    id: str
    name: str = ""
    rule_ids: list[str] = field(default_factory=list)
    size: int = 0
    created_at: str | None = None
    # Only when one file is fetched.
    content: str | None = None
    # Only in the answer to an upload.
    replaced: bool | None = None
    rules: list[Rule] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomRuleFileList(Model):
    """The organisation's custom rule files."""

    items: list[CustomRuleFile] = field(default_factory=list)
    total: int = 0


class ListRulesParams(TypedDict, total=False):
    """Filters of `list_rules`; each takes one value or a list."""

    pack: str | list[str]
    severity: str | list[str]
    language: str | list[str]
    owasp_llm: str | list[str]
    category: str | list[str]
