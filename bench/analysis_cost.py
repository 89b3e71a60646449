"""What does the built-in AI analysis cost next to the scan that produced the findings?

    .venv/bin/python bench/analysis_cost.py [--findings 10000] [--repeat 3]

It writes a synthetic repository (web handlers fed by request data, constant-fed and dead
code, helpers taking parameters, LLM output reaching sinks, Express handlers, tests, docs
and committed credentials), scanned by the engine exactly as a scan job runs it (built-in
security packs, one process, findings turned into dicts), until it yields at least
`--findings` findings. Then it times, best of `--repeat`:

1. the scan (the baseline): engine plus finding dicts;
2. the same scan without the code-context pass this analysis relies on (engine/_context.py),
   to show what that pass adds to scans;
3. the built-in analysis of every finding (risk, verdicts, clusters, remediation, fix-first,
   score, coverage), and separately the JSON encoding of its result for storage.

Both run single-threaded in this process, so each is timed as CPU time (process_time) as
well as wall time: the machine may be shared, and CPU time does not count the waits for a
core. "analysis_over_scan" is the ratio of CPU times; the wall-clock ratio is printed too.

Goal: the analysis costs less than a tenth of the scan. The last line printed is one JSON
object with every figure, including "analysis_over_scan".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tavo_platform.analysis.builtin import analyze_findings
from tavo_platform.analysis.interface import AnalysisOptions, ScanMaterial
from tavo_platform.engine import _scanner as scanner
from tavo_platform.engine import scan_path
from tavo_platform.jobs.execution import select_rules

GOAL_ANALYSIS_OVER_SCAN = 0.1

PY_HANDLERS = """\
import os
import sqlite3
import subprocess

import requests
from flask import Flask, request

app = Flask(__name__)
BASE = "uptime"


@app.route("/calc{n}", methods=["POST"])
def calc{n}():
    expression = request.form["expression"]
    return str(eval(expression))


@app.route("/ping{n}")
def ping{n}():
    host = request.args.get("host", "localhost")
    os.system(f"ping -c 1 {{host}}")
    return "ok"


@app.route("/user{n}/<user_id>")
def user{n}(user_id):
    db = sqlite3.connect("app.db")
    return str(db.execute(f"SELECT * FROM users WHERE id = {{user_id}}").fetchall())


@app.route("/fetch{n}")
def fetch{n}():
    return requests.get(request.args["url"], verify=False).text


def status{n}():
    command = BASE + " -p"
    subprocess.run(command, shell=True)


def job{n}(spec):
    subprocess.run(f"make {{spec}} --target {n}", shell=True)


def legacy{n}(expression):
    if False:
        return eval(expression)
    return None
"""

PY_LLM = """\
import subprocess

from openai import OpenAI

client = OpenAI()


def plan{n}(task):
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{{"role": "user", "content": task}}]
    )
    command = answer.choices[0].message.content
    subprocess.run(command, shell=True)
    exec(answer.choices[0].message.content)
"""

JS_SERVER = """\
const express = require("express");
const {{ exec }} = require("child_process");
const app = express();

app.post("/report{n}", async (req, res) => {{
  const name = req.body.name;
  res.json(await db.query(`SELECT * FROM reports WHERE name = '${{name}}' AND n = {n}`));
}});

app.get("/convert{n}", (req, res) => {{
  exec(`convert ${{req.query.file}} out{n}.png`);
  res.send("ok");
}});

function nightly{n}() {{
  const table = "reports";
  return db.query(`DELETE FROM ${{table}} WHERE age > {n}`);
}}
"""

PY_TEST = """\
import os


def test_ping{n}(host):
    os.system(f"ping -c 1 {{host}}")


def test_calc{n}(expr):
    assert eval(expr) == {n}
