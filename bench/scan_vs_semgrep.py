"""How fast is Tavo's scan engine? Measured on Django's own source tree, installed from PyPI.

    .venv/bin/python bench/scan_vs_semgrep.py [--repeat 3] [--jobs N] [--no-semgrep]
                                              [--rule-costs]

It measures, each figure against a baseline taken in the same run (the machine is shared
and noisy, so every timing is repeated and both the best and the median are printed):

1. the benchmark rule set (bench/rules/benchmark.tavo.yaml: 30+ structural patterns, the
   same patterns as bench/rules/benchmark.semgrep.yaml) run by Tavo (Python API and CLI),
   by Semgrep, and by a naive loop that runs one ast-grep rule at a time; the matches of
   Tavo and Semgrep are compared as sets of (rule, path, start line) per rule. Tavo's
   scan is also timed with the per-finding code-context analysis (engine/_context.py) that
   server scans add, a diagnostic of its cost on a run with thousands of findings;
2. the full built-in rule set against the floor: reading every file the scan reads and
   parsing every source file with tree-sitter once, on as many processes as the scan;
3. the peak memory of the full scan: the scan runs in a child process, and the peak
   resident set (VmHWM) of that process and of each of its worker processes is sampled from
   /proc and summed, which over-counts (pages shared after fork count once per process,
   and the peaks need not coincide), so the figure is an upper bound.

Semgrep is installed into its own virtual environment (bench/.cache/semgrep-venv) so it
constrains none of the project's dependencies; Django is unpacked into bench/.cache too.
The last line printed is one JSON object with every figure. --rule-costs adds a table of
the costliest built-in rules (one process, rule by rule).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import yaml
from ast_grep_py import SgRoot
from tavo_platform.engine import CompiledRules, Language, default_jobs, scan_path
from tavo_platform.engine._walker import (
    FileTask,
    SkipReport,
    WalkOptions,
    looks_binary,
    looks_minified,
    walk,
)
from tavo_platform.rules.loader import load_builtin_rules, load_rules
from tavo_platform.rules.model import Rule

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
SEMGREP_VENV = CACHE_DIR / "semgrep-venv"
SEMGREP_VERSION = "1.185.0"
DJANGO_REQUIREMENT = "django==5.2.*"
CORPUS_PARENT = CACHE_DIR / "django-5.2"
CORPUS = CORPUS_PARENT / "django"
TAVO_RULES = BENCH_DIR / "rules" / "benchmark.tavo.yaml"
SEMGREP_RULES = BENCH_DIR / "rules" / "benchmark.semgrep.yaml"
MIN_BENCHMARK_RULES = 30
SEMGREP_TIMEOUT_SECONDS = 1800
MEMORY_SAMPLE_SECONDS = 0.01
GOAL_SPEEDUP_VS_SEMGREP = 10.0
GOAL_FULL_OVER_PARSE = 2.0
GOAL_PEAK_RSS_MB = 300.0

# (rule id, path relative to the corpus, 1-based start line)
MatchKey = tuple[str, str, int]


def say(text: str = "") -> None:
    print(text, flush=True)


# --- setting up the tools and the corpus -----------------------------------------------


def _run_quietly(command: Sequence[str], log: Path, what: str) -> None:
    with log.open("w") as out:
        status = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT).returncode
    if status != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise SystemExit(f"{what} failed (exit {status}); last lines of {log}:\n{tail}")


def ensure_venv() -> Path:
    """A virtual environment of its own, for Semgrep and its pinned dependencies."""
    python = SEMGREP_VENV / "bin" / "python"
    if not python.exists():
        say(f"creating {SEMGREP_VENV.relative_to(BENCH_DIR.parent)} ...")
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        _run_quietly(
            [sys.executable, "-m", "venv", str(SEMGREP_VENV)], CACHE_DIR / "venv.log", "venv"
        )
    return python


def ensure_semgrep() -> Path:
    semgrep = SEMGREP_VENV / "bin" / "semgrep"
    if semgrep.exists() and semgrep_version(semgrep) == SEMGREP_VERSION:
        return semgrep
    python = ensure_venv()
    say(f"installing semgrep=={SEMGREP_VERSION} into its own virtual environment ...")
    _run_quietly(
        [str(python), "-m", "pip", "install", "--quiet", f"semgrep=={SEMGREP_VERSION}"],
        CACHE_DIR / "semgrep-install.log",
        "pip install semgrep",
    )
    return semgrep


def semgrep_version(semgrep: Path) -> str:
    done = subprocess.run(
        [str(semgrep), "--version", "--disable-version-check"],
        capture_output=True,
        text=True,
        env=_semgrep_env(),
    )
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout else ""


def ensure_corpus() -> str:
    """Django's source tree from PyPI, unpacked (not installed anywhere importable)."""
    if not (CORPUS / "__init__.py").exists():
        python = ensure_venv()
        where = CORPUS_PARENT.relative_to(BENCH_DIR.parent)
        say(f"downloading {DJANGO_REQUIREMENT} into {where} ...")
        _run_quietly(
            [
                str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                "--target", str(CORPUS_PARENT), DJANGO_REQUIREMENT,
            ],
            CACHE_DIR / "django-install.log",
            "pip install django",
        )
    # Without a .semgrepignore of its own, Semgrep applies a default one that skips every
    # `test/` directory, and Django has django/test/: an empty one makes both tools see the
    # same files.
    (CORPUS / ".semgrepignore").write_text("")
    versions = sorted(CORPUS_PARENT.glob("[Dd]jango-*.dist-info"))
    return versions[-1].name.removesuffix(".dist-info").split("-", 1)[1] if versions else "?"


