"""`tavo scan --format sarif`: valid SARIF 2.1.0 as Microsoft's SARIF Multitool and the OASIS
JSON schema judge it, carrying what GitHub code scanning reads.

`data/sarif-schema-2.1.0.json` is the SARIF 2.1.0 schema as shipped inside the npm package
@microsoft/sarif-multitool-linux 5.7.0 (the OASIS schema, restated in JSON Schema 2020-12),
copied here so nothing is downloaded at test time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import url2pathname

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from tavo_platform.formats import sarif as sarif_format

from .conftest import SECRET, Scan, load

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
SCHEMA_PATH = DATA / "sarif-schema-2.1.0.json"
MULTITOOL_CONFIG = DATA / "multitool-config.xml"
MULTITOOL_PACKAGES = REPO_ROOT / "tools" / "sarif" / "node_modules" / "@microsoft"

# What the Multitool may still say about our logs, all at level `note`, and why we keep them:
ACCEPTED_MULTITOOL_NOTES = {
    # Use message ids + arguments instead of text: GitHub requires `message.text` (GH1007).
    "SARIF2002",
    # No versionControlProvenance: the scanner does not read git metadata; GitHub takes the
    # commit from the upload itself.
    "SARIF2003",
    # Rule ids are descriptive (`py-eval-dynamic`), not `CS2001`-style numbers.
    "SARIF2009",
    # No region snippet: our snippet is the finding's whole lines with secrets redacted, so it
    # is given as the context region's snippet instead.
    "SARIF2010",
    # No context region for model files, which have no lines.
    "SARIF2011",
    # No helpUri for a rule with no reference, CWE or OWASP id.
    "SARIF2012",
}


# --- helpers --------------------------------------------------------------------------


def multitool_binary() -> Path:
    """The native Multitool that `node_modules/.bin/sarif-multitool` launches. The npm wrapper
    hands its arguments to a shell, which would split the `;`-separated lists `validate`
    takes, so the tests call the binary directly."""
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, "")
    name = "Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool"
    return MULTITOOL_PACKAGES / f"sarif-multitool-{platform}" / name


def run_multitool(logs: list[Path], output: Path) -> dict[str, list[dict[str, Any]]]:
    """Validates the logs with every SARIF and GitHub rule at every level; returns the
    Multitool's findings by validated file name."""
    binary = multitool_binary()
    assert binary.exists(), (
        f"SARIF Multitool not found at {binary}: run scripts/install-test-tools "
        "(scripts/test does it)"
    )
    completed = subprocess.run(
        [
            str(binary), "validate", *map(str, logs),
            "--output", str(output), "--log", "ForceOverwrite",
            "--level", "Error;Warning;Note", "--rule-kind", "Sarif;Gh",
            "--config", str(MULTITOOL_CONFIG), "--quiet",
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(output.read_text(encoding="utf-8-sig"))
    run = report["runs"][0]
    assert all(invocation["executionSuccessful"] for invocation in run["invocations"])
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in run["results"]:
        uri = finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_file[Path(unquote(urlparse(uri).path)).name].append(finding)
    return by_file


def describe(findings: list[dict[str, Any]]) -> list[str]:
    return [f"{f.get('level', 'warning')} {f['ruleId']}: {f['message']}" for f in findings]


_URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARACTERS.fullmatch(value))


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or (
        _is_uri_reference(value) and bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value))
    )


@pytest.fixture(scope="module")
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # jsonschema checks `uri` formats only with an optional package; RFC 3986's character
    # rules are what matter here (spaces and non-ASCII must be percent-encoded).
    formats = FormatChecker()
    formats.checks("uri")(_is_uri)
    formats.checks("uri-reference")(_is_uri_reference)
    return Draft202012Validator(schema, format_checker=formats)


def schema_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def run_of(report: str) -> dict[str, Any]:
    document = load(report)
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    run: dict[str, Any] = document["runs"][0]
    return run


