"""The taint engine (engine/dataflow): flows within and across functions and modules, in
Python and JavaScript/TypeScript, sanitisers and guards, termination, and the trace."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import ScanResult, scan_path
from tavo_platform.rules.loader import load_rule_text
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

RULES = textwrap.dedent(
    """\
    rules:
      - id: t-py-flow
        title: Source reaches sink
        message: Tainted data reaches the sink.
        severity: HIGH
        confidence: HIGH
        category: test-injection
        cwe: [CWE-89]
        fix: Do not.
        languages: [python]
        taint:
          sources:
            - pattern: source()
              label: source()
            - kind: identifier
              inside:
                kind: parameters
                inside:
                  kind: function_definition
                  inside: {kind: decorated_definition, has: {kind: decorator, regex: '^@entry'}}
          sinks:
            - any:
                - pattern: sink($X)
                - pattern: sink($X, $$$)
              focus: $X
          sanitizers:
            - pattern: clean($$$)
          propagators:
            - pattern: $TO.absorb($FROM)
              from: $FROM
              to: $TO
        examples:
          positive: ["sink(source())"]
          negative: ["sink(1)"]
      - id: t-js-flow
        title: Source reaches sink
        message: Tainted data reaches the sink.
        severity: HIGH
        confidence: HIGH
        category: test-injection
        fix: Do not.
        languages: [javascript, typescript, tsx]
        taint:
          sources:
            - pattern: source()
          sinks:
            - any:
                - pattern: sink($X)
                - pattern: sink($X, $$$)
              focus: $X
          sanitizers:
            - pattern: clean($$$)
        examples:
          positive: ["sink(source())"]
          negative: ["sink(1)"]
    """
)


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    loaded = load_rule_text(RULES, "rules.yaml")
    assert loaded.errors == []
    return loaded.rules


@pytest.fixture
def flows(
    make_tree: MakeTree, rules: list[Rule]
) -> Callable[[dict[str, str]], set[tuple[str, int]]]:
    def run(files: dict[str, str]) -> set[tuple[str, int]]:
        tree = make_tree({path: textwrap.dedent(code) for path, code in files.items()})
        result = scan_path(tree, rules, jobs=1)
        return {(f.path, f.span.start_line) for f in result.findings}

    return run


def scan_tree(make_tree: MakeTree, rules: list[Rule], files: dict[str, str]) -> ScanResult:
    return scan_path(make_tree({p: textwrap.dedent(c) for p, c in files.items()}), rules, jobs=1)


PYTHON_INTRA = [
    ("assignment chain", "a = source()\nb = a\nsink(b)\n", True),
    ("reassigned clean", "a = source()\na = 1\nsink(a)\n", False),
    ("augmented", "q = 'x'\nq += source()\nsink(q)\n", True),
    ("tuple unpacking", "a, b = source(), 1\nsink(a)\n", True),
    ("f-string", "v = source()\nsink(f'SELECT {v}')\n", True),
    ("percent format", "v = source()\nsink('SELECT %s' % v)\n", True),
    ("str.format", "v = source()\nsink('SELECT {}'.format(v))\n", True),
    ("join", "v = source()\nsink(','.join([v, 'x']))\n", True),
    ("container and subscript", "d = {'k': source()}\nsink(d['k'])\n", True),
    ("comprehension", "xs = source()\nsink([x.strip() for x in xs])\n", True),
    ("for target", "for row in source():\n    sink(row)\n", True),
    ("with target", "with source() as fh:\n    sink(fh.read())\n", True),
    ("attribute store", "obj.field = source()\nsink(obj.field)\n", True),
    ("append", "parts = []\nparts.append(source())\nsink(' '.join(parts))\n", True),
    ("walrus", "if (v := source()):\n    sink(v)\n", True),
    ("sanitizer", "sink(clean(source()))\n", False),
    ("int conversion", "sink(int(source()))\n", False),
    ("length", "sink(len(source()))\n", False),
    ("lambda", "f = lambda x: x + '!'\nsink(f(source()))\n", True),
    ("propagator", "box = Box()\nbox.absorb(source())\nsink(box)\n", True),
    ("only constants", "TABLE = 'users'\nsink('SELECT * FROM ' + TABLE)\n", False),
    (
        "allow-list guard",
        "v = source()\nif v not in ALLOWED:\n    raise ValueError(v)\nsink(v)\n",
        False,
    ),
    ("positive guard", "v = source()\nif v in ALLOWED:\n    sink(v)\n", False),
    ("guard with other branch", "v = source()\nif v in ALLOWED:\n    pass\nsink(v)\n", True),
    ("prefix guard", "p = source()\nif not p.startswith(BASE):\n    abort(403)\nsink(p)\n", False),
    ("isdigit guard", "v = source()\nif not v.isdigit():\n    return\nsink(v)\n", False),
    ("branch merge", "if c:\n    v = source()\nelse:\n    v = 'x'\nsink(v)\n", True),
    ("kwargs", "def f(**kw):\n    sink(kw)\nf(a=source())\n", True),
    ("star args", "def f(*args):\n    sink(args)\nf(1, source())\n", True),
    ("await", "async def g():\n    v = await source()\n    sink(v)\n", True),
    ("entry parameter", "@entry\ndef handler(name):\n    sink(name)\n", True),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in PYTHON_INTRA], ids=[c[0] for c in PYTHON_INTRA]
)
def test_python_flows_within_a_function(flows, code: str, expected: bool) -> None:  # type: ignore[no-untyped-def]
    wrapped = (
        "def main():\n" + textwrap.indent(code, "    ")
        if "def " not in code and "@" not in code
        else code
    )
    found = flows({"app.py": wrapped})
    assert bool(found) is expected, found


def test_python_flows_across_functions_and_modules(flows) -> None:  # type: ignore[no-untyped-def]
    found = flows(
        {
            "pkg/__init__.py": "from .impl import run_query\n",
            "pkg/impl.py": """\
                from .helpers import build
                def run_query(value):
                    sql = build(value)
                    sink(sql)
                def run_safe(value):
                    sink(clean(value))
            """,
            "pkg/helpers.py": "def build(v):\n    return 'SELECT ' + v\n",
            "app/main.py": """\
                from pkg import run_query
                import pkg.impl as impl
                def handler():
                    run_query(source())
                    impl.run_safe(source())
            """,
        }
    )
    assert found == {("pkg/impl.py", 4)}


def test_python_methods_with_known_receivers(flows) -> None:  # type: ignore[no-untyped-def]
    found = flows(
        {
            "repo.py": """\
                class Repo:
                    def find(self, name):
                        return self._run("SELECT " + name)
                    def _run(self, sql):
                        sink(sql)
                def handler():
                    repo = Repo()
                    repo.find(source())
            """
        }
    )
    assert found == {("repo.py", 5)}


def test_python_method_on_an_object_built_in_place(flows) -> None:  # type: ignore[no-untyped-def]
    # `Service(x).greet()`: the receiver's class is the constructor's, no variable needed.
    found = flows(
        {
            "service.py": """\
                class Service:
                    def __init__(self, user):
                        self.user = user
                    def greet(self):
                        sink("Hello " + self.user)
                    def quiet(self):
                        sink("Hello")
                def handler():
                    Service(source()).greet()
                    Service(source()).quiet()
            """
        }
    )
    assert found == {("service.py", 5)}


def test_source_returned_by_a_helper(flows) -> None:  # type: ignore[no-untyped-def]
    found = flows(
        {
            "a.py": "def read():\n    return source()\n",
            "b.py": "from a import read\ndef main():\n    v = read()\n    sink(v)\n",
        }
    )
    assert found == {("b.py", 4)}


def test_recursion_and_import_cycles_terminate(flows) -> None:  # type: ignore[no-untyped-def]
    found = flows(
        {
            "a.py": "from b import g\ndef f(x, n):\n    if n:\n        return g(x, n - 1)\n    sink(x)\n",
            "b.py": "from a import f\ndef g(x, n):\n    return f(x, n)\ndef main():\n    g(source(), 3)\n",
        }
    )
    assert found == {("a.py", 5)}


# Methods on objects whose class the code states: a parameter's annotation, an attribute set
# in __init__, a module-level instance imported elsewhere, and methods inherited from a base.
RECEIVER_CASES = [
    (
        "annotated parameter",
        {
            "app/repo.py": "class Repo:\n    def find(self, k):\n        sink(k)\n",
            "app/views.py": "from typing import Optional\nfrom app.repo import Repo\n"
            "def h(repo: Repo, other: Optional[Repo] = None):\n    repo.find(source())\n",
        },
        {("app/repo.py", 3)},
    ),
    (
        "attribute set in __init__",
        {
            "app/repo.py": "class Repo:\n    def find(self, k):\n        sink(k)\n",
            "app/svc.py": "from app.repo import Repo\nclass Svc:\n    def __init__(self):\n"
            "        self.repo = Repo()\n    def h(self):\n        return self.repo.find(source())\n",
        },
        {("app/repo.py", 3)},
    ),
    (
        "module-level instance, imported",
        {
            "app/repo.py": "class Repo:\n    def find(self, k):\n        sink(k)\n"
            "    def safe(self, k):\n        sink(1)\nrepo = Repo()\n",
            "app/views.py": "from app.repo import repo\ndef h():\n    repo.find(source())\n"
            "    repo.safe(source())\n",
        },
        {("app/repo.py", 3)},
    ),
    (
        "inherited from a base in another module",
        {
            "app/base.py": "class Base:\n    def __init__(self, v):\n        self.v = v\n"
            "    def run(self, q):\n        sink(q)\n",
            "app/views.py": "from app.base import Base\nclass View(Base):\n    def get(self):\n"
            "        return self.run(source())\ndef h():\n    View(1).run(source())\n",
        },
        {("app/base.py", 5)},
    ),
    (
        "what a factory function returns (annotated, or built in its return)",
        {
            "app/repo.py": "class Repo:\n    def by_a(self, k):\n        sink(k)\n"
            "    def by_b(self, k):\n        sink(k)\n    def by_c(self, k):\n        sink(k)\n"
            "class Safe:\n    def by_a(self, k):\n        return k\n"
            "def get_repo() -> 'Repo':\n    return make()\n"
            "def make():\n    return Repo()\n"
            "def get_safe():\n    return Safe()\n",
            "app/views.py": "from app import repo as r\nfrom app.repo import get_repo, make\n"
            "shared = r.make()\n"
            "def a():\n    repo = get_repo()\n    repo.by_a(source())\n"
            "def b():\n    make().by_b(source())\n"
            "def c():\n    shared.by_c(source())\n"
            "def d():\n    r.get_safe().by_a(source())\n",
        },
        {("app/repo.py", 3), ("app/repo.py", 5), ("app/repo.py", 7)},
    ),
    (
        "javascript: a module-level instance, exported and imported",
        {
            "src/repo.ts": "class Repo {\n  find(k: string) {\n    sink(k);\n  }\n"
            "  safe(k: string) {\n    sink(1);\n  }\n}\nexport const repo = new Repo();\n",
            "src/app.ts": "import { repo } from './repo';\n"
            "export function h() {\n  repo.find(source());\n  repo.safe(source());\n}\n",
        },
        {("src/repo.ts", 3)},
    ),
    (
        "typescript: an annotated parameter, in the function and a closure in it",
        {
            "src/repo.ts": "export class Repo {\n  find(k: string) {\n    sink(k);\n  }\n}\n"
            "export class Safe {\n  find(k: string) {\n    return k;\n  }\n}\n",
            "src/app.ts": "import { Repo, Safe } from './repo';\n"
            "export function h(repo: Repo, safe: Safe, other: Repo | null) {\n"
            "  safe.find(source());\n  [1].forEach(() => repo.find(source()));\n}\n",
        },
        {("src/repo.ts", 3)},
    ),
    (
        "javascript: methods a class inherits with extends, here or imported",
        {
            "src/base.js": "export class Base {\n  run(q) {\n    sink(q);\n  }\n"
            "  keep(q) {\n    return q;\n  }\n}\n",
            "src/view.js": "import { Base } from './base';\n"
            "class View extends Base {\n  keep(q) {\n    sink(1);\n  }\n"
            "  get() {\n    this.run(source());\n    this.keep(source());\n  }\n}\n"
            "class Page extends View {}\nexport function h() {\n  new Page().run(source());\n}\n",
        },
        {("src/base.js", 3)},
    ),
    (
        "typescript: the same, where extends has its own clause",
        {
            "src/base.ts": "export class Base {\n  run(q) {\n    sink(q);\n  }\n"
            "  keep(q) {\n    return q;\n  }\n}\n",
            "src/view.ts": "import { Base } from './base';\n"
            "class View extends Base {\n  keep(q) {\n    sink(1);\n  }\n"
            "  get() {\n    this.run(source());\n    this.keep(source());\n  }\n}\n"
            "class Page extends View {}\nexport function h() {\n  new Page().run(source());\n}\n",
        },
        {("src/base.ts", 3)},
    ),
    (
        "an override hides the base's method",
        {
            "app/base.py": "class Base:\n    def run(self, q):\n        sink(q)\n",
            "app/views.py": "from app.base import Base\nclass View(Base):\n"
            "    def run(self, q):\n        return q\n    def get(self):\n"
            "        return self.run(source())\n",
        },
        set(),
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in RECEIVER_CASES], ids=[c[0] for c in RECEIVER_CASES]
)
def test_methods_of_stated_and_inherited_classes(  # type: ignore[no-untyped-def]
    flows, files: dict[str, str], expected: set[tuple[str, int]]
) -> None:
    assert flows(files) == expected


# Module-level containers shared across modules: filled in one, read in another.
GLOBAL_CASES = [
    (
        "python: from-import, appended, iterated",
        {
            "app/state.py": "PENDING = []\nDONE = []\n",
            "app/views.py": "from app.state import PENDING\ndef submit():\n"
            "    PENDING.append(source())\n",
            "app/worker.py": "from app.state import PENDING, DONE\ndef drain():\n"
            "    for q in PENDING:\n        sink(q)\n    for d in DONE:\n        sink(d)\n",
        },
        {("app/worker.py", 4)},
    ),
    (
        "python: a module's attribute stored into, read elsewhere",
        {
            "app/state.py": "CACHE = {}\n",
            "app/views.py": "from app import state\ndef submit():\n"
            "    state.CACHE['last'] = source()\n",
            "app/worker.py": "import app.state\ndef drain():\n    sink(app.state.CACHE['last'])\n",
        },
        {("app/worker.py", 3)},
    ),
    (
        "python: filled where defined, read through a package re-export",
        {
            "app/__init__.py": "from .state import CACHE\n",
            "app/state.py": "CACHE = {}\ndef remember():\n    CACHE['q'] = source()\n",
            "app/worker.py": "from app import CACHE\ndef drain():\n    sink(CACHE['q'])\n",
        },
        {("app/worker.py", 3)},
    ),
    (
        "python: a clean value stored, or a name shadowed locally",
        {
            "app/state.py": "PENDING = []\n",
            "app/views.py": "from app.state import PENDING\ndef submit():\n"
            "    PENDING.append(clean(source()))\n",
            "app/worker.py": "from app.state import PENDING\ndef drain():\n"
            "    PENDING = ['x']\n    sink(PENDING[0])\n",
        },
        set(),
    ),
    (
        "javascript: an exported array pushed to, a Map set, an object property",
        {
            "src/state.js": "export const pending = [];\nexport const cache = new Map();\n"
            "export const store = {};\nexport const done = [];\n",
            "src/routes.js": "import { pending, cache } from './state';\n"
            "import * as state from './state.js';\n"
            "export function submit() {\n  pending.push(source());\n"
            "  cache.set('k', source());\n  state.store.last = source();\n}\n",
            "src/worker.js": "import { pending, cache, store, done } from './state';\n"
            "export function drain() {\n  for (const q of pending) sink(q);\n"
            "  sink(cache.get('k'));\n  sink(store.last);\n  for (const d of done) sink(d);\n}\n",
        },
        {("src/worker.js", 3), ("src/worker.js", 4), ("src/worker.js", 5)},
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in GLOBAL_CASES], ids=[c[0] for c in GLOBAL_CASES]
)
def test_global_containers_across_modules(  # type: ignore[no-untyped-def]
    flows, files: dict[str, str], expected: set[tuple[str, int]]
) -> None:
    assert flows(files) == expected


JS_CASES = [
    ("template literal", "const v = source();\nsink(`SELECT ${v}`);\n", True),
    ("destructuring", "const { a, b: [c] } = source();\nsink(c);\n", True),
    ("spread", "const o = { ...source() };\nsink(o);\n", True),
    ("arrow", "const f = (x) => x + '!';\nsink(f(source()));\n", True),
    ("push", "const xs = [];\nxs.push(source());\nsink(xs.join(','));\n", True),
    ("sanitizer", "sink(clean(source()));\n", False),
    ("parseInt", "sink(parseInt(source(), 10));\n", False),
    (
        "includes guard",
        "const v = source();\nif (!ALLOWED.includes(v)) { throw new Error(); }\nsink(v);\n",
        False,
    ),
    ("callback closure", "const v = source();\napp.get('/', (req, res) => { sink(v); });\n", True),
    ("await", "async function g() { const v = await source(); sink(v); }\n", True),
    (
        "class method",
        "class R { find(n) { return this.run('q' + n); } run(s) { sink(s); } }\nnew R().find(source());\n",
        True,
    ),
    (
        "field set by the constructor",
        "class R { constructor(c) { this.c = c; } go() { sink(this.c); } }\n"
        "const r = new R(source());\nr.go();\n",
        True,
    ),
    (
        "object built in place",
        "class R { constructor(c) { this.c = c; } go() { sink(this.c); } }\nnew R(source()).go();\n",
        True,
    ),
    (
        "static method",
        "class R { static go(x) { sink(x); } }\nR.go(source());\n",
        True,
    ),
    (
        "method that ignores its object",
        "class R { constructor(c) { this.c = c; } go() { sink('fixed'); } }\nnew R(source()).go();\n",
        False,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in JS_CASES], ids=[c[0] for c in JS_CASES]
)
@pytest.mark.parametrize("filename", ["app.js", "app.ts", "app.tsx"])
def test_javascript_flows(flows, code: str, expected: bool, filename: str) -> None:  # type: ignore[no-untyped-def]
    found = flows({filename: code})
    assert bool(found) is expected, found


def test_javascript_flows_across_es_modules_and_reexports(flows) -> None:  # type: ignore[no-untyped-def]
    found = flows(
        {
            "src/lib/db.ts": "export function byName(name: string) {\n  return sink('q' + name);\n}\n",
            "src/lib/index.ts": "export * from './db';\nexport { byName as lookup } from './db';\n",
            "src/routes/a.ts": "import { lookup } from '../lib';\nexport const a = () => lookup(source());\n",
            "src/routes/b.js": "const db = require('../lib/db');\ndb.byName(clean(source()));\n",
        }
    )
    assert found == {("src/lib/db.ts", 2)}


def test_commonjs_exports(flows) -> None:  # type: ignore[no-untyped-def]
    found = flows(
        {
            "lib/run.js": "function run(cmd) { sink(cmd); }\nmodule.exports = { run };\n",
            "main.js": "const { run } = require('./lib/run');\nrun(source());\n",
        }
    )
    assert found == {("lib/run.js", 1)}


def test_finding_carries_the_trace_across_files(make_tree: MakeTree, rules: list[Rule]) -> None:
    result = scan_tree(
        make_tree,
        rules,
        {
            "views.py": "from store import save\ndef handler():\n    value = source()\n    save(value)\n",
            "store.py": "def save(v):\n    sql = 'INSERT ' + v\n    sink(sql)\n",
        },
    )
    [finding] = result.findings
    steps = [(s.path, s.line) for s in finding.trace]
    assert steps[0] == ("views.py", 3) and "source()" in finding.trace[0].note
    assert ("views.py", 4) in steps and ("store.py", 2) in steps
    assert steps[-1] == ("store.py", 3) and finding.trace[-1].note.startswith("sink")
    assert finding.to_dict()["trace"][0] == {
        "path": "views.py",
        "line": 3,
        "note": "source: source()",
    }


def test_inline_suppression_applies_to_taint_findings(flows) -> None:  # type: ignore[no-untyped-def]
    assert flows({"a.py": "def f():\n    sink(source())  # tavo: ignore[t-py-flow]\n"}) == set()


def test_deep_nesting_does_not_crash_the_scan(make_tree: MakeTree, rules: list[Rule]) -> None:
    deep = "x = " + "(" * 3000 + "source()" + ")" * 3000 + "\nsink(x)\n"
    result = scan_tree(make_tree, rules, {"deep.py": deep, "ok.py": "sink(source())\n"})
    assert ("ok.py", 1) in {(f.path, f.span.start_line) for f in result.findings}


def test_pathological_files_are_bounded_and_the_scan_finishes(
    make_tree: MakeTree, rules: list[Rule]
) -> None:
    files = {
        "deep.py": "x = " + "[" * 10_000 + "source()" + "]" * 10_000 + "\nsink(x)\n",
        "long_line.py": "x = '" + "a" * 5_000_000 + "'\n",
        "many.py": "".join(f"def f{i}(a):\n    return a\n" for i in range(20_000)),
        "cycle_a.py": "from cycle_b import *\nfrom cycle_b import g as f\n",
        "cycle_b.py": "from cycle_a import *\nfrom cycle_a import f as g\ndef main():\n    f(source())\n",
        "ok.py": "def main():\n    sink(source())\n",
    }
    result = scan_path(make_tree(files), rules, jobs=1)
    assert ("ok.py", 2) in {(f.path, f.span.start_line) for f in result.findings}
    notes = " ".join(result.notes)
    assert "data-flow analysis skipped" in notes