"""

CONFIG = """\
AWS_ACCESS_KEY_ID = "AKIAZ3MXQ7VLR2TW{suffix}"
"""

TEMPLATES: list[tuple[str, str]] = [
    ("app/routes_{n}.py", PY_HANDLERS),
    ("app/assistant_{n}.py", PY_LLM),
    ("server/route_{n}.js", JS_SERVER),
    ("tests/test_routes_{n}.py", PY_TEST),
    ("app/config_{n}.py", CONFIG),
]


def key_suffix(n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "".join(alphabet[(n >> (5 * i)) % 32] for i in range(4))


def write_group(root: Path, n: int) -> None:
    for path, template in TEMPLATES:
        target = root / path.format(n=n)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.format(n=n, suffix=key_suffix(n)), encoding="utf-8")


def scan(root: Path) -> list[dict[str, Any]]:
    result = scan_path(root, select_rules("security", (), ()), jobs=1, code_context=True)
    return [finding.to_dict() for finding in result.findings]


@dataclass
class Timing:
    wall: float  # best
    wall_median: float
    cpu: float  # best
    value: Any


def timed(function: Callable[[], Any], repeat: int) -> Timing:
    walls, cpus, value = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        value = function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
    return Timing(min(walls), statistics.median(walls), min(cpus), value)


def without_context(function: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        original = scanner.contexts_for
        scanner.contexts_for = lambda text, language, spans: [None] * len(spans)
        try:
            return function()
        finally:
            scanner.contexts_for = original

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tavo-analysis-bench-") as directory:
        root = Path(directory) / "repo"
        write_group(root, 0)
        per_group = len(scan(root))
        groups = -(-arguments.findings // per_group)
        for n in range(1, groups):
            write_group(root, n)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        print(f"repository: {files} files in {groups} groups of {len(TEMPLATES)}", flush=True)

        scanned = timed(lambda: scan(root), arguments.repeat)
        bare = timed(without_context(lambda: scan(root)), arguments.repeat)
    findings = scanned.value
    assert len(bare.value) == len(findings)
    rules = [(rule.id, rule.owasp_llm) for rule in select_rules("security", (), ())]
    material = ScanMaterial("bench", findings, rules)
    options = AnalysisOptions()
    analysed = timed(lambda: analyze_findings(material, options), arguments.repeat)
    encoded = timed(lambda: orjson.dumps(analysed.value), arguments.repeat)

    count = len(findings)
    result = analysed.value
    over = analysed.cpu / scanned.cpu
    over_wall = analysed.wall / scanned.wall
    context_share = (scanned.cpu - bare.cpu) / scanned.cpu
    print(
        f"scan (baseline): {scanned.cpu:.2f}s CPU, {scanned.wall:.2f}s wall (median "
        f"{scanned.wall_median:.2f}s); {count} findings, {scanned.cpu / count * 1e6:.0f} us "
        "CPU per finding"
    )
    print(
        f"scan without the code-context pass: {bare.cpu:.2f}s CPU (the pass costs "
        f"{context_share:.1%} of the scan)"
    )
    print(
        f"analysis: {analysed.cpu:.3f}s CPU, {analysed.wall:.3f}s wall (median "
        f"{analysed.wall_median:.3f}s); {analysed.cpu / count * 1e6:.1f} us CPU per finding; "
        f"result JSON {len(encoded.value) / 1e6:.1f} MB, encoded in {encoded.cpu:.3f}s CPU"
    )
    print(
        f"verdicts: {result['summary']['by_verdict']}; clusters: "
        f"{result['summary']['clusters']}; security score {result['security_score']['score']}"
    )
    print(
        f"analysis / scan = {over:.4f} CPU, {over_wall:.4f} wall (goal < {GOAL_ANALYSIS_OVER_SCAN})"
    )
    figures = {
        "findings": count,
        "files": files,
        "scan_cpu_seconds": round(scanned.cpu, 3),
        "scan_wall_seconds": round(scanned.wall, 3),
        "scan_wall_seconds_median": round(scanned.wall_median, 3),
        "scan_without_context_cpu_seconds": round(bare.cpu, 3),
        "context_pass_share_of_scan": round(context_share, 4),
        "analysis_cpu_seconds": round(analysed.cpu, 4),
        "analysis_wall_seconds": round(analysed.wall, 4),
        "analysis_wall_seconds_median": round(analysed.wall_median, 4),
        "scan_us_per_finding": round(scanned.cpu / count * 1e6, 1),
        "analysis_us_per_finding": round(analysed.cpu / count * 1e6, 2),
        "result_json_mb": round(len(encoded.value) / 1e6, 2),
        "result_encode_cpu_seconds": round(encoded.cpu, 4),
        "analysis_over_scan": round(over, 4),
        "analysis_over_scan_wall": round(over_wall, 4),
        "goal_analysis_over_scan": GOAL_ANALYSIS_OVER_SCAN,
        "goal_met": over < GOAL_ANALYSIS_OVER_SCAN,
        "verdicts": result["summary"]["by_verdict"],
        "clusters": result["summary"]["clusters"],
        "repeat": arguments.repeat,
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main())
