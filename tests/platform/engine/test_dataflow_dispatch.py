"""Calls through tables of functions: `HANDLERS[kind](data)`, `HANDLERS.get(kind)` kept in a
variable, a table imported from another module, and `getattr(obj, name)` with a computed
name on an object of a known class or on an imported module. The call may be any function
of the table: what any of them does with its argument counts. JavaScript/TypeScript: an
object or array literal of functions (named, or arrows written in it) called as
`TABLE[key](x)` or through a `const fn = TABLE[key]`."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

_ACTIONS = """\
import os
import requests


def fetch(arg):
    return requests.get(arg, timeout=3).text


def size(arg):
    return len(arg)


def run(arg):
    return os.popen("wc -l " + arg).read()


class Tasks:
    def do_fetch(self, arg):
        return requests.get(arg, timeout=3).status_code

    def do_size(self, arg):
        return len(arg)


FETCHERS = {"page": fetch, "size": size}
QUIET = {"size": size}
RUNNERS = [size, run]
"""

_VIEWS = "from flask import request, abort\nfrom . import actions\n"

CASES = [
    (
        "a table's function picked by .get() into a variable",
        _VIEWS + "def view(kind):\n    handler = actions.FETCHERS.get(kind)\n"
        "    if handler is None:\n        abort(404)\n    return handler(request.args['u'])\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "a table imported by name, subscripted and called",
        "from flask import request\nfrom .actions import FETCHERS\n"
        "def view(kind):\n    return FETCHERS[kind](request.args['u'])\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "a list of functions, one picked by index",
        _VIEWS + "def view(i):\n    return actions.RUNNERS[int(i)](request.args['f'])\n",
        "py-taint-command-injection",
        True,
    ),
    (
        "getattr with a computed name on an object of a known class",
        "from flask import request, abort\nfrom .actions import Tasks\n"
        "def view(name):\n    tasks = Tasks()\n"
        "    method = getattr(tasks, 'do_' + name, None)\n"
        "    if method is None:\n        abort(404)\n    return str(method(request.args['u']))\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "getattr with a computed name on an object made in place, its class imported",
        _VIEWS + "def view(name):\n"
        "    return str(getattr(actions.Tasks(), 'do_' + name)(request.args['u']))\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "getattr with a computed name on an imported module",
        _VIEWS + "def view(name):\n    return getattr(actions, name)(request.args['u'])\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "a table whose functions never reach a sink",
        _VIEWS + "def view(kind):\n    handler = actions.QUIET.get(kind)\n"
        "    return str(handler(request.args['u']))\n",
        "py-taint-ssrf",
        False,
    ),
    (
        "the request only chooses the function; its argument is a constant",
        _VIEWS + "def view():\n"
        "    return actions.FETCHERS[request.args['kind']]('https://status.example.com/')\n",
        "py-taint-ssrf",
        False,
    ),
    (
        "getattr with a literal name: that one method, which reaches no sink",
        "from flask import request\nfrom .actions import Tasks\n"
        "def view():\n    tasks = Tasks()\n"
        "    return str(getattr(tasks, 'do_size')(request.args['u']))\n",
        "py-taint-ssrf",
        False,
    ),
    (
        "a variable rebound after it held a table's function",
        _VIEWS + "def view(kind):\n    handler = actions.FETCHERS.get(kind)\n"
        "    handler = actions.size\n    return str(handler(request.args['u']))\n",
        "py-taint-ssrf",
        False,
    ),
]


@pytest.fixture(scope="module")
def taint_rules() -> list[Rule]:
    return [rule for rule in load_builtin_rules().rules if rule.taint is not None]


@pytest.mark.parametrize(
    ("code", "rule_id", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_calls_through_tables_of_functions(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, rule_id: str, expected: bool
) -> None:
    tree = make_tree(
        {
            "app/__init__.py": "",
            "app/actions.py": _ACTIONS,
            "app/views.py": textwrap.dedent(code),
        }
    )
    findings = scan_path(tree, taint_rules, jobs=1).findings
    found = any(
        (f.rule_id == rule_id or rule_id in f.related_rules) and f.path == "app/actions.py"
        for f in findings
    )
    assert found is expected


_JS_ACTIONS = """\
const { exec } = require("child_process");
const axios = require("axios");

function ping(arg) {
  return axios.get(arg);
}

function size(arg) {
  return arg.length;
}

const ACTIONS = { ping, size };
const QUIET = { size, count: (arg) => arg.split(",").length };
const INLINE = {
  lines: (arg) => exec("wc -l " + arg),
  size,
};

module.exports = { ACTIONS, QUIET, INLINE };
"""

JS_CASES = [
    (
        "an imported table's function picked into a const",
        "const { ACTIONS } = require('./actions');\n"
        "app.post('/a/:name', (req, res) => {\n"
        "  const fn = ACTIONS[req.params.name];\n"
        "  if (!fn) return res.sendStatus(404);\n"
        "  res.json(fn(req.body.arg));\n});\n",
        "js-taint-ssrf",
        True,
    ),
    (
        "an arrow function written in the table, called by subscript",
        "const actions = require('./actions');\n"
        "app.post('/a/:name', (req, res) => {\n"
        "  actions.INLINE[req.params.name](req.body.arg);\n  res.sendStatus(204);\n});\n",
        "js-taint-command-injection",
        True,
    ),
    (
        "a table whose functions never reach a sink",
        "const { QUIET } = require('./actions');\n"
        "app.post('/a/:name', (req, res) => {\n"
        "  res.json(QUIET[req.params.name](req.body.arg));\n});\n",
        "js-taint-ssrf",
        False,
    ),
    (
        "the request only chooses the function",
        "const { ACTIONS } = require('./actions');\n"
        "app.post('/a/:name', (req, res) => {\n"
        "  res.json(ACTIONS[req.params.name]('https://status.example.com/'));\n});\n",
        "js-taint-ssrf",
        False,
    ),
]


@pytest.mark.parametrize(
    ("code", "rule_id", "expected"), [c[1:] for c in JS_CASES], ids=[c[0] for c in JS_CASES]
)
def test_js_calls_through_tables_of_functions(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, rule_id: str, expected: bool
) -> None:
    tree = make_tree({"src/actions.js": _JS_ACTIONS, "src/app.js": code})
    findings = scan_path(tree, taint_rules, jobs=1).findings
    found = any(
        (f.rule_id == rule_id or rule_id in f.related_rules) and f.path == "src/actions.js"
        for f in findings
    )
    assert found is expected
