"""`tavo scan --format json` and the default text report: the finding shape, a deterministic
order (also when files are scanned on several processes), grouping, colour only on a
terminal, and `--output`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from tavo_platform.engine import ScanResult, scan_path
from tavo_platform.engine import _scanner as scanner
from tavo_platform.formats.text import render_text
from tavo_platform.rules.loader import load_rules

from .conftest import ONLY_FORMAT_RULES, SECRET, Scan, load

FINDING_FIELDS = {
    "id", "rule_id", "title", "message", "severity", "confidence", "category", "cwe",
    "owasp_llm", "path", "start_line", "start_column", "end_line", "end_column", "snippet",
    "fingerprint", "fix",
}
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# SGR parameters that set a colour: 30-37/90-97 foreground, 40-47/100-107 background,
# 38;/48; extended colours.
ANSI_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def findings_of(report: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = load(report)["findings"]
    return findings


# --- JSON -------------------------------------------------------------------------------


def test_json_finding_shape(scan: Scan, realistic_tree: Path) -> None:
    report = scan(realistic_tree, "json")
    document = load(report)
    assert document["tool"]["name"] == "tavo"
    findings = document["findings"]
    assert len(findings) == 7
    for finding in findings:
        assert set(finding) >= FINDING_FIELDS, FINDING_FIELDS - set(finding)
        assert finding["severity"] in SEVERITIES
        assert finding["confidence"] in ("HIGH", "MEDIUM", "LOW")
        assert re.fullmatch(r"[0-9a-f]{32}", finding["fingerprint"])
        assert finding["id"] == finding["fingerprint"][:16]
        assert all(re.fullmatch(r"CWE-\d+", cwe) for cwe in finding["cwe"])
        assert finding["owasp_llm"] is None or re.fullmatch(r"LLM(0[1-9]|10)", finding["owasp_llm"])
        for key in ("start_line", "start_column", "end_line", "end_column"):
            assert isinstance(finding[key], int) and finding[key] >= 1
        assert (finding["start_line"], finding["start_column"]) <= (
            finding["end_line"],
            finding["end_column"],
        )
        assert finding["fix"]
    assert len({f["fingerprint"] for f in findings}) == len(findings)

    # Non-ASCII paths are written as they are, not as \u escapes.
    assert "src/dir with space/ä b.py" in report
    by_path = {(f["path"], f["rule_id"]): f for f in findings}
    evaluation = by_path[("src/dir with space/ä b.py", "fmt-eval-call")]
    assert {key: evaluation[key] for key in FINDING_FIELDS - {"id", "fingerprint"}} == {
        "rule_id": "fmt-eval-call",
        "title": "eval of a dynamic value",
        "message": "eval() runs its argument as Python code.",
        "severity": "HIGH",
        "confidence": "MEDIUM",
        "category": "code-injection",
        "cwe": ["CWE-95"],
        "owasp_llm": "LLM05",
        "path": "src/dir with space/ä b.py",
        "start_line": 1,
        "start_column": 1,
        "end_line": 1,
        "end_column": 17,
        "snippet": "eval(user_input)",
        "fix": "Parse data with ast.literal_eval instead.",
    }
    assert evaluation["autofix"] == {
        "replacement": "ast.literal_eval(user_input)",
        "start_line": 1,
        "start_column": 1,
        "end_line": 1,
        "end_column": 17,
    }
    end_of_file = by_path[("src/end_of_file.py", "fmt-eval-call")]
    assert (end_of_file["start_line"], end_of_file["end_column"]) == (5, 22)
    assert by_path[("naïve/ünïcode/config 1.env", "fmt-debug-marker")]["owasp_llm"] is None
    secret = by_path[("naïve/ünïcode/config 1.env", "fmt-secret-token")]
    assert secret["autofix"] is None
    assert SECRET not in report and "*" in secret["snippet"]


def test_json_summary(scan: Scan, realistic_tree: Path) -> None:
    summary = load(scan(realistic_tree, "json"))["summary"]
    assert summary["findings"] == 7
    assert summary["by_severity"] == {
        "CRITICAL": 2, "HIGH": 2, "MEDIUM": 1, "LOW": 1, "INFO": 1,
    }
    assert summary["files_skipped"] == 2
    assert summary["skipped_by_reason"] == {"binary": 1, "minified or generated": 1}
    assert summary["rules_run"] == 6
    assert summary["files_scanned"] == 6


def test_json_findings_are_sorted_and_repeatable(scan: Scan, realistic_tree: Path) -> None:
    first = findings_of(scan(realistic_tree, "json"))
    keys = [(f["path"], f["start_line"], f["start_column"], f["rule_id"]) for f in first]
    assert keys == sorted(keys)
    assert findings_of(scan(realistic_tree, "json")) == first


def _many_files() -> dict[str, str | bytes]:
    """Enough files and bytes for the scanner to use worker processes, with findings spread
    over many files and lines, so that any ordering bug shows."""
    files: dict[str, str | bytes] = {}
    for number in range(40):
        padding = "".join(f"value_{number}_{line} = {line}\n" for line in range(400))
        body = f"eval(first_{number})\n{padding}# DEBUG_MARKER\nresult = eval(last_{number})\n"
        directory = "pkg" if number % 2 else "lib/ünï"
        files[f"{directory}/module_{number:02d}.py"] = body
    return files


def test_same_order_with_one_process_and_with_several(
    scan: Scan,
    make_tree: Callable[[dict[str, str | bytes]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = _many_files()
    assert len(files) > scanner.PARALLEL_MIN_FILES
    assert sum(len(body) for body in files.values()) > scanner.PARALLEL_MIN_BYTES
    tree = make_tree(files)

    chunked_for: list[int] = []
    balanced_chunks = scanner._balanced_chunks

    def spy(tasks: Any, jobs: int) -> Any:
        chunked_for.append(jobs)
        return balanced_chunks(tasks, jobs)

    monkeypatch.setattr(scanner, "_balanced_chunks", spy)

    serial = findings_of(scan(tree, "json", "--jobs", "1"))
    assert chunked_for == []
    parallel = findings_of(scan(tree, "json", "--jobs", "2"))
    assert chunked_for == [2], "the scan did not take the worker-process path"
    assert len(serial) == 40 * 3
    assert parallel == serial
    sarif_serial = scan(tree, "sarif", "--jobs", "1")
    assert scan(tree, "sarif", "--jobs", "2") == sarif_serial


# --- text -------------------------------------------------------------------------------


def _text_groups(report: str) -> dict[str, list[tuple[str, str]]]:
    """{file header: [(severity, rule id), ...]} in the order printed."""
    groups: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in report.splitlines():
        if "finding(s)" in line and "file(s) scanned" in line:
            break
        if line and not line.startswith(" "):
            assert line not in groups, f"{line} printed twice"
            current = groups[line] = []
            continue
        finding = re.match(r"^  (CRITICAL|HIGH|MEDIUM|LOW|INFO) +\d+:\d+  (\S+)", line)
        if finding:
            assert current is not None
            current.append((finding.group(1), finding.group(2)))
    return groups


def test_text_groups_by_file_then_severity(scan: Scan, realistic_tree: Path) -> None:
    report = scan(realistic_tree, "text")
    groups = _text_groups(report)
    assert list(groups) == sorted(groups)
    assert groups == {
        "models/classifier.pkl": [("CRITICAL", "fmt-pickle-system")],
        "naïve/ünïcode/config 1.env": [
            ("CRITICAL", "fmt-secret-token"),
            ("LOW", "fmt-debug-marker"),
            ("INFO", "fmt-info-note"),
        ],
        "odd/weird #1 [x] 100%.txt": [("MEDIUM", "fmt-many-weaknesses")],
        "src/dir with space/ä b.py": [("HIGH", "fmt-eval-call")],
        "src/end_of_file.py": [("HIGH", "fmt-eval-call")],
    }
    assert "  HIGH     5:12  fmt-eval-call  [LLM05, CWE-95]" in report
    assert "      > return eval(code)" in report
    assert "      fix: Parse data with ast.literal_eval instead." in report
    assert SECRET not in report
    summary = report.splitlines()
    assert any(
        line.startswith("7 finding(s) (2 critical, 2 high, 1 medium, 1 low, 1 info)")
        for line in summary
    )
    assert any(line.startswith("  skipped 1 file(s): binary: ") for line in summary)
    assert any(line.startswith("  skipped 1 file(s): minified or generated: ") for line in summary)


def test_text_within_a_file_is_most_severe_first(
    scan: Scan, make_tree: Callable[[dict[str, str | bytes]], Path]
) -> None:
    tree = make_tree({"mixed.py": "# INFO_NOTE\n# DEBUG_MARKER\neval(x)\n# MANY_WEAKNESSES\n"})
    groups = _text_groups(scan(tree, "text"))
    assert groups["mixed.py"] == [
        ("HIGH", "fmt-eval-call"),
        ("MEDIUM", "fmt-many-weaknesses"),
        ("LOW", "fmt-debug-marker"),
        ("INFO", "fmt-info-note"),
    ]


def test_no_escape_codes_when_not_a_terminal(
    run_cli: Callable[..., Result],
    format_rules: Path,
    realistic_tree: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = run_cli(
        "scan", realistic_tree, "--rules", format_rules, *ONLY_FORMAT_RULES, "--no-progress",
    )
    assert result.exit_code == 1  # findings at LOW or above, the default --fail-on
    assert "fmt-eval-call" in result.stdout
    assert "\x1b" not in result.stdout


def _scan_result(format_rules: Path, tree: Path) -> ScanResult:
    rules = load_rules(format_rules)
    assert not rules.errors
    return scan_path(tree, rules.rules, jobs=1)


def test_colour_on_a_terminal_honours_no_color(
    format_rules: Path, realistic_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _scan_result(format_rules, realistic_tree)
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = render_text(result, True)
    assert ANSI_COLOUR.search(coloured)
    assert ANSI_ESCAPE.sub("", coloured) == render_text(result, False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI_COLOUR.search(render_text(result, True))


# --- --output -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_output_file_gets_the_report_and_stdout_stays_empty(
    fmt: str,
    run_cli: Callable[..., Result],
    format_rules: Path,
    realistic_tree: Path,
    tmp_path: Path,
) -> None:
    selection = ("--rules", format_rules, *ONLY_FORMAT_RULES, "--no-progress")
    to_stdout = run_cli("scan", realistic_tree, "--format", fmt, *selection)
    target = tmp_path / "out dir ü" / f"report.{fmt}"
    target.parent.mkdir()
    to_file = run_cli("scan", realistic_tree, "--format", fmt, "--output", target, *selection)
    assert to_stdout.exit_code == to_file.exit_code == 1
    assert to_file.stdout == ""
    written = target.read_text(encoding="utf-8")
    if fmt == "json":
        assert load(written)["findings"] == load(to_stdout.stdout)["findings"]
    elif fmt == "sarif":
        assert written == to_stdout.stdout
    else:
        # Identical but for the timing in the summary line.
        def timeless(report: str) -> str:
            return re.sub(r"\d+\.\d+s", "<t>", report)

        assert timeless(written) == timeless(to_stdout.stdout)
        assert "\x1b" not in written


def test_output_to_an_unwritable_place_is_a_usage_error(
    run_cli: Callable[..., Result], format_rules: Path, realistic_tree: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no such directory" / "report.json"
    result = run_cli(
        "scan", realistic_tree, "--format", "json", "--output", missing,
        "--rules", format_rules, *ONLY_FORMAT_RULES, "--no-progress",
    )
    assert result.exit_code == 2
    assert "cannot write" in result.output
    assert not missing.exists()
