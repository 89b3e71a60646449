"""Jupyter notebooks (`.ipynb`): the code cells as one Python module, line for line.

A notebook is JSON; its code cells hold Python, one source line per JSON string. The
Python rules (structural and taint) read the code cells as a module whose line N is the
JSON file's line N: each code line sits on the line where the notebook file holds it and
every other line is blank, so findings point into the `.ipynb` without any mapping.
IPython magics and shell escapes (`%pip install`, `!ls`, `%%time`) are not Python and are
left blank. Markdown and raw cells are not code. The JSON itself is still scanned as text
for secrets, as before (an output can print a key too).

Jupyter writes every source line as its own JSON string on its own line (nbformat's
writer). A line not found where it should be (a notebook minified onto one line, a source
stored as one string) is left out rather than put on a wrong line.
"""

from __future__ import annotations

import json

NOTEBOOK_SUFFIX = ".ipynb"
# How far past the previous code line the next one may sit (cell metadata, ids, outputs
# of the cell before, the next cell's header).
_LOOKAHEAD = 400


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


def notebook_python(text: str) -> str | None:
    """The notebook's code cells as Python aligned with the file's lines; None when the
    text is not a notebook or has no code."""
    try:
        notebook = json.loads(text)
    except ValueError:
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return None
    lines = text.splitlines()
    placed = [""] * len(lines)
    position = 0
    found_code = False
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        parts = source.splitlines(keepends=True) if isinstance(source, str) else source
        if not isinstance(parts, list):
            continue
        for part in parts:
            if not isinstance(part, str):
                continue
            index = _find(lines, part, position)
            if index is None:
                continue
            position = index + 1
            code = part.rstrip("\r\n")
            if not _is_magic(code):
                placed[index] = code
                found_code = found_code or bool(code.strip())
    return "\n".join(placed) + "\n" if found_code else None


def _find(lines: list[str], part: str, start: int) -> int | None:
    """The index of the line at or after `start` holding `part` as a JSON string."""
    encodings = {json.dumps(part), json.dumps(part, ensure_ascii=False)}
    for index in range(start, min(len(lines), start + _LOOKAHEAD)):
        stripped = lines[index].strip().removesuffix(",")
        if stripped in encodings:
            return index
    return None


def _is_magic(code: str) -> bool:
    stripped = code.lstrip()
    return stripped.startswith(("%", "!"))
