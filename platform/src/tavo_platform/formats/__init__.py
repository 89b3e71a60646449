"""Output formats for scan results: human text, JSON and SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Callable

from tavo_platform.engine import ScanResult
from tavo_platform.formats.json_format import render_json
from tavo_platform.formats.sarif import render_sarif
from tavo_platform.formats.text import render_text

Renderer = Callable[[ScanResult, bool], str]

RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": lambda result, _colour: render_json(result),
    "sarif": lambda result, _colour: render_sarif(result),
}
