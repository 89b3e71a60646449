"""Taint rules' patterns, compiled once per language and found in each parsed file.

A taint rule names its sources, sinks, sanitizers and propagators as ast-grep rule objects.
Identical entries of different rules (a shared list of request sources, say) are run once
and credited to every rule that holds them. Before a file is searched, each entry is asked
whether its words appear in the file at all, as the structural matcher does, so a file that
never mentions `execute` never pays for the SQL sinks; then whether the file holds text for
each regex every match needs (_text_checks.py), so a file without a `@app.get(` decorator
never pays for the route-parameter sources.

The result is an index from syntax node (start, end, kind) to what the rules say about
it, which the language adapters consult while lowering the tree to the IR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from ast_grep_py import SgNode, SgRoot

from tavo_platform.engine._languages import Language
from tavo_platform.engine._rule_spec import AFTER_TEXT, PLACEHOLDER, TAINT_ENTRY_KEYS, RuleSpec
from tavo_platform.engine.dataflow._calls import CallEntry, CallIndex, call_entry
from tavo_platform.engine.dataflow._text_checks import (
    bound_constraints,
    constraint_regex,
    node_regex,
    passes,
    text_checks,
)
from tavo_platform.engine.dataflow.ir import Location
from tavo_platform.engine.dataflow.predicates import NodeTest, kind_and_test
from tavo_platform.engine.matchers.file_gates import FileGates, has_file_gate
from tavo_platform.engine.matchers.regex_cost import cheap_config
from tavo_platform.engine.matchers.requirements import (
    Requirement,
    WordCache,
    requirement_of,
    simplified,
)
from tavo_platform.engine.matchers.word_pruning import WordPruned

NodeKey = tuple[int, int, str]
ROLES = ("sources", "sinks", "sanitizers", "propagators")


@dataclass(frozen=True)
class Entry:
    role: str
    config: dict[str, Any]
    requirement: Requirement
    # Regexes the file's text must contain (_text_checks.py): checked after the words.
    checks: tuple[re.Pattern[str], ...]
    # For an entry that is just `kind` and `regex` (or `kind` and `has: {field, regex}`):
    # the kind, the field and the regex compiled by Python, so the file is searched for the
    # kind alone and the texts (of the node, or of its child in that field) filtered here.
    # ast-grep compiles the regex again on every file, which cost more than the search
    # (0.36 ms for the request-attribute source's regex, against 3 us for a kind).
    by_kind: tuple[str, str | None, re.Pattern[str]] | None
    # Otherwise, for an entry made only of `kind`, `regex`, `has` (by field), `any`, `all`
    # and `not` (no pattern, no metavariable): its kind, and a test of each node of that
    # kind evaluated here, for the same reason (dataflow/predicates.py).
    by_test: tuple[str, NodeTest] | None
    focus: str | None
    label: str
    source: str | None  # propagators: the metavariable taint comes from
    target: str | None  # propagators: the metavariable taint goes to
    rules: frozenset[str]
    # Whether the entry asks about the file's root (matchers/file_gates.py).
    gated: bool = False
    # Python: an entry made of call patterns, decided from the file's index of calls
    # (_calls.py) rather than by an ast-grep search with the pattern compiled again.
    by_call: CallEntry | None = None
    # Its `any` options that each file's words can rule out (matchers/word_pruning.py).
    pruner: WordPruned | None = None
    # `placeholder: {name: $K, template: $T}` (_rule_spec.PLACEHOLDER): the metavariables
    # naming the template variable and the template.
    placeholder: tuple[str, str] | None = None


@dataclass
class Found:
    """What the rules say about the nodes of one file."""

    sources: dict[NodeKey, tuple[frozenset[str], str]] = field(default_factory=dict)
    sinks: dict[NodeKey, list[tuple[frozenset[str], Location]]] = field(default_factory=dict)
    sanitizers: dict[NodeKey, frozenset[str]] = field(default_factory=dict)
    # call node -> (target node, source node) pairs
    propagators: dict[NodeKey, list[tuple[SgNode, SgNode]]] = field(default_factory=dict)
    # Sanitisers by position (`after_text`): a part of a string built from pieces is clean
    # for these rules when the literal text before it matches the pattern.
    after_text: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = ()
    # The nodes keyed above, as nodes (hashed by identity within their tree, which is far
    # cheaper than working out a node's key): most nodes of a file are in neither set, and
    # the adapters ask about every one. `marked`: sources, sinks, sanitisers; `touched`:
    # those and the propagators' calls.
    marked: set[SgNode] = field(default_factory=set)
    touched: set[SgNode] = field(default_factory=set)


def node_key(node: SgNode) -> NodeKey:
    found = node.range()
    return (found.start.index, found.end.index, node.kind())


def location(node: SgNode) -> Location:
    found = node.range()
    text = node.text()
    return Location(
        found.start.line + 1,
        found.start.column + 1,
        found.end.line + 1,
        found.end.column + 1,
        text if len(text) <= 400 else text[:400],
    )


class TaintPatterns:
    """The patterns of every taint rule for one language."""

    def __init__(self, language: Language, rules: Sequence[RuleSpec]) -> None:
        self.language = language
        self.rules = [r for r in rules if r.taint is not None and language in r.languages]
        merged: dict[tuple[str, str], Entry] = {}
        after: dict[str, frozenset[str]] = {}
        for rule in self.rules:
            for role, raw in _entries(rule):
                if role == "sanitizers" and AFTER_TEXT in raw:
                    pattern = str(raw[AFTER_TEXT])
                    after[pattern] = after.get(pattern, frozenset()) | {rule.id}
                    continue
                key = (role, json.dumps(raw, sort_keys=True))
                known = merged.get(key)
                merged[key] = (
                    _entry(role, raw, frozenset({rule.id}))
                    if known is None
                    else _with_rule(known, rule.id)
                )
        # An entry may use node kinds of one grammar only (JSX, TypeScript parameters): it
        # applies where it compiles.
        self.entries = [e for e in merged.values() if compiles(e.config, language)]
        if language is Language.PYTHON:
            self.entries = [
                e if e.gated else replace(e, by_call=call_entry(e.config)) for e in self.entries
            ]
        # Entries searched by ast-grep: their `any` options pruned by each file's words.
        self.entries = [
            e if _kind_searched(e) is not None else replace(e, pruner=WordPruned(e.config) or None)
            for e in self.entries
        ]
        self.after_text = tuple((re.compile(p), rules) for p, rules in after.items())

    def __bool__(self) -> bool:
        return bool(self.rules)

    def find(self, text: str, root: SgNode, words: WordCache | None = None) -> Found:
        """Each entry whose words the file holds, one traversal each: measured faster than
        one combined query whose nodes are then matched against every entry again.
        `words`: the file's WordCache, if the scanner already has one."""
        has = words if words is not None else WordCache(text)
        found = Found(after_text=self.after_text)
        gates: FileGates | None = None
        calls: CallIndex | None = None
        wanted = [
            e for e in self.entries if e.requirement.satisfied(has) and passes(e.checks, text)
        ]
        nodes = _Nodes(root, {kind for e in wanted if (kind := _kind_searched(e)) is not None})
        for entry in wanted:
            if entry.by_kind is not None:
                kind, child, regex = entry.by_kind
                for node, tested in nodes.texts(kind, child):
                    if regex.search(tested) is not None:
                        _record(found, entry, node)
                continue
            if entry.by_test is not None:
                kind, test = entry.by_test
                for node in nodes.of_kind(kind):
                    if test(node):
                        _record(found, entry, node)
                continue
            if entry.by_call is not None:
                calls = calls or CallIndex(nodes.of_kind("call"))
                hits = calls.find(entry.by_call)
                if hits is not None:
                    for node, bound in hits:
                        _record(found, entry, node, bound)
                    continue
            config = entry.pruner.for_file(has) if entry.pruner is not None else entry.config
            if entry.gated:
                # A root condition ("the module makes a client") is decided once here, not
                # walked again from every candidate node (matchers/file_gates.py).
                gates = gates or FileGates(root, text)
                pruned = gates.prune(config["rule"], config.get("constraints"))
                if pruned is None:
                    continue
                config = {**config, "rule": pruned}
            try:
                matched = root.find_all(cast(Any, config))
            except TimeoutError:
                raise
            except Exception:
                if entry.pruner is None:
                    raise
                # A pruned config ast-grep refuses (not expected: word_pruning.py keeps the
                # constraints' names written): the entry as compiled decides.
                matched = _whole_entry_nodes(entry, root, gates or FileGates(root, text))
            for node in matched:
                _record(found, entry, node)
        return found


