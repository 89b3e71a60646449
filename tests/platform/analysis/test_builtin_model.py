"""The built-in triage-and-risk model on real engine findings: risk factors, verdicts,
clusters, remediation patches, fix-first order, security score and OWASP coverage."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.analysis.builtin import analyze_findings, expand
from tavo_platform.analysis.interface import AnalysisOptions, ScanMaterial

from tests.platform.analysis.conftest import scan_findings

Tree = Callable[[dict[str, str | bytes]], Path]

HANDLER = """\
from flask import Flask, request
import os

app = Flask(__name__)


@app.route("/run")
def run():
    os.system("echo " + request.args["name"])
"""


def analyse(
    findings: list[dict[str, Any]],
    checked: list[tuple[str, str | None]] | None = None,
    **options: Any,
) -> dict[str, Any]:
    material = ScanMaterial("scan_test", findings, checked or [])
    return analyze_findings(material, AnalysisOptions(**options))


def by_path(result: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in result["findings"] if f["path"] == path]


def test_risk_factors_add_up_to_the_score(write_tree: Tree) -> None:
    result = analyse(scan_findings(write_tree({"app.py": HANDLER, "tests/test_app.py": HANDLER})))

    for finding in result["findings"]:
        factors = finding["risk"]["factors"]
        assert [f["factor"] for f in factors] == [
            "severity",
            "exploitability",
            "confidence",
            "untrusted_input",
            "file_context",
            "exposure",
        ]
        assert all(f["explanation"] for f in factors)
        assert abs(sum(f["points"] for f in factors) - finding["risk"]["score"]) <= 1
    production, test = by_path(result, "app.py")[0], by_path(result, "tests/test_app.py")[0]
    assert production["risk"]["score"] > 80 > 30 > test["risk"]["score"]
    context = next(f for f in test["risk"]["factors"] if f["factor"] == "file_context")
    assert (context["value"], context["multiplier"]) == ("test", 0.25)
    assert production["verdict"] == "likely_true_positive"
    assert test["verdict"] == "likely_false_positive"
    assert production["facts"]["untrusted_sources"] == ["request"]
    assert production["facts"]["entrypoint"] == "web_handler"


def test_same_input_same_answer(write_tree: Tree) -> None:
    findings = scan_findings(write_tree({"app.py": HANDLER}))
    assert json.dumps(analyse(findings)) == json.dumps(analyse(findings))


def test_duplicates_and_near_duplicates_cluster_by_root_cause(write_tree: Tree) -> None:
    renamed = HANDLER.replace("run():", "go():").replace('"name"', '"who"')
    constant = HANDLER.replace('request.args["name"]', '"world"').replace(
        'os.system("echo " + "world")', 'greeting = "world"\n    os.system("echo " + greeting)'
    )
    result = analyse(
        scan_findings(
            write_tree(
                {
                    "a/app.py": HANDLER,
                    "b/app.py": HANDLER,
                    "c/app.py": renamed,
                    "d/app.py": constant,
                }
            )
        )
    )

    clusters = result["clusters"]
    assert len(clusters) == 1, clusters
    cluster = clusters[0]
    # a and b are identical; c differs only in names: same shape, one cluster of three.
    assert (cluster["kind"], cluster["size"], cluster["files"]) == ("near_duplicate", 3, 3)
    members = {f["path"] for f in result["findings"] if f["cluster_id"] == cluster["id"]}
    assert members == {"a/app.py", "b/app.py", "c/app.py"}
    # The constant-fed copy is no finding at all: a shell command built only from
    # constants is not reported (engine/dataflow/precision.py).
    assert by_path(result, "d/app.py") == []
    # Fix first names the cluster once, covering its three findings.
    assert [item["covers"] for item in result["fix_first"]] == [3]
    exact = analyse(scan_findings(write_tree({"x/app.py": HANDLER, "y/app.py": HANDLER})))
    assert exact["clusters"][0]["kind"] == "duplicate"


def test_autofix_becomes_a_patch_that_applies(write_tree: Tree, tmp_path: Path) -> None:
    source = (
        "import yaml\n\n\ndef load(path):\n"
        "    with open(path) as handle:\n        return yaml.load(handle.read())\n"
    )
    root = write_tree({"cfg/loader.py": source})
    finding = next(
        f
        for f in analyse(scan_findings(root))["findings"]
        if f["rule_id"] == "py-yaml-load-default-loader"
    )

    autofix = finding["autofix"]
    assert autofix["replacement"] == "yaml.safe_load(handle.read())"
    patch = autofix["patch"]
    assert patch.startswith("--- a/cfg/loader.py\n+++ b/cfg/loader.py\n@@ -6,1 +6,1 @@\n")
    (tmp_path / "fix.patch").write_text(patch)
    applied = subprocess.run(
        ["patch", "-p1", "-i", str(tmp_path / "fix.patch")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert (root / "cfg/loader.py").read_text() == source.replace(
        "yaml.load(handle.read())", "yaml.safe_load(handle.read())"
    )


def test_no_patch_from_a_redacted_or_cut_snippet() -> None:
    from tavo_platform.analysis.remediation import unified_patch

    base = {
        "path": "a.py",
        "start_line": 3,
        "snippet": "x = yaml.load(data)",
        "autofix": {
            "replacement": "yaml.safe_load(data)",
            "start_line": 3,
            "start_column": 5,
            "end_line": 3,
            "end_column": 20,
        },
    }
    assert unified_patch(base) is not None
    assert unified_patch({**base, "snippet": "x = yaml.load(data)  # AKIA********"}) is None
    assert unified_patch({**base, "snippet": "x" * 240}) is None
    assert unified_patch({**base, "start_line": 9}) is None


def test_remediation_is_expanded_per_finding(write_tree: Tree) -> None:
    result = analyse(scan_findings(write_tree({"app.py": HANDLER})))

    [finding] = expand(result, result["findings"])

    remediation = finding["remediation"]
    assert "Impact: runs attacker-chosen shell commands." in remediation["why"]
    assert remediation["how"]
    assert {"id": "CWE-78", "name": "OS Command Injection"} in remediation["cwe"]


def test_fix_first_leaves_out_noise_and_ranks_by_risk(write_tree: Tree) -> None:
    result = analyse(
        scan_findings(
            write_tree(
                {
                    "app.py": HANDLER,
                    "lib/util.py": "import os\n\ndef run(cmd):\n    os.system('x ' + cmd)\n",
                    "tests/test_x.py": HANDLER,
                }
            )
        ),
        fix_first_limit=10,
    )

    order = [(item["path"], item["verdict"]) for item in result["fix_first"]]
    assert order == [("app.py", "likely_true_positive"), ("lib/util.py", "needs_review")]
    risks = [item["risk"] for item in result["fix_first"]]
    assert risks == sorted(risks, reverse=True)


def test_security_score(write_tree: Tree) -> None:
    clean = analyse([])
    noisy = analyse(scan_findings(write_tree({"tests/test_a.py": HANDLER})))
    one = analyse(scan_findings(write_tree({"app.py": HANDLER})))

    assert (clean["security_score"]["score"], clean["security_score"]["grade"]) == (100, "A")
    assert noisy["security_score"]["score"] == 100  # false positives cost nothing
    score = one["security_score"]
    assert 60 <= score["score"] < 90
    assert score["top_deductions"][0]["points"] == pytest.approx(100 - score["score"], abs=0.2)


def test_owasp_coverage_says_what_was_checked_and_found(write_tree: Tree) -> None:
    prompt = (
        "from fastapi import FastAPI\nfrom openai import OpenAI\napi = FastAPI()\n"
        "client = OpenAI()\n\n@api.post('/chat')\ndef chat(topic: str):\n"
        "    return client.chat.completions.create(model='m', max_tokens=50, messages=["
        "{'role': 'system', 'content': f'You are an expert on {topic}.'}])\n"
    )
    findings = scan_findings(write_tree({"chat.py": prompt}), scan_type="llm")
    checked = [("r1", "LLM01"), ("r2", "LLM01"), ("r3", "LLM05")]

    table = {row["id"]: row for row in analyse(findings, checked)["owasp_llm_coverage"]}

    assert table["LLM01"]["status"] == "found" and table["LLM01"]["rules_checked"] == 2
    assert table["LLM01"]["open_findings"] >= 1
    assert table["LLM05"]["status"] == "clear"
    assert table["LLM02"]["status"] == "not_checked"
    assert table["LLM09"]["note"]


def test_findings_without_engine_context_use_their_snippet() -> None:
    base = {
        "id": "f1",
        "rule_id": "py-eval-dynamic",
        "severity": "HIGH",
        "confidence": "MEDIUM",
        "category": "code-injection",
        "path": "app/views.py",
        "start_line": 3,
        "message": "eval",
        "fix": "do not",
        "fingerprint": "a" * 32,
    }
    from_request = {**base, "snippet": 'eval(request.form["expr"])'}
    constant = {**base, "id": "f2", "fingerprint": "b" * 32, "snippet": 'eval("1 + 2")'}

    result = analyse([from_request, constant])

    first, second = result["findings"]
    assert first["facts"]["source"] == "snippet"
    assert first["facts"]["untrusted_sources"] == ["request"]
    assert first["verdict"] == "likely_true_positive"
    assert second["verdict"] == "likely_false_positive"
