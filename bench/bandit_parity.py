"""Tavo against bandit on bandit's own example files.

Fetches bandit's source distribution (the version pinned in uv.lock's dev group) from the
package index with pip into bench/.cache/ (gitignored), runs bandit and `tavo scan` over its
`examples/` directory, and compares by line:

    bandit_parity = share of the lines bandit reports at MEDIUM+ severity and MEDIUM+
                    confidence on which Tavo reports a finding too.

It also lists the lines bandit reports that Tavo misses (by bandit test id), and what Tavo
reports on lines bandit does not (by Tavo rule), since parity is a floor, not the aim.

Parity counts every missed line, but each miss is also classified, from the example's own
syntax tree (Python's `ast`, independent of Tavo), as either a real gap or deliberate
precision, i.e. a line Tavo chooses not to report:

- constant input: every argument of every call on the line is a literal, a module-level
  name bound once to a literal, an UPPER_CASE name, or built from those (`%`, `+`,
  `.format()`, containers): no outside data can reach the SQL, code or markup;
- import only: bandit's import checks (B4xx) flag `import ftplib`; Tavo reports the use;
- documented safe choices: `crypt.METHOD_BLOWFISH` (bcrypt, a password hash) and an empty
  member list to `extractall(members=[])` (extracts nothing).

    .venv/bin/python bench/bandit_parity.py [--show-missed]

The last line is a JSON object: bandit_parity, bandit_lines, tavo_matched,
tavo_extra_findings, missed_deliberate, missed_gaps, bandit_version, and the seconds each
tool took (the baseline measured in the same run).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tarfile
import time
from collections import Counter, defaultdict
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "bandit-parity"
RANKS = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}


def fetch_examples(bandit_version: str) -> Path:
    """bandit's examples/ from its sdist, downloaded once through the package index."""
    target = CACHE / f"bandit-{bandit_version}"
    examples = target / "examples"
    if examples.is_dir():
        return examples
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"bandit-{bandit_version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", f"bandit=={bandit_version}", "-d", str(CACHE)],
            check=True,
        )
    with tarfile.open(archive) as bundle:
        members = [m for m in bundle.getmembers() if "/examples/" in m.name]
        bundle.extractall(CACHE, members=members, filter="data")
    if not examples.is_dir():
        sys.exit(f"error: {archive} has no examples/ directory")
    return examples


def bandit_lines(examples: Path) -> tuple[dict[tuple[str, int], set[str]], float]:
    """(file, line) -> bandit test ids reported there at MEDIUM+ severity and confidence."""
    started = time.perf_counter()
    run = subprocess.run(
        [str(Path(sys.executable).parent / "bandit"), "-r", "-q", "-f", "json", str(examples)],
        capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if not run.stdout.strip():
        sys.exit(f"error: bandit printed no report:\n{run.stderr}")
    lines: dict[tuple[str, int], set[str]] = defaultdict(set)
    for issue in json.loads(run.stdout)["results"]:
        if RANKS[issue["issue_severity"]] >= 1 and RANKS[issue["issue_confidence"]] >= 1:
            name = Path(issue["filename"]).relative_to(examples).as_posix()
            lines[(name, issue["line_number"])].add(issue["test_id"])
    return lines, seconds


def tavo_findings(examples: Path) -> tuple[list[dict[str, object]], float]:
    started = time.perf_counter()
    run = subprocess.run(
        [str(Path(sys.executable).parent / "tavo"), "scan", str(examples), "--format", "json",
         "--fail-on", "never", "--no-progress", "--no-default-excludes"],
        capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if run.returncode not in (0, 2) or not run.stdout.strip():
        sys.exit(f"error: tavo scan failed ({run.returncode}):\n{run.stderr}")
    return json.loads(run.stdout)["findings"], seconds


def covered_lines(findings: list[dict[str, object]]) -> dict[tuple[str, int], set[str]]:
    """Every line a Tavo finding spans -> the rules reporting it."""
    lines: dict[tuple[str, int], set[str]] = defaultdict(set)
    for finding in findings:
        start, end = int(finding["start_line"]), int(finding["end_line"])  # type: ignore[call-overload]
        for line in range(start, end + 1):
            lines[(str(finding["path"]), line)].add(str(finding["rule_id"]))
    return lines


# (bandit test ids, text on the flagged line, why Tavo leaves it out): documented safe choices
SAFE_CHOICES = (
    ({"B324"}, re.compile(r"METHOD_BLOWFISH"), "bcrypt (crypt.METHOD_BLOWFISH) is a password hash"),
    ({"B202"}, re.compile(r"members\s*=\s*\[\s*\]"), "an empty member list extracts nothing"),
)
_UPPER = re.compile(r"[A-Z][A-Z0-9_]*")
_CONTAINER_CALLS = frozenset({"dict", "list", "tuple", "set", "str", "frozenset"})


def is_constant(node: ast.expr | None, constants: set[str]) -> bool:
    """Whether `node` holds only literals (and names bound to literals)."""
    match node:
        case None | ast.Constant():
            return True
        case ast.Name(id=name):
            return name in constants or bool(_UPPER.fullmatch(name))
        case ast.JoinedStr(values=values):
            return all(is_constant(v, constants) for v in values)
        case ast.FormattedValue(value=value):
            return is_constant(value, constants)
        case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
            return all(is_constant(i, constants) for i in items)
        case ast.Dict(keys=keys, values=values):
            return all(is_constant(i, constants) for i in [*keys, *values])
        case ast.BinOp(left=left, right=right):
            return is_constant(left, constants) and is_constant(right, constants)
        case ast.Call(func=func, args=args, keywords=keywords):
            known = (isinstance(func, ast.Name) and func.id in _CONTAINER_CALLS) or (
                isinstance(func, ast.Attribute) and func.attr == "format"
                and is_constant(func.value, constants))
            return known and all(is_constant(a, constants) for a in args) and all(
                is_constant(k.value, constants) for k in keywords)
    return False


def module_constants(tree: ast.Module) -> set[str]:
    """Names only ever assigned at module level (`name = ...`), each time a constant."""
    assigned = Counter(
        node.id for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store))
    values: dict[str, list[ast.expr]] = defaultdict(list)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id].append(node.value)
    constants: set[str] = set()
    while True:
        new = {name for name, found in values.items() if name not in constants
               and assigned[name] == len(found)
               and all(is_constant(value, constants) for value in found)}
        if not new:
            return constants
        constants |= new


