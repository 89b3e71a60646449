"""The SDK's `Severity` is a copy of the API's: checked against the server's OpenAPI
document (and the engine's definition it comes from), so neither drifts alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tavo import SEVERITY_ORDER, Severity
from tavo_platform.engine import SEVERITY_ORDER as ENGINE_ORDER
from tavo_platform.server.app import create_app
from tavo_platform.settings import Settings


def severity_enums(node: Any) -> list[list[str]]:
    """Every enum in the document that lists severities."""
    found = []
    if isinstance(node, dict):
        if "CRITICAL" in node.get("enum", ()):
            found.append(list(node["enum"]))
        for value in node.values():
            found.extend(severity_enums(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(severity_enums(value))
    return found


def test_sdk_severity_matches_the_openapi_document(tmp_path: Path) -> None:
    document = create_app(Settings(data_dir=tmp_path / "data")).openapi()
    enums = severity_enums(document)
    assert enums, "the API document lists no severities"
    sdk = [severity.value for severity in SEVERITY_ORDER]
    for enum in enums:
        assert enum == sdk  # same members, most severe first
    assert [severity.value for severity in ENGINE_ORDER] == sdk
    assert [s.rank for s in Severity] == list(range(len(sdk)))
