"""Runs compiled rules over files: each file read once, parsed once, spread over all cores."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from tavo_platform.artifacts import HEADER_READ_BYTES, artifact_note, looks_like_artifact
from tavo_platform.engine._findings import Finding, fingerprint, normalise_matched_text
from tavo_platform.engine._languages import STRUCTURAL_LANGUAGES, Language, is_header_format
from tavo_platform.engine._notebooks import is_notebook, notebook_python
from tavo_platform.engine._rule_spec import RuleSpec
from tavo_platform.engine._suppression import InlineSuppressions, inline_suppressions
from tavo_platform.engine._walker import (
    FileTask,
    SkipReason,
    SkipReport,
    WalkOptions,
    looks_binary,
    looks_minified,
    walk,
)
from tavo_platform.engine.dataflow import Module, TaintRules
from tavo_platform.engine.dataflow._gc import collected_every, collector_paused
from tavo_platform.engine.dataflow.findings import taint_findings
from tavo_platform.engine.dataflow.precision import refine
from tavo_platform.engine.matchers.artifact import ArtifactProgram
from tavo_platform.engine.matchers.interface import Match
from tavo_platform.engine.matchers.regex import Redactor, RegexProgram
from tavo_platform.engine.matchers.requirements import WordCache
from tavo_platform.engine.matchers.structural import StructuralProgram, parse

SNIPPET_MAX_LINES = 3
SNIPPET_MAX_LINE_CHARS = 240
# Below this much work, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 24
PARALLEL_MIN_BYTES = 256 * 1024
CHUNKS_PER_WORKER = 8
SNIFF_BYTES = 8192
MINIFIABLE_LANGUAGES = frozenset({Language.JAVASCRIPT, Language.TYPESCRIPT, Language.TSX})

INVALID_UTF8_NOTE = "invalid UTF-8 (scanned with replacement characters)"


class CompiledRules:
    """A rule selection compiled once per process: programs by language, plus redaction."""

    def __init__(
        self,
        rules: Sequence[RuleSpec],
        redaction_rules: Sequence[RuleSpec] | None = None,
        *,
        code_context: bool = False,
    ):
        # Per-finding code context (engine/_context.py) re-parses files with findings; the
        # server's analysis needs it, a plain CLI scan does not pay for it.
        self.code_context = code_context
        if code_context:
            # Imported only by scans that want it (a CLI scan does not), and here, before
            # worker processes fork, rather than once in every worker.
            import tavo_platform.engine._context  # noqa: F401
        self.rules = list(rules)
        # Whose secrets snippets mask: by default the selection's own redacting rules; the
        # rules package adds the built-in secret rules for every real scan.
        self.redaction_rules = list(
            redaction_rules
            if redaction_rules is not None
            else [r for r in self.rules if r.regex and r.regex.redact]
        )
        self.structural = {
            language: StructuralProgram(
                language, [r for r in self.rules if r.structural and language in r.languages]
            )
            for language in STRUCTURAL_LANGUAGES
        }
        self.regex = {
            language: RegexProgram(
                [
                    r
                    for r in self.rules
                    if r.regex and (language in r.languages or Language.GENERIC in r.languages)
                ]
            )
            for language in Language
            if language is not Language.ARTIFACT
        }
        self.artifact = ArtifactProgram(self.rules)
        self.taint = TaintRules(self.rules)
        self.redactor = Redactor(self.redaction_rules)

    def wants(self, language: Language) -> bool:
        if language is Language.ARTIFACT:
            return bool(self.artifact)
        return (
            bool(self.regex[language])
            or bool(self.structural.get(language))
            or self.taint.wants(language)
        )


@dataclass
class FileOutcome:
    path: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    skip_reason: str | None = None
    note: str | None = None
    # For taint rules: the file lowered to the dataflow IR, solved with the whole project.
    module: Module | None = None
    suppressions: InlineSuppressions | None = None
    # (line, selectors) of ignore comments that sat on a reported finding's line without
    # naming its rule: a typo there would otherwise go unnoticed.
    missed_ignores: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


_NOTE_EXAMPLES = 5


@dataclass
class ScanResult:
    root: str
    findings: list[Finding]
    files_scanned: int
    skipped: SkipReport
    suppressed_inline: int
    suppressed_baseline: int
    notes: Counter[str]
    rules: list[RuleSpec]
    duration_seconds: float
    # (path, line, selectors): ignore comments on a reported finding's line (see FileOutcome).
    missed_ignores: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    # note -> the first few files it was made for, so a user can find them
    note_examples: dict[str, list[str]] = field(default_factory=dict)


def scan_source(text: str, path: str, language: Language, compiled: CompiledRules) -> FileOutcome:
    """Scans one file's already-decoded text with every rule for its language."""
    matches: list[Match] = []
    structural = compiled.structural.get(language)
    taint = compiled.taint.wants(language)
    # Every matcher's word pre-filter asks the same per-file cache.
    words = WordCache(text)
    candidates = structural.applicable(text, words) if structural else []
    # One parse serves the structural rules and the taint rules.
    root = parse(text, language) if taint or candidates else None
    if structural is not None and candidates:
        matches.extend(structural.run(text, root, candidates))
    regex = compiled.regex.get(language)  # type: ignore[call-overload]
    if regex:
        matches.extend(regex.run(text, path))
    outcome = _outcome(matches, text, path, language, compiled)
    outcome.findings = refine(outcome.findings, path, text, language)
    if taint and root is not None:
        outcome.module, skipped = compiled.taint.lower(text, root, path, language, words)
        outcome.note = outcome.note or skipped
        outcome.suppressions = inline_suppressions(text, language)
    return outcome


