"""Small, self-contained rule files for engine and CLI tests, independent of the built-in packs.

Every id starts with `t-`, so `--only 't-*'` selects exactly these rules.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

ONLY_TEST_RULES = ("--only", "t-*")


def rule_yaml(
    rule_id: str,
    *,
    languages: str,
    matcher: str,
    severity: str = "HIGH",
    positive: str = "x",
    negative: str = "y",
) -> str:
    """One rule as a YAML list item; `matcher` is the `structural:`/`regex:` block."""
    header = textwrap.dedent(
        f"""\
        id: {rule_id}
        title: test rule {rule_id}
        message: test rule {rule_id} matched
        severity: {severity}
        confidence: HIGH
        category: test
        fix: change the code
        languages: {languages}
        examples:
          positive: [{positive!r}]
          negative: [{negative!r}]
        """
    )
    body = header + textwrap.dedent(matcher).strip("\n") + "\n"
    return "  - " + textwrap.indent(body, "    ")[4:]


def call_rule(rule_id: str, callee: str, languages: str, severity: str = "HIGH") -> str:
    """Structural: any call of `callee`."""
    return rule_yaml(
        rule_id,
        languages=languages,
        severity=severity,
        matcher=f"""
            structural:
              rule:
                pattern: {callee}($$$)
            """,
        positive=f"{callee}(value)",
        negative=f"other_{callee}(value)",
    )


def regex_rule(rule_id: str, pattern: str, severity: str = "MEDIUM", positive: str = "") -> str:
    """Regex over every text file."""
    return rule_yaml(
        rule_id,
        languages="[generic]",
        severity=severity,
        matcher=f"""
            regex:
              pattern: '{pattern}'
            """,
        positive=positive or pattern,
        negative="nothing to see",
    )


ALL_STRUCTURAL = "[python, javascript, typescript, tsx]"

# The default set: `eval(...)` in every structural language, one call per language, and
# a token regex for every text file, at several severities for --fail-on.
DEFAULT_RULES = "rules:\n" + "".join(
    [
        call_rule("t-eval", "eval", ALL_STRUCTURAL),
        call_rule("t-py-danger", "danger_py", "[python]"),
        call_rule("t-js-danger", "danger_js", "[javascript]"),
        call_rule("t-ts-danger", "danger_ts", "[typescript]"),
        call_rule("t-tsx-danger", "danger_tsx", "[tsx]"),
        regex_rule("t-token", "TOKEN_[A-Z0-9]{8}", "MEDIUM", positive="TOKEN_ABCD1234"),
        regex_rule("t-low-marker", "LOW_MARKER", "LOW"),
        regex_rule("t-info-marker", "INFO_MARKER", "INFO"),
    ]
)


def write_rules(directory: Path, text: str = DEFAULT_RULES, name: str = "rules.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
