"""Precision of the taint engine on shapes that well-kept code uses to stay safe: compound
guards that reassign a safe value, values placed in a URL's query, containers holding one
tainted value among constant ones. Each shape has its vulnerable twin beside it, so the
true positives stay found."""

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


REDIRECT = "py-taint-open-redirect"
HEAD = (
    "from django.http import HttpResponseRedirect, HttpResponse\n"
    "from django.utils.http import url_has_allowed_host_and_scheme\n"
)

GUARD_CASES = [
    (
        "compound guard, safe value reassigned where it fails",
        HEAD
        + "def pick(request):\n"
        + "    back = request.GET.get('back')\n"
        + "    if (back or request.headers.get('x')) and not (\n"
        + "        url_has_allowed_host_and_scheme(back, None)\n"
        + "    ):\n"
        + "        back = '/home'\n"
        + "    return HttpResponseRedirect(back)\n",
        False,
    ),
    (
        "compound guard whose other side may skip the check",
        HEAD
        + "def pick(request):\n"
        + "    back = request.GET.get('back')\n"
        + "    if request.headers.get('x') and not url_has_allowed_host_and_scheme(back, None):\n"
        + "        back = '/home'\n"
        + "    return HttpResponseRedirect(back)\n",
        True,
    ),
    (
        "nested fallback checked again",
        HEAD
        + "def pick(request):\n"
        + "    back = request.GET.get('back')\n"
        + "    if back and not url_has_allowed_host_and_scheme(back, None):\n"
        + "        back = request.META.get('HTTP_REFERER')\n"
        + "        if not url_has_allowed_host_and_scheme(back, None):\n"
        + "            back = '/'\n"
        + "    return HttpResponseRedirect(back)\n",
        False,
    ),
    (
        "nested fallback left unchecked",
        HEAD
        + "def pick(request):\n"
        + "    back = request.GET.get('back')\n"
        + "    if back and not url_has_allowed_host_and_scheme(back, None):\n"
        + "        back = request.META.get('HTTP_REFERER')\n"
        + "    return HttpResponseRedirect(back)\n",
        True,
    ),
    (
        "an or of two checks, only one of which is the value's",
        HEAD
        + "def pick(request):\n"
        + "    back = request.GET.get('back')\n"
        + "    other = request.GET.get('other')\n"
        + "    if url_has_allowed_host_and_scheme(back, None) or (\n"
        + "        url_has_allowed_host_and_scheme(other, None)\n"
        + "    ):\n"
        + "        return HttpResponseRedirect(back)\n"
        + "    return HttpResponse(status=204)\n",
        True,
    ),
    (
        "an or of two checks of the same value",
        HEAD
        + "def pick(request):\n"
        + "    back = request.GET.get('back')\n"
        + "    if url_has_allowed_host_and_scheme(back, HOSTS) or (\n"
        + "        url_has_allowed_host_and_scheme(back, MORE_HOSTS)\n"
        + "    ):\n"
        + "        return HttpResponseRedirect(back)\n"
        + "    return HttpResponse(status=204)\n",
        False,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in GUARD_CASES], ids=[c[0] for c in GUARD_CASES]
)
def test_compound_guards(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    assert _found(make_tree, taint_rules, "app/views.py", code, REDIRECT) is expected


EXPRESS = 'const express = require("express");\nconst app = express();\n'

JS_GUARD_CASES = [
    (
        "empty or allow-listed",
        EXPRESS
        + 'app.get("/go", (req, res) => {\n'
        + "  let to = req.query.to;\n"
        + "  if (to && !ALLOWED.includes(to)) {\n"
        + '    to = "/";\n'
        + "  }\n"
        + '  res.redirect(to || "/");\n'
        + "});\n",
        False,
    ),
    (
        "reassigned only on one unrelated condition",
        EXPRESS
        + 'app.get("/go", (req, res) => {\n'
        + "  let to = req.query.to;\n"
        + "  if (req.query.x && !ALLOWED.includes(to)) {\n"
        + '    to = "/";\n'
        + "  }\n"
        + "  res.redirect(to);\n"
        + "});\n",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in JS_GUARD_CASES], ids=[c[0] for c in JS_GUARD_CASES]
)
def test_compound_guards_javascript(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    assert _found(make_tree, taint_rules, "src/app.js", code, "js-taint-open-redirect") is expected


FLASK = "from flask import request, redirect\nimport requests\n"

QUERY_CASES = [
    ("%-format, data after '?'", "redirect('%s?%s' % (BASE, request.args['q']))", False),
    ("%-format, data before '?'", "redirect('%s?%s' % (request.args['to'], QS))", True),
    ("%-format, one value after '?'", "redirect(HOME + '?next=%s' % request.args['n'])", False),
    ("%-format, a tuple in a variable", "redirect('%s?%s' % PARTS)", False),
    ("f-string, data after '#'", "redirect(f\"{HOME}#{request.args['s']}\")", False),
    ("f-string, data first", "redirect(f\"{request.args['to']}?from=home\")", True),
    ("+ chain, data after '?'", "redirect(BASE + '?' + request.args['q'])", False),
    ("+ chain, data before '?'", "redirect(request.args['to'] + '?' + QS)", True),
    ("format(), positional after '?'", "redirect('{}?{}'.format(BASE, request.args['q']))", False),
    ("format(), positional first", "redirect('{}?{}'.format(request.args['to'], QS))", True),
    ("format(), keyword", "redirect('{b}?q={q}'.format(b=BASE, q=request.args['q']))", False),
    (
        "format(), one value in two places",
        "redirect('{0}?back={0}'.format(request.args['to']))",
        True,
    ),
    ("a '?' inside the data is not literal text", "redirect(request.args['to'] + QS)", True),
]


@pytest.mark.parametrize(
    ("line", "expected"), [c[1:] for c in QUERY_CASES], ids=[c[0] for c in QUERY_CASES]
)
def test_data_in_the_query_cannot_choose_the_host(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, line: str, expected: bool
) -> None:
    code = FLASK + "def go():\n    return " + line + "\n"
    assert _found(make_tree, taint_rules, "app/views.py", code, REDIRECT) is expected


def test_data_in_the_query_of_a_fetch_is_not_ssrf(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    safe = FLASK + "def go():\n    return requests.get(f\"{API}?q={request.args['q']}\").text\n"
    unsafe = FLASK + "def go():\n    return requests.get(f\"{request.args['u']}?q=1\").text\n"
    assert not _found(make_tree, taint_rules, "app/views.py", safe, "py-taint-ssrf")
    assert _found(make_tree, taint_rules, "app/views.py", unsafe, "py-taint-ssrf")


def test_query_position_in_javascript(make_tree, taint_rules) -> None:  # type: ignore[no-untyped-def]
    route = EXPRESS + 'app.get("/go", (req, res) => {{\n  res.redirect({});\n}});\n'
    cases = {
        "`${BASE}?q=${req.query.q}`": False,
        'BASE + "?q=" + req.query.q': False,
        "`${req.query.to}?from=home`": True,
        'req.query.to + "?from=home"': True,
    }
    for target, expected in cases.items():
        found = _found(
            make_tree, taint_rules, "src/app.js", route.format(target), "js-taint-open-redirect"
        )
        assert found is expected, target


def test_urlopen_of_an_operator_url_is_an_audit_note_and_of_request_data_ssrf(
    make_tree: MakeTree,
) -> None:
    rules = load_builtin_rules().rules
    code = textwrap.dedent(
        """\
        from urllib.request import build_opener
        from flask import request

        def download(url):
            opener = build_opener()
            with opener.open(url) as source:
                return source.read()

        def mirror():
            opener = build_opener()
            with opener.open(request.args["src"]) as upstream:
                return upstream.read()
        """
    )
    findings = scan_path(make_tree({"app/fetch.py": code}), rules, jobs=1).findings
    by_line = {(f.span.start_line, f.rule_id): f.severity.name for f in findings}
    assert by_line.get((6, "py-urlopen-unrestricted-scheme")) == "LOW"
    assert not any(line == 6 and rule == "py-taint-ssrf" for line, rule in by_line)
    line_11 = [f for f in findings if f.span.start_line == 11]
    assert line_11, findings
    assert any(f.rule_id == "py-taint-ssrf" or "py-taint-ssrf" in f.related_rules for f in line_11)
    assert any(f.severity.name == "HIGH" for f in line_11)


PACKAGE = {
    "shop/__init__.py": "",
    "shop/links.py": (
        "from django.urls import reverse\n"
        "def with_filters(context, url):\n"
        "    if context.get('opts'):\n"
        "        pass\n"
        "    return url + '/'\n"
        "def next_target(request):\n"
        "    return request.GET.get('next')\n"
    ),
    "shop/views.py": (
        "from django.http import HttpResponseRedirect\n"
        "from django.urls import reverse\n"
        "from shop.links import next_target, with_filters\n"
        "def saved(request, obj):\n"
        "    opts = request.POST.get('opts')\n"
        "    url = with_filters({'opts': opts}, reverse('shop:list'))\n"
        "    return HttpResponseRedirect(url)\n"
        "def back(request):\n"
        "    return HttpResponseRedirect(next_target(request))\n"
    ),
}


def test_a_package_scanned_from_its_own_directory_resolves_its_absolute_imports(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    root = make_tree(PACKAGE) / "shop"
    findings = scan_path(root, taint_rules, jobs=1).findings
    lines = {(f.path, f.span.start_line) for f in findings if f.rule_id == REDIRECT}
    # with_filters() returns its url (a reverse()), never the context it was handed
    assert ("views.py", 7) not in lines
    # next_target() returns request data: found only by following the call into it
    assert ("views.py", 9) in lines


KWARGS_HEAD = (
    "from django.http import HttpResponse\n"
    "from django.utils.html import conditional_escape\n"
    "from django.utils.safestring import mark_safe\n"
)
KWARGS_CASES = [
    (
        "keyword names of **kwargs, values escaped",
        "def fragment(template, **kwargs):\n"
        "    safe = {k: conditional_escape(v) for k, v in kwargs.items()}\n"
        "    return mark_safe(template.format(**safe))\n"
        "def view(request):\n"
        "    return HttpResponse(fragment('<b>{name}</b>', name=request.GET['n']))\n",
        False,
    ),
    (
        "keyword names in a loop, values escaped",
        "def fragment(**kwargs):\n"
        "    out = []\n"
        "    for key, value in kwargs.items():\n"
        "        out.append(key + '=' + conditional_escape(value))\n"
        "    return mark_safe(' '.join(out))\n"
        "def view(request):\n"
        "    return HttpResponse(fragment(title=request.GET['t']))\n",
        False,
    ),
    (
        "values of **kwargs, not escaped",
        "def fragment(**kwargs):\n"
        "    return mark_safe(' '.join(v for k, v in kwargs.items()))\n"
        "def view(request):\n"
        "    return HttpResponse(fragment(title=request.GET['t']))\n",
        True,
    ),
    (
        "keys of request data are the client's",
        "def view(request):\n"
        "    safe = {k: conditional_escape(v) for k, v in request.GET.items()}\n"
        "    return HttpResponse(mark_safe(''.join(safe)))\n",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in KWARGS_CASES], ids=[c[0] for c in KWARGS_CASES]
)
def test_keyword_names_are_not_data(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    found = _found(make_tree, taint_rules, "app/views.py", KWARGS_HEAD + code, "py-taint-xss")
    assert found is expected


CMD = "py-taint-command-injection"
CONTAINER_HEAD = "import os\nfrom flask import request\n"
CONTAINER_CASES = [
    (
        "dict literal: another key's element",
        "def run():\n"
        "    job = {'cmd': request.args['c'], 'name': 'backup'}\n"
        "    os.system('echo ' + job['name'])\n",
        False,
    ),
    (
        "dict literal: the tainted key's element",
        "def run():\n"
        "    job = {'cmd': request.args['c'], 'name': 'backup'}\n"
        "    os.system(job['cmd'])\n",
        True,
    ),
    (
        "dict literal passed whole",
        "def run():\n"
        "    job = {'cmd': request.args['c'], 'name': 'backup'}\n"
        "    os.system(str(job))\n",
        True,
    ),
    (
        "get() of another key",
        "def run():\n"
        "    job = {'cmd': request.args['c'], 'name': 'backup'}\n"
        "    os.system(job.get('name', 'none'))\n",
        False,
    ),
    (
        "get() of the tainted key",
        "def run():\n"
        "    job = {'cmd': request.args['c'], 'name': 'backup'}\n"
        "    os.system(job.get('cmd'))\n",
        True,
    ),
    (
        "stores at constant keys, then a safe key read",
        "def run():\n"
        "    job = {}\n"
        "    job['cmd'] = request.args['c']\n"
        "    job['name'] = 'backup'\n"
        "    os.system(job['name'])\n",
        False,
    ),
    (
        "a later safe store does not empty the container",
        "def run():\n"
        "    job = {}\n"
        "    job['cmd'] = request.args['c']\n"
        "    job['name'] = 'backup'\n"
        "    os.system(job['cmd'])\n",
        True,
    ),
    (
        "a store at a computed key does not empty the container",
        "def run(field):\n"
        "    job = {}\n"
        "    job['cmd'] = request.args['c']\n"
        "    job[field] = 'backup'\n"
        "    os.system(job['cmd'])\n",
        True,
    ),
    (
        "a computed key reads the whole container",
        "def run(field):\n"
        "    job = {'cmd': request.args['c'], 'name': 'backup'}\n"
        "    os.system(job[field])\n",
        True,
    ),
    (
        "the name rebound to request data",
        "def run():\n"
        "    job = {'name': 'backup'}\n"
        "    job = request.args\n"
        "    os.system(job['name'])\n",
        True,
    ),
    (
        "a parameter's element",
        "def run_job(job):\n"
        "    os.system(job['name'])\n"
        "def view():\n"
        "    run_job({'name': request.args['c']})\n",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in CONTAINER_CASES], ids=[c[0] for c in CONTAINER_CASES]
)
def test_containers_are_followed_per_constant_key(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    found = _found(make_tree, taint_rules, "app/jobs.py", CONTAINER_HEAD + code, CMD)
    assert found is expected


SAVED_CHECK_CASES = [
    (
        "a check kept in a variable",
        HEAD
        + "def done(request):\n"
        + "    target = request.GET.get('next')\n"
        + "    ok = url_has_allowed_host_and_scheme(url=target, allowed_hosts=None)\n"
        + "    return HttpResponseRedirect(target if ok else '/')\n",
        False,
    ),
    (
        "a check kept in a variable, used in an if",
        HEAD
        + "def done(request):\n"
        + "    target = request.GET.get('next')\n"
        + "    ok = url_has_allowed_host_and_scheme(target, None)\n"
        + "    if not ok:\n"
        + "        return HttpResponse(status=400)\n"
        + "    return HttpResponseRedirect(target)\n",
        False,
    ),
    (
        "the value changed after the check",
        HEAD
        + "def done(request):\n"
        + "    target = request.GET.get('next')\n"
        + "    ok = url_has_allowed_host_and_scheme(target, None)\n"
        + "    target = request.GET.get('other')\n"
        + "    return HttpResponseRedirect(target if ok else '/')\n",
        True,
    ),
    (
        "the flag set only on one branch",
        HEAD
        + "def done(request):\n"
        + "    target = request.GET.get('next')\n"
        + "    ok = True\n"
        + "    if request.GET.get('strict'):\n"
        + "        ok = url_has_allowed_host_and_scheme(target, None)\n"
        + "    return HttpResponseRedirect(target if ok else '/')\n",
        True,
    ),
    (
        "a check of another value",
        HEAD
        + "def done(request):\n"
        + "    target = request.GET.get('next')\n"
        + "    ok = url_has_allowed_host_and_scheme(request.GET.get('back'), None)\n"
        + "    return HttpResponseRedirect(target if ok else '/')\n",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"),
    [c[1:] for c in SAVED_CHECK_CASES],
    ids=[c[0] for c in SAVED_CHECK_CASES],
)
def test_a_check_kept_in_a_variable(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    assert _found(make_tree, taint_rules, "app/views.py", code, REDIRECT) is expected


CLASSMETHOD = (
    "import os\nfrom flask import request\n"
    "class Job:\n"
    "    @classmethod\n"
    "    def start(cls, **options):\n"
    "        os.system(cls.COMMAND)\n"
    "        return options\n"
    "    @staticmethod\n"
    "    def run(command, **options):\n"
    "        os.system(command)\n"
)


def test_a_classmethod_takes_its_class_not_the_arguments(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    safe = CLASSMETHOD + "def view():\n    Job.start(**{'name': request.args['n']})\n"
    unsafe = CLASSMETHOD + "def view():\n    Job.run(request.args['c'], name='x')\n"
    assert not _found(make_tree, taint_rules, "app/jobs.py", safe, CMD)
    assert _found(make_tree, taint_rules, "app/jobs.py", unsafe, CMD)


LOOKUP_CASES = [
    (
        "getlist(key) gives the container's elements, not the key",
        "def run():\n    for cmd in JOBS.getlist(request.args['name']):\n        os.system(cmd)\n",
        False,
    ),
    (
        "pop(key) likewise",
        "def run():\n    os.system(JOBS.pop(request.args['name']))\n",
        False,
    ),
    (
        "getlist of request data is request data",
        "def run():\n    for cmd in request.args.getlist('cmd'):\n        os.system(cmd)\n",
        True,
    ),
    (
        "the default of get() is returned too",
        "def run():\n    os.system(JOBS.get(NAME, request.args['cmd']))\n",
        True,
    ),
    (
        "the default of pop() is returned too",
        "def run():\n    os.system(JOBS.pop(NAME, request.args['cmd']))\n",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in LOOKUP_CASES], ids=[c[0] for c in LOOKUP_CASES]
)
def test_lookups_return_elements_or_defaults_never_keys(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, code: str, expected: bool
) -> None:
    found = _found(make_tree, taint_rules, "app/jobs.py", CONTAINER_HEAD + code, CMD)
    assert found is expected