def scan_bytes(
    data: bytes,
    path: str,
    language: Language,
    compiled: CompiledRules,
    file_size: int | None = None,
) -> FileOutcome:
    """Scans one file's bytes (`file_size`: the whole file's, when `data` is only the header
    of a model file read up to HEADER_READ_BYTES)."""
    if language is Language.ARTIFACT:
        if not looks_like_artifact(data[:SNIFF_BYTES], path):
            language = Language.GENERIC
        else:
            inspection, matches = compiled.artifact.evaluate(data, path, file_size)
            outcome = _outcome(matches, "", path, language, compiled)
            outcome.note = artifact_note(inspection)
            return outcome
    if looks_binary(data):
        return FileOutcome(path, skip_reason=SkipReason.BINARY)
    # Checked on the raw bytes, so a huge minified bundle is never decoded.
    if language in MINIFIABLE_LANGUAGES and looks_minified(data):
        return FileOutcome(path, skip_reason=SkipReason.MINIFIED)
    note = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        note = INVALID_UTF8_NOTE
    if text.startswith("\ufeff"):
        text = text[1:]
    outcome = scan_source(text, path, language, compiled)
    if language is Language.GENERIC and is_notebook(path):
        _scan_notebook_code(outcome, text, path, compiled)
    outcome.note = note or outcome.note
    return outcome


def _scan_notebook_code(
    outcome: FileOutcome, text: str, path: str, compiled: CompiledRules
) -> None:
    """Adds what the Python rules find in a notebook's code cells (engine/_notebooks.py) to
    the findings on its JSON text; a finding both give (a secret in a cell) is kept once."""
    code = notebook_python(text)
    if code is None:
        return
    cells = scan_source(code, path, Language.PYTHON, compiled)
    seen = {(f.rule_id, f.span.start_line) for f in outcome.findings}
    outcome.findings.extend(f for f in cells.findings if (f.rule_id, f.span.start_line) not in seen)
    outcome.suppressed += cells.suppressed
    outcome.missed_ignores.extend(cells.missed_ignores)
    outcome.module, outcome.suppressions = cells.module, cells.suppressions
    outcome.note = outcome.note or cells.note


def scan_task(task: FileTask, compiled: CompiledRules) -> FileOutcome:
    try:
        with open(task.absolute, "rb") as handle:
            # Binary files (raw tensors in a `.bin`, images) and minified bundles show it in
            # their first kilobytes: skip them without reading the rest into memory.
            head = handle.read(SNIFF_BYTES)
            if looks_binary(head) and not (
                task.language is Language.ARTIFACT and looks_like_artifact(head, task.path)
            ):
                return FileOutcome(task.path, skip_reason=SkipReason.BINARY)
            if task.language in MINIFIABLE_LANGUAGES and looks_minified(head):
                return FileOutcome(task.path, skip_reason=SkipReason.MINIFIED)
            handle.seek(0)
            header_only = task.language is Language.ARTIFACT and is_header_format(task.path)
            data = handle.read(HEADER_READ_BYTES if header_only else -1)
    except OSError:
        return FileOutcome(task.path, skip_reason=SkipReason.UNREADABLE)
    try:
        return scan_bytes(
            data, task.path, task.language, compiled, task.size if header_only else None
        )
    except TimeoutError:
        # A caller's per-file time budget ran out (a scan process arms an alarm per file).
        return FileOutcome(task.path, skip_reason=SkipReason.TIME_BUDGET)
    except Exception:
        # A parser or matcher failure on one odd file costs that file, never the whole scan;
        # it is counted in the summary's skipped files.
        return FileOutcome(task.path, skip_reason=SkipReason.PARSE_FAILED)


