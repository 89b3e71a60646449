"""Prefix checks as guards: a prefix that fixes nothing ("https://", "") checks nothing, and
`x.startswith("/")` keeps a redirect on the site only together with a check that x does
not start with "//" (a URL of another host, which starts with "/" too)."""

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


def _lines(make_tree: MakeTree, rules: list[Rule], code: str, rule_id: str) -> list[int]:
    tree = make_tree({"app.py": textwrap.dedent(code)})
    found = scan_path(tree, rules, jobs=1).findings
    return [f.span.start_line for f in found if rule_id in (f.rule_id, *f.related_rules)]


@pytest.mark.parametrize(
    ("check", "reported"),
    [
        # "//evil.example" starts with "/"
        ('if not nxt.startswith("/"):\n        return redirect("/")\n', True),
        ('if nxt.startswith("/") and not nxt.startswith("//"):\n        pass\n'
         '    else:\n        return redirect("/")\n', False),
        ('if not nxt.startswith("/") or nxt.startswith(("//", "/\\\\")):\n'
         '        nxt = "/"\n', False),
        ('if not nxt.startswith("/") or "//" in nxt:\n        abort(400)\n', False),
        # the halves on different values, or only one of them
        ('if not nxt.startswith("/") or other.startswith("//"):\n        abort(400)\n', True),
        ('if nxt.startswith("//"):\n        abort(400)\n', True),
        # a scheme fixes no host
        ('if not nxt.startswith(("http://", "https://")):\n        abort(400)\n', True),
        # a fixed start with a path or a host does
        ('if not nxt.startswith("/account/"):\n        abort(400)\n', False),
        ('if not nxt.startswith("https://shop.example/"):\n        abort(400)\n', False),
        ('if not nxt.startswith(HOME_URL):\n        abort(400)\n', False),
    ],
)
def test_redirect_prefix_checks(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, check: str, reported: bool
) -> None:
    code = (
        "from flask import request, redirect, abort\n"
        "def done():\n"
        "    nxt = request.args.get('next', '/')\n"
        "    other = request.args.get('other', '/')\n"
        f"    {check}"
        "    return redirect(nxt)\n"
    )
    assert bool(_lines(make_tree, taint_rules, code, "py-taint-open-redirect")) is reported


def test_a_check_kept_in_a_variable_needs_both_halves(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    code = """\
        from flask import request, redirect
        def one():
            nxt = request.args["next"]
            local = nxt.startswith("/")
            return redirect(nxt if local else "/")
        def both():
            nxt = request.args["next"]
            local = nxt.startswith("/") and not nxt.startswith("//")
            return redirect(nxt if local else "/")
        """
    assert _lines(make_tree, taint_rules, code, "py-taint-open-redirect") == [5]


def test_a_scheme_prefix_is_no_check_for_other_sinks(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    code = """\
        import requests
        from flask import request, abort
        def fetch():
            url = request.args["url"]
            if not url.startswith("https://"):
                abort(400)
            return requests.get(url).text
        def fetch_partner():
            url = request.args["url"]
            if not url.startswith("https://partner.example/api/"):
                abort(400)
            return requests.get(url).text
        """
    assert _lines(make_tree, taint_rules, code, "py-taint-ssrf") == [7]


def test_system_template_variables_filled_from_the_request(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    """Only a variable the system message names is reported, at the call that fills it."""
    code = """\
        from flask import request
        from langchain_core.prompts import ChatPromptTemplate
        SYSTEM = ChatPromptTemplate.from_messages([
            ("system", "You are {persona}; reply in {language}."),
            ("human", "{question}"),
        ])
        def ask(chain):
            return chain.invoke({
                "persona": request.json["persona"],
                "language": "English",
                "question": request.json["question"],
            })
        def ask_fixed(chain):
            return chain.invoke(
                {"persona": "a librarian", "language": "English", "question": request.json["q"]}
            )
        def ask_messages():
            return SYSTEM.format_messages(
                persona="a guide", language=request.args["lang"], question="hi"
            )
        """
    rule = "py-taint-llm01-request-data-in-system-prompt"
    assert _lines(make_tree, taint_rules, code, rule) == [8, 18]