def results_by_rule(run: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in run["results"]:
        grouped[result["ruleId"]].append(result)
    return grouped


def file_of(run: dict[str, Any], result: dict[str, Any]) -> Path:
    """Resolves a result's location the way SARIF defines it: URI against its base id."""
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    base = run["originalUriBaseIds"][location["uriBaseId"]]["uri"]
    absolute = urljoin(base, location["uri"])
    assert absolute.startswith("file:///")
    return Path(url2pathname(urlparse(absolute).path))


def region_text(path: Path, region: dict[str, int]) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    start = sum(len(line) + 1 for line in lines[: region["startLine"] - 1])
    start += region["startColumn"] - 1
    end = sum(len(line) + 1 for line in lines[: region["endLine"] - 1]) + region["endColumn"] - 1
    return "\n".join(lines)[start:end]


# --- the Multitool ----------------------------------------------------------------------


@pytest.mark.sarif_multitool
def test_multitool_finds_no_errors_or_warnings(
    scan: Scan,
    realistic_tree: Path,
    make_tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    reports = {
        "realistic.sarif": scan(realistic_tree, "sarif"),
        "single-file.sarif": scan(realistic_tree / "src" / "dir with space" / "ä b.py", "sarif"),
        "empty.sarif": scan(realistic_tree / "src" / "clean.py", "sarif"),
        # The built-in packs' real metadata, over the demo application.
        "builtin.sarif": scan(REPO_ROOT / "demo", "sarif", builtin_only=True),
    }
    git_tree = tmp_path / "repo"
    (git_tree / ".git").mkdir(parents=True)
    (git_tree / "service").mkdir()
    (git_tree / "service" / "app.py").write_text("eval(request_body)\n", encoding="utf-8")
    reports["git-subdirectory.sarif"] = scan(git_tree / "service", "sarif")
    for name, report in reports.items():
        (logs / name).write_text(report, encoding="utf-8")
    # A control: the same log with a dangling rule index must be reported, or the harness
    # proves nothing.
    broken = load(reports["realistic.sarif"])
    broken["runs"][0]["results"][0]["ruleIndex"] = 999
    (logs / "broken-control.sarif").write_text(json.dumps(broken), encoding="utf-8")

    verdicts = run_multitool(sorted(logs.iterdir()), tmp_path / "multitool.sarif")

    control = verdicts["broken-control.sarif"]
    assert any(f["ruleId"] == "SARIF1009" and f["level"] == "error" for f in control)
    for name in reports:
        findings = verdicts.get(name, [])
        problems = [f for f in findings if f.get("level", "warning") in ("error", "warning")]
        assert problems == [], f"{name}: " + "\n".join(describe(problems))
        unexpected = [f for f in findings if f["ruleId"] not in ACCEPTED_MULTITOOL_NOTES]
        assert unexpected == [], f"{name}: " + "\n".join(describe(unexpected))


# --- the JSON schema --------------------------------------------------------------------


def test_schema_validates_every_kind_of_scan(
    scan: Scan,
    realistic_tree: Path,
    schema_validator: Draft202012Validator,
) -> None:
    for target in (
        realistic_tree,
        realistic_tree / "src" / "dir with space" / "ä b.py",
        realistic_tree / "src" / "clean.py",
    ):
        document = load(scan(target, "sarif"))
        assert schema_errors(schema_validator, document) == [], target


def test_schema_validation_rejects_an_invalid_log(
    scan: Scan, realistic_tree: Path, schema_validator: Draft202012Validator
) -> None:
    document = load(scan(realistic_tree, "sarif"))
    result = document["runs"][0]["results"][0]
    result["level"] = "critical"
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "src/a b.py"
    errors = schema_errors(schema_validator, document)
    assert any("'critical' is not one of" in error for error in errors)
    assert any("is not a 'uri-reference'" in error for error in errors)


# --- what GitHub code scanning reads ------------------------------------------------------


def test_rule_metadata_carries_what_github_reads(scan: Scan, realistic_tree: Path) -> None:
    run = run_of(scan(realistic_tree, "sarif"))
    driver = run["tool"]["driver"]
    assert driver["name"] == "Tavo"
    assert re.match(r"^\d+\.\d+", driver["semanticVersion"])
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == {
        "fmt-eval-call", "fmt-secret-token", "fmt-pickle-system", "fmt-debug-marker",
        "fmt-many-weaknesses", "fmt-info-note",
    }
    assert list(rules) == sorted(rules)

    evaluation = rules["fmt-eval-call"]
    assert evaluation["name"] == "FmtEvalCall"
    assert evaluation["shortDescription"]["text"] == "eval of a dynamic value."
    assert evaluation["fullDescription"]["text"] == "eval() runs its argument as Python code."
    assert "Parse data with ast.literal_eval instead." in evaluation["help"]["text"]
    assert "**Fix:** Parse data with ast.literal_eval instead." in evaluation["help"]["markdown"]
    assert evaluation["helpUri"] == "https://docs.python.org/3/library/functions.html#eval"
    assert evaluation["defaultConfiguration"]["level"] == "error"
    properties = evaluation["properties"]
    assert properties["tags"][0] == "security"
    assert {"CWE-95", "external/cwe/cwe-095", "OWASP-LLM05", "code-injection"} <= set(
        properties["tags"]
    )
    assert properties["precision"] == "medium"
    assert properties["problem.severity"] == "error"

    # Without references, the CWE's MITRE page is the help URI.
    assert rules["fmt-secret-token"]["helpUri"] == "https://cwe.mitre.org/data/definitions/798.html"
    assert "helpUri" not in rules["fmt-info-note"]
    assert rules["fmt-secret-token"]["properties"]["precision"] == "high"

    # GitHub's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
    bands = {
        "fmt-secret-token": (9.0, 10.0, "error"),
        "fmt-pickle-system": (9.0, 10.0, "error"),
        "fmt-eval-call": (7.0, 8.9, "error"),
        "fmt-many-weaknesses": (4.0, 6.9, "warning"),
        "fmt-debug-marker": (0.1, 3.9, "note"),
        "fmt-info-note": (0.1, 3.9, "note"),
    }
    for rule_id, (low, high, level) in bands.items():
        rule = rules[rule_id]
        score = rule["properties"]["security-severity"]
        assert isinstance(score, str) and low <= float(score) <= high, rule_id
        assert rule["defaultConfiguration"]["level"] == level, rule_id
        assert rule["shortDescription"]["text"].endswith(".")
        assert rule["help"]["text"] and rule["help"]["markdown"]

    # GitHub keeps only 10 tags per rule; `security` must survive the cut.
    many = rules["fmt-many-weaknesses"]["properties"]["tags"]
    assert len(many) == 10 and many[0] == "security" and len(set(many)) == 10


def test_results_point_at_the_right_text(scan: Scan, realistic_tree: Path) -> None:
    run = run_of(scan(realistic_tree, "sarif"))
    assert run["columnKind"] == "unicodeCodePoints"
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == realistic_tree.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"].endswith(".")
        assert file_of(run, result).is_file()
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and " " not in uri and uri.isascii()

    grouped = results_by_rule(run)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for results in grouped.values()
        for r in results
    }
    assert uris == {
        "src/dir%20with%20space/%C3%A4%20b.py",
        "src/end_of_file.py",
        "na%C3%AFve/%C3%BCn%C3%AFcode/config%201.env",
        "odd/weird%20%231%20%5Bx%5D%20100%25.txt",
        "models/classifier.pkl",
    }

    evals = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r
        for r in grouped["fmt-eval-call"]
    }
    first_column = evals["src/dir%20with%20space/%C3%A4%20b.py"]["locations"][0]
    assert first_column["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 17,
    }
    end_of_file = evals["src/end_of_file.py"]["locations"][0]["physicalLocation"]
    assert end_of_file["region"] == {
        "startLine": 5, "startColumn": 12, "endLine": 5, "endColumn": 22,
    }
    assert end_of_file["contextRegion"] == {
        "startLine": 5, "endLine": 5, "snippet": {"text": "    return eval(code)"},
    }
    for result in run["results"]:
        if result["ruleId"] == "fmt-pickle-system":
            continue
        physical = result["locations"][0]["physicalLocation"]
        text = region_text(file_of(run, result), physical["region"])
        expected = {
            "fmt-eval-call": ("eval(user_input)", "eval(code)"),
            "fmt-secret-token": (SECRET,),
            "fmt-debug-marker": ("DEBUG_MARKER",),
            "fmt-info-note": ("INFO_NOTE",),
            "fmt-many-weaknesses": ("MANY_WEAKNESSES",),
        }[result["ruleId"]]
        assert text in expected
        context = physical["contextRegion"]
        assert context["startLine"] <= physical["region"]["startLine"]
        assert context["endLine"] >= physical["region"]["endLine"]


