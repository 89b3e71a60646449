"""Structural rules through ast-grep: one parse per file, one combined traversal per file.

Rules that ast-grep can evaluate node by node are folded into a single `any` query, so the
tree is walked once whatever the number of rules; each node that query returns is then
attributed to the rules it matches. Rules needing per-config features (constraints,
utilities, transforms) or metavariable bindings (autofix) get a traversal of their own.

Attribution avoids `node.matches()` where it can, since ast-grep compiles the rule again on
each call: a rule whose node kinds or words rule the node out is skipped, and when a single
rule is left, the node matched it (the combined query matched some rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from ast_grep_py import SgNode, SgRoot

from tavo_platform.engine._findings import Autofix, Span
from tavo_platform.engine._languages import Language
from tavo_platform.engine._rule_spec import RuleSpec
from tavo_platform.engine.matchers.file_gates import FileGates, has_file_gate
from tavo_platform.engine.matchers.interface import Match
from tavo_platform.engine.matchers.positions import without_comment_positions
from tavo_platform.engine.matchers.regex_cost import cheap_config
from tavo_platform.engine.matchers.requirements import (
    Requirement,
    WordCache,
    node_kinds_of,
    node_requirement_of,
    requirement_of,
)
from tavo_platform.engine.matchers.word_pruning import WordPruned

_FIX_METAVARIABLE = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)|\$([A-Z_][A-Z0-9_]*)")


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: RuleSpec
    pattern: dict[str, Any]  # the ast-grep rule object
    config: dict[str, Any]  # the full ast-grep config
    requirement: Requirement
    own_pass: bool
    # Necessary conditions on a node that matches `pattern`: its kind (None: any kind) and
    # the words its text contains (None: no word known).
    node_kinds: frozenset[str] | None
    node_requirement: Requirement | None
    # Whether the rule asks about the file's root (an import, say): decided once per file
    # (matchers/file_gates.py).
    gated: bool
    # Its `any` options that each file's words can rule out (matchers/word_pruning.py).
    pruner: WordPruned | None = None
    # The config as compiled, for a file whose pruned config ast-grep refuses.
    whole: dict[str, Any] | None = None

    def may_match(self, kind: str, text: _NodeText) -> bool:
        if self.node_kinds is not None and kind not in self.node_kinds:
            return False
        return self.node_requirement is None or self.node_requirement.found_in(text.get())


class _NodeText:
    """A node's text, fetched from ast-grep only if a word test needs it."""

    __slots__ = ("_node", "_text")

    def __init__(self, node: SgNode) -> None:
        self._node = node
        self._text: str | None = None

    def get(self) -> str:
        if self._text is None:
            self._text = self._node.text()
        return self._text


class StructuralProgram:
    """Every structural rule for one language, ready to run on parsed files."""

    def __init__(self, language: Language, rules: Sequence[RuleSpec]) -> None:
        self.language = language
        self._rules = [_compile(rule) for rule in rules]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def applicable(self, text: str, words: WordCache | None = None) -> list[_CompiledRule]:
        """The rules whose words the file holds (`words`: the file's WordCache, shared with
        the other matchers, so each word is looked up once per file), each without the
        `any` options the file's words rule out."""
        has = words if words is not None else WordCache(text)
        found = []
        for rule in self._rules:
            if rule.requirement.satisfied(has):
                if rule.pruner is not None:
                    config = rule.pruner.for_file(has)
                    if config is not rule.config:
                        rule = replace(rule, pattern=config["rule"], config=config)
                found.append(rule)
        return found

    def run(
        self,
        text: str,
        root: SgNode | None = None,
        candidates: list[_CompiledRule] | None = None,
    ) -> Iterator[Match]:
        """The matches in `text` (`candidates`: `applicable(text)`, if already known)."""
        if candidates is None:
            candidates = self.applicable(text)
        if not candidates:
            return
        if root is None:
            root = parse(text, self.language)
        candidates = _gated(candidates, root, text)
        shared = [rule for rule in candidates if not rule.own_pass]
        for rule in candidates:
            if rule.own_pass:
                for node in _find_all(root, rule):
                    yield _match(rule, node)
        if len(shared) == 1:
            for node in _find_all(root, shared[0]):
                yield _match(shared[0], node)
        elif shared:
            combined = {"rule": {"any": [rule.pattern for rule in shared]}}
            try:
                nodes = root.find_all(cast(Any, combined))
            except TimeoutError:
                raise
            except Exception:
                if all(rule.whole is None for rule in shared):
                    raise
                shared = [_whole(rule) for rule in shared]
                nodes = root.find_all(cast(Any, {"rule": {"any": [r.pattern for r in shared]}}))
            for node in nodes:
                for rule in _attribute(node, shared):
                    yield _match(rule, node)


