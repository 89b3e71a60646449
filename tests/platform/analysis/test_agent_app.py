"""A small, deliberately vulnerable LangChain agent app (agent_app/app.py): the scan finds
what is wrong with it, and the analysis agrees — no category with findings is "clear", and
with open LLM05/LLM06 findings of HIGH severity the app cannot grade above C, naming the
findings that set the grade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tavo_platform.analysis.builtin import analyze_findings
from tavo_platform.analysis.interface import AnalysisOptions, ScanMaterial
from tavo_platform.analysis.scoring import Assessed, security_score
from tavo_platform.analysis.triage import Verdict
from tavo_platform.jobs.execution import select_rules

from tests.platform.analysis.conftest import scan_findings

APP = Path(__file__).parent / "agent_app"


def _analyse(findings: list[dict[str, Any]]) -> dict[str, Any]:
    checked = [(rule.id, rule.owasp_llm) for rule in select_rules("security", (), ())]
    return analyze_findings(ScanMaterial("scan_agent", findings, checked), AnalysisOptions())


def _line(text: str) -> int:
    lines = (APP / "app.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_the_scan_finds_the_agents_problems() -> None:
    found = {(f["rule_id"], f["start_line"]) for f in scan_findings(APP)}

    expected = {
        ("py-llm-tool-executes-model-sql", _line("connect().execute(query)")),
        ("py-llm-tool-executes-model-sql", _line("SELECT status FROM orders")),
        ("py-llm-tool-error-text-to-model", _line('return f"The query failed')),
        ("py-llm-tool-destructive-without-authorization", _line("def refund_order")),
        ("py-llm-tool-destructive-without-authorization", _line("def delete_account")),
        ("py-llm-system-prompt-guards-agent-tools", _line("Only administrators may")),
        ("py-plaintext-password-check", _line("AND password = ?")),
        ("py-llm-output-to-streamlit-gradio", _line('st.write(result["output"])')),
        ("py-llm-chat-model-without-output-limit", _line("llm = ChatOpenAI(")),
        ("py-llm-verbose-agent-logging", _line("executor = AgentExecutor(")),
    }
    assert expected <= found
    # The tool that only reads a fixed, parameterised query is not an unauthorised action.
    assert ("py-llm-tool-destructive-without-authorization", _line("def order_status")) not in found
    assert ("py-llm-tool-destructive-without-authorization", _line("def run_sql")) not in found


def test_the_analysis_grades_it_c_at_best_and_says_why() -> None:
    findings = scan_findings(APP)
    result = _analyse(findings)

    score = result["security_score"]
    assert score["grade"] in {"C", "D", "F"}
    assert score["score"] < 75
    basis = score["grade_basis"]
    by_id = {f["id"]: f for f in findings}
    named = [by_id[entry["finding_id"]] for entry in basis["findings"]]
    assert named, basis
    if basis["capped"]:
        assert all(f["owasp_llm"] in {"LLM01", "LLM05", "LLM06"} for f in named)
        assert all(f["severity"] in {"HIGH", "CRITICAL"} for f in named)
        assert {f["rule_id"] for f in named} >= {
            "py-llm-tool-executes-model-sql",
            "py-llm-tool-destructive-without-authorization",
        }
    coverage = {row["id"]: row for row in result["owasp_llm_coverage"]}
    for item in ("LLM02", "LLM05", "LLM06", "LLM07", "LLM10"):
        assert coverage[item]["status"] == "found", (item, coverage[item])
    for row in coverage.values():
        assert not (row["findings"] and row["status"] == "clear"), row


def _assessed(index: int, **overrides: Any) -> Assessed:
    values: dict[str, Any] = {
        "index": index,
        "finding_id": f"f{index}",
        "risk": 40,
        "verdict": Verdict.NEEDS_REVIEW,
        "severity": "HIGH",
        "path": "app.py",
        "line": index,
        "cluster": None,
        "owasp_llm": "LLM05",
    }
    values.update(overrides)
    return Assessed(**values)


def test_one_high_output_handling_finding_caps_an_otherwise_good_grade() -> None:
    uncapped = security_score([_assessed(1, owasp_llm="LLM10")])
    capped = security_score([_assessed(1)])

    assert uncapped["grade"] in {"A", "B"} and uncapped["grade_basis"]["capped"] is False
    assert (capped["grade"], capped["score"]) == ("C", min(uncapped["score"], 74))
    assert capped["grade_basis"]["capped"] is True
    assert [entry["finding_id"] for entry in capped["grade_basis"]["findings"]] == ["f1"]


def test_dismissed_or_medium_findings_do_not_cap_and_clean_scans_say_so() -> None:
    dismissed = security_score([_assessed(1, verdict=Verdict.FALSE_POSITIVE)])
    medium = security_score([_assessed(1, severity="MEDIUM", owasp_llm="LLM06")])
    clean = security_score([])

    assert dismissed["grade"] == "A" and not dismissed["grade_basis"]["capped"]
    assert medium["grade"] in {"A", "B"} and not medium["grade_basis"]["capped"]
    assert clean["grade_basis"] == {"capped": False, "reason": "no findings", "findings": []}


def test_a_category_whose_findings_were_all_dismissed_is_not_clear() -> None:
    finding = {
        "id": "x1",
        "rule_id": "py-llm-verbose-agent-logging",
        "severity": "LOW",
        "confidence": "HIGH",
        "category": "sensitive-information-disclosure",
        "owasp_llm": "LLM02",
        "path": "tests/test_agent.py",
        "start_line": 3,
        "snippet": "executor = AgentExecutor(agent=a, tools=t, verbose=True)",
    }
    result = analyze_findings(
        ScanMaterial("s", [finding], [("py-llm-verbose-agent-logging", "LLM02")]),
        AnalysisOptions(),
    )
    row = next(r for r in result["owasp_llm_coverage"] if r["id"] == "LLM02")
    assert row["findings"] == 1
    assert row["status"] in {"found", "dismissed"}