def _outcome(
    matches: list[Match], text: str, path: str, language: Language, compiled: CompiledRules
) -> FileOutcome:
    outcome = FileOutcome(path)
    if not matches:
        return outcome
    lines = text.splitlines()
    suppressions = inline_suppressions(text, language)
    matches.sort(key=lambda m: (m.span.start_line, m.span.start_column, m.rule.id))
    occurrences: Counter[tuple[str, str]] = Counter()
    seen: set[tuple[str, int, int, int, int]] = set()
    for match in matches:
        span = match.span
        key = (match.rule.id, span.start_line, span.start_column, span.end_line, span.end_column)
        if key in seen:
            continue
        seen.add(key)
        identity = (match.rule.id, normalise_matched_text(match.matched_text))
        occurrence = occurrences[identity]
        occurrences[identity] += 1
        finding = _finding(match, path, lines, occurrence, compiled.redactor)
        if suppressions.covers(finding):
            outcome.suppressed += 1
        else:
            outcome.findings.append(finding)
            selectors = suppressions.by_line.get(span.start_line)
            if selectors:
                outcome.missed_ignores.append((span.start_line, tuple(selectors)))
    if compiled.code_context and outcome.findings and language.is_structural:
        from tavo_platform.engine._context import contexts_for

        contexts = contexts_for(text, language, [f.span for f in outcome.findings])
        outcome.findings = [
            replace(finding, context=context)
            for finding, context in zip(outcome.findings, contexts, strict=True)
        ]
    return outcome


def _finding(
    match: Match, path: str, lines: list[str], occurrence: int, redactor: Redactor
) -> Finding:
    rule = match.rule
    snippet = (
        redactor.redact(match.snippet)
        if match.snippet is not None
        else _snippet(lines, match, redactor)
    )
    autofix = match.autofix
    if autofix is not None:
        redacted = redactor.redact(autofix.replacement)
        if redacted != autofix.replacement:
            autofix = None  # never propose a fix that would print a secret
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        message=rule.message,
        severity=rule.severity,
        confidence=rule.confidence.value,
        category=rule.category,
        cwe=tuple(rule.cwe),
        owasp_llm=rule.owasp_llm,
        path=path,
        span=match.span,
        snippet=snippet,
        fingerprint=fingerprint(rule.id, path, match.matched_text, occurrence),
        fix=rule.fix,
        pack=rule.pack,
        autofix=autofix,
        references=tuple(rule.references),
        tags=tuple(rule.tags),
    )


def _snippet(lines: list[str], match: Match, redactor: Redactor) -> str:
    first = match.span.start_line - 1
    last = min(match.span.end_line, first + SNIPPET_MAX_LINES)
    # Redact the whole lines before cutting them short: a secret that straddles the cut
    # would no longer be recognisable afterwards, and its first half would be shown.
    redacted = redactor.redact("\n".join(lines[first:last]))
    return "\n".join(line.rstrip()[:SNIPPET_MAX_LINE_CHARS] for line in redacted.split("\n"))


# --- running many files ---------------------------------------------------------------

_worker_rules: CompiledRules | None = None


def _init_worker(
    rules: list[RuleSpec], redaction_rules: list[RuleSpec], code_context: bool
) -> None:
    global _worker_rules
    _worker_rules = CompiledRules(rules, redaction_rules, code_context=code_context)


def _adopt_rules(compiled: CompiledRules) -> None:
    # Under fork the argument is inherited, not pickled: workers skip compiling the rules.
    global _worker_rules
    _worker_rules = compiled


def _scan_chunk(tasks: list[FileTask]) -> list[FileOutcome]:
    assert _worker_rules is not None
    return _scan_serially(tasks, _worker_rules)