def _whole_entry_nodes(entry: Entry, root: SgNode, gates: FileGates) -> list[SgNode]:
    config = entry.config
    if entry.gated:
        pruned = gates.prune(config["rule"], config.get("constraints"))
        if pruned is None:
            return []
        config = {**config, "rule": pruned}
    return root.find_all(cast(Any, config))


class _Nodes:
    """The file's nodes of each kind asked for, found once and shared by the entries (the
    request sources and the call patterns all ask for the calls)."""

    def __init__(self, root: SgNode, kinds: set[str]) -> None:
        """`kinds`: those the entries will ask for, found in one traversal (two searches by
        kind cost 0.095 ms a module of bench/dataflow_scale.py, one for both 0.070)."""
        self.root = root
        self.kinds = kinds
        self._of_kind: dict[str, list[SgNode]] | None = None
        self._texts: dict[tuple[str, str | None], list[tuple[SgNode, str]]] = {}

    def of_kind(self, kind: str) -> list[SgNode]:
        if self._of_kind is None:
            self._of_kind = {k: [] for k in self.kinds}
            if len(self.kinds) == 1:
                only = next(iter(self.kinds))
                self._of_kind[only] = self.root.find_all(kind=only)
            elif self.kinds:
                # In document order, as each search by kind gives them.
                for node in self.root.find_all(any=[{"kind": k} for k in sorted(self.kinds)]):
                    self._of_kind[node.kind()].append(node)
        found = self._of_kind.get(kind)
        if found is None:  # not announced: searched alone
            found = self._of_kind[kind] = self.root.find_all(kind=kind)
        return found

    def texts(self, kind: str, child: str | None) -> list[tuple[SgNode, str]]:
        """Each node of `kind` with the text of its child in field `child` (of itself for
        None), nodes without that child left out."""
        key = (kind, child)
        found = self._texts.get(key)
        if found is None:
            found = []
            for node in self.of_kind(kind):
                tested = node if child is None else node.field(child)
                if tested is not None:
                    found.append((node, tested.text()))
            self._texts[key] = found
        return found


