"""Tavo against bandit on bandit's own example files.

Fetches bandit's source distribution (the version pinned in uv.lock's dev group) from the
package index with pip into bench/.cache/ (gitignored), runs bandit and `tavo scan` over its
`examples/` directory, and compares by line:

    bandit_parity = share of the lines bandit reports at MEDIUM+ severity and MEDIUM+
                    confidence on which Tavo reports a finding too.

It also lists the lines bandit reports that Tavo misses (by bandit test id), and what Tavo
reports on lines bandit does not (by Tavo rule), since parity is a floor, not the aim.

    .venv/bin/python bench/bandit_parity.py [--show-missed]

The last line is a JSON object: bandit_parity, bandit_lines, tavo_matched, tavo_extra_lines,
bandit_version, and the seconds each tool took (the baseline measured in the same run).
"""

from __future__ import annotations

import argparse
import json
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
    if args.show_missed:
        for name, line in missed:
            print(f"  missed {name}:{line} {sorted(expected[(name, line)])}")
    print(f"tavo adds {sum(extra.values())} findings on lines bandit does not report:")
    for rule, count in extra.most_common():
        print(f"  {count:4d} {rule}")
    print(json.dumps({
        "bandit_parity": round(parity, 4),
        "bandit_lines": len(expected),
        "tavo_matched": len(matched),
        "tavo_extra_findings": sum(extra.values()),
        "bandit_version": bandit_version,
        "bandit_seconds": round(bandit_seconds, 2),
        "tavo_seconds": round(tavo_seconds, 2),
    }))


if __name__ == "__main__":
    main()
