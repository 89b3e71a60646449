"""How does the taint engine scale? A generated project at 1x and 10x size.

    .venv/bin/python bench/dataflow_scale.py [--modules 40] [--repeat 2] [--no-semgrep]

The project is generated (never checked in): N Python modules in a package, each with a
Flask-style handler reading request data, call chains several functions deep that cross
into the next modules, flows that reach a SQL sink (`cursor.execute` of a built string),
and as many that are sanitised (`int()`) or parameterised. Measured, each in a fresh
process so its peak resident set is its own:

- Tavo's scan with its taint rule for SQL injection (py-taint-sql-injection) on one
  process: seconds, seconds per 1,000 lines, findings, peak RSS (ru_maxrss);
- `growth_10x`: Tavo's time at 10x over its time at 1x (goal <= 12, near-linear);
- Semgrep's taint mode (OSS, `mode: taint`) with an equivalent rule on the same project at
  10x, as the anchor: `ratio_vs_semgrep` is Tavo's time over Semgrep's (goal <= 0.2).
  Semgrep OSS follows flows within a file only, so it finds fewer of the flows, which are
  built to cross files; its count is printed beside ours.

Semgrep comes from bench/.cache/semgrep-venv, installed as bench/scan_vs_semgrep.py does.
The last line printed is one JSON object with `growth_10x`, `ratio_vs_semgrep` and
`peak_rss_mb` among its keys.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from scan_vs_semgrep import _semgrep_env, ensure_semgrep  # noqa: E402

GOAL_GROWTH = 12.0
GOAL_RATIO = 0.2
GOAL_PEAK_RSS_MB = 500.0
CHAIN_DEPTH = 4

SEMGREP_RULE = textwrap.dedent(
    """\
    rules:
      - id: bench-taint-sql
        message: request data reaches a SQL query
        severity: ERROR
        languages: [python]
        mode: taint
        pattern-sources:
          - pattern: request.args.get(...)
          - pattern: request.form[...]
        pattern-sinks:
          - patterns:
              - pattern-inside: $C.execute($Q, ...)
              - focus-metavariable: $Q
              - pattern: $Q
        pattern-sanitizers:
          - pattern: int(...)
    """
)


def module_source(index: int, count: int) -> str:
    """One module: a handler, a chain of helpers reaching into the next module, a sink."""
    following = (index + 1) % count
    return textwrap.dedent(
        f"""\
        import sqlite3

        from flask import request

        from app import mod{following:04d} as following

        TABLE_{index} = "items_{index}"


        def handler_{index}():
            name = request.args.get("name")
            label = request.form["label"]
            count = int(request.args.get("count", "1"))
            step_{index}_1(name)
            following.step_{following}_1(label)
            safe_{index}(count)
            return parameterised_{index}(name)


        def step_{index}_1(value):
            prefix = "SELECT * FROM " + TABLE_{index}
            return step_{index}_2(prefix, value)


        def step_{index}_2(prefix, value):
            clause = f"{{prefix}} WHERE name = '{{value}}'"
            return step_{index}_3(clause)


        def step_{index}_3(query):
            parts = [query, "LIMIT 10"]
            return run_{index}(" ".join(parts))


        def run_{index}(sql):
            cursor = sqlite3.connect("app.db").cursor()
            cursor.execute(sql)
            return cursor.fetchall()


        def safe_{index}(count):
            sql = "SELECT * FROM " + TABLE_{index} + " LIMIT " + str(count)
            return run_{index}(sql)


        def parameterised_{index}(name):
            cursor = sqlite3.connect("app.db").cursor()
            cursor.execute("SELECT * FROM " + TABLE_{index} + " WHERE name = ?", (name,))
            return cursor.fetchall()


        class Repo{index}:
            def __init__(self, table):
                self.table = table

            def find(self, key):
                return self._query("SELECT * FROM " + self.table + " WHERE k = '" + key + "'")

            def _query(self, sql):
                cursor = sqlite3.connect("app.db").cursor()
                cursor.execute(sql)
                return cursor.fetchall()


        def repo_handler_{index}():
            repo = Repo{index}(TABLE_{index})
            return repo.find(request.args.get("key"))


        def inline_handler_{index}():
            cursor = sqlite3.connect("app.db").cursor()
            term = request.args.get("term")
            cursor.execute("SELECT * FROM " + TABLE_{index} + " WHERE t = '" + term + "'")
            return cursor.fetchall()
        """
    )


def generate(root: Path, count: int) -> int:
    package = root / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    lines = 0
    for index in range(count):
        text = module_source(index, count)
        (package / f"mod{index:04d}.py").write_text(text)
        lines += text.count("\n")
    return lines


def tavo_child(root: str) -> None:
    """In a fresh process: scan with the SQL taint rule; print the figures as JSON."""
    from tavo_platform.engine import scan_path
    from tavo_platform.rules.loader import load_builtin_rules

    rules = [r for r in load_builtin_rules().rules if r.id == "py-taint-sql-injection"]
    started, cpu_started = time.perf_counter(), time.process_time()
    result = scan_path(Path(root), rules, jobs=1)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "findings": len(result.findings),
                "peak_kb": peak_kb,
            }
        )
    )


def run_tavo(root: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"tavo child failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_semgrep(semgrep: Path, root: Path, rule: Path) -> tuple[float, int, float]:
    """Wall seconds, findings, and CPU seconds of Semgrep and its child processes."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "out.json"
        cpu_before = _children_cpu()
        started = time.perf_counter()
        subprocess.run(
            [
                str(semgrep),
                "scan",
                "--config",
                str(rule),
                "--json",
                "--output",
                str(report),
                "--metrics=off",
                "--disable-version-check",
                "--jobs",
                "1",
                "--quiet",
                "--no-git-ignore",
                str(root),
            ],
            capture_output=True,
            text=True,
            env=_semgrep_env(),
            check=False,
            timeout=3600,
        )
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        if not report.exists():
            raise SystemExit("semgrep produced no report")
        results = json.loads(report.read_text())["results"]
    return seconds, len(results), cpu


