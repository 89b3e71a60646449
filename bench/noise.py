"""How noisy Tavo is on ordinary, well-kept code: popular packages' own source.

Installs a pinned set of packages (web frameworks, an HTTP client, LangChain core, an LLM
client) without their dependencies into bench/.cache/noise/ (gitignored) from PyPI, scans
each package's source with `tavo scan` (every built-in pack), and prints findings per
1,000 lines of Python by rule and by severity. As a baseline measured in the same run,
bandit (the pinned dev dependency) scans the same source, counted at MEDIUM+ severity and
MEDIUM+ confidence.

    .venv/bin/python bench/noise.py [--sample 30] [--seed 13]

`--sample N` prints N randomly chosen findings of MEDIUM severity or above ("warnings or
worse") with their code, for review by hand. The last line is a JSON object: lines,
findings, findings_per_kloc, warnings_per_kloc, bandit_per_kloc, by_severity, packages.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "noise"
BIN = Path(sys.executable).parent
# name==version -> the import directories it installs
PACKAGES = {
    "flask==3.1.0": ["flask"],
    "django==5.1.4": ["django"],
    "fastapi==0.115.6": ["fastapi"],
    "starlette==0.41.3": ["starlette"],
    "requests==2.32.3": ["requests"],
    "httpx==0.28.1": ["httpx"],
    "langchain-core==0.3.28": ["langchain_core"],
    "openai==1.58.1": ["openai"],
}
WARNING_OR_WORSE = ("CRITICAL", "HIGH", "MEDIUM")


def install() -> Path:
    site = CACHE / "site"
    marker = site / ".installed"
    wanted = "\n".join(sorted(PACKAGES))
    if marker.exists() and marker.read_text() == wanted:
        return site
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
         "--upgrade", "--target", str(site), *PACKAGES],
        check=True,
    )
    marker.write_text(wanted)
    return site


def python_lines(directory: Path) -> int:
    total = 0
    for path in directory.rglob("*.py"):
        with path.open(encoding="utf-8", errors="replace") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def tavo(directory: Path) -> list[dict[str, object]]:
    run = subprocess.run(
        [str(BIN / "tavo"), "scan", str(directory), "--format", "json", "--fail-on", "never",
         "--no-progress"],
        capture_output=True, text=True,
    )
    if run.returncode not in (0, 2) or not run.stdout.strip():
        sys.exit(f"error: tavo scan failed on {directory}:\n{run.stderr}")
    return json.loads(run.stdout)["findings"]


def bandit(directory: Path) -> int:
    run = subprocess.run(
        [str(BIN / "bandit"), "-r", "-q", "-f", "json", "--severity-level", "medium",
         "--confidence-level", "medium", str(directory)],
        capture_output=True, text=True,
    )
    return len(json.loads(run.stdout)["results"]) if run.stdout.strip() else 0


def per_kloc(count: int, lines: int) -> float:
    return round(1000 * count / lines, 3) if lines else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=0, help="findings to print for review")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    site = install()
    findings: list[dict[str, object]] = []
    packages: dict[str, dict[str, float | int]] = {}
    lines = bandit_total = 0
    tavo_seconds = bandit_seconds = 0.0
    for spec, directories in PACKAGES.items():
        for name in directories:
            directory = site / name
            started = time.perf_counter()
            found = tavo(directory)
            tavo_seconds += time.perf_counter() - started
            started = time.perf_counter()
            baseline = bandit(directory)
            bandit_seconds += time.perf_counter() - started
            count = python_lines(directory)
            for finding in found:
                finding["path"] = f"{name}/{finding['path']}"
            findings.extend(found)
            lines += count
            bandit_total += baseline
            warnings = sum(1 for f in found if f["severity"] in WARNING_OR_WORSE)
            packages[spec] = {"lines": count, "findings": len(found), "warnings": warnings,
                              "bandit": baseline}
            print(f"{spec:24} {count:7d} lines  {len(found):4d} findings "
                  f"({per_kloc(len(found), count):.2f}/kloc, {warnings} warnings or worse)  "
                  f"bandit {baseline} ({per_kloc(baseline, count):.2f}/kloc)")
    severities = Counter(str(f["severity"]) for f in findings)
    rules = Counter((str(f["rule_id"]), str(f["severity"])) for f in findings)
    warnings = [f for f in findings if f["severity"] in WARNING_OR_WORSE]
    print(f"\n{lines} lines of Python, {len(findings)} findings: "
          f"{per_kloc(len(findings), lines)} per 1,000 lines; warnings or worse "
          f"{per_kloc(len(warnings), lines)}; bandit (MEDIUM+/MEDIUM+) "
          f"{per_kloc(bandit_total, lines)} (tavo {tavo_seconds:.1f}s, bandit "
          f"{bandit_seconds:.1f}s)")
    print("by severity:", {s: per_kloc(n, lines) for s, n in sorted(severities.items())})
    print("by rule (per 1,000 lines):")
    for (rule, severity), count in rules.most_common():
        print(f"  {per_kloc(count, lines):7.3f}  {count:4d}  {severity:8} {rule}")
    if args.sample:
        chosen = random.Random(args.seed).sample(warnings, min(args.sample, len(warnings)))
        print(f"\nsample of {len(chosen)} warnings or worse (seed {args.seed}):")
        for index, finding in enumerate(chosen, 1):
            print(f"--- {index}. {finding['rule_id']} {finding['severity']} "
                  f"{finding['path']}:{finding['start_line']}")
            print("    " + str(finding["snippet"]).replace("\n", "\n    "))
    print(json.dumps({
        "lines": lines,
        "findings": len(findings),
        "findings_per_kloc": per_kloc(len(findings), lines),
        "warnings_per_kloc": per_kloc(len(warnings), lines),
        "bandit_per_kloc": per_kloc(bandit_total, lines),
        "by_severity": dict(sorted(severities.items())),
        "packages": packages,
    }))


if __name__ == "__main__":
    main()