def why_left_out(source: str, line: int, tests: set[str]) -> str | None:
    """Why Tavo deliberately does not report bandit's finding on `line` (None: a real gap)."""
    text = source.splitlines()[line - 1]
    for ids, pattern, reason in SAFE_CHOICES:
        if tests & ids and pattern.search(text):
            return reason
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    nodes = [n for n in ast.walk(tree) if getattr(n, "lineno", None) == line]
    if any(isinstance(n, ast.Import | ast.ImportFrom) for n in nodes):
        return "import only (Tavo reports the use)"
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    constants = module_constants(tree)
    if calls and all(
        all(isinstance(a, ast.Call) or is_constant(a, constants)
            for a in [*call.args, *(k.value for k in call.keywords)])
        for call in calls
    ):
        return "constant input (no outside data reaches the call)"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-missed", action="store_true", help="list every missed line")
    args = parser.parse_args()
    bandit_version = version("bandit")
    examples = fetch_examples(bandit_version)
    expected, bandit_seconds = bandit_lines(examples)
    findings, tavo_seconds = tavo_findings(examples)
    covered = covered_lines(findings)
    matched = [key for key in expected if key in covered]
    missed = sorted(key for key in expected if key not in covered)
    parity = len(matched) / len(expected) if expected else 0.0
    starts = {(str(f["path"]), int(f["start_line"])): f for f in findings}  # type: ignore[call-overload]
    extra = Counter(
        str(f["rule_id"]) for key, f in starts.items()
        if not any((key[0], line) in expected for line in
                   range(int(f["start_line"]), int(f["end_line"]) + 1))  # type: ignore[call-overload]
    )
    print(f"bandit {bandit_version} on {examples.relative_to(ROOT)}: "
          f"{len(expected)} lines at MEDIUM+ severity and confidence ({bandit_seconds:.1f}s)")
    print(f"tavo: {len(findings)} findings ({tavo_seconds:.1f}s); "
          f"also reports {len(matched)} of bandit's lines")
    print(f"bandit_parity = {parity:.3f}")
    missed_by_test = Counter(test for key in missed for test in expected[key])
    print("missed by bandit test:", dict(sorted(missed_by_test.items())) or "none")
    reasons = {
        key: why_left_out((examples / key[0]).read_text(encoding="utf-8"), key[1], expected[key])
        for key in missed
    }
    gaps = [key for key in missed if reasons[key] is None]
    deliberate = Counter(reason for reason in reasons.values() if reason is not None)
    print(f"of the {len(missed)} missed lines, {len(missed) - len(gaps)} are deliberate "
          f"precision (counted as misses above), {len(gaps)} are gaps:")
    for reason, count in deliberate.most_common():
        print(f"  {count:4d} deliberate precision: {reason}")
    print(f"bandit_parity on lines with a risk = "
          f"{len(matched) / max(1, len(expected) - (len(missed) - len(gaps))):.3f}")
    for name, line in missed if args.show_missed else gaps:
        why = reasons[(name, line)] or "GAP"
        print(f"  missed {name}:{line} {sorted(expected[(name, line)])}  [{why}]")
    print(f"tavo adds {sum(extra.values())} findings on lines bandit does not report:")
    for rule, count in extra.most_common():
        print(f"  {count:4d} {rule}")
    print(json.dumps({
        "bandit_parity": round(parity, 4),
        "bandit_lines": len(expected),
        "tavo_matched": len(matched),
        "tavo_extra_findings": sum(extra.values()),
        "missed_deliberate": len(missed) - len(gaps),
        "missed_gaps": len(gaps),
        "bandit_version": bandit_version,
        "bandit_seconds": round(bandit_seconds, 2),
        "tavo_seconds": round(tavo_seconds, 2),
    }))


if __name__ == "__main__":
    main()
