"""Values kept for the rest of a request or for the session: Express's `res.locals.name`
and `req.session.name`, Koa's `ctx.state.name`, set in one module and read by a handler in
another. Each name is one variable of the project; another name, or one set from the
application's own data, carries nothing."""

from __future__ import annotations

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


def _found(make_tree: MakeTree, rules: list[Rule], files: dict[str, str]) -> list[tuple[str, int]]:
    result = scan_path(make_tree(dict(files)), rules, jobs=1)
    return sorted((f.path, f.span.start_line) for f in result.findings if f.category == "xss")


def test_express_res_locals_set_by_a_middleware_reach_a_handler(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    files = {
        "src/middleware.js": (
            "module.exports = function locals(req, res, next) {\n"
            "  res.locals.displayName = req.query.displayName;\n"
            '  res.locals.siteName = "Acme";\n'
            "  next();\n"
            "};\n"
        ),
        "src/profile.js": (
            "exports.show = (req, res) => {\n"
            "  res.send(`<h1>${res.locals.displayName}</h1>`);\n"
            "  res.send(`<title>${res.locals.siteName}</title>`);\n"
            "};\n"
        ),
        "src/app.js": (
            'const express = require("express");\n'
            'const locals = require("./middleware");\n'
            'const profile = require("./profile");\n'
            "const app = express();\n"
            "app.use(locals);\n"
            'app.get("/profile", profile.show);\n'
        ),
    }
    assert _found(make_tree, taint_rules, files) == [("src/profile.js", 2)]


def test_koa_ctx_state_set_by_a_middleware_reaches_a_handler(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    files = {
        "src/auth.ts": (
            "export async function visitor(ctx, next) {\n"
            '  ctx.state.nickname = ctx.headers["x-nickname"];\n'
            "  ctx.state.theme = 'dark';\n"
            "  await next();\n"
            "}\n"
        ),
        "src/home.ts": (
            "export function theme(ctx) {\n"
            '  ctx.type = "html";\n'
            "  ctx.body = `<p>${ctx.state.theme}</p>`;\n"
            "}\n"
            "export function home(ctx) {\n"
            '  ctx.type = "html";\n'
            "  ctx.body = `<p>${ctx.state.nickname}</p>`;\n"
            "}\n"
        ),
    }
    assert _found(make_tree, taint_rules, files) == [("src/home.ts", 7)]


def test_a_session_value_set_at_login_reaches_a_later_page(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    files = {
        "src/login.js": (
            "exports.login = (req, res) => {\n"
            "  req.session.displayName = req.body.displayName;\n"
            "  req.session.userId = 42;\n"
            '  res.redirect("/home");\n'
            "};\n"
        ),
        "src/home.js": (
            "exports.home = (req, res) => {\n"
            "  res.send(`<p>${req.session.userId}</p>`);\n"
            "  res.send(`<h1>Welcome back, ${req.session.displayName}</h1>`);\n"
            "};\n"
        ),
    }
    assert _found(make_tree, taint_rules, files) == [("src/home.js", 3)]
