"""Loads rule files, one rule at a time, so one bad rule never stops the others."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from ast_grep_py import SgRoot
from pydantic import ValidationError

from tavo_platform.engine import AFTER_TEXT, TAINT_ENTRY_KEYS, Language
from tavo_platform.rules import _cache
from tavo_platform.rules.linear_regex import user_supplied
from tavo_platform.rules.model import Rule

BUILTIN_PACKS_DIR = Path(__file__).parent / "packs"
RULE_FILE_SUFFIXES = (".yaml", ".yml")
MAX_RULE_FILE_BYTES = 2 * 1024 * 1024
# libyaml's parser when PyYAML was built with it: several times faster than pure Python.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# YAML aliases let a small file expand into a huge (or self-referencing) document; a rule
# file never needs more nodes than this.
MAX_RULE_DOCUMENT_NODES = 500_000


@dataclass(frozen=True)
class RuleLoadError:
    file: str
    rule_id: str | None
    message: str
    pack: str | None = None

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
        # An error about one rule matters only if that rule would have been selected, so a
        # broken rule can be set aside with --skip; errors about a whole file always count.
        errors = [
            error
            for error in self.errors
            if error.rule_id is None
            or (
                (not only or _names_selected((error.rule_id, error.pack), only))
                and not _names_selected((error.rule_id, error.pack), skip)
            )
        ]
        return RuleSet(chosen, errors)


def _selected(rule: Rule, selectors: Iterable[str]) -> bool:
    return _names_selected((rule.id, rule.pack), selectors)


def _names_selected(names: Iterable[str | None], selectors: Iterable[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(name, selector) for selector in selectors for name in names if name
    )


def builtin_pack_names() -> list[str]:
    return sorted(p.name for p in BUILTIN_PACKS_DIR.iterdir() if p.is_dir())


def load_builtin_rules() -> RuleSet:
    """The packs shipped with Tavo, parsed and validated once per process (rules are
    immutable, so every caller gets the same rule objects in its own RuleSet)."""
    rules, errors = _builtin_rules()
    return RuleSet(list(rules), list(errors))


_SHIPPED: ContextVar[bool] = ContextVar("loading_shipped_packs", default=False)


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[tuple[Rule, ...], tuple[RuleLoadError, ...]]:
    # Parsed once per installation, not once per run (rules/_cache.py).
    files = [
        (pack, file)
        for pack in builtin_pack_names()
        for file in sorted((BUILTIN_PACKS_DIR / pack).rglob("*"))
        if file.suffix in RULE_FILE_SUFFIXES and file.is_file()
    ]
    packs_dir = str(BUILTIN_PACKS_DIR.resolve())
    key = _cache.digest(files, packs_dir)
    # One slot per installation: two installations (virtualenvs, checkouts) sharing a cache
    # directory must not evict each other's entry on every run.
    slot = hashlib.sha256(packs_dir.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return _cache.cached(f"builtin-rules-{slot}", key, _load_builtin_packs)


def _load_builtin_packs() -> tuple[tuple[Rule, ...], tuple[RuleLoadError, ...]]:
    rules = RuleSet()
    shipped = _SHIPPED.set(True)
    try:
        for pack in builtin_pack_names():
            if any((BUILTIN_PACKS_DIR / pack).rglob("*.y*ml")):  # an empty pack is no error
                rules.extend(load_rules(BUILTIN_PACKS_DIR / pack, pack=pack))
    finally:
        _SHIPPED.reset(shipped)
    return tuple(rules.rules), tuple(rules.errors)


def load_rules(path: Path, pack: str | None = None) -> RuleSet:
    """Loads a rule file or every rule file under a directory."""
    if not path.exists():
        return _failed(path, "no such file or directory", pack)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in RULE_FILE_SUFFIXES and p.is_file())
        if not files:
            return _failed(path, "no .yaml/.yml rule files", pack)
    else:
        files = [path]
    result = RuleSet()
    for file in files:
        result.extend(load_rule_file(file, pack or "custom"))
    return result


def load_rule_file(file: Path, pack: str) -> RuleSet:
    try:
        if file.stat().st_size > MAX_RULE_FILE_BYTES:
            return _failed(file, f"larger than {MAX_RULE_FILE_BYTES} bytes", pack)
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _failed(file, f"cannot read: {error}", pack)
    return load_rule_text(text, str(file), pack)


def load_rule_text(text: str, name: str, pack: str = "custom") -> RuleSet:
    """Loads rules from YAML text; `name` identifies the source in errors."""
    file = Path(name)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_RULE_FILE_BYTES:
        return _failed(file, f"larger than {MAX_RULE_FILE_BYTES} bytes", pack)
    try:
        document = _safe_load(text)
    except yaml.YAMLError as error:
        # One rule's broken YAML should not cost the file's other rules: parse them one by one.
        recovered = _load_items_separately(text, file, pack)
        if recovered is not None:
            return recovered
        return _failed(file, f"invalid YAML: {_one_line(str(error))}", pack)
    except RecursionError:
        return _failed(file, "invalid YAML: nested too deeply", pack)
    if _exceeds_nodes(document, MAX_RULE_DOCUMENT_NODES):
        return _failed(
            file, f"document expands to more than {MAX_RULE_DOCUMENT_NODES} YAML nodes", pack
        )
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        return _failed(file, "expected a mapping with a `rules:` list", pack)
    result = RuleSet()
    for index, raw in enumerate(document["rules"]):
        rule, rule_error = _parse_rule(file, pack, index, raw)
        if rule is not None:
            result.rules.append(rule)
        if rule_error is not None:
            result.errors.append(rule_error)
    return result


_RULES_KEY = re.compile(r"^rules:[ \t]*(?:#.*)?$")
_ITEM_START = re.compile(r"^([ \t]*)- ")
_ITEM_ID = re.compile(r"^[ \t-]*id:[ \t]*['\"]?([A-Za-z0-9._-]+)", re.MULTILINE)


def _load_items_separately(text: str, file: Path, pack: str) -> RuleSet | None:
    """Splits a block-style `rules:` list into its items and loads each on its own. None
    when the file does not have that shape (the error then concerns the whole file)."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if _RULES_KEY.match(line)), None)
    if start is None:
        return None
    items: list[tuple[int, list[str]]] = []  # (first line number, lines)
    indent: str | None = None
    for number in range(start + 1, len(lines)):
        line = lines[number]
        item = _ITEM_START.match(line)
        if item and (indent is None or item.group(1) == indent):
            indent = item.group(1)
            items.append((number, [indent + "  " + line[len(item.group(0)) :]]))
        elif items and (not line.strip() or line.startswith(indent + " ")):  # type: ignore[operator]
            items[-1][1].append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            return None  # something other than rule items follows
    if not items:
        return None
    result = RuleSet()
    for index, (first_line, item_lines) in enumerate(items):
        item_text = "\n".join(line[len(indent or "") + 2 :] for line in item_lines)
        try:
            raw = _safe_load(item_text)
        except (yaml.YAMLError, RecursionError) as error:
            found = _ITEM_ID.search(item_text)
            label = found.group(1) if found else f"#{index + 1}"
            mark = getattr(error, "problem_mark", None)
            where = f" at line {first_line + mark.line + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or str(error)
            result.errors.append(
                RuleLoadError(str(file), label, f"invalid YAML{where}: {_one_line(problem)}", pack)
            )
            continue
        if _exceeds_nodes(raw, MAX_RULE_DOCUMENT_NODES):
            result.errors.append(
                RuleLoadError(str(file), f"#{index + 1}", "too many YAML nodes", pack)
            )
            continue
        rule, rule_error = _parse_rule(file, pack, index, raw)
        if rule is not None:
            result.rules.append(rule)
        if rule_error is not None:
            result.errors.append(rule_error)
    return result