def test_secret_is_redacted_everywhere_in_the_log(scan: Scan, realistic_tree: Path) -> None:
    report = scan(realistic_tree, "sarif")
    assert SECRET not in report
    assert SECRET[len("fmtsecret_"):] not in report
    (secret,) = results_by_rule(run_of(report))["fmt-secret-token"]
    snippet = secret["locations"][0]["physicalLocation"]["contextRegion"]["snippet"]["text"]
    assert snippet.startswith('API_TOKEN="') and "*" in snippet


def test_autofix_is_a_sarif_fix_that_applies(scan: Scan, realistic_tree: Path) -> None:
    run = run_of(scan(realistic_tree, "sarif"))
    for result in results_by_rule(run)["fmt-eval-call"]:
        (fix,) = result["fixes"]
        assert fix["description"]["text"] == "Parse data with ast.literal_eval instead."
        (change,) = fix["artifactChanges"]
        location = result["locations"][0]["physicalLocation"]
        assert change["artifactLocation"] == location["artifactLocation"]
        (replacement,) = change["replacements"]
        assert replacement["deletedRegion"] == location["region"]
        path = file_of(run, result)
        deleted = region_text(path, replacement["deletedRegion"])
        fixed = path.read_text(encoding="utf-8").replace(
            deleted, replacement["insertedContent"]["text"], 1
        )
        assert "eval(" not in fixed.replace("literal_eval(", "")
        assert replacement["insertedContent"]["text"] in (
            "ast.literal_eval(user_input)",
            "ast.literal_eval(code)",
        )
    for other in ("fmt-secret-token", "fmt-debug-marker", "fmt-pickle-system"):
        assert all("fixes" not in r for r in results_by_rule(run)[other])