# --- timing helpers --------------------------------------------------------------------


@dataclass
class Timing:
    runs: list[float]

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def describe(self) -> str:
        runs = ", ".join(f"{run:.2f}" for run in self.runs)
        return f"best {self.best:6.2f} s  median {self.median:6.2f} s  (runs: {runs})"


def timed(repeat: int, action: Callable[[], Any]) -> tuple[Timing, Any]:
    """Runs `action` `repeat` times; returns the timings and the last run's result."""
    runs = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        runs.append(time.perf_counter() - started)
    return Timing(runs), result


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have been waited for (worker
    processes, once their pool is shut down; a child scan and its workers): on a shared
    machine, a steadier figure than the wall clock."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator > 0 else float("inf")


# --- the files, as the scanner sees them -----------------------------------------------


def scanned_tasks(compiled: CompiledRules) -> list[FileTask]:
    """The files scan_path reads for these rules (same walk, same language filter)."""
    return [t for t in walk(CORPUS, WalkOptions(), SkipReport()) if compiled.wants(t.language)]


def _chunks(tasks: Sequence[FileTask], count: int) -> list[list[FileTask]]:
    """Largest files first, each into the lightest chunk (as the scanner spreads work)."""
    chunks: list[list[FileTask]] = [[] for _ in range(count)]
    loads = [0] * count
    for task in sorted(tasks, key=lambda t: t.size, reverse=True):
        lightest = loads.index(min(loads))
        chunks[lightest].append(task)
        loads[lightest] += task.size + 2048
    return [chunk for chunk in chunks if chunk]


def on_processes(
    jobs: int, work: Callable[[list[FileTask]], Any], tasks: Sequence[FileTask]
) -> list[Any]:
    """Runs `work` over chunks of `tasks` on `jobs` forked processes, like the scanner."""
    if jobs <= 1:
        return [work(list(tasks))]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        return list(pool.map(work, _chunks(tasks, jobs * 8)))


def _source_text(task: FileTask) -> str | None:
    """The decoded text the scanner would parse, or None for a file it would skip."""
    with open(task.absolute, "rb") as handle:
        data = handle.read()
    if looks_binary(data):
        return None
    if task.language in (Language.JAVASCRIPT, Language.TYPESCRIPT, Language.TSX) and (
        looks_minified(data)
    ):
        return None
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


# --- 1. the benchmark rules: Tavo, the naive loop, Semgrep -----------------------------


def load_benchmark_rules() -> list[Rule]:
    loaded = load_rules(TAVO_RULES, pack="benchmark")
    if loaded.errors:
        raise SystemExit("benchmark rules failed to load:\n" + "\n".join(map(str, loaded.errors)))
    semgrep_ids = [r["id"] for r in yaml.safe_load(SEMGREP_RULES.read_text())["rules"]]
    ours = [rule.id for rule in loaded.rules]
    if sorted(ours) != sorted(semgrep_ids):
        raise SystemExit(
            f"{TAVO_RULES.name} and {SEMGREP_RULES.name} must hold the same rule ids; "
            f"only in ours: {sorted(set(ours) - set(semgrep_ids))}, "
            f"only in Semgrep's: {sorted(set(semgrep_ids) - set(ours))}"
        )
    if len(ours) < MIN_BENCHMARK_RULES:
        raise SystemExit(f"the benchmark needs at least {MIN_BENCHMARK_RULES} rules")
    return loaded.rules


