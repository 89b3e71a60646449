"""Guards and fixed targets the built-in taint rules recognise: URL-host allow-lists
(SSRF), Django's url_has_allowed_host_and_scheme (redirects), targets whose start is
written in the code (a relative path, "https://host/", reverse()/url_for())."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(scope="module")
def taint_rules() -> list[Rule]:
    return [rule for rule in load_builtin_rules().rules if rule.taint is not None]


def _found(make_tree: MakeTree, rules: list[Rule], name: str, code: str, rule_id: str) -> bool:
    tree = make_tree({name: textwrap.dedent(code)})
    result = scan_path(tree, rules, jobs=1)
    return any(f.rule_id == rule_id or rule_id in f.related_rules for f in result.findings)


FLASK = "from flask import request, redirect, abort\nimport requests\n"
DJANGO = (
    "from django.shortcuts import redirect\nfrom django.urls import reverse\n"
    "from django.utils.http import url_has_allowed_host_and_scheme\n"
)

PYTHON_CASES = [
    # SSRF: a check of the URL's host against an allow-list checks where it goes
    (
        "host allow-list via urlparse",
        FLASK
        + "from urllib.parse import urlparse\n"
        + "def fetch():\n"
        + "    url = request.args['u']\n"
        + "    if urlparse(url).hostname not in ALLOWED_HOSTS:\n"
        + "        abort(400)\n"
        + "    return requests.get(url).text\n",
        "py-taint-ssrf",
        False,
    ),
    (
        "host check of another URL",
        FLASK
        + "from urllib.parse import urlparse\n"
        + "def fetch():\n"
        + "    url = request.args['u']\n"
        + "    home = request.args['home']\n"
        + "    if urlparse(home).hostname not in ALLOWED_HOSTS:\n"
        + "        abort(400)\n"
        + "    return requests.get(url).text\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "host check that does not stop the request",
        FLASK
        + "def fetch():\n"
        + "    url = request.args['u']\n"
        + "    if url.hostname not in ALLOWED_HOSTS:\n"
        + "        log.warning('odd host')\n"
        + "    return requests.get(url).text\n",
        "py-taint-ssrf",
        True,
    ),
    (
        "fixed host, data in the path",
        FLASK
        + "def fetch():\n"
        + "    item = request.args['id']\n"
        + "    return requests.get(f'https://api.example.com/items/{item}').text\n",
        "py-taint-ssrf",
        False,
    ),
    (
        "data chooses the host",
        FLASK
        + "def fetch():\n"
        + "    host = request.args['host']\n"
        + "    return requests.get(f'https://{host}/items').text\n",
        "py-taint-ssrf",
        True,
    ),
    # redirects
    (
        "django allowed-host check, reassigned",
        DJANGO
        + "def done(request):\n"
        + "    target = request.GET.get('next')\n"
        + "    if not url_has_allowed_host_and_scheme(target, allowed_hosts={'a.example'}):\n"
        + "        target = '/'\n"
        + "    return redirect(target)\n",
        "py-taint-open-redirect",
        False,
    ),
    (
        "django allowed-host check, keyword url, in a condition",
        DJANGO
        + "def done(request):\n"
        + "    target = request.POST.get('next', '/')\n"
        + "    ok = url_has_allowed_host_and_scheme(url=target, allowed_hosts=None)\n"
        + "    if url_has_allowed_host_and_scheme(url=target, allowed_hosts=HOSTS):\n"
        + "        return redirect(target)\n"
        + "    return redirect('/')\n",
        "py-taint-open-redirect",
        False,
    ),
    (
        "no allowed-host check",
        DJANGO + "def done(request):\n    return redirect(request.GET.get('next'))\n",
        "py-taint-open-redirect",
        True,
    ),
    (
        "relative path with the data in the query",
        DJANGO + "def go(request):\n    return redirect(f\"/search?q={request.GET['q']}\")\n",
        "py-taint-open-redirect",
        False,
    ),
    (
        "reverse() then the data",
        DJANGO
        + "def go(request):\n"
        + "    return redirect(reverse('post-list') + '?page=' + request.GET['page'])\n",
        "py-taint-open-redirect",
        False,
    ),
    (
        "slash then the data (//evil.example)",
        DJANGO + "def go(request):\n    return redirect(f\"/{request.GET['to']}\")\n",
        "py-taint-open-redirect",
        True,
    ),
    (
        "data then a path",
        DJANGO + "def go(request):\n    return redirect(request.GET['to'] + '/done')\n",
        "py-taint-open-redirect",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "rule_id", "expected"),
    [c[1:] for c in PYTHON_CASES],
    ids=[c[0] for c in PYTHON_CASES],
)
def test_python_guards_and_fixed_targets(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, rule_id: str, expected: bool
) -> None:
    assert _found(make_tree, taint_rules, "app/views.py", code, rule_id) is expected


EXPRESS = 'const express = require("express");\nconst router = express.Router();\n'

JS_CASES = [
    (
        "redirect URI matched against registered ones with some()",
        EXPRESS
        + 'router.get("/authorize", (req, res) => {\n'
        + "  const uri = req.query.redirect_uri;\n"
        + "  const registered = client.redirectUris;\n"
        + "  if (!registered.some((u) => u === uri)) return res.status(400).end();\n"
        + "  res.redirect(`${uri}?code=${code}`);\n"
        + "});\n",
        "js-taint-open-redirect",
        False,
    ),
    (
        "prefix allow-list with find()",
        EXPRESS
        + 'router.get("/go", (req, res) => {\n'
        + "  const to = req.query.to;\n"
        + "  if (!PREFIXES.find((p) => to.startsWith(p))) return res.end();\n"
        + "  res.redirect(to);\n"
        + "});\n",
        "js-taint-open-redirect",
        False,
    ),
    (
        "some() over the elements comparing them with something else",
        EXPRESS
        + 'router.get("/authorize", (req, res) => {\n'
        + "  const uri = req.query.redirect_uri;\n"
        + "  if (!registered.some((u) => u === DEFAULT_URI)) return res.status(400).end();\n"
        + "  res.redirect(uri);\n"
        + "});\n",
        "js-taint-open-redirect",
        True,
    ),
    (
        "some() testing whether the input is a prefix of an element",
        EXPRESS
        + 'router.get("/go", (req, res) => {\n'
        + "  const to = req.query.to;\n"
        + "  if (!ALLOWED.some((a) => a.startsWith(to))) return res.end();\n"
        + "  res.redirect(to);\n"
        + "});\n",
        "js-taint-open-redirect",
        True,
    ),
    (
        "host allow-list on a URL object",
        EXPRESS
        + 'router.post("/hook", async (req, res) => {\n'
        + "  const url = new URL(req.body.url);\n"
        + "  if (!HOSTS.includes(url.hostname)) {\n"
        + "    return res.status(400).end();\n"
        + "  }\n"
        + "  await fetch(url);\n"
        + "});\n",
        "js-taint-ssrf",
        False,
    ),
    (
        "host allow-list on new URL(...).host",
        EXPRESS
        + 'router.post("/hook", async (req, res) => {\n'
        + "  const target = req.body.url;\n"
        + '  if (new URL(target).host !== "api.example.com") return res.end();\n'
        + "  await fetch(target);\n"
        + "});\n",
        "js-taint-ssrf",
        False,
    ),
    (
        "no host check",
        EXPRESS
        + 'router.post("/hook", async (req, res) => {\n'
        + "  const url = new URL(req.body.url);\n"
        + "  await fetch(url);\n"
        + "});\n",
        "js-taint-ssrf",
        True,
    ),
    (
        "fixed host, data in the path",
        EXPRESS
        + 'router.get("/item", async (req, res) => {\n'
        + "  await fetch(`https://api.example.com/items/${req.query.id}`);\n"
        + "});\n",
        "js-taint-ssrf",
        False,
    ),
    (
        "data chooses the host",
        EXPRESS
        + 'router.get("/item", async (req, res) => {\n'
        + "  await fetch(`https://${req.query.host}/items`);\n"
        + "});\n",
        "js-taint-ssrf",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "rule_id", "expected"), [c[1:] for c in JS_CASES], ids=[c[0] for c in JS_CASES]
)
def test_javascript_guards_and_fixed_targets(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, rule_id: str, expected: bool
) -> None:
    assert _found(make_tree, taint_rules, "src/routes.js", code, rule_id) is expected


FEATURE_CASES = [
    (
        "flask path parameter",
        "from flask import Flask\nimport os\napp = Flask(__name__)\n"
        "@app.route('/run/<name>')\ndef run(name):\n    os.system('echo ' + name)\n",
        "py-taint-command-injection",
        True,
    ),
    (
        "flask int converter",
        "from flask import Flask\nimport os\napp = Flask(__name__)\n"
        "@app.route('/run/<int:num>')\ndef run(num):\n    os.system('echo ' + num)\n",
        "py-taint-command-injection",
        False,
    ),
    (
        "flask uuid converter, other parameter still text",
        "from flask import Flask\nimport os\napp = Flask(__name__)\n"
        "@app.route('/run/<uuid:job>/<step>')\ndef run(job, step):\n"
        "    os.system('echo ' + step)\n",
        "py-taint-command-injection",
        True,
    ),
    (
        "global list filled in one function, used in another",
        "from flask import request\nimport os\nPENDING = []\n"
        "def collect():\n    PENDING.append(request.args['cmd'])\n"
        "def flush():\n    for c in PENDING:\n        os.system(c)\n",
        "py-taint-command-injection",
        True,
    ),
    (
        "global dict element",
        "from flask import request\nimport os\nCACHE = {}\n"
        "def collect():\n    CACHE['cmd'] = request.args['cmd']\n"
        "def flush():\n    os.system(CACHE['cmd'])\n",
        "py-taint-command-injection",
        True,
    ),
    (
        "a local of the same name is not the global",
        "from flask import request\nimport os\nCACHE = {}\n"
        "def collect():\n    CACHE['cmd'] = request.args['cmd']\n"
        "def flush():\n    CACHE = {'cmd': 'uptime'}\n    os.system(CACHE['cmd'])\n",
        "py-taint-command-injection",
        False,
    ),
    (
        "llamaindex query engine reply",
        "import os\ndef answer(index, question):\n"
        "    engine = index.as_query_engine()\n    result = engine.query(question)\n"
        "    os.system(str(result))\n",
        "py-taint-llm05-output-to-interpreter",
        True,
    ),
    (
        "a query on something else",
        "import os\ndef answer(session, question):\n"
        "    rows = session.query(question)\n    os.system(str(rows))\n",
        "py-taint-llm05-output-to-interpreter",
        False,
    ),
]


@pytest.mark.parametrize(
    ("code", "rule_id", "expected"),
    [c[1:] for c in FEATURE_CASES],
    ids=[c[0] for c in FEATURE_CASES],
)
def test_route_converters_globals_and_llamaindex(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, rule_id: str, expected: bool
) -> None:
    assert _found(make_tree, taint_rules, "app/main.py", code, rule_id) is expected


_FILES = (
    "import os\nfrom pathlib import Path\nfrom flask import request, abort\nBASE = '/srv/files'\n"
)

PREFIX_CASES = [
    (
        "resolved, then checked among its parents (pathlib)",
        _FILES + "ROOT = Path(BASE).resolve()\ndef read():\n"
        "    target = (ROOT / request.args['f']).resolve()\n"
        "    if ROOT not in target.parents:\n        abort(403)\n"
        "    return target.read_text()\n",
        False,
    ),
    (
        "joined, never resolved, then checked among its parents",
        _FILES + "ROOT = Path(BASE)\ndef read():\n"
        "    target = ROOT / request.args['f']\n"
        "    if ROOT not in target.parents:\n        abort(403)\n"
        "    return target.read_text()\n",
        True,
    ),
    (
        "another path checked among its parents",
        _FILES + "ROOT = Path(BASE).resolve()\ndef read():\n"
        "    target = (ROOT / request.args['f']).resolve()\n"
        "    home = Path(request.args['home']).resolve()\n"
        "    if ROOT not in home.parents:\n        abort(403)\n"
        "    return target.read_text()\n",
        True,
    ),
    (
        "realpath then a prefix check",
        _FILES + "def read():\n"
        "    path = os.path.realpath(os.path.join(BASE, request.args['f']))\n"
        "    if not path.startswith(BASE + os.sep):\n        abort(403)\n"
        "    return open(path).read()\n",
        False,
    ),
    (
        "a joined path, never normalised, then a prefix check",
        _FILES + "def read():\n"
        "    path = os.path.join(BASE, request.args['f'])\n"
        "    if not path.startswith(BASE):\n        abort(403)\n"
        "    return open(path).read()\n",
        True,
    ),
    (
        "joined, then normalised, then checked",
        _FILES + "def read():\n"
        "    path = os.path.join(BASE, request.args['f'])\n"
        "    path = os.path.normpath(path)\n"
        "    if not path.startswith(BASE):\n        abort(403)\n"
        "    return open(path).read()\n",
        False,
    ),
    (
        "a pathlib join checked by its text",
        _FILES + "def read():\n"
        "    path = Path(BASE) / request.args['f']\n"
        "    if not str(path).startswith(BASE):\n        abort(403)\n"
        "    return open(path).read()\n",
        True,
    ),
    (
        "pathlib: resolved, then is_relative_to, in a helper that raises",
        _FILES + "def load(name):\n"
        "    target = (Path(BASE) / name).resolve()\n"
        "    if not target.is_relative_to(BASE):\n        raise ValueError(name)\n"
        "    return target.read_text()\n"
        "def read():\n    return load(request.args['f'])\n",
        False,
    ),
    (
        "realpath, then os.path.commonpath against the base",
        _FILES + "def read():\n"
        "    path = os.path.realpath(os.path.join(BASE, request.args['f']))\n"
        "    if os.path.commonpath([path, BASE]) != BASE:\n        abort(403)\n"
        "    return open(path).read()\n",
        False,
    ),
    (
        "joined, never normalised, then commonpath (it keeps the '..')",
        _FILES + "def read():\n"
        "    path = os.path.join(BASE, request.args['f'])\n"
        "    if os.path.commonpath([BASE, path]) != BASE:\n        abort(403)\n"
        "    return open(path).read()\n",
        True,
    ),
    (
        "pathlib: joined, never resolved, then is_relative_to (a lexical check)",
        _FILES + "def read():\n"
        "    target = Path(BASE) / request.args['f']\n"
        "    if not target.is_relative_to(BASE):\n        abort(403)\n"
        "    return target.read_text()\n",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in PREFIX_CASES], ids=[c[0] for c in PREFIX_CASES]
)
def test_prefix_checks_protect_normalised_paths_only(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    found = _found(make_tree, taint_rules, "app/files.py", code, "py-taint-path-traversal")
    assert found is expected


_NODE_FILES = (
    'const fs = require("fs");\nconst path = require("path");\nconst BASE = "/srv/files";\n'
)

# JavaScript/TypeScript: a prefix check protects a path that holds no `..` any more (resolved,
# normalised, joined, made real), and only on the path it checked, where failing it leaves.
JS_PREFIX_CASES = [
    (
        "resolved, checked, 403 on failure",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  if (!target.startsWith(BASE + path.sep)) {\n    return res.status(403).end();\n  }\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        False,
    ),
    (
        "normalised in a helper that throws",
        "function read(name) {\n"
        "  const target = path.normalize(BASE + '/' + name);\n"
        "  if (!target.startsWith(BASE)) throw new Error('outside');\n"
        "  return fs.readFileSync(target);\n}\n"
        "app.get('/f', (req, res) => res.send(read(req.query.name)));\n",
        False,
    ),
    (
        "made real (sync)",
        "app.get('/f', (req, res) => {\n"
        "  const target = fs.realpathSync(path.join(BASE, req.query.name));\n"
        "  if (!target.startsWith(BASE)) { res.sendStatus(403); return; }\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        False,
    ),
    (
        "made real (promises)",
        "app.get('/f', async (req, res) => {\n"
        "  const target = await fs.promises.realpath(path.join(BASE, req.query.name));\n"
        "  if (!target.startsWith(BASE)) return res.sendStatus(403);\n"
        "  res.send(await fs.promises.readFile(target));\n});\n",
        False,
    ),
    (
        "checked before use, inside the branch",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  if (target.startsWith(BASE + path.sep)) {\n    res.send(fs.readFileSync(target));\n  }\n"
        "});\n",
        False,
    ),
    (
        "path.relative containment idiom",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  const rel = path.relative(BASE, target);\n"
        "  if (rel.startsWith('..') || path.isAbsolute(rel)) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        False,
    ),
    (
        "glued with +, then checked",
        "app.get('/f', (req, res) => {\n"
        "  const target = BASE + '/' + req.query.name;\n"
        "  if (!target.startsWith(BASE)) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "a template literal, then checked",
        "app.get('/f', (req, res) => {\n"
        "  const target = `${BASE}/${req.query.name}`;\n"
        "  if (!target.startsWith(BASE)) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "reassigned from pieces after a resolve",
        "app.get('/f', (req, res) => {\n"
        "  let target = path.resolve(BASE, req.query.name);\n"
        "  target = BASE + '/' + req.query.name;\n"
        "  if (!target.startsWith(BASE)) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "checked but carried on",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  if (!target.startsWith(BASE)) { console.warn('outside'); }\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "another path checked",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  const other = path.resolve(BASE, 'index.html');\n"
        "  if (!other.startsWith(BASE)) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "relative path that may climb, used anyway",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  const rel = path.relative(BASE, target);\n"
        "  if (!rel.startsWith('..')) return res.sendStatus(200);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "a relative path to some other target",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  const rel = path.relative(BASE, path.resolve(BASE, 'x'));\n"
        "  if (rel.startsWith('..')) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "start compared by slice",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.normalize(path.join(BASE, req.query.name));\n"
        "  if (target.slice(0, BASE.length) !== BASE) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        False,
    ),
    (
        "start compared by indexOf",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  if (target.indexOf(BASE) === 0) res.send(fs.readFileSync(target));\n"
        "  else res.sendStatus(403);\n});\n",
        False,
    ),
    (
        "start compared by slice on a path never normalised",
        "app.get('/f', (req, res) => {\n"
        "  const target = BASE + '/' + req.query.name;\n"
        "  if (target.slice(0, BASE.length) !== BASE) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
    (
        "indexOf found anywhere",
        "app.get('/f', (req, res) => {\n"
        "  const target = path.resolve(BASE, req.query.name);\n"
        "  if (target.indexOf(BASE) === -1) return res.sendStatus(403);\n"
        "  res.send(fs.readFileSync(target));\n});\n",
        True,
    ),
]


@pytest.mark.parametrize("filename", ["routes/files.js", "routes/files.ts"])
@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in JS_PREFIX_CASES], ids=[c[0] for c in JS_PREFIX_CASES]
)
def test_javascript_prefix_checks_protect_normalised_paths_only(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool, filename: str
) -> None:
    found = _found(make_tree, taint_rules, filename, _NODE_FILES + code, "js-taint-path-traversal")
    assert found is expected


_MODELS = (
    "from enum import Enum\nfrom typing import Optional\nfrom pydantic import BaseModel\n"
    "class Sort(str, Enum):\n    name = 'name'\n    price = 'price'\n"
    "class Query(BaseModel):\n    owner: str\n    page: int = 1\n    size: Optional[int] = None\n"
    "    sort: Sort = Sort.name\n"
    "class Paged(Query):\n    cursor: str = ''\n"
)
_ROUTE = (
    "from fastapi import FastAPI\nfrom .models import Query, Paged\nfrom .db import run\n"
    "app = FastAPI()\n"
    "@app.post('/items')\ndef items(q: Query):\n    return run(q)\n"
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # numbers, an Enum of the models module: they hold no text
        ('f"SELECT * FROM t ORDER BY {q.sort.value} LIMIT {q.size} OFFSET {q.page}"', False),
        # a text field of the same model still injects
        ("f\"SELECT * FROM t WHERE owner = '{q.owner}'\"", True),
        # a number field inherited from a base model
        ('"SELECT * FROM t LIMIT " + str(p.size)', False),
        # a text field of the subclass
        ('"SELECT * FROM t WHERE c > \'" + p.cursor + "\'"', True),
    ],
)
def test_model_fields_typed_without_text_carry_no_taint(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, query: str, expected: bool
) -> None:
    """pydantic/dataclass fields declared `int`, `Optional[int]`, an Enum: reading them
    from a typed parameter, across modules and base classes, brings no request text."""
    tree = make_tree(
        {
            "app/__init__.py": "",
            "app/models.py": _MODELS,
            "app/routes.py": _ROUTE,
            "app/db.py": (
                "import sqlite3\nfrom .models import Query, Paged\n"
                "def run(q: Query):\n    p = Paged(owner=q.owner)\n"
                f"    return sqlite3.connect('x').execute({query})\n"
            ),
        }
    )
    found = scan_path(tree, taint_rules, jobs=1).findings
    assert any(f.rule_id == "py-taint-sql-injection" for f in found) is expected


_NEST_SERVICE = (
    "import { Injectable } from '@nestjs/common';\n"
    "import { execSync } from 'child_process';\n"
    "@Injectable()\nexport class JobsService {\n"
    "  tail(name: string) {\n    return execSync(`tail -n 50 /var/log/${name}.log`);\n  }\n}\n"
)


@pytest.mark.parametrize(
    ("holder", "expected"),
    [
        # NestJS / Angular constructor injection: a parameter property
        ("constructor(private readonly jobs: JobsService) {}", True),
        # a field declared with the class, filled elsewhere
        ("jobs: JobsService;", True),
        # a field built where it is declared
        ("private jobs = new JobsService();", True),
        # a field of another class: its `tail` is not JobsService's
        ("constructor(private readonly jobs: Logger) {}", False),
    ],
)
def test_methods_called_on_typed_class_fields_are_followed(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, holder: str, expected: bool
) -> None:
    tree = make_tree(
        {
            "src/jobs.service.ts": _NEST_SERVICE,
            "src/jobs.controller.ts": (
                "import { Controller, Get, Query } from '@nestjs/common';\n"
                "import { JobsService } from './jobs.service';\n"
                "import { Logger } from './logger';\n"
                f"@Controller('jobs')\nexport class JobsController {{\n  {holder}\n"
                "  @Get('log')\n  log(@Query('name') name: string) {\n"
                "    return this.jobs.tail(name);\n  }\n}\n"
            ),
            "src/logger.ts": (
                "export class Logger {\n  tail(line: string) {\n    return line;\n  }\n}\n"
            ),
        }
    )
    found = scan_path(tree, taint_rules, jobs=1).findings
    hits = [f for f in found if f.rule_id == "js-taint-command-injection"]
    assert bool(hits) is expected
    assert all(f.path == "src/jobs.service.ts" for f in hits)


_PY_REGEX_GUARD = (
    "import re, subprocess\nfrom flask import request\nSAFE = re.compile(r'^[a-z0-9.-]+$')\n"
    "def ping():\n    host = request.args['host']\n    if not CHECK:\n        return 'bad'\n"
    "    return subprocess.check_output(f'ping -c 1 {host}', shell=True)\n"
)
_JS_REGEX_GUARD = (
    "const { exec } = require('child_process');\n"
    "app.get('/ping', (req, res) => {\n  const host = req.query.host;\n"
    "  if (!CHECK) return res.status(400).end();\n"
    "  exec(`ping -c 1 ${host}`);\n  res.end();\n});\n"
)


@pytest.mark.parametrize(
    ("name", "template", "check", "rule", "vulnerable"),
    [
        ("app.py", _PY_REGEX_GUARD, "re.fullmatch(r'[a-z0-9.-]+', host)",
         "py-taint-command-injection", False),
        ("app.py", _PY_REGEX_GUARD, "re.match(r'^[a-z0-9.-]+$', host)",
         "py-taint-command-injection", False),
        ("app.py", _PY_REGEX_GUARD, "re.match(r'[a-z0-9.-]+\\Z', host)",
         "py-taint-command-injection", False),
        ("app.py", _PY_REGEX_GUARD, "SAFE.match(host)", "py-taint-command-injection", False),
        # anchored at the start only: "example.org; rm -rf /" passes
        ("app.py", _PY_REGEX_GUARD, "re.match(r'[a-z0-9.-]+', host)",
         "py-taint-command-injection", True),
        ("app.js", _JS_REGEX_GUARD, "/^[a-z0-9.-]+$/.test(host)",
         "js-taint-command-injection", False),
        ("app.js", _JS_REGEX_GUARD, "/[a-z0-9.-]+/.test(host)",
         "js-taint-command-injection", True),
        ("app.js", _JS_REGEX_GUARD, "/^[a-z0-9.-]+/.test(host)",
         "js-taint-command-injection", True),
        # with `m`, ^ and $ match at each line: "ok\n; rm -rf /" passes
        ("app.js", _JS_REGEX_GUARD, "/^[a-z0-9.-]+$/m.test(host)",
         "js-taint-command-injection", True),
    ],
)
def test_a_regex_checks_a_value_only_when_it_matches_all_of_it(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, name: str, template: str, check: str, rule: str, vulnerable: bool
) -> None:
    code = template.replace("CHECK", check)
    assert _found(make_tree, taint_rules, name, code, rule) is vulnerable


_FORMS = (
    "from django import forms\nfrom rest_framework import serializers\n"
    "class ReportForm(forms.Form):\n    limit = forms.IntegerField(max_value=100)\n"
    "    column = forms.ChoiceField(choices=[('name', 'name'), ('sku', 'sku')])\n"
    "    term = forms.CharField()\n"
    "class ReportSerializer(serializers.Serializer):\n    since = serializers.DateField()\n"
    "    term = serializers.CharField()\n"
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "f\"SELECT {form.cleaned_data['column']} FROM t LIMIT {form.cleaned_data['limit']}\"",
            False,
        ),
        ("f\"SELECT * FROM t WHERE name = '{form.cleaned_data['term']}'\"", True),
        ("f\"SELECT * FROM t WHERE day > '{ser.validated_data['since']}'\"", False),
        ("f\"SELECT * FROM t WHERE name = '{ser.validated_data['term']}'\"", True),
    ],
)
def test_form_and_serializer_fields_typed_without_text_carry_no_taint(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, query: str, expected: bool
) -> None:
    """Django form / DRF serializer fields declared as numbers, dates or choices: what
    cleaned_data / validated_data hold for them is no request text, across modules."""
    tree = make_tree(
        {
            "shop/__init__.py": "",
            "shop/forms.py": _FORMS,
            "shop/views.py": (
                "from django.db import connection\n"
                "from .forms import ReportForm, ReportSerializer\n"
                "def report(request):\n    form = ReportForm(request.GET)\n"
                "    ser = ReportSerializer(data=request.GET)\n"
                "    if not form.is_valid() or not ser.is_valid():\n        return None\n"
                f"    connection.cursor().execute({query})\n"
            ),
        }
    )
    found = scan_path(tree, taint_rules, jobs=1).findings
    assert any(f.rule_id == "py-taint-sql-injection" for f in found) is expected


@pytest.mark.parametrize(
    ("init", "expected"),
    [
        # constructor injection: the attribute holds what the typed parameter holds
        ("def __init__(self, repo: UserRepo):\n        self.repo = repo\n", True),
        # built in place
        ("def __init__(self):\n        self.repo = UserRepo()\n", True),
        # a parameter of another class: its by_name is not UserRepo's
        ("def __init__(self, repo: Cache):\n        self.repo = repo\n", False),
    ],
)
def test_methods_called_on_injected_attributes_are_followed(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, init: str, expected: bool
) -> None:
    tree = make_tree(
        {
            "app/__init__.py": "",
            "app/repo.py": (
                "import sqlite3\nclass UserRepo:\n    def by_name(self, name):\n"
                "        db = sqlite3.connect('x')\n"
                "        return db.execute(f\"SELECT * FROM u WHERE n = '{name}'\")\n"
                "class Cache:\n    def by_name(self, name):\n        return name\n"
            ),
            "app/service.py": (
                "from .repo import UserRepo, Cache\nclass UserService:\n"
                f"    {init}"
                "    def find(self, name):\n        return self.repo.by_name(name)\n"
            ),
            "app/api.py": (
                "from flask import Flask, request\nfrom .service import UserService\n"
                "from .repo import UserRepo\napp = Flask(__name__)\n"
                "@app.get('/u')\ndef users():\n"
                "    return UserService(UserRepo()).find(request.args['name'])\n"
            ),
        }
    )
    found = scan_path(tree, taint_rules, jobs=1).findings
    hits = [f for f in found if f.rule_id == "py-taint-sql-injection"]
    assert bool(hits) is expected


@pytest.mark.parametrize(
    ("export", "importer"),
    [
        ("module.exports = new JobsService();", "const jobs = require('./jobs');"),
        ("exports.jobs = new JobsService();", "const { jobs } = require('./jobs');"),
        ("export default new JobsService();", "import jobs from './jobs';"),
    ],
)
def test_exported_service_instances_are_followed(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, export: str, importer: str
) -> None:
    """A module exporting one object of its class (the Node singleton-service idiom):
    calls of its methods where it is imported are that class's, and what they return is
    what the method returns (not every argument, which made res.send(await
    jobs.run(req.body.x)) an XSS)."""
    tree = make_tree(
        {
            "src/jobs.js": (
                "const { exec } = require('child_process');\n"
                "class JobsService {\n"
                "  tail(name) {\n    exec(`tail -n 50 /var/log/${name}.log`);\n"
                "    return 'started';\n  }\n}\n"
                f"{export}\n"
            ),
            "src/routes.js": (
                f"{importer}\n"
                "app.get('/tail', (req, res) => res.send(jobs.tail(req.query.name)));\n"
            ),
        }
    )
    found = scan_path(tree, taint_rules, jobs=1).findings
    assert [f.path for f in found if f.rule_id == "js-taint-command-injection"] == [
        "src/jobs.js"
    ]
    assert not [f for f in found if f.rule_id == "js-taint-xss"]


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ("if not is_path_inside(target, BASE):\n        abort(400)\n", False),
        ("if not utils.is_within_directory(target, BASE):\n        abort(400)\n", False),
        # a check of a property of the path, not of where it is
        ("if not is_allowed_extension(target):\n        abort(400)\n", True),
        # a containment check of another path
        ("if not is_path_inside(other, BASE):\n        abort(400)\n", True),
    ],
)
def test_named_containment_checks_validate_their_first_argument(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, check: str, expected: bool
) -> None:
    code = (
        _FILES + "from . import utils\n"
        "def read():\n"
        "    target = (Path(BASE) / request.args['f']).resolve()\n"
        "    other = Path(request.args['o']).resolve()\n"
        f"    {check}"
        "    return target.read_text()\n"
    )
    assert _found(make_tree, taint_rules, "app/files.py", code, "py-taint-path-traversal") is (
        expected
    )


def test_enum_values_of_typed_parameters_carry_no_text(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    """`theme.value` of a route parameter `theme: Theme` (an Enum of the project) is one
    of the values written in the class; another parameter's text still reaches the sink."""
    tree = make_tree(
        {
            "app/__init__.py": "",
            "app/types.py": "from enum import Enum\nclass Theme(str, Enum):\n"
            "    light = 'light'\n    dark = 'dark'\n",
            "app/main.py": (
                "from typing import Optional\nfrom fastapi import FastAPI\n"
                "from fastapi.responses import FileResponse\nfrom .types import Theme\n"
                "app = FastAPI()\n"
                "@app.get('/logo')\n"
                "def logo(theme: Optional[Theme] = None, name: str = ''):\n"
                "    first = FileResponse(f'/srv/logo_{theme.value}.svg')\n"
                "    return FileResponse(f'/srv/{name}.svg')\n"
            ),
        }
    )
    found = scan_path(tree, taint_rules, jobs=1).findings
    lines = [f.span.start_line for f in found if f.rule_id == "py-taint-path-traversal"]
    assert lines == [9]