def test_model_file_result_has_a_line_and_says_what_it_imports(
    scan: Scan, realistic_tree: Path
) -> None:
    run = run_of(scan(realistic_tree, "sarif"))
    (result,) = results_by_rule(run)["fmt-pickle-system"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "models/classifier.pkl"
    assert physical["region"] == {"startLine": 1}
    assert "contextRegion" not in physical
    assert "imports os.system" in result["message"]["text"]
    assert result["level"] == "error"


def test_skipped_files_become_notifications(scan: Scan, realistic_tree: Path) -> None:
    run = run_of(scan(realistic_tree, "sarif"))
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    descriptors = run["tool"]["driver"]["notifications"]
    by_message = {}
    for notification in invocation["toolExecutionNotifications"]:
        descriptor = descriptors[notification["descriptor"]["index"]]
        assert descriptor["id"] == notification["descriptor"]["id"]
        by_message[notification["message"]["text"]] = notification
    binary = by_message["Skipped 1 file(s): binary."]
    assert binary["level"] == "note"
    (location,) = binary["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "assets/logo.png"
    minified = by_message["Skipped 1 file(s): minified or generated."]
    assert minified["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "static/app.js"
    )


def test_empty_scan_still_lists_results_and_rules(scan: Scan, realistic_tree: Path) -> None:
    run = run_of(scan(realistic_tree / "src" / "clean.py", "sarif"))
    # An empty `results` array is what tells GitHub to close the alerts that were fixed.
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == 6
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_uris_are_relative_to_the_enclosing_git_work_tree(scan: Scan, tmp_path: Path) -> None:
    # GitHub resolves URIs against the repository root and ignores uriBaseId, so scanning a
    # subdirectory must still yield repository-relative URIs.
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "services" / "api").mkdir(parents=True)
    (repo / "services" / "api" / "handler.py").write_text("eval(body)\n", encoding="utf-8")
    run = run_of(scan(repo / "services", "sarif"))
    (result,) = run["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "services/api/handler.py"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert file_of(run, result) == (repo / "services" / "api" / "handler.py").resolve()
    # The JSON format keeps paths relative to what was scanned.
    (finding,) = load(scan(repo / "services", "json"))["findings"]
    assert finding["path"] == "api/handler.py"


def test_partial_fingerprints_are_the_json_fingerprints(scan: Scan, realistic_tree: Path) -> None:
    run = run_of(scan(realistic_tree, "sarif"))
    findings = load(scan(realistic_tree, "json"))["findings"]
    assert len(findings) == len(run["results"]) == 7
    for finding, result in zip(findings, run["results"], strict=True):
        assert result["ruleId"] == finding["rule_id"]
        assert result["partialFingerprints"] == {"tavo/v1": finding["fingerprint"]}
        assert result["properties"]["severity"] == finding["severity"]


def test_output_is_identical_across_runs(scan: Scan, realistic_tree: Path) -> None:
    assert scan(realistic_tree, "sarif") == scan(realistic_tree, "sarif")


def test_results_beyond_githubs_limit_are_the_least_severe_and_announced(
    scan: Scan, realistic_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif_format, "MAX_RESULTS_PER_RUN", 3)
    run = run_of(scan(realistic_tree, "sarif"))
    kept = [r["properties"]["severity"] for r in run["results"]]
    assert sorted(kept) == ["CRITICAL", "CRITICAL", "HIGH"]
    (omitted,) = [
        n
        for n in run["invocations"][0]["toolExecutionNotifications"]
        if n["descriptor"]["id"] == "results-omitted"
    ]
    assert omitted["level"] == "warning"
    assert omitted["message"]["text"].startswith("4 least severe result(s) of 7 were left out")