def _kind_searched(entry: Entry) -> str | None:
    """The kind of node an entry is decided on in Python, if it is."""
    if entry.by_kind is not None:
        return entry.by_kind[0]
    if entry.by_test is not None:
        return entry.by_test[0]
    return "call" if entry.by_call is not None else None


def compiles(config: dict[str, Any], language: Language) -> bool:
    try:
        SgRoot("", language.value).root().find_all(cast(Any, config))
    except BaseException as error:  # the Rust binding raises plain Exception subclasses
        if isinstance(error, KeyboardInterrupt | TimeoutError):
            raise  # an interrupt or a file's time budget, not a rule ast-grep refuses
        return False
    return True


def _entries(rule: RuleSpec) -> list[tuple[str, dict[str, Any]]]:
    assert rule.taint is not None
    return [(role, raw) for role in ROLES for raw in getattr(rule.taint, role)]


def _entry(role: str, raw: dict[str, Any], rules: frozenset[str]) -> Entry:
    pattern = {k: v for k, v in raw.items() if k not in TAINT_ENTRY_KEYS}
    config: dict[str, Any] = {"rule": pattern}
    for key in ("constraints", "utils"):
        if raw.get(key):
            config[key] = raw[key]
    cheap = cheap_config(config)
    requirement, checks = requirement_of(pattern), text_checks(pattern)
    raw_placeholder = raw.get(PLACEHOLDER)
    placeholder = (
        (str(raw_placeholder["name"]).lstrip("$"), str(raw_placeholder["template"]).lstrip("$"))
        if isinstance(raw_placeholder, dict)
        else None
    )
    by_kind = None if placeholder else _by_kind(config)
    # A metavariable every match binds (`$M` in `$C.$M($Q)`) has its constraint met by a
    # node of the file: what the constraint requires, the file's text must hold too.
    for constraint in bound_constraints(pattern, raw.get("constraints")):
        requirement = requirement & requirement_of(constraint)
        regex = constraint.get("regex")
        whole = constraint_regex(regex) if isinstance(regex, str) else None
        checks = (*checks, *text_checks(constraint), *([whole] if whole else []))
    return Entry(
        role=role,
        # ast-grep compiles the entry again on every file: regexes rewritten to compile
        # cheaply (matchers/regex_cost.py).
        config=cheap,
        gated=has_file_gate(cheap["rule"]),
        requirement=simplified(requirement),
        checks=tuple({check.pattern: check for check in checks}.values()),
        by_kind=by_kind,
        by_test=None if by_kind is not None or placeholder else kind_and_test(config),
        focus=_metavariable(raw.get("focus")),
        label=str(raw.get("label") or ""),
        source=_metavariable(raw.get("from")),
        target=_metavariable(raw.get("to")),
        rules=rules,
        placeholder=placeholder,
    )


