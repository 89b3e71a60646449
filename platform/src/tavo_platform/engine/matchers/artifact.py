"""Artifact rules: imports found in the pickle streams of model files (never loaded), and
format checks the artifacts package reports (Keras Lambda layers, ONNX external data...).

An import rule flags imports whose `module.name` matches one of its `imports` globs and none of its
`exclude_imports`. One file gives at most one finding per rule, listing every import the
rule flagged there, so a model with forty unknown classes is one finding, not forty.

Within a pack, an import is reported only by the most severe rules that match it: the
built-in pack has an "anything outside the allow-list" rule below its specific rules, and
`os.system` should read as code execution, not also as "unknown import".

A check rule gives one finding per file listing the evidence of the checks it names.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence

from tavo_platform.artifacts import ArtifactInspection, PickleImport, inspect_artifact
from tavo_platform.engine._findings import Span
from tavo_platform.engine._rule_spec import RuleSpec
from tavo_platform.engine.matchers.interface import Match

# Artefacts have no lines; findings point at the start of the file and say where in the
# file the import is in their snippet.
ARTIFACT_SPAN = Span(1, 1, 1, 1)
SNIPPET_MAX_IMPORTS = 10


class ArtifactProgram:
    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        artifact_rules = [rule for rule in rules if rule.artifact is not None]
        # Most severe first, so precedence within a pack is decided in one pass.
        self._rules = sorted(artifact_rules, key=lambda rule: rule.severity.rank)
        self._import_rules = [r for r in self._rules if r.artifact and r.artifact.imports]
        self._check_rules = [r for r in self._rules if r.artifact and r.artifact.checks]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def run(self, data: bytes, path: str) -> Iterator[Match]:
        _, matches = self.evaluate(data, path)
        yield from matches

    def evaluate(
        self, data: bytes, path: str, file_size: int | None = None
    ) -> tuple[ArtifactInspection, list[Match]]:
        """Inspects the file once; returns the inspection (format, problems) and matches."""
        inspection = inspect_artifact(data, path, file_size=file_size)
        return inspection, self.match(inspection)

    def match(self, inspection: ArtifactInspection) -> list[Match]:
        flagged: dict[str, list[PickleImport]] = {}
        for imported in inspection.imports:
            qualified = imported.qualified
            claimed: dict[str, int] = {}  # pack -> rank of the rule that reported it
            for rule in self._import_rules:
                rank = rule.severity.rank
                if rank > claimed.get(rule.pack, rank):
                    continue
                if _flags(rule, qualified):
                    claimed[rule.pack] = rank
                    flagged.setdefault(rule.id, []).append(imported)
        by_id = {rule.id: rule for rule in self._rules}
        matches = [_match(by_id[rule_id], imports) for rule_id, imports in flagged.items()]
        matches.extend(self._check_matches(inspection))
        return matches

    def _check_matches(self, inspection: ArtifactInspection) -> list[Match]:
        matches = []
        for rule in self._check_rules:
            assert rule.artifact is not None
            evidence = [e for check in rule.artifact.checks for e in inspection.evidence_for(check)]
            if evidence:
                matches.append(_check_match(rule, evidence))
        return matches


def _flags(rule: RuleSpec, qualified: str) -> bool:
    spec = rule.artifact
    assert spec is not None
    return any(fnmatch.fnmatchcase(qualified, glob) for glob in spec.imports) and not any(
        fnmatch.fnmatchcase(qualified, glob) for glob in spec.exclude_imports
    )


def _match(rule: RuleSpec, imports: list[PickleImport]) -> Match:
    first_seen: dict[str, PickleImport] = {}
    for imported in imports:
        first_seen.setdefault(imported.qualified, imported)
    names = sorted(first_seen)
    shown = []
    for name in names[:SNIPPET_MAX_IMPORTS]:
        imported = first_seen[name]
        where = f"{imported.member}, " if imported.member else ""
        shown.append(f"{name} ({where}{imported.opcode} at byte {imported.offset})")
    if len(names) > SNIPPET_MAX_IMPORTS:
        shown.append(f"and {len(names) - SNIPPET_MAX_IMPORTS} more")
    return Match(
        rule=rule,
        span=ARTIFACT_SPAN,
        # The fingerprint follows what is imported, not where in the file.
        matched_text=" ".join(names),
        snippet="pickle imports " + "; ".join(shown),
    )


def _check_match(rule: RuleSpec, evidence: list[str]) -> Match:
    shown = evidence[:SNIPPET_MAX_IMPORTS]
    if len(evidence) > SNIPPET_MAX_IMPORTS:
        shown.append(f"and {len(evidence) - SNIPPET_MAX_IMPORTS} more")
    return Match(
        rule=rule,
        span=ARTIFACT_SPAN,
        matched_text=" ".join(sorted(evidence)),
        snippet="; ".join(shown),
    )
