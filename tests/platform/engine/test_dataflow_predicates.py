"""Simple taint entries decided in Python (engine/dataflow/predicates.py): which rules are
decided there, and that they find exactly the nodes ast-grep finds."""

from __future__ import annotations

from typing import Any, cast

import pytest
from ast_grep_py import SgRoot
from tavo_platform.engine.dataflow.predicates import kind_and_test

CODE = """\
def view(request, name):
    a = "/static/" + name
    b = f"/u/{name}" + "?x=1"
    c = reverse("home") + name
    d = "https://example.com/" + name + "/"
    e = ("/a" + name) + name
    f = name + "/tail"
    g = 'http://host' + name
    h = request.GET["next"] % name
    return redirect(a + b)
"""

SIMPLE_RULES: list[dict[str, Any]] = [
    {"kind": "binary_operator", "has": {"field": "left", "kind": "string", "regex": "^[\"']/"}},
    {
        "kind": "binary_operator",
        "has": {
            "field": "left",
            "any": [
                {"kind": "string", "regex": r"^[fFrRbBuU]*[\"'](?:/[^/]|https?://[^/]+/)"},
                {"kind": "call", "regex": r"^(?:reverse|url_for)\("},
                {"kind": "binary_operator", "has": {"field": "left", "kind": "string"}},
            ],
        },
    },
    {"kind": "binary_operator", "not": {"has": {"field": "operator", "regex": r"^\+$"}}},
    {"kind": "binary_operator", "all": [{"regex": "name"}, {"not": {"regex": "^name"}}]},
    {"kind": "call", "has": {"field": "function", "regex": "^(redirect|reverse)$"}},
    {"kind": "string", "regex": "^f"},
    {"kind": "subscript", "has": {"field": "value", "kind": "attribute", "regex": r"\.GET$"}},
]


@pytest.mark.parametrize("rule", SIMPLE_RULES)
def test_simple_entries_find_what_ast_grep_finds(rule: dict[str, Any]) -> None:
    decided = kind_and_test({"rule": rule})
    assert decided is not None
    kind, test = decided
    root = SgRoot(CODE, "python").root()
    in_python = [n.range().start.index for n in root.find_all(kind=kind) if test(n)]
    by_ast_grep = [n.range().start.index for n in root.find_all(cast(Any, {"rule": rule}))]
    assert in_python == by_ast_grep
    assert by_ast_grep  # the code holds matches of each


@pytest.mark.parametrize(
    "config",
    [
        {"rule": {"pattern": "redirect($X)"}},
        {"rule": {"kind": "call", "has": {"pattern": "$X"}}},  # a metavariable
        {"rule": {"kind": "call", "inside": {"kind": "return_statement"}}},
        {"rule": {"kind": "call", "has": {"kind": "identifier"}}},  # `has` without a field
        {"rule": {"kind": "call", "has": {"field": "function", "stopBy": "end", "regex": "a"}}},
        {"rule": {"kind": "string", "regex": "^a[[:alpha:]]"}},  # read otherwise by Python
        {"rule": {"regex": "^a"}},  # no kind to search for
        {"rule": {"kind": "call", "any": []}},
        {"rule": {"kind": "call", "regex": "x"}, "constraints": {"X": {"regex": "a"}}},
    ],
)
def test_anything_else_is_left_to_ast_grep(config: dict[str, Any]) -> None:
    assert kind_and_test(config) is None
