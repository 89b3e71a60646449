"""The lifecycle rules of tracked findings (findings/lifecycle.py), apart from storage."""

from __future__ import annotations

from tavo_platform.findings.lifecycle import Known, effective_status, plan, scope_of


def known(fingerprint: str, detection: str, rule: str = "r1") -> Known:
    return Known(id=f"id-{fingerprint}", fingerprint=fingerprint, rule_id=rule,
                 detection=detection)


def test_new_seen_reopened_and_fixed() -> None:
    before = {
        "a": known("a", "open"),
        "b": known("b", "fixed"),
        "c": known("c", "reopened"),
        "d": known("d", "fixed"),
    }
    changes = plan(before, {"a": {}, "b": {}, "n": {}}, rules_run={"r1"})
    assert changes.new == ["n"]
    assert changes.seen == ["id-a", "id-b"]
    assert changes.reopened == ["id-b"]
    # c disappeared while present; d was fixed already and stays so (no second event).
    assert changes.fixed == ["id-c"]


def test_only_rules_that_ran_can_fix_and_unknown_rules_fix_nothing() -> None:
    before = {"a": known("a", "open", "sqli"), "b": known("b", "open", "secret")}
    assert plan(before, {}, rules_run={"secret"}).fixed == ["id-b"]
    assert plan(before, {}, rules_run=None).fixed == []


def test_status_and_scope() -> None:
    assert effective_status("fixed", None) == "fixed"
    assert effective_status("fixed", "wont_fix") == "wont_fix"
    assert scope_of("repo_1", "p") == "repo_1"
    assert scope_of(None, "p") == "upload:p"
    assert scope_of(None, None) is None
