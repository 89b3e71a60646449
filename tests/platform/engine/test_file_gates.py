"""File gates (matchers/file_gates.py): a root condition decided once per file may only save
work. The reference is ast-grep itself, running the unpruned rule."""

from __future__ import annotations

from typing import Any

import pytest
from ast_grep_py import SgRoot
from tavo_platform.engine import Language
from tavo_platform.engine.matchers.file_gates import FileGates, has_file_gate
from tavo_platform.engine.matchers.structural import StructuralProgram

from tests.platform.engine.test_structural_prefilters import make_rule

IMPORTS_LOADS = {
    "inside": {
        "kind": "module",
        "stopBy": "end",
        "has": {
            "stopBy": "end",
            "kind": "import_from_statement",
            "all": [
                {"has": {"field": "module_name", "regex": "^(?:pickle|dill)$"}},
                {"has": {"kind": "dotted_name", "regex": "^loads$", "pattern": "$F"}},
            ],
        },
    }
}
BARE_CALL = {"kind": "call", "has": {"field": "function", "kind": "identifier", "pattern": "$F"}}

RULES: dict[str, dict[str, Any]] = {
    # The gate in the rule's own conjunction.
    "top": {**BARE_CALL, **IMPORTS_LOADS},
    # In one branch of `any`: the other branch must keep matching.
    "branch": {"any": [{"pattern": "pickle.loads($X)"}, {**BARE_CALL, **IMPORTS_LOADS}]},
    # Under `all`, and under a relation (the statement holding such a call).
    "all": {"all": [BARE_CALL, IMPORTS_LOADS]},
    "related": {"kind": "expression_statement", "has": {**BARE_CALL, **IMPORTS_LOADS}},
    # Under `not` the gate must not prune: "a call to a name NOT imported from pickle".
    "negated": {**BARE_CALL, "not": IMPORTS_LOADS},
    # A weaker form must not be too strong: the alias is only known through $F.
    "alias": {
        **BARE_CALL,
        "inside": {
            "kind": "module",
            "stopBy": "end",
            "has": {
                "stopBy": "end",
                "kind": "aliased_import",
                "has": {"field": "alias", "pattern": "$F"},
            },
        },
    },
}

SOURCES = [
    "from pickle import loads\nloads(blob)\nprint(blob)\n",
    "from dill import loads\ndef f(b):\n    return loads(b)\n",
    "import pickle\npickle.loads(blob)\nloads(blob)\n",
    "from json import loads\nloads(text)\n",
    "from pickle import loads as l\nl(blob)\nloads(blob)\n",
    "print(1)\n",
    "",
]


def _starts(root: Any, config: dict[str, Any]) -> list[tuple[int, int]]:
    return [(n.range().start.index, n.range().end.index) for n in root.find_all(config)]


@pytest.mark.parametrize("name", sorted(RULES))
@pytest.mark.parametrize("source", SOURCES)
def test_pruning_never_changes_what_a_rule_matches(name: str, source: str) -> None:
    rule = RULES[name]
    root = SgRoot(source, "python").root()
    expected = _starts(root, {"rule": rule})
    pruned = FileGates(root).prune(rule)
    got = [] if pruned is None else _starts(root, {"rule": pruned})
    assert got == expected


def test_a_file_without_the_import_rules_the_gated_parts_out() -> None:
    root = SgRoot("from json import loads\nloads(text)\npickle.loads(b)\n", "python").root()
    gates = FileGates(root)
    assert gates.prune(RULES["top"]) is None
    assert gates.prune(RULES["branch"]) == {"any": [{"pattern": "pickle.loads($X)"}]}
    assert gates.prune(RULES["negated"]) is RULES["negated"]


def test_a_file_with_the_import_keeps_the_rule_as_it_is() -> None:
    root = SgRoot("from pickle import loads\nloads(b)\n", "python").root()
    assert FileGates(root).prune(RULES["branch"]) is RULES["branch"]


def test_only_root_conditions_are_gates() -> None:
    assert has_file_gate(RULES["branch"])
    assert not has_file_gate(RULES["negated"])
    function_scope = {
        "kind": "call",
        "inside": {
            "kind": "function_definition",
            "stopBy": "end",
            "has": {"kind": "import_statement"},
        },
    }
    assert not has_file_gate(function_scope)


@pytest.mark.parametrize("source", SOURCES)
def test_the_program_reports_what_ast_grep_reports(source: str) -> None:
    rules = [make_rule(f"g-{name}", rule) for name, rule in sorted(RULES.items())]
    program = StructuralProgram(Language.PYTHON, rules)
    got = sorted((m.rule.id, m.span.start_line, m.span.start_column) for m in program.run(source))
    root = SgRoot(source, "python").root()
    expected = sorted(
        (rule.id, n.range().start.line + 1, n.range().start.column + 1)
        for rule in rules
        for n in root.find_all(rule.structural.config())  # type: ignore[union-attr]
    )
    assert got == expected


# A session made in the module, then used: the gate's metavariables are constrained by the
# config, not by the rule object.
SESSION_CALL = {
    "rule": {
        "all": [
            {"any": [{"pattern": "$S.$M($U)"}, {"pattern": "$S.$M($U, $$$)"}]},
            {
                "inside": {
                    "kind": "module",
                    "stopBy": "end",
                    "has": {"stopBy": "end", "pattern": "$S = $CLIENT($$$)"},
                }
            },
        ]
    },
    "constraints": {
        "CLIENT": {"regex": "^(requests\\.Session|httpx\\.Client)$"},
        "M": {"regex": "^(get|post)$"},
    },
}
SESSION_SOURCES = [
    # A free $S binds `app = FastAPI()` first, whose CLIENT fails the constraint; the rule
    # itself, with $S bound to `upstream`, goes on to the `as` clause.
    "import httpx\napp = FastAPI()\nasync def f(t):\n"
    "    async with httpx.AsyncClient() as upstream:\n        r = await upstream.get(t)\n",
    "import requests\ns = requests.Session()\ns.get(url)\nt.get(url)\n",
    "import httpx\nc = httpx.Client()\nc.post(u, json=b)\n",
    "s = make_session()\ns.get(url)\n",
    "s = requests.session_factory()\ns.get(url)\n",
    "x.get(url)\n",
]


@pytest.mark.parametrize("source", SESSION_SOURCES)
def test_rules_with_config_constraints_match_as_before(source: str) -> None:
    root = SgRoot(source, "python").root()
    expected = _starts(root, SESSION_CALL)
    pruned = FileGates(root).prune(SESSION_CALL["rule"])
    got = [] if pruned is None else _starts(root, {**SESSION_CALL, "rule": pruned})
    assert got == expected
