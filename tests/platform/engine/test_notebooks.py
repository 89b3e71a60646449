"""Jupyter notebooks: the Python rules read the code cells (engine/_notebooks.py), and
findings point at the line of the `.ipynb` that holds the code."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.engine._notebooks import notebook_python
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(scope="module")
def builtin() -> list[Rule]:
    return load_builtin_rules().rules


def notebook(*cells: tuple[str, str]) -> str:
    """A notebook as Jupyter writes it: one JSON string per source line, indent 1."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": source.splitlines(keepends=True),
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for kind, source in cells
            ],
            "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_code_cells_are_scanned_as_python_at_their_lines(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    text = notebook(
        ("markdown", "Load the checkpoint with `torch.load(path)` and pickle.load(f).\n"),
        ("code", "%pip install torch\n!nvidia-smi\nimport torch\n"),
        ("code", "model = torch.load('checkpoint.pt')\n"),
        ("code", "import pickle\nwith open('features.pkl', 'rb') as f:\n    x = pickle.load(f)\n"),
    )
    result = scan_path(make_tree({"explore.ipynb": text}), builtin, jobs=1)
    found = {(f.rule_id, f.span.start_line) for f in result.findings}

    assert ("py-llm04-torch-load-without-weights-only", line_of(text, "torch.load('check")) in found
    assert ("py-pickle-load", line_of(text, "x = pickle.load(f)")) in found
    # The markdown cell mentions the same calls: prose, not code.
    assert all(line != line_of(text, "Load the checkpoint") for _, line in found)
    snippets = {f.snippet for f in result.findings}
    assert "model = torch.load('checkpoint.pt')" in snippets


def test_request_data_flows_across_cells(make_tree: MakeTree, builtin: list[Rule]) -> None:
    text = notebook(
        ("code", "from flask import Flask, request\napp = Flask(__name__)\n"),
        ("code", "def evaluate(expr):\n    return eval(expr)\n"),
        (
            "code",
            "@app.post('/calc')\ndef calc():\n    return str(evaluate(request.json['expr']))\n",
        ),
    )
    result = scan_path(make_tree({"demo.ipynb": text}), builtin, jobs=1)
    taint = [f for f in result.findings if f.rule_id == "py-taint-code-injection"]
    assert taint and taint[0].span.start_line == line_of(text, "return eval(expr)")
    assert taint[0].trace


def test_a_secret_in_a_cell_is_one_finding(make_tree: MakeTree, builtin: list[Rule]) -> None:
    rng = random.Random(7)
    token = (
        "gh" + "p_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    )
    text = notebook(("code", f"GITHUB_TOKEN = '{token}'\n"))
    result = scan_path(make_tree({"keys.ipynb": text}), builtin, jobs=1)
    secrets = [f for f in result.findings if f.rule_id == "secret-github-token"]
    assert len(secrets) == 1
    assert token not in secrets[0].snippet


def test_the_python_text_keeps_the_notebooks_lines() -> None:
    text = notebook(("code", "import os\n!ls\nos.getcwd()\n"), ("markdown", "# Title\n"))
    code = notebook_python(text)
    assert code is not None
    lines = code.splitlines()
    assert len(lines) == len(text.splitlines())
    assert lines[line_of(text, "import os") - 1] == "import os"
    assert lines[line_of(text, "os.getcwd()") - 1] == "os.getcwd()"
    assert lines[line_of(text, "!ls") - 1] == ""  # a shell escape is not Python
    assert "Title" not in code


@pytest.mark.parametrize(
    "text",
    [
        '{"cells": "not a list"}',
        "not json at all",
        notebook(("markdown", "only prose\n")),
        # a notebook minified onto one line: nothing can be placed on its true line
        json.dumps({"cells": [{"cell_type": "code", "source": ["import pickle\n"]}]}),
    ],
)
def test_no_code_is_made_up(text: str) -> None:
    assert notebook_python(text) is None
