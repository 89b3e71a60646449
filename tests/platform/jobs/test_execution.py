"""Which rules each scan type runs (jobs/execution.py): the flow rules of the taint pack are
part of API scans, not only of `tavo scan`."""

from __future__ import annotations

from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.jobs.execution import select_rules


def rule_ids(scan_type: str) -> set[str]:
    return {rule.id for rule in select_rules(scan_type, (), ())}


@pytest.mark.parametrize("scan_type", ["security", "comprehensive", "code"])
def test_security_and_code_scans_run_the_flow_rules(scan_type: str) -> None:
    ids = rule_ids(scan_type)
    assert {"py-taint-sql-injection", "js-taint-xss", "py-taint-llm05-output-to-interpreter"} <= ids


def test_llm_scans_run_the_llm_flow_rules_only() -> None:
    ids = rule_ids("llm")
    assert {
        "py-taint-llm01-request-data-in-system-prompt",
        "js-taint-llm06-tool-argument-to-privileged-action",
    } <= ids
    assert "py-taint-sql-injection" not in ids


@pytest.mark.parametrize("scan_type", ["secrets", "models"])
def test_secrets_and_model_scans_run_no_flow_rules(scan_type: str) -> None:
    assert not any("-taint-" in rule_id for rule_id in rule_ids(scan_type))


def test_a_security_scan_follows_a_flow_across_files(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        "from flask import request\nfrom repo import by_owner\n"
        "def items():\n    return by_owner(request.args['owner'])\n"
    )
    (tmp_path / "repo.py").write_text(
        "import sqlite3\ndef by_owner(owner):\n"
        "    return sqlite3.connect('db').execute(\"SELECT * FROM t WHERE o = '%s'\" % owner)\n"
    )
    result = scan_path(tmp_path, select_rules("security", (), ()), jobs=1)
    flows = [f for f in result.findings if f.rule_id == "py-taint-sql-injection"]
    assert len(flows) == 1
    first = flows[0].trace[0]
    assert (first.path, first.line) == ("views.py", 4)