def tavo_matches(
    rules: list[Rule], jobs: int, code_context: bool = False
) -> tuple[set[MatchKey], int]:
    result = scan_path(CORPUS, rules, jobs=jobs, code_context=code_context)
    keys = {(f.rule_id, f.path, f.span.start_line) for f in result.findings}
    return keys, result.files_scanned


def tavo_cli_matches(jobs: int) -> set[MatchKey]:
    """The whole `tavo scan` command, interpreter start-up and rule loading included."""
    tavo = Path(sys.executable).with_name("tavo")
    command = [str(tavo)] if tavo.exists() else [sys.executable, "-m", "tavo_platform.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        done = subprocess.run(
            [
                *command, "scan", str(CORPUS), "--rules", str(TAVO_RULES), "--only", "bench-*",
                "--format", "json", "--fail-on", "never", "--no-progress",
                "--jobs", str(jobs), "--output", str(report),
            ],
            capture_output=True,
            text=True,
        )
        # Exit 2 only says that some *other* (built-in) rule failed to load.
        if done.returncode not in (0, 2) or not report.exists():
            raise SystemExit(f"tavo scan failed ({done.returncode}):\n{done.stderr[-2000:]}")
        document = json.loads(report.read_text())
    return {(f["rule_id"], f["path"], f["start_line"]) for f in document["findings"]}


_naive_configs: list[tuple[str, dict[str, Any]]] = []


def _naive_chunk(tasks: list[FileTask]) -> set[MatchKey]:
    found: set[MatchKey] = set()
    for task in tasks:
        text = _source_text(task)
        if text is None:
            continue
        root = SgRoot(text, task.language.value).root()
        for rule_id, config in _naive_configs:
            for node in root.find_all(config):
                found.add((rule_id, task.path, node.range().start.line + 1))
    return found


def naive_matches(rules: list[Rule], jobs: int) -> set[MatchKey]:
    """One parse per file, then one ast-grep traversal per rule: no folding, no pre-filter."""
    global _naive_configs
    assert all(rule.structural for rule in rules)
    _naive_configs = [(rule.id, rule.structural.config()) for rule in rules]  # type: ignore[union-attr]
    tasks = scanned_tasks(CompiledRules(rules, redaction_rules=[]))
    found: set[MatchKey] = set()
    for part in on_processes(jobs, _naive_chunk, tasks):
        found |= part
    return found


def _semgrep_env() -> dict[str, str]:
    return {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}


@dataclass
class SemgrepRun:
    matches: set[MatchKey]
    scanned: set[str]
    errors: int


