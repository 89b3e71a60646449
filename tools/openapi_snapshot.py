"""Writes the server's OpenAPI document to the snapshot the test compares with
(tests/platform/server/openapi_snapshot.json). Run after a deliberate API change and commit
the snapshot with it, so the diff shows reviewers exactly what moved:

    .venv/bin/python -m tools.openapi_snapshot            # rewrite the snapshot
    .venv/bin/python -m tools.openapi_snapshot --check    # exit 1 if it is out of date

The package version is left out: a release bump is not an API change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parents[1] / "tests/platform/server/openapi_snapshot.json"
COMMAND = ".venv/bin/python -m tools.openapi_snapshot"


def current_document(data_dir: Path) -> dict[str, Any]:
    from tavo_platform.server.app import create_app
    from tavo_platform.settings import Settings

    document = create_app(Settings(data_dir=data_dir)).openapi()
    document["info"].pop("version", None)
    return document


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def current_text() -> str:
    with tempfile.TemporaryDirectory(prefix="tavo-openapi-") as directory:
        return rendered(current_document(Path(directory) / "data"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    arguments = parser.parse_args(argv)
    text = current_text()
    if arguments.check:
        same = SNAPSHOT.exists() and SNAPSHOT.read_text(encoding="utf-8") == text
        print("snapshot up to date" if same else f"snapshot out of date: run {COMMAND}")
        return 0 if same else 1
    SNAPSHOT.write_text(text, encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
