"""Remediation for a finding: why it matters, how to fix it, and a concrete patch when the
rule has an autofix.

The patch is a unified diff built from the finding's snippet (the source lines of the match,
as the scan saw them) and the autofix's span and replacement. It is only offered when the
snippet holds those lines exactly: not cut short, not redacted, plain ASCII (so character
columns and offsets agree); otherwise the replacement text is given on its own.
"""

from __future__ import annotations

from typing import Any

from tavo_platform.analysis.risk import EXPLOITABILITY

SNIPPET_LINE_LIMIT = 240  # the engine cuts snippet lines at this many characters
REDACTION_MARK = "********"

CWE_NAMES = {
    "CWE-20": "Improper Input Validation",
    "CWE-22": "Path Traversal",
    "CWE-73": "External Control of File Name or Path",
    "CWE-77": "Command Injection",
    "CWE-78": "OS Command Injection",
    "CWE-79": "Cross-site Scripting",
    "CWE-89": "SQL Injection",
    "CWE-94": "Code Injection",
    "CWE-95": "Eval Injection",
    "CWE-200": "Exposure of Sensitive Information",
    "CWE-215": "Sensitive Information in Debugging Code",
    "CWE-250": "Execution with Unnecessary Privileges",
    "CWE-259": "Use of Hard-coded Password",
    "CWE-284": "Improper Access Control",
    "CWE-295": "Improper Certificate Validation",
    "CWE-297": "Improper Validation of Certificate with Host Mismatch",
    "CWE-312": "Cleartext Storage of Sensitive Information",
    "CWE-319": "Cleartext Transmission of Sensitive Information",
    "CWE-321": "Use of Hard-coded Cryptographic Key",
    "CWE-327": "Use of a Broken or Risky Cryptographic Algorithm",
    "CWE-328": "Use of Weak Hash",
    "CWE-345": "Insufficient Verification of Data Authenticity",
    "CWE-359": "Exposure of Private Personal Information",
    "CWE-400": "Uncontrolled Resource Consumption",
    "CWE-470": "Unsafe Reflection",
    "CWE-489": "Active Debug Code",
    "CWE-494": "Download of Code Without Integrity Check",
    "CWE-502": "Deserialization of Untrusted Data",
    "CWE-522": "Insufficiently Protected Credentials",
    "CWE-532": "Sensitive Information in Log File",
    "CWE-602": "Client-Side Enforcement of Server-Side Security",
    "CWE-639": "Authorization Bypass Through User-Controlled Key",
    "CWE-693": "Protection Mechanism Failure",
    "CWE-749": "Exposed Dangerous Method or Function",
    "CWE-770": "Allocation of Resources Without Limits or Throttling",
    "CWE-798": "Use of Hard-coded Credentials",
    "CWE-829": "Inclusion of Functionality from Untrusted Control Sphere",
    "CWE-834": "Excessive Iteration",
    "CWE-918": "Server-Side Request Forgery",
    "CWE-1039": "Inadequate Detection of Adversarial Input Perturbations",
    "CWE-1088": "Synchronous Access of Remote Resource without Timeout",
    "CWE-1336": "Template Injection",
    "CWE-1357": "Reliance on Insufficiently Trustworthy Component",
    "CWE-1427": "Improper Neutralization of Input Used for LLM Prompting",
}


def rule_remediation(finding: dict[str, Any]) -> dict[str, Any]:
    """What every finding of the finding's rule shares: why it matters, how to fix it."""
    category = str(finding.get("category", ""))
    impact = EXPLOITABILITY.get(category, (0.0, ""))[1]
    why = str(finding.get("message", "")).strip()
    if impact:
        why = f"{why} Impact: {impact}." if why else f"Impact: {impact}."
    return {
        "title": str(finding.get("title", "")),
        "why": why,
        "how": str(finding.get("fix", "")).strip(),
        "cwe": [{"id": cwe, "name": CWE_NAMES.get(cwe)} for cwe in finding.get("cwe") or ()],
        "references": list(finding.get("references") or ()),
    }


def autofix_of(finding: dict[str, Any]) -> dict[str, Any] | None:
    """The rule's autofix for this finding: the replacement, and a patch when possible."""
    autofix = finding.get("autofix")
    if not isinstance(autofix, dict):
        return None
    return {"replacement": autofix.get("replacement"), "patch": unified_patch(finding)}


def remediation(finding: dict[str, Any]) -> dict[str, Any]:
    shared = rule_remediation(finding)
    return {
        "why": shared["why"],
        "how": shared["how"],
        "cwe": shared["cwe"],
        "references": shared["references"],
        "autofix": autofix_of(finding),
    }


def unified_patch(finding: dict[str, Any]) -> str | None:
    """A unified diff applying the finding's autofix, or None when the snippet cannot
    stand for the source lines it replaces."""
    autofix = finding.get("autofix")
    snippet = finding.get("snippet")
    if not isinstance(autofix, dict) or not isinstance(snippet, str) or REDACTION_MARK in snippet:
        return None
    try:
        first_line = int(finding["start_line"])
        start_line, end_line = int(autofix["start_line"]), int(autofix["end_line"])
        start_column, end_column = int(autofix["start_column"]), int(autofix["end_column"])
        replacement = str(autofix["replacement"])
    except (KeyError, TypeError, ValueError):
        return None
    lines = snippet.split("\n")
    first, last = start_line - first_line, end_line - first_line
    if first < 0 or last >= len(lines) or last < first:
        return None
    old = lines[first : last + 1]
    if any(len(line) >= SNIPPET_LINE_LIMIT or not line.isascii() for line in old):
        return None
    if start_column - 1 > len(old[0]) or end_column - 1 > len(old[-1]):
        return None
    new_text = old[0][: start_column - 1] + replacement + old[-1][end_column - 1 :]
    new = new_text.split("\n")
    path = str(finding.get("path", "file"))
    return "\n".join(
        [
            f"--- a/{path}",
            f"+++ b/{path}",
            f"@@ -{start_line},{len(old)} +{start_line},{len(new)} @@",
            *(f"-{line}" for line in old),
            *(f"+{line}" for line in new),
            "",
        ]
    )
