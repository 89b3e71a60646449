"""Output formats for scan results: human text, JSON and SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Callable

from tavo_platform.engine import ScanResult

Renderer = Callable[[ScanResult, bool], str]


# Each format is imported when it is used: `tavo scan` writes one of them.
def _text(result: ScanResult, colour: bool) -> str:
    from tavo_platform.formats.text import render_text

    return render_text(result, colour)


def _json(result: ScanResult, _colour: bool) -> str:
    from tavo_platform.formats.json_format import render_json

    return render_json(result)


def _sarif(result: ScanResult, _colour: bool) -> str:
    from tavo_platform.formats.sarif import render_sarif

    return render_sarif(result)


RENDERERS: dict[str, Renderer] = {"text": _text, "json": _json, "sarif": _sarif}
