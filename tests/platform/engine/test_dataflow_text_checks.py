"""Whole-file regex pre-checks for taint entries (engine/dataflow/_text_checks.py): which
regexes become checks, and that an entry skipped by one could not have matched."""

from __future__ import annotations

import pytest
from ast_grep_py import SgRoot
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow._patterns import TaintPatterns
from tavo_platform.engine.dataflow._text_checks import (
    bound_constraints,
    constraint_regex,
    file_regex,
    node_regex,
    passes,
    text_checks,
)
from tavo_platform.engine.matchers.requirements import WordCache
from tavo_platform.rules.loader import load_rule_text

ROUTE_PARAMETER = {
    "kind": "identifier",
    "inside": {
        "kind": "parameters",
        "inside": {
            "kind": "function_definition",
            "inside": {
                "kind": "decorated_definition",
                "has": {"kind": "decorator", "regex": r"^@\w+\.(get|post)\("},
            },
        },
    },
}


@pytest.mark.parametrize(
    ("regex", "searched"),
    [
        (r"^@\w+\.(get|post)\(", r"@\w+\.(get|post)\("),
        (r"^shell\s*=\s*True$", r"shell\s*=\s*True"),
        (r"dangerouslySetInnerHTML", "dangerouslySetInnerHTML"),
        (r"^price\$$", r"price\$"),  # an escaped dollar is text, not an anchor
        # Not safe or not cheap as a whole-file search: left to ast-grep.
        (r"^(self\.)?request\.args$", None),  # no literal first character
        (r"^a|^b", None),  # an anchor inside
        (r"^a(?=b)", None),  # a look-around
        (r"^a[[:alpha:]]", None),  # a POSIX class, read differently by Python
        (r"^a[b[c]]", None),  # a nested class (Rust), a warning in Python
        (r"^a\pL", None),  # a Unicode class Python lacks
        (r"^a(?x) b", None),  # flags where Python refuses them
        (r"^a(", None),  # not a regex at all
    ],
)
def test_which_regexes_become_file_searches(regex: str, searched: str | None) -> None:
    compiled = file_regex(regex)
    assert (compiled.pattern if compiled is not None else None) == searched


def test_only_regexes_every_match_needs_are_collected() -> None:
    rule = {
        "all": [{"regex": "^alpha"}, {"kind": "call"}],
        "inside": {"regex": "^beta", "not": {"regex": "^gamma"}},
        "any": [{"regex": "^delta"}, {"kind": "identifier"}],
        "has": {"matches": "util", "regex": "^epsilon"},
    }
    assert sorted(c.pattern for c in text_checks(rule)) == ["alpha", "beta", "epsilon"]
    checks = text_checks(ROUTE_PARAMETER)
    assert passes(checks, "@app.get('/items')\ndef items(name): ...\n")
    assert not passes(checks, "@app.route('/items')\ndef items(name): ...\n")
    assert passes((), "anything")


def test_an_entry_is_skipped_only_where_it_could_not_match() -> None:
    loaded = load_rule_text(
        """\
rules:
  - id: t-route-parameter
    title: Route parameter reaches the sink
    message: A parameter of a route reaches the sink.
    severity: HIGH
    confidence: HIGH
    category: test-injection
    fix: Do not.
    languages: [python]
    taint:
      sources:
        - kind: identifier
          inside:
            kind: parameters
            inside:
              kind: function_definition
              inside:
                kind: decorated_definition
                has: {kind: decorator, regex: '^@\\w+\\.(get|post)\\('}
      sinks:
        - pattern: sink($X)
          focus: $X
    examples:
      positive: ["@app.get('/x')\\ndef f(name):\\n    sink(name)\\n"]
      negative: ["@app.route('/x')\\ndef f(name):\\n    sink(name)\\n"]
""",
        "rules.yaml",
    )
    assert loaded.errors == []
    patterns = TaintPatterns(Language.PYTHON, loaded.rules)
    (source,) = [e for e in patterns.entries if e.role == "sources"]
    assert [c.pattern for c in source.checks] == [r"@\w+\.(get|post)\("]
    for text, expected in (
        ("@app.get('/x')\ndef f(name):\n    sink(name)\n", 1),
        ("@api.post('/x')\nasync def f(a, b):\n    sink(a)\n", 2),
        ("@app.route('/x')\ndef f(name):\n    sink(name)\n", 0),
        ("def f(name):\n    sink(name)  # @app.get( in a comment\n", 0),
    ):
        root = SgRoot(text, "python").root()
        # The pre-check never hides a match ast-grep would find...
        assert len(root.find_all(source.config)) == expected
        found = patterns.find(text, root)
        assert len(found.sources) == expected
        # ...and skips the entry on files without the decorator's text.
        assert passes(source.checks, text) == ("@app.get(" in text or "@api.post(" in text)


@pytest.mark.parametrize(
    ("regex", "python"),
    [
        (r"^(self\.)?request\.(args|form)$", r"^(self\.)?request\.(args|form)\Z"),
        (r"^price\$$", r"^price\$\Z"),  # an escaped dollar stays text
        (r"(\.nextUrl\.searchParams|^searchParams)$", r"(\.nextUrl\.searchParams|^searchParams)\Z"),
        (r"^system\s*=", r"^system\s*="),
        (r"^(a$|b)", None),  # an end anchor before the end
        (r"^a(?=b)", None),
        (r"(?m)^a$", None),
        (r"^a[[:alpha:]]", None),
    ],
)
def test_which_node_regexes_python_reads_alike(regex: str, python: str | None) -> None:
    compiled = node_regex(regex)
    assert (compiled.pattern if compiled is not None else None) == python


