"""Human output: findings grouped by file, most severe first; colour only on a terminal."""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.text import Text

from tavo_platform.engine import Finding, ScanResult, Severity
from tavo_platform.formats.summary import severity_counts

_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_text(result: ScanResult, colour: bool) -> str:
    buffer = io.StringIO()
    # On a terminal, `no_color=None` lets rich honour the NO_COLOR convention (styles such as
    # bold stay, colours go); anywhere else no escape codes are written at all.
    console = Console(
        file=buffer, force_terminal=colour, no_color=None if colour else True, width=120,
        highlight=False, soft_wrap=True,
    )
    for path, group in groupby(result.findings, key=lambda f: f.path):
        console.print(Text(path, style="bold underline"))
        for finding in sorted(group, key=lambda f: (f.severity.rank, f.span.start_line)):
            line = Text("  ")
            line.append(f"{finding.severity.value:<8}", style=_STYLES[finding.severity])
            line.append(f" {finding.span.start_line}:{finding.span.start_column}  ")
            line.append(finding.rule_id, style="bold")
            tags = [t for t in (finding.owasp_llm, *finding.cwe) if t]
            if tags:
                line.append(f"  [{', '.join(tags)}]", style="dim")
            console.print(line)
            console.print(Text(f"      {finding.message}"))
            for snippet_line in finding.snippet.splitlines():
                console.print(Text(f"      > {snippet_line.strip()}", style="dim"))
            if finding.trace:
                console.print(Text(f"      flow: {_flow(finding)}", style="magenta"))
            if finding.related_rules:
                also = ", ".join(finding.related_rules)
                console.print(Text(f"      also: {also}", style="dim"))
            console.print(Text(f"      fix: {finding.fix}", style="green"))
        console.print()
    console.print(Text(_summary_line(result), style="bold"))
    for reason, count in sorted(result.skipped.counts.items()):
        where = _examples(result.skipped.examples.get(reason, []), count)
        console.print(Text(f"  skipped {count} file(s): {reason}{where}", style="dim"))
    for note, count in sorted(result.notes.items()):
        where = _examples(result.note_examples.get(note, []), count)
        console.print(Text(f"  note: {count} file(s) {note}{where}", style="dim"))
    return buffer.getvalue()


def _examples(paths: list[str], count: int) -> str:
    """`: a.pkl, b.pt and 3 more`: which files, so a user can go and look."""
    if not paths:
        return ""
    more = f" and {count - len(paths)} more" if count > len(paths) else ""
    return f": {', '.join(paths)}{more}"


def _flow(finding: Finding) -> str:
    """The taint trace on one line: `app.py:14 source: request.args -> db.py:9 sink: ...`,
    a step's file named only when it changes."""
    parts = []
    current = finding.path
    for step in finding.trace:
        where = f"{step.line}" if step.path == current else f"{step.path}:{step.line}"
        current = step.path
        parts.append(f"{where} {step.note}")
    return " -> ".join(parts)


def _summary_line(result: ScanResult) -> str:
    counts = ", ".join(
        f"{count} {severity.lower()}"
        for severity, count in severity_counts(result).items()
        if count
    )
    found = f"{len(result.findings)} finding(s)" + (f" ({counts})" if counts else "")
    parts = [
        found,
        f"{result.files_scanned} file(s) scanned",
        f"{result.skipped.total} skipped",
        f"{len(result.rules)} rule(s)",
        f"{result.duration_seconds:.2f}s",
    ]
    if result.suppressed_inline:
        parts.append(f"{result.suppressed_inline} suppressed inline")
    if result.suppressed_baseline:
        parts.append(f"{result.suppressed_baseline} in baseline")
    return " · ".join(parts)
