"""Taint analysis for Python and JavaScript/TypeScript.

    rules = TaintRules(rules)                         # once per scan: patterns compiled
    module = rules.lower(text, root, path, language)  # per file, in the worker that parsed it
    hits = solve(modules)                             # once per scan, over every module

Language adapters (python.py, javascript.py) lower the syntax tree to the IR (ir.py); the
taint rules' patterns (_patterns.py) decide, node by node, what is a source, sink,
sanitiser or propagator; the solver (solver.py) knows only the IR.
"""

from __future__ import annotations

from collections.abc import Sequence

from ast_grep_py import SgNode

from tavo_platform.engine._languages import Language
from tavo_platform.engine._rule_spec import RuleSpec
from tavo_platform.engine.dataflow._gc import collector_paused
from tavo_platform.engine.dataflow._lowering import Unlowerable
from tavo_platform.engine.dataflow._patterns import TaintPatterns
from tavo_platform.engine.dataflow.ir import Location, Module
from tavo_platform.engine.dataflow.solver import Project, TaintHit
from tavo_platform.engine.matchers.requirements import WordCache

__all__ = ["Location", "Module", "TaintHit", "TaintRules", "solve"]

_JS_LANGUAGES = (Language.JAVASCRIPT, Language.TYPESCRIPT, Language.TSX)
# Bigger files (generated code, data in source form) are scanned by the other rules only.
MAX_LOWERED_CHARACTERS = 2_000_000


class TaintRules:
    """The taint rules of one scan, compiled per language."""

    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        taint = [rule for rule in rules if rule.taint is not None]
        self.by_id = {rule.id: rule for rule in taint}
        self.patterns = {
            language: TaintPatterns(language, taint)
            for language in (Language.PYTHON, *_JS_LANGUAGES)
        }

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def wants(self, language: Language) -> bool:
        patterns = self.patterns.get(language)
        return bool(patterns)

    def lower(
        self,
        text: str,
        root: SgNode,
        path: str,
        language: Language,
        words: WordCache | None = None,
    ) -> tuple[Module | None, str | None]:
        """The file's IR, with the rules' sources, sinks and sanitisers marked in it; or,
        for a file outside the analysis's budget (size, nesting, time), None and why."""
        patterns = self.patterns.get(language)
        if not patterns:
            return None, None
        if len(text) > MAX_LOWERED_CHARACTERS:
            return None, f"data-flow analysis skipped: over {MAX_LOWERED_CHARACTERS} characters"
        found = patterns.find(text, root, words)
        try:
            with collector_paused():
                if language is Language.PYTHON:
                    from tavo_platform.engine.dataflow.python import lower_python

                    return lower_python(root, path, found), None
                from tavo_platform.engine.dataflow.javascript import lower_javascript

                return lower_javascript(root, path, found), None
        except Unlowerable as reason:
            return None, f"data-flow analysis skipped: {reason}"


def solve(modules: Sequence[Module], deadline_seconds: float = 120.0) -> list[TaintHit]:
    return Project(modules, deadline_seconds).solve()
