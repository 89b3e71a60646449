"""Loads rule files, one rule at a time, so one bad rule never stops the others."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ast_grep_py import SgRoot
from pydantic import ValidationError

from tavo_platform.rules.model import Rule

BUILTIN_PACKS_DIR = Path(__file__).parent / "packs"
RULE_FILE_SUFFIXES = (".yaml", ".yml")
MAX_RULE_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class RuleLoadError:
    file: str
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: rule {self.rule_id!r}" if self.rule_id else self.file
        return f"{where}: {self.message}"


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    errors: list[RuleLoadError] = field(default_factory=list)

    def extend(self, other: RuleSet) -> None:
        known = {rule.id for rule in self.rules}
        for rule in other.rules:
            if rule.id in known:
                self.errors.append(
                    RuleLoadError(rule.source, rule.id, "duplicate rule id (first one kept)")
                )
                continue
            known.add(rule.id)
            self.rules.append(rule)
        self.errors.extend(other.errors)

    def select(self, only: Sequence[str] = (), skip: Sequence[str] = ()) -> RuleSet:
        """Keeps the rules named by --only (ids, pack names or globs) minus those in --skip."""
        chosen = [
            rule
            for rule in self.rules
            if (not only or _selected(rule, only)) and not _selected(rule, skip)
        ]
        return RuleSet(chosen, list(self.errors))


def _selected(rule: Rule, selectors: Iterable[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(rule.id, selector) or fnmatch.fnmatchcase(rule.pack, selector)
        for selector in selectors
    )


def builtin_pack_names() -> list[str]:
    return sorted(p.name for p in BUILTIN_PACKS_DIR.iterdir() if p.is_dir())


def load_builtin_rules() -> RuleSet:
    rules = RuleSet()
    for pack in builtin_pack_names():
        rules.extend(load_rules(BUILTIN_PACKS_DIR / pack, pack=pack))
    return rules


def load_rules(path: Path, pack: str | None = None) -> RuleSet:
    """Loads a rule file or every rule file under a directory."""
    if not path.exists():
        return RuleSet(errors=[RuleLoadError(str(path), None, "no such file or directory")])
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in RULE_FILE_SUFFIXES and p.is_file())
        if not files:
            return RuleSet(errors=[RuleLoadError(str(path), None, "no .yaml/.yml rule files")])
    else:
        files = [path]
    result = RuleSet()
    for file in files:
        result.extend(load_rule_file(file, pack or "custom"))
    return result


def load_rule_file(file: Path, pack: str) -> RuleSet:
    try:
        if file.stat().st_size > MAX_RULE_FILE_BYTES:
            return _failed(file, f"larger than {MAX_RULE_FILE_BYTES} bytes")
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return _failed(file, f"cannot read: {error}")
    except yaml.YAMLError as error:
        return _failed(file, f"invalid YAML: {_one_line(str(error))}")
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        return _failed(file, "expected a mapping with a `rules:` list")
    result = RuleSet()
    for index, raw in enumerate(document["rules"]):
        rule, error = _parse_rule(file, pack, index, raw)
        if rule is not None:
            result.rules.append(rule)
        if error is not None:
            result.errors.append(error)
    return result


def _parse_rule(
    file: Path, pack: str, index: int, raw: Any
) -> tuple[Rule | None, RuleLoadError | None]:
    name = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    label = name or f"#{index + 1}"
    if not isinstance(raw, dict):
        return None, RuleLoadError(str(file), label, "a rule must be a mapping")
    try:
        rule = Rule.model_validate({**raw, "pack": pack, "source": str(file)})
    except ValidationError as error:
        return None, RuleLoadError(str(file), label, _describe(error))
    problem = _structural_problem(rule)
    if problem:
        return None, RuleLoadError(str(file), label, problem)
    return rule, None


def _structural_problem(rule: Rule) -> str | None:
    """ast-grep only reports a bad rule when it runs it, so run it once on empty code."""
    if rule.structural is None:
        return None
    for language in rule.languages:
        try:
            SgRoot("", language.value).root().find_all(rule.structural.config())
        except BaseException as error:  # the Rust binding raises plain Exception subclasses
            if isinstance(error, KeyboardInterrupt):
                raise
            return f"invalid structural matcher for {language.value}: {_one_line(str(error))}"
    return None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "rule"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _failed(file: Path, message: str) -> RuleSet:
    return RuleSet(errors=[RuleLoadError(str(file), None, message)])
