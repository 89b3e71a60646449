"""Every built-in rule fires on each of its positive examples and on none of its negatives."""

from __future__ import annotations

import pytest
from tavo_platform.rules.loader import builtin_pack_names, load_builtin_rules
from tavo_platform.rules.model import OWASP_LLM_IDS
from tavo_platform.rules.testing import test_rule

BUILTIN = load_builtin_rules()
STRUCTURAL_JS = {"javascript", "typescript", "tsx"}


def test_builtin_packs_load_without_errors() -> None:
    assert [str(e) for e in BUILTIN.errors] == []
    assert set(builtin_pack_names()) == {
        "owasp-llm",
        "secrets",
        "code-security",
        "model-artifacts",
        "taint",
    }


@pytest.mark.parametrize("rule", BUILTIN.rules, ids=lambda r: r.id)
def test_rule_examples(rule) -> None:  # type: ignore[no-untyped-def]
    failures = [r.describe() for r in test_rule(rule) if not r.passed]
    assert failures == []


def test_every_owasp_llm_category_has_two_rules_across_python_and_js() -> None:
    # The owasp-llm pack, plus the taint pack's flow rules (LLM01/02/05/06), which replaced
    # the one-hop imitations of flow that LLM05 used to have.
    pack = [r for r in BUILTIN.rules if r.pack in ("owasp-llm", "taint")]
    for category in OWASP_LLM_IDS:
        rules = [r for r in pack if r.owasp_llm == category]
        languages = {lang.value for r in rules for lang in r.languages}
        assert len(rules) >= 2, category
        assert "python" in languages, category
        assert languages & STRUCTURAL_JS, category


def test_secret_rules_always_redact() -> None:
    secrets = [r for r in BUILTIN.rules if r.pack == "secrets"]
    assert secrets
    assert all(r.regex is not None and r.regex.redact for r in secrets)