def semgrep_matches(semgrep: Path, paths: Sequence[str], jobs: int) -> SemgrepRun:
    """Semgrep on exactly the files Tavo scans (listed explicitly, relative to the corpus)."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "semgrep.json"
        done = subprocess.run(
            [
                str(semgrep), "scan", "--config", str(SEMGREP_RULES), "--json",
                "--output", str(report), "--metrics=off", "--disable-version-check",
                "--jobs", str(jobs), "--no-git-ignore", "--quiet", "--project-root", ".",
                *paths,
            ],
            cwd=CORPUS,
            capture_output=True,
            text=True,
            env=_semgrep_env(),
            timeout=SEMGREP_TIMEOUT_SECONDS,
        )
        if not report.exists():
            raise SystemExit(f"semgrep failed ({done.returncode}):\n{done.stderr[-2000:]}")
        document = json.loads(report.read_text())
    # A rule from a local file gets a dotted prefix derived from its path.
    matches = {
        (r["check_id"].rsplit(".", 1)[-1], r["path"], r["start"]["line"])
        for r in document["results"]
    }
    return SemgrepRun(matches, set(document["paths"]["scanned"]), len(document["errors"]))


def compare(
    rule_ids: Sequence[str], ours: set[MatchKey], theirs: set[MatchKey], their_name: str
) -> bool:
    by_rule_ours: dict[str, set[tuple[str, int]]] = defaultdict(set)
    by_rule_theirs: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for rule_id, path, line in ours:
        by_rule_ours[rule_id].add((path, line))
    for rule_id, path, line in theirs:
        by_rule_theirs[rule_id].add((path, line))
    same = True
    for rule_id in rule_ids:
        mine, other = by_rule_ours[rule_id], by_rule_theirs[rule_id]
        if mine == other:
            continue
        same = False
        say(f"  DIFFERENT {rule_id}: Tavo {len(mine)}, {their_name} {len(other)}")
        for label, extra in (("only Tavo", mine - other), (f"only {their_name}", other - mine)):
            for path, line in sorted(extra)[:5]:
                say(f"    {label}: {path}:{line}")
            if len(extra) > 5:
                say(f"    {label}: ... {len(extra) - 5} more")
    return same


# --- 2. the full built-in rule set against the parse-only floor ------------------------


def _floor_chunk(tasks: list[FileTask]) -> tuple[int, int]:
    parsed = read_only = 0
    for task in tasks:
        text = _source_text(task)
        if text is None:
            continue
        if task.language.is_structural:
            SgRoot(text, task.language.value).root()
            parsed += 1
        else:
            read_only += 1
    return parsed, read_only


def parse_floor(rules: list[Rule], jobs: int) -> tuple[int, int, float]:
    """The least any scan must do: walk, read every file it reads, parse each source file.
    Returns the files parsed, the files only read, and the CPU seconds it took."""
    started = cpu_seconds()
    tasks = scanned_tasks(CompiledRules(rules, redaction_rules=[]))
    parts = on_processes(jobs, _floor_chunk, tasks)
    return sum(p[0] for p in parts), sum(p[1] for p in parts), cpu_seconds() - started


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                children = [int(child) for child in handle.read().split()]
        except OSError:
            children = []
        found.extend(children)
        pending.extend(children)
    return found


def _peak_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class FullScanRun:
    seconds: float
    cpu_seconds: float  # the child's and its workers'
    files: int
    findings: int
    rules: int
    sampled_peak_mb: float | None
    ru_self_mb: float
    ru_children_mb: float


def full_scan_in_child(jobs: int) -> FullScanRun:
    """Runs the full scan in a fresh process and samples its (and its workers') peak RSS."""
    cpu_started = cpu_seconds()
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child-full-scan", "--jobs", str(jobs)],
        stdout=subprocess.PIPE,
        text=True,
    )
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in [child.pid, *_descendants(child.pid)]:
                peak = _peak_rss_kb(pid)
                if peak is not None:
                    peaks[pid] = max(peaks.get(pid, 0), peak)
            stop.wait(MEMORY_SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = child.communicate()
    stop.set()
    sampler.join()
    cpu = cpu_seconds() - cpu_started
    if child.returncode != 0:
        raise SystemExit(f"full scan child failed (exit {child.returncode})")
    figures = json.loads(output.strip().splitlines()[-1])
    return FullScanRun(
        seconds=figures["seconds"],
        cpu_seconds=cpu,
        files=figures["files"],
        findings=figures["findings"],
        rules=figures["rules"],
        sampled_peak_mb=round(sum(peaks.values()) / 1024, 1) if peaks else None,
        ru_self_mb=round(figures["ru_self_kb"] / 1024, 1),
        ru_children_mb=round(figures["ru_children_kb"] / 1024, 1),
    )


def child_full_scan(jobs: int) -> None:
    rules = load_builtin_rules().rules
    started = time.perf_counter()
    result = scan_path(CORPUS, rules, jobs=jobs)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "files": result.files_scanned,
                "findings": len(result.findings),
                "rules": len(rules),
                # ru_maxrss is in kilobytes on Linux. RUSAGE_CHILDREN is the largest single
                # worker, not their sum.
                "ru_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "ru_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            }
        )
    )