def per_kloc(figures: dict[str, float]) -> float:
    return round(figures["seconds"] / (figures["lines"] / 1000), 4)


def best_of(repeat: int, action):  # type: ignore[no-untyped-def]
    runs = [action() for _ in range(repeat)]
    return min(runs, key=lambda r: r["seconds"] if isinstance(r, dict) else r[0]), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modules", type=int, default=40, help="modules at 1x (default 40)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-semgrep", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tavo_child(args.child)
        return
    semgrep = None if args.no_semgrep else ensure_semgrep()
    load = os.getloadavg()[0]
    print(f"machine load average (1 min): {load:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        sizes = {"1x": args.modules, "10x": args.modules * 10}
        figures: dict[str, dict[str, float]] = {}
        for label, count in sizes.items():
            root = base / label
            lines = generate(root, count)
            best, _ = best_of(args.repeat, lambda root=root: run_tavo(root))
            rate = best["seconds"] / (lines / 1000)
            figures[label] = {**best, "lines": lines, "modules": count}
            print(
                f"tavo {label:>3}: {count} modules, {lines} lines, {best['seconds']:.2f} s "
                f"({rate:.3f} s per 1,000 lines), {best['findings']} findings, "
                f"peak RSS {best['peak_kb'] / 1024:.0f} MB"
            )
        growth = figures["10x"]["seconds"] / figures["1x"]["seconds"]
        growth_cpu = figures["10x"]["cpu_seconds"] / figures["1x"]["cpu_seconds"]
        print(
            f"growth at 10x: {growth:.2f} wall clock, {growth_cpu:.2f} CPU time "
            f"(goal <= {GOAL_GROWTH})"
        )
        semgrep_figures: dict[str, float | int | None] = {
            "semgrep_seconds_10x": None,
            "semgrep_findings_10x": None,
            "ratio_vs_semgrep": None,
        }
        if semgrep is not None:
            rule = base / "semgrep-rule.yaml"
            rule.write_text(SEMGREP_RULE)
            runs = [run_semgrep(semgrep, base / "10x", rule) for _ in range(args.repeat)]
            seconds, found, cpu = min(runs)
            ratio = figures["10x"]["seconds"] / seconds
            ratio_cpu = figures["10x"]["cpu_seconds"] / cpu if cpu else None
            semgrep_figures = {
                "semgrep_seconds_10x": round(seconds, 3),
                "semgrep_cpu_seconds_10x": round(cpu, 3),
                "semgrep_findings_10x": found,
                "ratio_vs_semgrep": round(ratio, 3),
                "ratio_vs_semgrep_cpu": round(ratio_cpu, 3) if ratio_cpu else None,
            }
            print(
                f"semgrep taint mode at 10x: {seconds:.2f} s ({cpu:.2f} s CPU), {found} "
                f"findings; tavo / semgrep: {ratio:.3f} wall clock, {ratio_cpu:.3f} CPU time "
                f"(goal <= {GOAL_RATIO})"
            )
    peak_mb = round(figures["10x"]["peak_kb"] / 1024, 1)
    result = {
        "modules_1x": figures["1x"]["modules"],
        "lines_1x": figures["1x"]["lines"],
        "lines_10x": figures["10x"]["lines"],
        "tavo_seconds_1x": round(figures["1x"]["seconds"], 3),
        "tavo_seconds_10x": round(figures["10x"]["seconds"], 3),
        "seconds_per_kloc_1x": per_kloc(figures["1x"]),
        "seconds_per_kloc_10x": per_kloc(figures["10x"]),
        "tavo_cpu_seconds_1x": round(figures["1x"]["cpu_seconds"], 3),
        "tavo_cpu_seconds_10x": round(figures["10x"]["cpu_seconds"], 3),
        "tavo_findings_1x": figures["1x"]["findings"],
        "tavo_findings_10x": figures["10x"]["findings"],
        "growth_10x": round(growth, 3),
        "growth_10x_cpu": round(growth_cpu, 3),
        **semgrep_figures,
        "peak_rss_mb": peak_mb,
        "load_average": round(load, 1),
        "goals_met": {
            "growth_10x": growth <= GOAL_GROWTH,
            "ratio_vs_semgrep": (
                semgrep_figures["ratio_vs_semgrep"] <= GOAL_RATIO  # type: ignore[operator]
                if semgrep_figures["ratio_vs_semgrep"] is not None
                else None
            ),
            "peak_rss_mb": peak_mb <= GOAL_PEAK_RSS_MB,
        },
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