def _scan_serially(
    tasks: Sequence[FileTask],
    compiled: CompiledRules,
    on_progress: Callable[[int], None] | None = None,
) -> list[FileOutcome]:
    """One file after the other, the cyclic garbage collector paused (dataflow/_gc.py): the
    outcomes kept hold each file's IR, which the collector would walk again and again."""
    outcomes = []
    with collector_paused():
        for count, task in enumerate(tasks, 1):
            outcomes.append(scan_task(task, compiled))
            if on_progress:
                on_progress(1)
            collected_every(count)
    return outcomes


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def scan_tasks(
    tasks: Sequence[FileTask],
    compiled: CompiledRules,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[FileOutcome]:
    """Scans the files on `jobs` processes; the outcomes come back in the order of `tasks`."""
    jobs = jobs or default_jobs()
    total_bytes = sum(task.size for task in tasks)
    if jobs <= 1 or len(tasks) < PARALLEL_MIN_FILES or total_bytes < PARALLEL_MIN_BYTES:
        return _scan_serially(tasks, compiled, on_progress)
    by_path: dict[str, FileOutcome] = {}
    fork = os.name == "posix"
    context = multiprocessing.get_context("fork" if fork else "spawn")
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=cast(Any, _adopt_rules if fork else _init_worker),
        initargs=cast(
            Any,
            (compiled,)
            if fork
            else (compiled.rules, compiled.redaction_rules, compiled.code_context),
        ),
    ) as pool:
        futures = [pool.submit(_scan_chunk, chunk) for chunk in _balanced_chunks(tasks, jobs)]
        for future in as_completed(futures):
            chunk_outcomes = future.result()
            for outcome in chunk_outcomes:
                by_path[outcome.path] = outcome
            if on_progress:
                on_progress(len(chunk_outcomes))
    return [by_path[task.path] for task in tasks]


def _balanced_chunks(tasks: Sequence[FileTask], jobs: int) -> list[list[FileTask]]:
    """Largest files first, each into the lightest chunk, so no worker idles at the end."""
    count = min(len(tasks), jobs * CHUNKS_PER_WORKER)
    chunks: list[list[FileTask]] = [[] for _ in range(count)]
    loads = [0] * count
    for task in sorted(tasks, key=lambda t: t.size, reverse=True):
        lightest = loads.index(min(loads))
        chunks[lightest].append(task)
        loads[lightest] += task.size + 2048  # a per-file cost even for tiny files
    return [chunk for chunk in chunks if chunk]


def package_name(root: Path) -> str | None:
    """The Python package a scanned directory is, when it is one (`django/` holding an
    `__init__.py`): its modules import each other by absolute names starting with it."""
    name = root.resolve().name
    if name.isidentifier() and (root / "__init__.py").is_file():
        return name
    return None


def _note(note: str, path: str, notes: Counter[str], examples: dict[str, list[str]]) -> None:
    """Counts a file's note, keeping the first few paths as examples to show."""
    notes[note] += 1
    kept = examples.setdefault(note, [])
    if len(kept) < _NOTE_EXAMPLES:
        kept.append(path)


def scan_path(
    root: Path,
    rules: Sequence[RuleSpec],
    walk_options: WalkOptions | None = None,
    *,
    jobs: int | None = None,
    baseline: Iterable[str] = (),
    code_context: bool = False,
    redaction_rules: Sequence[RuleSpec] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ScanResult:
    """Scans everything under `root`. Raises ScanRootError when `root` cannot be scanned."""
    started = time.perf_counter()
    compiled = CompiledRules(rules, redaction_rules, code_context=code_context)
    skipped = SkipReport()
    walked = walk(root, walk_options or WalkOptions(), skipped)
    tasks = [task for task in walked if compiled.wants(task.language)]
    if on_total:
        on_total(len(tasks))
    # Paused from the first file to the last flow solved, so no collection walks the IR
    # kept for the solver (dataflow/_gc.py); files scanned here collect every so often.
    with collector_paused():
        outcomes = scan_tasks(tasks, compiled, jobs, on_progress)
        taint_findings(outcomes, compiled, package_name(root))
    known = frozenset(baseline)
    findings: list[Finding] = []
    notes: Counter[str] = Counter()
    note_examples: dict[str, list[str]] = {}
    suppressed_inline = suppressed_baseline = scanned = 0
    missed: list[tuple[str, int, tuple[str, ...]]] = []
    for outcome in outcomes:
        if outcome.skip_reason:
            skipped.add(outcome.skip_reason, outcome.path)
            continue
        scanned += 1
        if outcome.note:
            _note(outcome.note, outcome.path, notes, note_examples)
        suppressed_inline += outcome.suppressed
        missed.extend((outcome.path, line, names) for line, names in outcome.missed_ignores)
        for finding in outcome.findings:
            if finding.fingerprint in known:
                suppressed_baseline += 1
            else:
                findings.append(finding)
    findings.sort(key=Finding.sort_key)
    return ScanResult(
        root=str(root),
        findings=findings,
        files_scanned=scanned,
        skipped=skipped,
        suppressed_inline=suppressed_inline,
        suppressed_baseline=suppressed_baseline,
        notes=notes,
        rules=list(rules),
        duration_seconds=time.perf_counter() - started,
        missed_ignores=sorted(set(missed)),
        note_examples=note_examples,
    )
