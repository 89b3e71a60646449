"""One finding per root cause: several rules that flag the same sink become one finding.

A pattern rule and a taint rule (or two taint rules) often report the same call:
`eval(reply)` is code injection to one rule and improper output handling to another.
Findings whose spans overlap on one line, at least one of them a flow, and whose categories
match or whose CWE ids overlap are one root cause; so are pattern findings of one category
on exactly the same code. The most severe is kept (a finding with a trace wins a tie, being
the more specific), it takes the trace if it has none, the union of the tags, and the other
rules' ids in `related_rules`. Unrelated findings stay apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from tavo_platform.engine._findings import Finding

_CONFIDENCE_RANK = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}


def merge_root_causes(findings: list[Finding]) -> list[Finding]:
    by_line: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_line[(finding.path, finding.span.start_line)].append(finding)
    merged: list[Finding] = []
    for group in by_line.values():
        merged.extend(group if len(group) == 1 else _merge_line(group))
    return merged


def _merge_line(group: list[Finding]) -> list[Finding]:
    clusters: list[list[Finding]] = []
    for finding in group:
        joined = [c for c in clusters if any(_same_cause(finding, other) for other in c)]
        cluster = [finding]
        for other in joined:
            cluster.extend(other)
            clusters.remove(other)
        clusters.append(cluster)
    return [_one(cluster) for cluster in clusters]


def _same_cause(first: Finding, second: Finding) -> bool:
    if not _overlap(first, second):
        return False  # `eval(a); eval(b)`: two sinks
    if first.rule_id == second.rule_id:
        return True
    if not (first.trace or second.trace):
        # Two pattern rules say something of their own, unless they flag the very same
        # code for the same kind of problem: a model call with neither an output limit
        # nor a timeout is one unbounded call, seen by two rules.
        return first.span == second.span and first.category == second.category
    return first.category == second.category or bool(set(first.cwe) & set(second.cwe))


def _overlap(first: Finding, second: Finding) -> bool:
    a, b = first.span, second.span
    a_start, a_end = (a.start_line, a.start_column), (a.end_line, a.end_column)
    b_start, b_end = (b.start_line, b.start_column), (b.end_line, b.end_column)
    return a_start < b_end and b_start < a_end


def _one(cluster: list[Finding]) -> Finding:
    if len(cluster) == 1:
        return cluster[0]
    ranked = sorted(
        cluster,
        key=lambda f: (
            f.severity.rank,
            not f.trace,
            _CONFIDENCE_RANK.get(f.confidence, 3),
            f.rule_id,
        ),
    )
    primary = ranked[0]
    trace = primary.trace or next((f.trace for f in ranked if f.trace), ())
    tags = tuple(dict.fromkeys(tag for f in ranked for tag in f.tags))
    related = tuple(
        dict.fromkeys(
            rule
            for f in ranked
            for rule in (f.rule_id, *f.related_rules)
            if rule != primary.rule_id
        )
    )
    # What the code around the sink says (entry point, sources, sanitisers) was worked out for
    # the pattern finding; the flow's finding keeps it.
    context = primary.context or next((f.context for f in ranked if f.context), None)
    # A pattern finding's snippet is the whole line(s); a flow's is the sink expression.
    snippet = next((f.snippet for f in ranked if not f.trace), primary.snippet)
    return replace(
        primary, trace=trace, tags=tags, related_rules=related, context=context, snippet=snippet
    )
