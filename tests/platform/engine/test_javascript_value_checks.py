"""JavaScript values that carry no text into a query, a command or a redirect: elements
converted with `ids.map(Number)`, values a validator.js format check passed
(`validator.isUUID(id)`), arithmetic results, lookups in an UPPER_CASE table of constants,
request fields an allow-list check validated in place. Both the taint rules and the pattern
rules (through the code context) must leave them alone, and must still report the
look-alikes that do carry text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

HEADER = (
    'const { exec } = require("child_process");\n'
    'const validator = require("validator");\n'
    'const { Pool } = require("pg");\n'
    "const pool = new Pool();\n"
    'const SORTS = { newest: "created_at DESC", oldest: "created_at ASC" };\n'
)


@pytest.fixture(scope="module")
def builtin() -> list[Rule]:
    return load_builtin_rules().rules


def _lines(make_tree: MakeTree, rules: list[Rule], body: str, category: str) -> list[int]:
    """The lines (of `body`, from 1) with a finding of `category`."""
    code = HEADER + 'app.get("/x", async (req, res) => {\n' + textwrap.dedent(body) + "});\n"
    result = scan_path(make_tree({"app.js": code}), rules, jobs=1)
    offset = HEADER.count("\n") + 1
    return sorted(f.span.start_line - offset for f in result.findings if f.category == category)


def test_elements_converted_with_map_number_are_numbers(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    body = """\
    const ids = String(req.query.ids).split(",").map(Number).filter(Number.isInteger);
    await pool.query(`SELECT * FROM t WHERE id IN (${ids.join(",")})`);
    const names = String(req.query.names).split(",").map(String);
    await pool.query(`SELECT * FROM t WHERE name IN (${names.join(",")})`);
    """
    # String() keeps the text: only the second query is an injection.
    assert _lines(make_tree, builtin, body, "sql-injection") == [4]


def test_validator_format_checks_validate_their_argument(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    body = """\
    const id = req.query.id;
    if (!validator.isUUID(id)) return res.sendStatus(400);
    exec(`docker logs ${id}`);
    const email = req.query.email;
    if (!validator.isEmail(email)) return res.sendStatus(400);
    exec(`notify ${email}`);
    """
    # An e-mail address may hold quotes and pipes: still reported.
    assert _lines(make_tree, builtin, body, "command-injection") == [6]


def test_arithmetic_and_constant_tables_carry_no_text_into_sql(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    body = """\
    const page = Math.max(0, parseInt(req.query.page, 10));
    await pool.query("SELECT * FROM t OFFSET " + page * 20);
    const order = SORTS[req.query.sort] ?? SORTS.newest;
    await pool.query(`SELECT * FROM t ORDER BY ${order}`);
    const raw = req.query.sort ?? SORTS.newest;
    await pool.query(`SELECT * FROM t ORDER BY ${raw}`);
    await pool.query("SELECT * FROM t OFFSET " + req.query.page + 20);
    await pool.query("SELECT * FROM t LIMIT " + req.query.n * 1);
    """
    # `+` concatenates (7); `*` makes a number of anything (8).
    assert _lines(make_tree, builtin, body, "sql-injection") == [6, 7]


def test_a_check_of_a_request_field_read_in_place_validates_later_reads(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """`req.query.to` is a fresh read of the request each time it is written, so the check
    holds where it is known to: inside `if (ALLOWED.has(req.query.to))`, and after an `if`
    that leaves when the check fails."""
    body = """\
    const ALLOWED = new Set(["https://a.example.com"]);
    if (ALLOWED.has(req.query.to)) {
      return res.redirect(req.query.to);
    }
    if (!ALLOWED.has(req.query.back)) console.log("unknown target");
    res.redirect(req.query.back);
    if (!ALLOWED.has(req.query.next)) return res.sendStatus(400);
    res.redirect(req.query.next);
    res.redirect(req.query.to);
    """
    # The body that does not leave (5) validates nothing (6); after the check of `next`
    # (7), `to` (9) is as unchecked as ever.
    assert _lines(make_tree, builtin, body, "open-redirect") == [6, 9]
