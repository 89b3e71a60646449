"""`--format json`: the findings in the one shape every Tavo output shares, plus a summary."""

from __future__ import annotations

import json

from tavo_platform import __version__
from tavo_platform.engine import ScanResult
from tavo_platform.formats.summary import summary


def render_json(result: ScanResult) -> str:
    document = {
        "tool": {"name": "tavo", "version": __version__},
        "summary": summary(result),
        "findings": [finding.to_dict() for finding in result.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
