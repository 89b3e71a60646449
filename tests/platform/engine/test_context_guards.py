"""The code context's view of checks and inert values (engine/_context_guards.py): a value
validated by an allow-list, a prefix or format check that leaves on failure, a number, a
choice among literals or a lookup in a literal table carries no outside text, so a pattern
finding about SQL, shell or code built from it is not an injection."""

from __future__ import annotations

import textwrap

import pytest
from tavo_platform.engine import Language
from tavo_platform.engine._context import code_contexts
from tavo_platform.engine._findings import Span


def _constant(code: str, language: Language, category: str) -> bool | None:
    text = textwrap.dedent(code)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "SINK" in row)
    (context,) = code_contexts(text, language, [Span(line, 1, line, 200)], [category])
    assert context is not None
    return context.constant_input


PYTHON = [
    (
        "allow-list check that raises",
        """
        def dump(table):
            if table not in ALLOWED_TABLES:
                raise ValueError(table)
            cursor.execute(f"SELECT * FROM {table}")  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "allow-list check that only logs",
        """
        def dump(table):
            if table not in ALLOWED_TABLES:
                log.warning("odd table %s", table)
            cursor.execute(f"SELECT * FROM {table}")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "check of another name",
        """
        def dump(table, column):
            if column not in ALLOWED:
                raise ValueError(column)
            cursor.execute(f"SELECT * FROM {table}")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "inside the branch where the check held",
        """
        def dump(table):
            if table in ALLOWED_TABLES:
                cursor.execute(f"SELECT * FROM {table}")  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "placeholders built from a length",
        """
        def by_tags(tags):
            marks = ", ".join(["%s"] * len(tags))
            cursor.execute(f"SELECT id FROM tag WHERE name IN ({marks})", tags)  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "the values themselves in the query",
        """
        def by_tags(tags):
            marks = ", ".join(tags)
            cursor.execute(f"SELECT id FROM tag WHERE name IN ({marks})", tags)  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "choice checked by its condition",
        """
        def sorted_by(column):
            order = column if column in COLUMNS else "name"
            cursor.execute(f"SELECT * FROM t ORDER BY {order}")  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "request data replaced by its own checked choice",
        """
        def sorted_by():
            column = request.args.get("sort", "name")
            column = column if column in COLUMNS else "name"
            cursor.execute(f"SELECT * FROM t ORDER BY {column}")  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "request data replaced by another name's choice",
        """
        def sorted_by():
            column = request.args.get("sort", "name")
            column = column if other in COLUMNS else "name"
            cursor.execute(f"SELECT * FROM t ORDER BY {column}")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "placeholders generated one per value",
        """
        def by_ids():
            ids = request.args.getlist("id")
            marks = ",".join("?" for _ in ids)
            cursor.execute(f"SELECT * FROM t WHERE id IN ({marks})", ids)  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "the values generated into the query",
        """
        def by_ids():
            ids = request.args.getlist("id")
            marks = ",".join(f"'{i}'" for i in ids)
            cursor.execute(f"SELECT * FROM t WHERE id IN ({marks})")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "a number formatted with %d",
        """
        def page():
            limit = request.args.get("limit", "10")
            cursor.execute("SELECT * FROM t LIMIT %d OFFSET %05.0f" % (limit, 0))  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "text formatted with %s beside a number",
        """
        def page():
            q = request.args.get("q", "")
            cursor.execute("SELECT * FROM t WHERE n = '%s' LIMIT %d" % (q, 10))  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "a Flask route segment converted to a number",
        """
        @app.route("/items/<int:item_id>")
        def item(item_id):
            cursor.execute(f"SELECT * FROM items WHERE id = {item_id}")  # SINK
        """,
        "sql-injection",
        True,
    ),
    (
        "a Flask route segment kept as text",
        """
        @app.route("/items/<item_id>")
        def item(item_id):
            cursor.execute(f"SELECT * FROM items WHERE id = {item_id}")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "choice not checked",
        """
        def sorted_by(column, fallback):
            order = column if fallback else "name"
            cursor.execute(f"SELECT * FROM t ORDER BY {order}")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "number for code",
        """
        def calc(a):
            n = int(a)
            return eval(f"{n} + 1")  # SINK
        """,
        "code-injection",
        True,
    ),
    (
        "quoted for the shell is not quoted for SQL",
        """
        def find(name):
            safe = shlex.quote(name)
            cursor.execute(f"SELECT * FROM t WHERE n = {safe}")  # SINK
        """,
        "sql-injection",
        False,
    ),
    (
        "lookup in a literal table",
        """
        def export(fmt):
            tool = {"csv": "csvkit", "json": "jq"}.get(fmt, "csvkit")
            subprocess.run(f"{tool} /data/orders", shell=True)  # SINK
        """,
        "command-injection",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "category", "expected"), [c[1:] for c in PYTHON], ids=[c[0] for c in PYTHON]
)
def test_python(code: str, category: str, expected: bool) -> None:
    assert _constant(code, Language.PYTHON, category) is expected


JAVASCRIPT = [
    (
        "allow-list check on a member that throws",
        """
        async function run(args) {
          if (!SAFE_SCRIPTS.includes(args.script)) {
            throw new Error("unknown script");
          }
          return execSync(`./scripts/${args.script}.sh`); // SINK
        }
        """,
        "command-injection",
        True,
    ),
    (
        "another member of the same object",
        """
        async function run(args) {
          if (!SAFE_SCRIPTS.includes(args.script)) {
            throw new Error("unknown script");
          }
          return execSync(`./scripts/${args.scriptName}.sh`); // SINK
        }
        """,
        "command-injection",
        False,
    ),
    (
        "choice checked by its condition",
        """
        function sorted(column) {
          const order = COLUMNS.includes(column) ? column : "title";
          return client.query(`SELECT * FROM pages ORDER BY ${order}`); // SINK
        }
        """,
        "sql-injection",
        True,
    ),
    (
        "numbers mapped from a list",
        """
        function byIds(raw) {
          const ids = String(raw).split(",").map((id) => parseInt(id, 10));
          return db.query(`SELECT * FROM pages WHERE id IN (${ids.join(",")})`); // SINK
        }
        """,
        "sql-injection",
        True,
    ),
    (
        "strings mapped from a list",
        """
        function byIds(raw) {
          const ids = String(raw).split(",").map((id) => id.trim());
          return db.query(`SELECT * FROM pages WHERE id IN (${ids.join(",")})`); // SINK
        }
        """,
        "sql-injection",
        False,
    ),
    (
        "numbers for code",
        """
        function calc(body) {
          const a = Number(body.a);
          return eval(`${a} + 1`); // SINK
        }
        """,
        "code-injection",
        True,
    ),
]


@pytest.mark.parametrize(
    ("code", "category", "expected"),
    [c[1:] for c in JAVASCRIPT],
    ids=[c[0] for c in JAVASCRIPT],
)
def test_javascript(code: str, category: str, expected: bool) -> None:
    assert _constant(code, Language.JAVASCRIPT, category) is expected