def rule_costs() -> None:
    """Which built-in rules the full scan's time goes to, measured rule by rule on one
    process. For a structural rule: what compiling it costs (ast-grep compiles a rule on
    every call, so once per file it applies to) and its time over the files its pre-filter
    lets through. For a regex rule: its time over every text file it applies to."""
    from tavo_platform.engine.matchers.regex import compile_regex_rule
    from tavo_platform.engine.matchers.requirements import WordCache, requirement_of

    rules = load_builtin_rules().rules
    tasks = scanned_tasks(CompiledRules(rules, redaction_rules=[]))
    sources = [(t, text) for t in tasks if (text := _source_text(t)) is not None]
    roots = [
        (t, text, SgRoot(text, t.language.value).root())
        for t, text in sources
        if t.language.is_structural
    ]
    rows = []
    for rule in rules:
        if rule.structural is not None:
            config = rule.structural.config()
            requirement = requirement_of(rule.structural.rule)
            empty = SgRoot("", rule.languages[0].value).root()
            started = time.perf_counter()
            for _ in range(5):
                empty.find_all(config)
            compile_ms = (time.perf_counter() - started) / 5 * 1000
            files = 0
            started = time.perf_counter()
            for task, text, root in roots:
                if task.language in rule.languages and requirement.satisfied(WordCache(text)):
                    files += 1
                    root.find_all(config)
            rows.append((time.perf_counter() - started, f"{compile_ms:10.2f}", files, rule.id))
        elif rule.regex is not None:
            regex = compile_regex_rule(rule)
            files = 0
            started = time.perf_counter()
            for task, text in sources:
                if task.language is Language.ARTIFACT or not regex.applies_to(task.path):
                    continue
                if task.language in rule.languages or Language.GENERIC in rule.languages:
                    files += 1
                    for _ in regex.pattern.finditer(text):
                        pass
            rows.append((time.perf_counter() - started, f"{'(regex)':>10}", files, rule.id))
    rows.sort(reverse=True)
    total = sum(row[0] for row in rows)
    say(f"\ncostliest built-in rules, one process, parse excluded (all {len(rows)} rules: "
        f"{total:.1f} s):")
    say(f"  {'seconds':>8} {'compile ms':>10} {'files':>6}  rule")
    for seconds, compile_ms_text, files, rule_id in rows[:20]:
        say(f"  {seconds:8.2f} {compile_ms_text} {files:6d}  {rule_id}")