def _by_kind(config: dict[str, Any]) -> tuple[str, str | None, re.Pattern[str]] | None:
    rule = config.get("rule")
    if set(config) != {"rule"} or not isinstance(rule, dict):
        return None
    child: str | None = None
    if set(rule) == {"kind", "regex"}:
        regex = rule["regex"]
    elif set(rule) == {"kind", "has"} and isinstance(rule["has"], dict):
        has = rule["has"]  # the child in one field, matched by a regex: `has` looks no deeper
        if set(has) != {"field", "regex"} or not isinstance(has["field"], str):
            return None
        child, regex = has["field"], has["regex"]
    else:
        return None
    kind = rule["kind"]
    if not isinstance(kind, str) or not isinstance(regex, str):
        return None
    compiled = node_regex(regex)
    return (kind, child, compiled) if compiled is not None else None


def _with_rule(entry: Entry, rule_id: str) -> Entry:
    return replace(entry, rules=entry.rules | {rule_id})


def _metavariable(value: Any) -> str | None:
    return value.lstrip("$") if isinstance(value, str) else None


def _record(
    found: Found, entry: Entry, node: SgNode, bound: dict[str, SgNode] | None = None
) -> None:
    """`bound`: the metavariables' nodes, when decided in Python (else asked of `node`)."""
    match = node.get_match if bound is None else bound.get
    if entry.role == "propagators":
        target = match(entry.target or "")
        source = match(entry.source or "")
        if target is not None and source is not None:
            found.propagators.setdefault(node_key(node), []).append((target, source))
            found.touched.add(node)
        return
    focused = match(entry.focus) if entry.focus else node
    if focused is None:
        return
    if entry.placeholder is not None:
        name, template = (match(variable) for variable in entry.placeholder)
        if name is None or template is None or not _names_placeholder(name, template):
            return
        # A value filled into a template is reported at the call that fills it.
        node = next((a for a in node.ancestors() if a.kind() == "call"), node)
    key = node_key(focused)
    found.marked.add(focused)
    found.touched.add(focused)
    if entry.role == "sources":
        rules, label = found.sources.get(key, (frozenset(), entry.label))
        found.sources[key] = (rules | entry.rules, label or entry.label)
    elif entry.role == "sinks":
        found.sinks.setdefault(key, []).append((entry.rules, location(node)))
    else:
        found.sanitizers[key] = found.sanitizers.get(key, frozenset()) | entry.rules


def _names_placeholder(name: SgNode, template: SgNode) -> bool:
    """Whether `template` (a plain string, or adjacent ones, not f-strings) holds a `{name}`
    placeholder, `name` being a string literal's content or an identifier (a keyword
    argument's)."""
    text = name.text()
    if name.kind() == "string":
        text = "".join(c.text() for c in name.children() if c.kind() == "string_content")
    if template.kind() == "concatenated_string":
        pieces = [c for c in template.children() if c.kind() == "string"]
    else:
        pieces = [template] if template.kind() == "string" else []
    if not re.fullmatch(r"\w+", text):
        return False
    # `{{` is a brace written out; in an f-string it is how a template's `{name}` is written.
    plain = re.compile(r"(?<!\{)\{" + text + r"(?:[!:][^{}]*)?\}")
    formatted = re.compile(r"\{\{" + text + r"(?:[!:][^{}]*)?\}\}")
    for piece in pieces:
        literal = piece.text()
        prefix = literal[: len(literal) - len(literal.lstrip("rRbBuUfF"))]
        if (formatted if "f" in prefix.lower() else plain).search(literal):
            return True
    return False
