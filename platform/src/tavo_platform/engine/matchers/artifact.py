"""Artifact rules: dangerous imports found in pickle streams of model files (never loaded)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence

from tavo_platform.engine.artifacts import inspect_artifact
from tavo_platform.engine.findings import Span
from tavo_platform.engine.matchers.interface import Match
from tavo_platform.rules.model import Rule


class ArtifactProgram:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = [rule for rule in rules if rule.artifact is not None]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def run(self, data: bytes, path: str) -> Iterator[Match]:
        inspection = inspect_artifact(data, path)
        for imported in inspection.imports:
            qualified = f"{imported.module}.{imported.name}"
            for rule in self._rules:
                if _flags(rule, qualified):
                    where = f"{imported.member}: " if imported.member else ""
                    yield Match(
                        rule=rule,
                        span=Span(1, 1, 1, 1),
                        matched_text=f"{imported.member or ''}:{qualified}",
                        snippet=f"{where}pickle imports {qualified} (opcode at byte "
                        f"{imported.offset})",
                    )


def _flags(rule: Rule, qualified: str) -> bool:
    spec = rule.artifact
    assert spec is not None
    return any(fnmatch.fnmatchcase(qualified, glob) for glob in spec.imports) and not any(
        fnmatch.fnmatchcase(qualified, glob) for glob in spec.exclude_imports
    )