# --- the whole run ---------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure (default 3)")
    parser.add_argument(
        "--jobs", type=int, default=default_jobs(), help="processes (default: cores)"
    )
    parser.add_argument("--no-semgrep", action="store_true", help="skip the Semgrep runs")
    parser.add_argument("--rule-costs", action="store_true", help="also list the costliest rules")
    parser.add_argument("--child-full-scan", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


@dataclass
class Corpus:
    django_version: str
    rules: list[Rule]
    tasks: list[FileTask]

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    @property
    def paths(self) -> list[str]:
        return sorted(task.path for task in self.tasks)


def prepare_corpus(jobs: int, repeat: int) -> Corpus:
    corpus = Corpus(ensure_corpus(), load_benchmark_rules(), [])
    corpus.tasks = scanned_tasks(CompiledRules(corpus.rules, redaction_rules=[]))
    corpus_bytes = sum(task.size for task in corpus.tasks)
    say(
        f"corpus: Django {corpus.django_version}, {len(corpus.tasks)} Python files, "
        f"{corpus_bytes / 1e6:.1f} MB; {jobs} process(es); best and median of {repeat} runs"
    )
    say(f"benchmark rules: {len(corpus.rules)} structural patterns ({TAVO_RULES.name})")
    return corpus


@dataclass
class TavoRuns:
    api: Timing
    matches: set[MatchKey]
    context: Timing
    cli: Timing
    cli_same: bool
    naive: Timing
    naive_matches: set[MatchKey]
    naive_same: bool


def measure_tavo(corpus: Corpus, jobs: int, repeat: int) -> TavoRuns:
    """1. The benchmark rules through Tavo's API, with code context, through the CLI, and
    the naive loop. One untimed run first: it fills the page cache for every tool and the
    scanner's one-off caches, so the first timed tool is not penalised."""
    rules = corpus.rules
    tavo_matches(rules, jobs)
    tavo_time, (ours, tavo_files) = timed(repeat, lambda: tavo_matches(rules, jobs))
    say(f"tavo (API)      {tavo_time.describe()}  {len(ours)} matches in {tavo_files} files")
    context_time, (with_context, _) = timed(
        repeat, lambda: tavo_matches(rules, jobs, code_context=True)
    )
    say(f"  with context  {context_time.describe()}  plus the per-finding code-context "
        f"analysis that server scans add (a diagnostic)")
    if with_context != ours:
        say("  the scan with code context found different matches")
    cli_time, cli = timed(repeat, lambda: tavo_cli_matches(jobs))
    say(f"tavo (CLI)      {cli_time.describe()}  end to end, start-up and rule loading included")
    naive_time, naive = timed(repeat, lambda: naive_matches(rules, jobs))
    say(f"naive loop      {naive_time.describe()}  one ast-grep traversal per rule per file")
    naive_same = compare(corpus.rule_ids, ours, naive, "naive loop")
    if cli != ours:
        say(f"  the CLI found {len(cli)} matches, the API {len(ours)}")
    return TavoRuns(
        tavo_time, ours, context_time, cli_time, cli == ours, naive_time, naive, naive_same
    )


def measure_semgrep(
    semgrep: Path | None, corpus: Corpus, tavo: TavoRuns, jobs: int, repeat: int
) -> tuple[dict[str, Any], bool | None]:
    """Semgrep on the same files with the same rules: its figures and whether it found the
    same matches (None when not run)."""
    if semgrep is None:
        return {}, None
    paths = corpus.paths
    semgrep_time, run = timed(repeat, lambda: semgrep_matches(semgrep, paths, jobs))
    say(f"semgrep         {semgrep_time.describe()}  {len(run.matches)} matches, "
        f"{len(run.scanned)} files, {run.errors} errors")
    same_files = run.scanned == set(paths)
    if not same_files:
        say(f"  Semgrep scanned {len(run.scanned)} files, Tavo {len(paths)}: "
            f"only Semgrep {sorted(run.scanned - set(paths))[:5]}, "
            f"only Tavo {sorted(set(paths) - run.scanned)[:5]}")
    same_matches = compare(corpus.rule_ids, tavo.matches, run.matches, "Semgrep") and same_files
    say(f"same matches as Semgrep: {same_matches}")
    figures = {
        "semgrep_version": SEMGREP_VERSION,
        "semgrep_seconds": round(semgrep_time.best, 3),
        "semgrep_seconds_median": round(semgrep_time.median, 3),
        "semgrep_matches": len(run.matches),
        "semgrep_files": len(run.scanned),
        "semgrep_errors": run.errors,
        "speedup_vs_semgrep": ratio(semgrep_time.best, tavo.api.best),
        "speedup_vs_semgrep_median": ratio(semgrep_time.median, tavo.api.median),
        "speedup_vs_semgrep_cli": ratio(semgrep_time.best, tavo.cli.best),
        "speedup_vs_semgrep_with_code_context": ratio(semgrep_time.best, tavo.context.best),
    }
    say(f"speed-up vs Semgrep: {figures['speedup_vs_semgrep']}x (best), "
        f"{figures['speedup_vs_semgrep_median']}x (median), "
        f"{figures['speedup_vs_semgrep_cli']}x (Tavo CLI end to end)")
    return figures, same_matches


def measure_full_rule_set(jobs: int, repeat: int) -> dict[str, Any]:
    """2. and 3. The full built-in rule set, its parse floor, and its memory."""
    full_rules = load_builtin_rules().rules
    parse_time, (parsed, read_only, _) = timed(repeat, lambda: parse_floor(full_rules, jobs))
    parse_cpu = min(parse_floor(full_rules, jobs)[2] for _ in range(repeat))
    say(f"\nparse floor     {parse_time.describe()}  {parsed} files parsed, "
        f"{read_only} read only (no structural language); CPU {parse_cpu:.2f} s (best)")
    full_runs = [full_scan_in_child(jobs) for _ in range(repeat)]
    full_time = Timing([run.seconds for run in full_runs])
    last = full_runs[-1]
    say(f"full scan       {full_time.describe()}  {last.rules} rules, {last.files} files, "
        f"{last.findings} findings")
    over_parse = ratio(full_time.best, parse_time.best)
    full_cpu = min(run.cpu_seconds for run in full_runs)
    say(f"full scan / parse floor: {over_parse}x (best), "
        f"{ratio(full_time.median, parse_time.median)}x (median); CPU time "
        f"{full_cpu:.2f} s / {parse_cpu:.2f} s = {ratio(full_cpu, parse_cpu)}x (best of each, "
        f"the full scan's including interpreter start-up and rule loading)")
    sampled = [run.sampled_peak_mb for run in full_runs if run.sampled_peak_mb is not None]
    ru_bound = max(run.ru_self_mb + jobs * run.ru_children_mb for run in full_runs)
    peak_rss_mb = max(sampled) if sampled else ru_bound
    say(f"peak RSS of the full scan: {peak_rss_mb} MB (sum of the VmHWM of the scan process "
        f"and its {jobs} workers); getrusage: scan process {last.ru_self_mb} MB, largest "
        f"worker {last.ru_children_mb} MB")
    return {
        "full_rules": last.rules,
        "full_files": last.files,
        "full_findings": last.findings,
        "full_scan_seconds": round(full_time.best, 3),
        "full_scan_seconds_median": round(full_time.median, 3),
        "parse_floor_seconds": round(parse_time.best, 3),
        "parse_floor_seconds_median": round(parse_time.median, 3),
        "parse_floor_files_parsed": parsed,
        "parse_floor_files_read_only": read_only,
        "full_scan_over_parse": over_parse,
        "full_scan_cpu_seconds": round(full_cpu, 3),
        "parse_floor_cpu_seconds": round(parse_cpu, 3),
        "full_scan_over_parse_cpu": ratio(full_cpu, parse_cpu),
        "peak_rss_mb": peak_rss_mb,
        "peak_rss_method": "sum of /proc VmHWM of scan process and workers, sampled every 10 ms",
    }


def all_figures(
    corpus: Corpus,
    tavo: TavoRuns,
    semgrep: tuple[dict[str, Any], bool | None],
    full: dict[str, Any],
    jobs: int,
    repeat: int,
) -> dict[str, Any]:
    semgrep_figures, same_matches = semgrep
    return {
        "corpus": f"django {corpus.django_version}",
        "corpus_files": len(corpus.tasks),
        "corpus_bytes": sum(task.size for task in corpus.tasks),
        "jobs": jobs,
        "repeat": repeat,
        "benchmark_rules": len(corpus.rules),
        "tavo_seconds": round(tavo.api.best, 3),
        "tavo_seconds_median": round(tavo.api.median, 3),
        "tavo_seconds_with_code_context": round(tavo.context.best, 3),
        "tavo_cli_seconds": round(tavo.cli.best, 3),
        "tavo_cli_seconds_median": round(tavo.cli.median, 3),
        "tavo_matches": len(tavo.matches),
        "cli_same_matches": tavo.cli_same,
        **semgrep_figures,
        "same_matches": same_matches,
        "naive_seconds": round(tavo.naive.best, 3),
        "naive_seconds_median": round(tavo.naive.median, 3),
        "naive_matches": len(tavo.naive_matches),
        "naive_same_matches": tavo.naive_same,
        "speedup_vs_naive": ratio(tavo.naive.best, tavo.api.best),
        **full,
        "goals_met": {
            "speedup_vs_semgrep": (
                semgrep_figures["speedup_vs_semgrep"] >= GOAL_SPEEDUP_VS_SEMGREP
                if semgrep_figures else None
            ),
            "full_scan_over_parse": full["full_scan_over_parse"] <= GOAL_FULL_OVER_PARSE,
            "peak_rss_mb": full["peak_rss_mb"] < GOAL_PEAK_RSS_MB,
        },
    }


def main() -> None:
    args = arguments()
    if args.child_full_scan:
        child_full_scan(args.jobs)
        return
    repeat, jobs = max(1, args.repeat), max(1, args.jobs)
    corpus = prepare_corpus(jobs, repeat)
    semgrep_path = None if args.no_semgrep else ensure_semgrep()
    tavo = measure_tavo(corpus, jobs, repeat)
    semgrep = measure_semgrep(semgrep_path, corpus, tavo, jobs, repeat)
    say(f"speed-up vs the naive loop: {ratio(tavo.naive.best, tavo.api.best)}x")
    full = measure_full_rule_set(jobs, repeat)
    if args.rule_costs:
        rule_costs()
    print(json.dumps(all_figures(corpus, tavo, semgrep, full, jobs, repeat)), flush=True)


if __name__ == "__main__":
    main()
