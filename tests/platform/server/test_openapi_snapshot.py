"""The server's OpenAPI document, compared with a snapshot committed beside this test
(openapi_snapshot.json): a refactor must not change the API that clients and the SDKs see.

When an endpoint, field or status code changes on purpose, regenerate the snapshot and
commit it with the change (the diff then shows reviewers exactly what moved):

    TAVO_UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/pytest tests/platform/server/test_openapi_snapshot.py

The package version is left out of the
comparison: a release bump is not an API change.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from tavo_platform.server.app import create_app
from tavo_platform.settings import Settings

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")
UPDATE_VARIABLE = "TAVO_UPDATE_OPENAPI_SNAPSHOT"


def current_document(tmp_path: Path) -> dict[str, Any]:
    document = create_app(Settings(data_dir=tmp_path / "data")).openapi()
    document["info"].pop("version", None)
    return document


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def test_openapi_document_matches_the_snapshot(tmp_path: Path) -> None:
    text = rendered(current_document(tmp_path))
    if os.environ.get(UPDATE_VARIABLE) == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                "openapi_snapshot.json",
                "current",
                n=2,
            )
        )
        raise AssertionError(
            f"the OpenAPI document changed (if on purpose: {UPDATE_VARIABLE}=1, see the "
            f"module docstring):\n{diff[:20_000]}"
        )

