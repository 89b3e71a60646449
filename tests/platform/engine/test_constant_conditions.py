"""Conditions fixed when the code is written (engine/dataflow/_constant_conditions.py), and
what deciding them does to flows and to pattern findings."""

from __future__ import annotations

import ast
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.engine.dataflow._constant_conditions import (
    decide_javascript,
    decide_python,
    literal_value,
)
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]


@pytest.mark.parametrize(
    ("text", "literals", "expected"),
    [
        ("(7 * 42) - 106 > 200", {}, False),
        ("(7 * 42) - num > 200", {"num": 86}, True),
        ("switch == 'B'", {"switch": "B"}, True),
        ("switch == 'A' or 3 < 2", {"switch": "B"}, False),
        ("not DEBUG", {"DEBUG": False}, True),
        ("x > 1", {}, None),  # unknown name
        ("len(x) > 1", {"x": "ab"}, None),  # a call
        ("a.b == 1", {}, None),  # an attribute
        ("10 ** 100 > 1", {}, None),  # power is not evaluated
        ("99999999999 * 99999999999 > 0", {}, None),  # too large for ordinary code
        ("'a' < 1", {}, None),  # not comparable
        ("1 / 0", {}, None),
        ("x ==", {}, None),  # not an expression
    ],
)
def test_python_conditions(text: str, literals: dict, expected: bool | None) -> None:
    assert decide_python(text, literals) is expected


@pytest.mark.parametrize(
    ("text", "literals", "expected"),
    [
        ("((7 * 42) - num > 200)", {"num": 86}, True),
        ("(sw === 'A')", {"sw": "B"}, False),
        ("(sw !== 'A' && !false)", {"sw": "B"}, True),
        ("(a != 1 || b)", {"a": 1}, None),
        ("(x.length > 1)", {}, None),
        ("(`${a}` === 'b')", {"a": "b"}, None),  # template literals are not read
        ("(f(1) === 1)", {}, None),
    ],
)
def test_javascript_conditions(text: str, literals: dict, expected: bool | None) -> None:
    assert decide_javascript(text, literals) is expected


def test_the_scanned_codes_syntax_warnings_are_not_printed() -> None:
    # `tavo scan` printed "SyntaxWarning: invalid decimal literal" for JavaScript like `10n`.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert decide_javascript("(1if 0777 > 10n)", {}) is None
        assert literal_value("10n") == (False, None)
    assert [str(w.message) for w in caught] == []


def test_literal_values() -> None:
    assert literal_value("86") == (True, 86)
    assert literal_value("'B'") == (True, "B")
    assert literal_value("f'{x}'") == (False, None)
    assert literal_value("[1]") == (False, None)


# Texts read without Python's parser (plain names, plain strings, decimal integers) and
# their near misses, which the parser still reads: both ways give what Python gives.
_SHORTCUT_EDGES = [
    "'a b'",
    '""',
    "''",
    '"a\\nb"',
    '"a\rb"',
    '"a\0b"',
    "'x\"y'",
    '"x\'y"',
    '"\u00e9"',
    '"""x"""',
    '"a" "b"',
    "b'x'",
    "0",
    "00",
    "0777",
    "123",
    "1_000",
    "10" * 20,
    "-1",
    "1.5",
    "True",
    "None",
    "f'x'",
    'rf"{x}"',
    "Fr'x' 'y'",
    "bf'x'",
    "f 'x'",
    "f",
]


@pytest.mark.parametrize("text", _SHORTCUT_EDGES)
def test_literal_shortcuts_agree_with_python(text: str) -> None:
    try:
        value = ast.literal_eval(text)
        expected = (True, value) if isinstance(value, int | float | str | None) else (False, None)
    except (SyntaxError, ValueError):
        expected = (False, None)
    found = literal_value(text)
    assert found == expected and type(found[1]) is type(expected[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ready", False),
        (" label ", True),
        ("missing", None),
        ("self.debug", None),
        ("True", True),
        ("None", False),
        ("match", True),
        ("not", None),
        ("True.real", None),
        ("a.if", None),
    ],
)
def test_name_conditions_read_without_the_parser(text: str, expected: bool | None) -> None:
    assert decide_python(text, {"ready": 0, "label": "x", "match": 3}) is expected


@pytest.fixture(scope="module")
def builtin() -> list[Rule]:
    return load_builtin_rules().rules


def lines_of(make_tree: MakeTree, rules: list[Rule], files: dict[str, str]) -> set[tuple[str, int]]:
    tree = make_tree({name: textwrap.dedent(code) for name, code in files.items()})
    return {(f.path, f.span.start_line) for f in scan_path(tree, rules, jobs=1).findings}


def test_a_branch_that_cannot_run_assigns_nothing(make_tree: MakeTree, builtin: list[Rule]) -> None:
    found = lines_of(
        make_tree,
        builtin,
        {
            "app.py": """\
                import os
                from flask import request
                def fixed():
                    value = request.args.get("x")
                    num = 86
                    if (7 * 42) - num > 200:
                        bar = "always"
                    else:
                        bar = value
                    os.system("echo " + bar)
                def chosen():
                    value = request.args.get("x")
                    bar = "never" if (7 * 42) - 106 > 200 else value
                    os.system("echo " + bar)
                def switch():
                    value = request.args.get("x")
                    mode = "B"
                    if mode == "A":
                        bar = value
                    elif mode == "B":
                        bar = "bob"
                    else:
                        bar = value
                    os.system("echo " + bar)
                def changing():
                    value = request.args.get("x")
                    num = 86
                    num = int(request.args.get("n"))
                    bar = "a"
                    if num > 200:
                        bar = value
                    os.system("echo " + bar)
            """,
            "app.js": """\
                const { exec } = require("child_process");
                app.get("/a", (req, res) => {
                  const num = 86;
                  let bar = "x";
                  if ((7 * 42) - num > 200) { bar = "always"; } else { bar = req.query.x; }
                  exec("echo " + bar);
                });
                app.get("/b", (req, res) => {
                  let bar = "x";
                  if (req.query.flag === "1") { bar = req.query.x; }
                  exec("echo " + bar);
                });
            """,
        },
    )
    assert ("app.py", 10) not in found and ("app.py", 24) not in found, found
    assert ("app.py", 14) in found and ("app.py", 32) in found, found
    assert ("app.js", 6) not in found and ("app.js", 11) in found, found
