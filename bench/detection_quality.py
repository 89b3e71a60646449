"""How well does Tavo find what it should, and only that? Scored by line on tests/corpus/.

    .venv/bin/python bench/detection_quality.py [--corpus tests/corpus] [--show-misses]

Every directory under tests/corpus/ is a small project, scanned as its own root with the
built-in rules (so its paths never look like test code). A line ending in a comment
`tavo-label: vuln <category>` must be reported; one ending in `tavo-label: safe <category>`
must not be. A finding counts on the line it starts on.

- recall: labelled vulnerable lines with at least one finding / labelled vulnerable lines;
- precision: findings on labelled vulnerable lines / all findings in the corpus (every
  finding elsewhere, on a `safe` line or an unlabelled one, is a false positive).

The baseline printed beside the figures is the share of lines a scanner reporting every
labelled line would get right (precision of "flag everything labelled"), so a reader sees
what the labels alone would give. Figures are printed per language and per category; the
last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tavo_platform.engine import Language, language_for, scan_path
from tavo_platform.rules.loader import load_builtin_rules

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "tests" / "corpus"
LABEL = re.compile(r"tavo-label:\s*(vuln|safe)\s+([a-z0-9-]+)")
LANGUAGE_GROUP = {
    Language.PYTHON: "python",
    Language.JAVASCRIPT: "js-ts",
    Language.TYPESCRIPT: "js-ts",
    Language.TSX: "js-ts",
}


@dataclass(frozen=True)
class Label:
    path: str  # project/relative path
    line: int
    verdict: str  # vuln | safe
    category: str
    group: str  # language group


@dataclass
class Tally:
    vuln: int = 0
    found: int = 0
    safe: int = 0
    safe_flagged: int = 0
    true_findings: int = 0
    false_findings: int = 0

    def recall(self) -> float | None:
        return round(self.found / self.vuln, 3) if self.vuln else None

    def precision(self) -> float | None:
        total = self.true_findings + self.false_findings
        return round(self.true_findings / total, 3) if total else None


@dataclass
class Score:
    overall: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[Label] = field(default_factory=list)
    found_across_functions: int = 0
    false_positives: list[str] = field(default_factory=list)


def read_labels(project: Path) -> list[Label]:
    labels = []
    for file in sorted(project.rglob("*")):
        if not file.is_file():
            continue
        language = language_for(file)
        group = LANGUAGE_GROUP.get(language)
        if group is None:
            continue
        relative = f"{project.name}/{file.relative_to(project).as_posix()}"
        text = file.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            found = LABEL.search(line)
            if found:
                labels.append(Label(relative, number, found.group(1), found.group(2), group))
    return labels


INTERPROCEDURAL_NOTES = ("parameter ", "calls ", "returns it", "through ")


def findings_by_line(
    project: Path,
    rules: list,  # type: ignore[type-arg]
) -> tuple[dict[tuple[str, int], list[str]], set[tuple[str, int]]]:
    """Rule ids by (path, line), and the lines reported through a flow that crosses
    functions or files (its trace enters a parameter or returns through a call)."""
    result = scan_path(project, rules, jobs=1)
    lines: dict[tuple[str, int], list[str]] = defaultdict(list)
    crossing: set[tuple[str, int]] = set()
    for finding in result.findings:
        position = (f"{project.name}/{finding.path}", finding.span.start_line)
        lines[position].append(finding.rule_id)
        if any(
            step.note.startswith(INTERPROCEDURAL_NOTES) or "returns it" in step.note
            for step in finding.trace
        ):
            crossing.add(position)
    return lines, crossing


def score(corpus: Path) -> tuple[Score, int]:
    rules = load_builtin_rules().rules
    total = Score()
    projects = sorted(p for p in corpus.iterdir() if p.is_dir())
    for project in projects:
        labels = read_labels(project)
        found, crossing = findings_by_line(project, rules)
        by_position = {(label.path, label.line): label for label in labels}
        for label in labels:
            tallies = (
                total.overall,
                total.by_language[label.group],
                total.by_category[label.category],
            )
            hit = (label.path, label.line) in found
            for tally in tallies:
                if label.verdict == "vuln":
                    tally.vuln += 1
                    tally.found += hit
                else:
                    tally.safe += 1
                    tally.safe_flagged += hit
            if label.verdict == "vuln" and not hit:
                total.misses.append(label)
            if label.verdict == "vuln" and (label.path, label.line) in crossing:
                total.found_across_functions += 1
        for position, rule_ids in found.items():
            label = by_position.get(position)
            group = LANGUAGE_GROUP.get(language_for(Path(position[0])), "other")
            category = label.category if label else "unlabelled"
            true = label is not None and label.verdict == "vuln"
            for tally in (total.overall, total.by_language[group], total.by_category[category]):
                if true:
                    tally.true_findings += 1
                else:
                    tally.false_findings += 1
            if not true:
                total.false_positives.append(f"{position[0]}:{position[1]} {sorted(set(rule_ids))}")
    return total, len(projects)


def _row(name: str, tally: Tally) -> str:
    return (
        f"  {name:28} vuln {tally.vuln:4d} found {tally.found:4d} recall "
        f"{tally.recall()!s:>6}  safe {tally.safe:4d} flagged {tally.safe_flagged:3d}  "
        f"precision {tally.precision()!s:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show-misses", action="store_true", help="list missed and extra lines")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus directory at {args.corpus}")
    started = time.perf_counter()
    result, projects = score(args.corpus)
    seconds = time.perf_counter() - started
    overall = result.overall
    labelled = overall.vuln + overall.safe
    print(
        f"corpus: {args.corpus} ({projects} projects, {labelled} labelled lines: "
        f"{overall.vuln} vuln, {overall.safe} safe), scored in {seconds:.1f} s"
    )
    baseline = round(overall.vuln / labelled, 3) if labelled else None
    print(f"baseline (flag every labelled line): precision {baseline}, recall 1.0")
    print(_row("overall", overall))
    print(
        f"  vuln lines found through flows across functions or files: "
        f"{result.found_across_functions} of {overall.found}"
    )
    print("by language:")
    for name, tally in sorted(result.by_language.items()):
        print(_row(name, tally))
    print("by category:")
    for name, tally in sorted(result.by_category.items()):
        print(_row(name, tally))
    if args.show_misses:
        for label in result.misses:
            print(f"  missed {label.path}:{label.line} {label.category}")
        for extra in result.false_positives:
            print(f"  false positive {extra}")
    figures = {
        "projects": projects,
        "labelled_lines": labelled,
        "vuln_lines": overall.vuln,
        "safe_lines": overall.safe,
        "precision": overall.precision(),
        "recall": overall.recall(),
        "baseline_precision_flag_all_labelled": baseline,
        "safe_lines_flagged": overall.safe_flagged,
        "vuln_found_across_functions": result.found_across_functions,
        "by_language": {
            name: {"precision": t.precision(), "recall": t.recall(), "vuln": t.vuln}
            for name, t in sorted(result.by_language.items())
        },
        "by_category": {
            name: {"precision": t.precision(), "recall": t.recall(), "vuln": t.vuln}
            for name, t in sorted(result.by_category.items())
        },
    }
    print(json.dumps(figures), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
