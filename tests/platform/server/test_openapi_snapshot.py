"""The server's OpenAPI document, compared with a snapshot committed beside this test
(openapi_snapshot.json): a refactor must not change the API that clients and the SDKs see.

When an endpoint, field or status code changes on purpose, regenerate the snapshot and
commit it with the change (the diff then shows reviewers exactly what moved):

    .venv/bin/python -m tools.openapi_snapshot

(or run this test with TAVO_UPDATE_OPENAPI_SNAPSHOT=1).
The package version is left out of the comparison: a release bump is not an API change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from tools.openapi_snapshot import COMMAND, SNAPSHOT, current_document, rendered

UPDATE_VARIABLE = "TAVO_UPDATE_OPENAPI_SNAPSHOT"


def test_openapi_document_matches_the_snapshot(tmp_path: Path) -> None:
    text = rendered(current_document(tmp_path / "data"))
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
            "the OpenAPI document changed. If on purpose, regenerate the snapshot with "
            f"`{COMMAND}` and commit it with the change (the diff shows what moved):\n"
            f"{diff[:20_000]}"
        )