def test_kind_and_regex_entries_find_what_ast_grep_finds() -> None:
    loaded = load_rule_text(
        """\
rules:
  - id: t-kinds
    title: Request data reaches the sink
    message: Request data reaches the sink.
    severity: HIGH
    confidence: HIGH
    category: test-injection
    fix: Do not.
    languages: [python]
    taint:
      sources:
        - kind: attribute
          regex: '^(self\\.)?request\\.(args|form)$'
        - kind: call
          has: {field: function, regex: '^request\\.get_json$'}
      sinks:
        - pattern: sink($X)
          focus: $X
    examples:
      positive: ["sink(request.args)"]
      negative: ["sink(request.other)"]
""",
        "rules.yaml",
    )
    assert loaded.errors == []
    patterns = TaintPatterns(Language.PYTHON, loaded.rules)
    sources = [e for e in patterns.entries if e.role == "sources"]
    assert [e.by_kind[:2] for e in sources if e.by_kind] == [
        ("attribute", None),
        ("call", "function"),
    ]
    text = (
        "def f(request, self):\n"
        "    a = request.args.get('x') + self.request.form['y'] + request.argsx\n"
        "    b = request.get_json() + request.get_json + other.request.args\n"
        "    c = (request\n        .args)\n"
    )
    root = SgRoot(text, "python").root()
    for entry in sources:
        assert entry.by_kind is not None
        kind, child, regex = entry.by_kind
        by_python = [
            n.range().start.index
            for n in root.find_all(kind=kind)
            if regex.search((n if child is None else n.field(child)).text())  # type: ignore[union-attr]
        ]
        assert by_python == [n.range().start.index for n in root.find_all(entry.config)]
        assert by_python  # the text does hold matches for each


def test_only_metavariables_every_match_binds_bring_their_constraints() -> None:
    constraints = {name: {"regex": f"^{name.lower()}$"} for name in "ABCDMQSX"}
    rule = {
        "all": [
            {
                "any": [
                    {"pattern": "$C.$M($Q)"},
                    {"pattern": "$C.$M($Q, $$$A)"},
                    {"pattern": "$M($Q)"},
                ]
            },
            {"pattern": "$S"},
            {"has": {"pattern": "$X"}},  # a capture under `has` is not counted
            {"not": {"pattern": "$D"}},
        ],
    }
    assert [c["regex"] for c in bound_constraints(rule, constraints)] == ["^m$", "^q$", "^s$"]
    # `$$$A` may bind nothing; `$_B` captures nothing; a `$B` in a string may be text.
    assert bound_constraints({"pattern": "f($$$A, $_B, '$B')"}, constraints) == []
    assert bound_constraints({"pattern": "$C.$M($Q)"}, None) == []


@pytest.mark.parametrize(
    ("regex", "searched"),
    [
        (r"^(execute|raw)$", r"(execute|raw)"),
        (r"^['\"](/bin/)?sh['\"]$|^['\"]cmd['\"]$", r"['\"](/bin/)?sh['\"]|['\"]cmd['\"]"),
        (r"(?i-u)opener(\(\))?$", None),  # Rust-only flags
        (r"^a|\bb", None),  # a word boundary: a node's edge is not the file's
        (r"^(a$|b)", None),  # an anchor inside a group
        (r"^a(?=b)", None),
        (r"^a[[:alpha:]]", None),
        (r"^$", None),  # nothing left to search for
    ],
)
def test_which_constraint_regexes_become_file_searches(regex: str, searched: str | None) -> None:
    compiled = constraint_regex(regex)
    assert (compiled.pattern if compiled is not None else None) == searched


def test_an_entry_whose_constraint_the_file_cannot_meet_is_skipped() -> None:
    loaded = load_rule_text(
        """\
rules:
  - id: t-constrained-sink
    title: Request data reaches a shell
    message: Request data reaches a shell.
    severity: HIGH
    confidence: HIGH
    category: test-injection
    fix: Do not.
    languages: [python]
    taint:
      sources:
        - pattern: source()
      sinks:
        - any:
            - pattern: $P([$SH, $C, $X])
            - pattern: $P([$SH, $C, $X], $$$)
          focus: $X
          constraints:
            P:
              regex: ^(subprocess\\.)?(run|call)$
            SH:
              regex: ^[\x27"](/bin/)?(ba)?sh[\x27"]$
            C:
              regex: ^[\x27"]-c[\x27"]$
    examples:
      positive: ["subprocess.run(['sh', '-c', source()])"]
      negative: ["subprocess.run(['ls', '-l', source()])"]
""",
        "rules.yaml",
    )
    assert loaded.errors == []
    patterns = TaintPatterns(Language.PYTHON, loaded.rules)
    (sink,) = [e for e in patterns.entries if e.role == "sinks"]
    for text, expected, skipped in (
        ("import subprocess\nsubprocess.run(['sh', '-c', x], check=True)\n", 1, False),
        ("run([\"/bin/bash\", '-c', x])\n", 1, False),
        ("import subprocess\nsubprocess.run(['ls', '-c', x])\n", 0, True),
        ("call(['sh', '-l', x])\n", 0, True),
        ("run_it(['sh', '-c', x])\n", 0, False),  # `run` is in `run_it`: left to ast-grep
    ):
        root = SgRoot(text, "python").root()
        # The constraints' checks never hide a match ast-grep would find...
        assert len(root.find_all(sink.config)) == expected
        assert len(patterns.find(text, root).sinks) == expected
        # ...and skip the entry on files that hold no text the constraints accept.
        kept = sink.requirement.satisfied(WordCache(text)) and passes(sink.checks, text)
        assert kept is not skipped
