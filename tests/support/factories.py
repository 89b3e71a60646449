"""Test data for the store and the runner."""

from __future__ import annotations


def finding(n: int, *, severity: str = "HIGH", rule: str = "r-one", path: str = "") -> dict:
    return {
        "id": f"{n:016x}",
        "rule_id": rule,
        "severity": severity,
        "path": path or f"src/m{n % 7}.py",
        "start_line": n + 1,
        "fingerprint": f"{n:064x}",
        "message": "ünïcode ✓ and \"quotes\"",
        "cwe": ["CWE-95"],
        "nested": {"list": [1, 2.5, None, True]},
    }