def _exceeds_nodes(document: Any, limit: int) -> bool:
    """Counts nodes as a consumer would see them, aliases expanded, stopping at `limit`."""
    pending = [document]
    seen = 0
    while pending:
        node = pending.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def _parse_rule(
    file: Path, pack: str, index: int, raw: Any
) -> tuple[Rule | None, RuleLoadError | None]:
    name = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    label = name or f"#{index + 1}"
    if not isinstance(raw, dict):
        return None, RuleLoadError(str(file), label, "a rule must be a mapping", pack)
    if user_supplied(pack) and isinstance(raw.get("regex"), dict):
        raw = {**raw, "regex": {**raw["regex"], "linear": True}}
    try:
        rule = Rule.model_validate({**raw, "pack": pack, "source": str(file)})
    except ValidationError as error:
        return None, RuleLoadError(str(file), label, _describe(error), pack)
    # The shipped packs are checked by the test suite (every rule against its examples);
    # compiling each of their patterns with ast-grep again costs every start-up.
    problem = None if _SHIPPED.get() else _structural_problem(rule) or _taint_problem(rule)
    if problem:
        return None, RuleLoadError(str(file), label, problem, pack)
    return rule, None


def _structural_problem(rule: Rule) -> str | None:
    """ast-grep only reports a bad rule when it runs it, so run it once on empty code."""
    if rule.structural is None:
        return None
    config: Any = rule.structural.config()  # checked by ast-grep itself, just below
    for language in rule.languages:
        try:
            SgRoot("", language.value).root().find_all(config)
        except BaseException as error:  # the Rust binding raises plain Exception subclasses
            if isinstance(error, KeyboardInterrupt):
                raise
            # The binding appends a Rust stack backtrace that says nothing to a rule author.
            reason = str(error).split("Stack backtrace:", 1)[0]
            return f"invalid structural matcher for {language.value}: {_one_line(reason)}"
    return None


def _taint_problem(rule: Rule) -> str | None:
    """Each taint entry is an ast-grep rule: run it once on empty code, naming its key. An
    entry may use one grammar's node kinds (JSX, TypeScript), so it must compile for at
    least one of the rule's languages."""
    if rule.taint is None:
        return None
    for role in ("sources", "sinks", "sanitizers", "propagators"):
        for index, entry in enumerate(getattr(rule.taint, role)):
            if AFTER_TEXT in entry:  # a position, not a pattern: checked by the model
                continue
            config: Any = {"rule": {k: v for k, v in entry.items() if k not in TAINT_ENTRY_KEYS}}
            for key in ("constraints", "utils"):
                if entry.get(key):
                    config[key] = entry[key]
            reasons = [_ast_grep_problem(config, language) for language in rule.languages]
            if all(reasons):
                return f"taint.{role}[{index}]: invalid: {reasons[0]}"
    return None


def _ast_grep_problem(config: Any, language: Language) -> str | None:
    try:
        SgRoot("", language.value).root().find_all(config)
    except BaseException as error:  # the Rust binding raises plain Exception subclasses
        if isinstance(error, KeyboardInterrupt):
            raise
        return f"for {language.value}: {_one_line(str(error).split('Stack backtrace:', 1)[0])}"
    return None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "rule"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _failed(file: Path, message: str, pack: str | None = None) -> RuleSet:
    return RuleSet(errors=[RuleLoadError(str(file), None, message, pack)])


def _safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)  # a safe loader, C or pure Python