def _find_all(root: SgNode, rule: _CompiledRule) -> list[SgNode]:
    try:
        return root.find_all(cast(Any, rule.config))
    except TimeoutError:
        raise
    except Exception:
        # A pruned config ast-grep refuses (word_pruning.py keeps the constraints' names
        # written, so this is not expected): the rule as compiled decides.
        if rule.whole is None:
            raise
        return root.find_all(cast(Any, rule.whole))


def _whole(rule: _CompiledRule) -> _CompiledRule:
    if rule.whole is None:
        return rule
    return replace(rule, pattern=rule.whole["rule"], config=rule.whole)


def _gated(candidates: list[_CompiledRule], root: SgNode, text: str) -> list[_CompiledRule]:
    """The candidates with what the file's root rules out taken out of them (a rule that
    cannot match in this file at all is dropped)."""
    if not any(rule.gated for rule in candidates):
        return candidates
    gates = FileGates(root, text)
    live = []
    for rule in candidates:
        if rule.gated:
            pruned = gates.prune(rule.pattern, rule.config.get("constraints"))
            if pruned is None:
                continue
            if pruned is not rule.pattern:
                rule = replace(rule, pattern=pruned, config={**rule.config, "rule": pruned})
        live.append(rule)
    return live


def _attribute(node: SgNode, shared: list[_CompiledRule]) -> list[_CompiledRule]:
    """The rules among `shared` that `node` (returned by their combined query) matches."""
    kind = node.kind()
    text = _NodeText(node)
    possible = [rule for rule in shared if rule.may_match(kind, text)]
    if not possible:
        # The pre-conditions are necessary ones, so this cannot happen; should it ever,
        # asking ast-grep about every rule keeps the result right.
        possible = shared
    matched: list[_CompiledRule] = []
    for index, rule in enumerate(possible):
        is_last = index == len(possible) - 1
        # The node matched at least one rule: if none of the others did, the last one did.
        if (is_last and not matched) or node.matches(**rule.pattern):
            matched.append(rule)
    return matched


def parse(text: str, language: Language) -> SgNode:
    return SgRoot(text, language.value).root()


# A rule for JavaScript, TypeScript and TSX is in three programs, and a scan process may
# compile the same rule set more than once (tests, the server): each rule object is compiled
# once per process. Rules are immutable; the entry keeps its rule alive, so the id stays its.
_COMPILED: dict[int, _CompiledRule] = {}
_COMPILED_MAX = 4096


def _compile(rule: RuleSpec) -> _CompiledRule:
    known = _COMPILED.get(id(rule))
    if known is not None and known.rule is rule:
        return known
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    compiled = _COMPILED[id(rule)] = _compile_rule(rule)
    return compiled


def _compile_rule(rule: RuleSpec) -> _CompiledRule:
    assert rule.structural is not None
    # Positions (`nthChild`) count arguments, never comments between them; regexes rewritten
    # for a cheaper compile (matchers/regex_cost.py), since ast-grep compiles each rule again
    # on every file. The config holds the rule object itself under "rule".
    config = cheap_config(without_comment_positions(rule.structural.config()))
    pruner = WordPruned(config)
    return _CompiledRule(
        rule=rule,
        pattern=config["rule"],
        config=config,
        requirement=requirement_of(rule.structural.rule),
        own_pass=rule.structural.needs_own_pass or rule.autofix is not None,
        node_kinds=node_kinds_of(rule.structural.rule),
        node_requirement=node_requirement_of(rule.structural.rule) or None,
        gated=has_file_gate(config["rule"]),
        pruner=pruner or None,
        whole=config if pruner else None,
    )


def _match(compiled: _CompiledRule, node: SgNode) -> Match:
    span = _span(node)
    autofix = None
    if compiled.rule.autofix is not None:
        node_range = node.range()
        autofix = Autofix(
            span=span,
            start_offset=node_range.start.index,
            end_offset=node_range.end.index,
            replacement=_render_fix(compiled.rule.autofix, node),
        )
    return Match(rule=compiled.rule, span=span, matched_text=node.text(), autofix=autofix)


def _span(node: SgNode) -> Span:
    node_range = node.range()
    return Span(
        start_line=node_range.start.line + 1,
        start_column=node_range.start.column + 1,
        end_line=node_range.end.line + 1,
        end_column=node_range.end.column + 1,
    )


def _render_fix(template: str, node: SgNode) -> str:
    def substitute(found: re.Match[str]) -> str:
        multiple, single = found.group(1), found.group(2)
        if multiple:
            nodes = [n for n in node.get_multiple_matches(multiple) if n.is_named()]
            return ", ".join(n.text() for n in nodes)
        bound = node.get_match(single)
        return bound.text() if bound is not None else found.group(0)

    return _FIX_METAVARIABLE.sub(substitute, template)
