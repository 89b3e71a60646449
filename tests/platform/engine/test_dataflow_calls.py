"""Taint entries made of Python call patterns, decided from an index of the file's calls
(engine/dataflow/_calls.py): the answer must be ast-grep's, node for node."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow._calls import CallIndex, CallPattern, call_entry
from tavo_platform.engine.dataflow._patterns import TaintPatterns, node_key
from tavo_platform.engine.matchers.structural import parse
from tavo_platform.rules.loader import load_builtin_rules

CODE = """\
import os, subprocess
c.execute(q)
c.execute(q, p)
c.execute(q,)
c.execute(sql=q)
c.execute(*a)
c.execute(**k)
c.execute(x for x in y)
c.execute()
c.execute(  # a comment
    q)
c.execute(q, # a comment
          p)
c . execute ( q )
a.b.c.execute(q)
f(x).execute(q)
c.execute(q)(z)
(c).execute(q)
c.execute((q))
c.execute(q, *r)
c.execute(k=1, q=2)
print(c.executemany(c.execute(inner), rows))
os.system(cmd)
os.path.system(cmd)
subprocess.run(cmd, shell=True)
subprocess.Popen([a, b])
text(q)
x.text(q)
f(a, b)
f(a, b, c)
f(a, b,)
HANDLERS[k](v)
@app.route(path)
def view(): pass
"""

PATTERNS: list[dict[str, Any]] = [
    {"rule": {"pattern": "$C.$M($Q)"}},
    {"rule": {"pattern": "$C.$M($Q, $$$)"}},
    {
        "rule": {"any": [{"pattern": "$C.$M($Q)"}, {"pattern": "$C.$M($Q, $$$)"}]},
        "constraints": {"M": {"regex": "^(execute|executemany)$"}},
    },
    {"rule": {"pattern": "$C.execute($$$)"}},
    {"rule": {"pattern": "c.execute($Q)"}},
    {"rule": {"pattern": "a.b.c.execute($Q)"}},
    {"rule": {"pattern": "os.system($X)"}},
    {"rule": {"pattern": "subprocess.$F($X, $$$)"}},
    {"rule": {"pattern": "subprocess.$F($X)"}, "constraints": {"X": {"not": {"regex": "^\\["}}}},
    {"rule": {"pattern": "text($Q)"}},
    {"rule": {"pattern": "f($A, $B)"}},
    {"rule": {"pattern": "f($A, $B, $$$)"}},
    {"rule": {"pattern": "$R.route($P)"}},
    # The first alternative that matches binds `M`: the constraint is checked on that
    # binding only, never on a later alternative's.
    {
        "rule": {"any": [{"pattern": "c.$M($Q)"}, {"pattern": "$M.execute($Q)"}]},
        "constraints": {"M": {"regex": "^c$"}},
    },
]


def _asked_of_ast_grep(root: Any, config: dict[str, Any]) -> list[tuple[Any, ...]]:
    names = sorted({n for p in _patterns_of(config) for n in p.bound})
    return [
        (node_key(n), *(_key(n.get_match(name)) for name in names))
        for n in root.find_all(config)
    ]


def _patterns_of(config: dict[str, Any]) -> list[CallPattern]:
    entry = call_entry(config)
    assert entry is not None
    return list(entry.alternatives)


def _key(node: Any) -> Any:
    return node_key(node) if node is not None else None


@pytest.mark.parametrize("config", PATTERNS, ids=lambda c: str(c["rule"])[:60])
def test_a_call_pattern_finds_what_ast_grep_finds(config: dict[str, Any]) -> None:
    root = parse(CODE, Language.PYTHON)
    entry = call_entry(config)
    assert entry is not None
    names = sorted({n for p in entry.alternatives for n in p.bound})
    expected = _asked_of_ast_grep(root, config)
    found = CallIndex(root.find_all(kind="call")).find(entry)
    if found is None:  # a candidate with a comment or a trailing comma: ast-grep decides
        assert any("#" in call or ",)" in call for call in CODE.splitlines())
        return
    assert [(node_key(n), *(_key(b.get(name)) for name in names)) for n, b in found] == expected


@pytest.mark.parametrize(
    ("code", "decided"),
    [
        ("c.execute(q)\n", True),
        ("c.execute(q, p)\n", True),
        ("c.execute(q,)\n", False),
        ("c.execute(q  # why\n)\n", False),
        ("other.run(q,)\n", True),  # not a candidate: its name cannot match
    ],
)
def test_a_comment_or_a_trailing_comma_leaves_the_file_to_ast_grep(
    code: str, decided: bool
) -> None:
    entry = call_entry(PATTERNS[2])
    assert entry is not None
    calls = parse(code, Language.PYTHON).find_all(kind="call")
    assert (CallIndex(calls).find(entry) is not None) is decided


@pytest.mark.parametrize(
    "config",
    [
        {"rule": {"pattern": "$F($X)"}},  # any callee
        {"rule": {"pattern": "$X.copy($X)"}},  # a metavariable twice: equal nodes
        {"rule": {"pattern": "f($$$, $X)"}},  # `$$$` first
        {"rule": {"pattern": "f($X, ...)"}},
        {"rule": {"pattern": "f(x=$X)"}},
        {"rule": {"pattern": "f($X)", "inside": {"kind": "function_definition"}}},
        {"rule": {"pattern": "f($X)"}, "constraints": {"Y": {"regex": "a"}}},  # unbound
        {"rule": {"pattern": "f($X)"}, "constraints": {"X": {"kind": "string"}}},
        {"rule": {"any": [{"pattern": "f($X)"}, {"kind": "call"}]}},
        {"rule": {"pattern": "f($X)"}, "utils": {}},
    ],
    ids=str,
)
def test_anything_else_is_left_to_ast_grep(config: dict[str, Any]) -> None:
    assert call_entry(config) is None


def test_the_built_in_python_entries_find_what_ast_grep_finds() -> None:
    """Every built-in Python taint entry, on code that exercises them: the marks found with
    the entries decided in Python (call patterns, kinds and tests, on the nodes of each kind
    found in one traversal) are those found with every entry searched by ast-grep."""
    rules = load_builtin_rules().rules
    patterns = TaintPatterns(Language.PYTHON, rules)
    decided = [e for e in patterns.entries if e.by_call is not None]
    assert len(decided) >= 20
    code = "\n".join(
        example.code or "\n".join((example.files or {}).values())
        for rule in rules
        if Language.PYTHON in rule.languages
        for kind in ("positive", "negative")
        for example in rule.examples_of(kind)
    )
    root = parse(code, Language.PYTHON)
    fast = patterns.find(code, root)
    patterns.entries = [
        replace(e, by_call=None, by_kind=None, by_test=None) for e in patterns.entries
    ]
    slow = patterns.find(code, root)
    assert fast.sources == slow.sources
    assert fast.sanitizers == slow.sanitizers
    assert fast.sinks == slow.sinks
    assert {k: [(node_key(a), node_key(b)) for a, b in v] for k, v in fast.propagators.items()} == {
        k: [(node_key(a), node_key(b)) for a, b in v] for k, v in slow.propagators.items()
    }
    assert len(fast.sinks) > 10
    assert {node_key(n) for n in fast.touched} == {node_key(n) for n in slow.touched}
