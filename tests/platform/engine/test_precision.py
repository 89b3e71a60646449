"""Precision controls (engine/dataflow/precision.py, rootcause.py): test code, round-trips,
constant commands, non-security hashes, one finding per root cause."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import Severity, scan_path
from tavo_platform.engine.dataflow.precision import is_test_path
from tavo_platform.rules.loader import load_builtin_rules, load_rule_text
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

PATTERN_AND_TAINT = textwrap.dedent(
    """\
    rules:
      - id: t-eval-pattern
        title: eval of anything
        message: eval() runs code.
        severity: MEDIUM
        confidence: LOW
        category: code-injection
        cwe: [CWE-95]
        tags: [pattern]
        fix: Do not.
        languages: [python]
        structural:
          rule: {pattern: eval($X)}
        examples:
          positive: ["eval(x)"]
          negative: ["print(x)"]
      - id: t-eval-taint
        title: source reaches eval
        message: Tainted data reaches eval().
        severity: CRITICAL
        confidence: HIGH
        category: code-injection
        cwe: [CWE-95]
        tags: [dataflow]
        fix: Do not.
        languages: [python]
        taint:
          sources: [{pattern: source()}]
          sinks:
            - pattern: eval($X)
              focus: $X
        examples:
          positive: ["eval(source())"]
          negative: ["eval('1')"]
    """
)


@pytest.fixture(scope="module")
def builtin() -> list[Rule]:
    return load_builtin_rules().rules


def found(
    make_tree: MakeTree, rules: list[Rule], files: dict[str, str]
) -> list[tuple[str, int, str, str]]:
    result = scan_path(make_tree(files), rules, jobs=1)
    return [(f.path, f.span.start_line, f.rule_id, f.severity.value) for f in result.findings]


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_app.py",
        "app_test.py",
        "src/__tests__/a.ts",
        "web/a.spec.ts",
        "b.test.js",
        "pkg/fixtures/data.py",
        "conftest.py",
        "test/run.py",
    ],
)
def test_test_paths_are_recognised(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize("path", ["app.py", "src/testing_utils.py", "latest/app.py", "contest.py"])
def test_production_paths_are_not_test_code(path: str) -> None:
    assert not is_test_path(path)


def test_test_code_is_reported_at_most_low_and_tagged(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    code = "import pickle\nfrom flask import request\ndef f():\n    return pickle.loads(request.data)\n"
    result = scan_path(make_tree({"app.py": code, "tests/test_app.py": code}), builtin, jobs=1)
    by_path = {f.path: f for f in result.findings}
    assert by_path["app.py"].severity is Severity.CRITICAL
    assert "test-code" not in by_path["app.py"].tags
    in_tests = [f for f in result.findings if f.path == "tests/test_app.py"]
    assert in_tests and all(f.severity is Severity.LOW and "test-code" in f.tags for f in in_tests)


def test_pickle_round_trip_is_not_reported(make_tree: MakeTree, builtin: list[Rule]) -> None:
    files = {
        "copy.py": "import pickle\ndef clone(x):\n    return pickle.loads(pickle.dumps(x))\n",
        "load.py": "import pickle\ndef load(blob):\n    return pickle.loads(blob)\n",
    }
    paths = {path for path, *_ in found(make_tree, builtin, files)}
    assert "copy.py" not in paths and "load.py" in paths


def test_constant_sql_is_dropped_and_constant_shell_or_code_is_low(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    files = {
        "const.py": textwrap.dedent(
            """\
            import os, subprocess
            TABLE = "users"
            def count(db):
                db.execute("SELECT count(*) FROM " + TABLE)
                os.system("uptime")
                subprocess.run("du -sh /srv/" + TABLE, shell=True)
                subprocess.run(["ls", "-l", "/" + TABLE])
                client.exec_command("uptime; " + "df -h")
                eval("os.getcwd()" + ", 1")
            """
        ),
        "dynamic.py": "import os\ndef run(name):\n    os.system('ls ' + name)\n",
    }
    result = scan_path(make_tree(files), builtin, jobs=1)
    const = {f.span.start_line: f for f in result.findings if f.path == "const.py"}
    # Constant SQL, os.system and a constant argument list: not reported. shell=True, a
    # remote shell's command and a string run as code: LOW, tagged constant-input.
    assert sorted(const) == [6, 8, 9], const
    assert all(f.severity is Severity.LOW and "constant-input" in f.tags for f in const.values()), (
        const
    )
    dynamic = [f for f in result.findings if f.path == "dynamic.py"]
    assert dynamic and all(f.severity is Severity.HIGH for f in dynamic)
    assert all("constant-input" not in f.tags for f in dynamic)


def test_sql_built_from_parameters_typed_without_text_is_not_reported(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """A number-typed parameter (`user_id: int`, `Annotated[int, ...]`), or a number or
    Enum attribute of a model class of the file, puts no text into the SQL; a `str` one,
    a text attribute, or the parameter overwritten with request data does."""
    code = textwrap.dedent(
        """\
        from dataclasses import dataclass
        from enum import Enum
        from typing import Annotated, Optional
        from flask import request
        class Kind(str, Enum):
            a = "a"
        @dataclass
        class Filter:
            name: str
            limit: int
            kind: Optional[Kind] = None
        def by_id(db, user_id: int):
            db.execute(f"SELECT * FROM users WHERE id = {user_id}")
        def by_page(db, page: Annotated[int, Query(gt=0)] = 1):
            db.execute("SELECT * FROM users LIMIT 10 OFFSET %d" % (page * 10))
        def limited(db, flt: Filter):
            db.execute(f"SELECT * FROM t WHERE kind = '{flt.kind.value}' LIMIT {flt.limit}")
        def by_name(db, name: str):
            db.execute(f"SELECT * FROM users WHERE name = '{name}'")
        def named(db, flt: Filter):
            db.execute(f"SELECT * FROM t WHERE name = '{flt.name}' LIMIT {flt.limit}")
        def overwritten(db, user_id: int):
            user_id = request.args["id"]
            db.execute(f"SELECT * FROM users WHERE id = {user_id}")
        """
    )
    result = scan_path(make_tree({"repo.py": code}), builtin, jobs=1)
    lines = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    assert lines == {19, 21, 24}, lines


def test_sql_from_form_fields_typed_without_text_is_not_reported(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """A Django form field of the file declared a number or a choice puts no text into SQL
    through cleaned_data; a CharField does."""
    code = textwrap.dedent(
        """\
        from django import forms
        from django.db import connection
        class ReportForm(forms.Form):
            limit = forms.IntegerField(max_value=100)
            column = forms.ChoiceField(choices=[("name", "name"), ("sku", "sku")])
            term = forms.CharField()
        def report(request):
            form = ReportForm(request.GET)
            form.is_valid()
            column = form.cleaned_data["column"]
            limit = form.cleaned_data["limit"]
            term = form.cleaned_data["term"]
            with connection.cursor() as cur:
                cur.execute(f"SELECT {column} FROM items LIMIT {limit}")
                cur.execute(f"SELECT * FROM items WHERE name = '{term}'")
        """
    )
    result = scan_path(make_tree({"reports.py": code}), builtin, jobs=1)
    lines = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    assert lines == {15}, lines


def test_typescript_sql_from_number_parameters_is_not_reported(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """`id: number` of a service method, or a NestJS parameter a ParseIntPipe converted,
    is a number; one a decorator fills without a pipe is the URL's text whatever its type
    says, and a `string` is text."""
    code = textwrap.dedent(
        """\
        import { Controller, Get, Param, ParseIntPipe } from "@nestjs/common";
        @Controller("items")
        export class ItemsController {
          @Get(":id")
          one(@Param("id", ParseIntPipe) id: number) {
            return this.ds.query(`SELECT * FROM items WHERE id = ${id}`);
          }
          @Get("raw/:id")
          raw(@Param("id") id: number) {
            return this.ds.query(`SELECT * FROM items WHERE id = ${id}`);
          }
          byId(id: number, limit?: number) {
            return this.ds.query(`SELECT * FROM items WHERE id = ${id} LIMIT ${limit}`);
          }
          byName(name: string) {
            return this.ds.query(`SELECT * FROM items WHERE name = '${name}'`);
          }
        }
        """
    )
    result = scan_path(make_tree({"items.controller.ts": code}), builtin, jobs=1)
    lines = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    assert lines == {10, 16}, lines


def test_agent_tools_running_commands_from_enum_arguments_are_not_reported(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """An MCP tool whose schema admits only listed services runs a narrow command: neither
    the taint rule, the shell-in-a-tool rule nor the dynamic-exec rule reports it; the same
    tool taking free text is reported."""
    code = textwrap.dedent(
        """\
        import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
        import { exec } from "node:child_process";
        import { z } from "zod";
        const server = new McpServer({ name: "ops", version: "1.0.0" });
        server.tool("status", { service: z.enum(["web", "db"]) }, async ({ service }) => {
          exec(`systemctl status ${service}`, () => {});
          return { content: [] };
        });
        server.tool("logs", { service: z.string() }, async ({ service }) => {
          exec(`journalctl -u ${service}`, () => {});
          return { content: [] };
        });
        """
    )
    findings = found(make_tree, builtin, {"server.ts": code})
    assert {line for _, line, _, _ in findings} == {10}, findings


def test_sql_placeholders_and_literal_tables_are_constant_input(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """Placeholders made per element (`ids.map((_, i) => `$${i + 1}`)`) and a lookup in a
    table of literals are no outside text; mapping the elements themselves is."""
    code = textwrap.dedent(
        """\
        export async function byIds(pool, ids) {
          const marks = ids.map((_, i) => `$${i + 1}`).join(", ");
          return pool.query(`SELECT * FROM items WHERE id IN (${marks})`, ids);
        }
        export async function sorted(pool, sort) {
          const column = { name: "name", date: "created_at" }[sort] || "name";
          return pool.query(`SELECT * FROM items ORDER BY ${column}`);
        }
        export async function byNames(pool, names) {
          const list = names.map((n) => `'${n}'`).join(", ");
          return pool.query(`SELECT * FROM items WHERE name IN (${list})`);
        }
        """
    )
    result = scan_path(make_tree({"items.js": code}), builtin, jobs=1)
    lines = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    assert lines == {11}, result.findings


def test_python_lookups_in_module_tables_are_constant_input(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    """`SORTS.get(key, "name")` of a module's table of literals chooses among literals, as
    `SORTS[key]` does; `request.args.get(...)` itself is outside text."""
    code = textwrap.dedent(
        """\
        from flask import request
        from sqlalchemy import text
        SORTS = {"name": "name", "created": "created_at"}
        def listing(session):
            sort = SORTS.get(request.args.get("sort", "name"), "name")
            return session.execute(text(f"SELECT id FROM users ORDER BY {sort}")).all()
        def raw_listing(session):
            sort = request.args.get("sort", "name")
            return session.execute(text(f"SELECT id FROM users ORDER BY {sort}")).all()
        """
    )
    result = scan_path(make_tree({"views.py": code}), builtin, jobs=1)
    lines = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    assert lines == {9}, result.findings


def test_shell_commands_fed_only_through_a_sanitiser_or_a_check_are_not_reported(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    files = {
        "ops.py": textwrap.dedent(
            """\
            import shlex, subprocess
            def backup(day):
                safe_day = shlex.quote(day)
                subprocess.run("tar czf /backups/x.tgz /data/" + safe_day, shell=True)
            def status(unit):
                if not unit.isidentifier():
                    raise ValueError(unit)
                subprocess.run(f"systemctl status {unit}", shell=True)
            def restart(unit):
                subprocess.run(f"systemctl restart {unit}", shell=True)
            """
        ),
    }
    result = scan_path(make_tree(files), builtin, jobs=1)
    lines = {f.span.start_line: f for f in result.findings if f.category == "command-injection"}
    # Quoted (4) and validated (8): not reported. A parameter spliced in unchecked (10):
    # reported in full.
    assert sorted(lines) == [10], lines
    assert lines[10].severity is Severity.HIGH and "constant-input" not in lines[10].tags


def test_a_callback_among_the_arguments_is_not_data_reaching_the_command(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    files = {
        "ops.js": textwrap.dedent(
            """\
            const { exec } = require("child_process");
            const UNITS = ["web", "worker"];
            function status(res, unit, port) {
              if (!UNITS.includes(unit)) return res.sendStatus(400);
              exec(`systemctl status ${unit}`, (err, out) => res.type("text").send(out));
              const p = parseInt(port, 10);
              exec(`lsof -i :${p}`, function (err, out) { res.send(render(out)); });
              exec(`systemctl restart ${port}`, (err) => res.sendStatus(err ? 500 : 204));
            }
            module.exports = { status };
            """
        ),
    }
    result = scan_path(make_tree(files), builtin, jobs=1)
    lines = sorted(f.span.start_line for f in result.findings if f.category == "command-injection")
    # The callback answering the response is code run later: the allow-listed unit (5) and
    # the parsed number (7) are all the command holds. The unchecked parameter (8) is not.
    assert lines == [8]


def test_values_sanitised_in_place_clear_sql_and_html_pattern_findings(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    files = {
        "views.py": textwrap.dedent(
            """\
            from django.db import connection
            from django.utils.html import escape
            from django.utils.safestring import mark_safe
            from jinja2 import Environment
            def by_id(request):
                with connection.cursor() as cur:
                    cur.execute("SELECT * FROM t WHERE id = %s" % int(request.GET["id"]))
            def by_name(request):
                with connection.cursor() as cur:
                    cur.execute("SELECT * FROM t WHERE name = '%s'" % request.GET["n"])
            def greet(request):
                return mark_safe(f"<b>{escape(request.GET['q'])}</b>")
            def shout(request):
                return mark_safe(f"<b>{request.GET['q']}</b>")
            env = Environment(autoescape=False)
            """
        ),
    }
    result = scan_path(make_tree(files), builtin, jobs=1)
    sql = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    html = {f.span.start_line for f in result.findings if f.category == "xss"}
    # int() (7) and escape() (12) written in place clear them; the raw values (10, 14) do
    # not, nor does a constant configuration the rule is about (15).
    assert sql == {10}, result.findings
    assert html == {14, 15}, result.findings


def test_a_value_reset_to_a_literal_when_its_check_fails_is_validated(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    files = {
        "views.py": textwrap.dedent(
            """\
            from django.db import connection
            def ordered(request):
                col = request.GET.get("col")
                if col not in {"name", "price"}:
                    col = "name"
                connection.cursor().execute(f"SELECT * FROM product ORDER BY {col}")
            def ordered_badly(request):
                col = request.GET.get("col")
                if col not in {"name", "price"}:
                    col = request.GET.get("fallback")
                connection.cursor().execute(f"SELECT * FROM product ORDER BY {col}")
            """
        ),
    }
    result = scan_path(make_tree(files), builtin, jobs=1)
    lines = {f.span.start_line for f in result.findings if f.category == "sql-injection"}
    assert lines == {11}, lines


def test_paths_joined_from_literals_are_constant_commands(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    # A build script's tool path, joined from literals or the script's own location, carries
    # no outside text; a path joined with a parameter or request data still does.
    files = {
        "build.js": textwrap.dedent(
            """\
            const { exec } = require("child_process");
            const path = require("path");
            function lint() {
              const bin = path.join("./node_modules/.bin", "eslint");
              exec(bin + " src");
            }
            function docs() {
              exec(path.join(__dirname, "bin/jsdoc") + " -c jsdoc.json");
            }
            function tool(name) {
              const bin = path.join(__dirname, name);
              exec(bin + " --run");
            }
            """
        ),
        "build.py": textwrap.dedent(
            """\
            import os
            def lint():
                tool = os.path.join(os.path.dirname(__file__), "bin", "lint")
                os.system(tool + " src")
            def run(name):
                tool = os.path.join("bin", name)
                os.system(tool + " src")
            """
        ),
    }
    lines = {(path, line) for path, line, *_ in found(make_tree, builtin, files)}
    assert ("build.js", 5) not in lines and ("build.js", 8) not in lines, lines
    assert ("build.js", 12) in lines, lines
    assert ("build.py", 4) not in lines and ("build.py", 7) in lines, lines


def test_hash_not_used_for_security_is_not_reported(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    files = {
        "cache.py": "import hashlib\nkey = hashlib.md5(data, usedforsecurity=False).hexdigest()\n",
        "auth.py": "import hashlib\ndigest = hashlib.md5(password).hexdigest()\n",
    }
    paths = {path for path, *_ in found(make_tree, builtin, files)}
    assert "cache.py" not in paths and "auth.py" in paths


def test_pattern_and_taint_rule_on_one_sink_give_one_finding(make_tree: MakeTree) -> None:
    rules = load_rule_text(PATTERN_AND_TAINT, "rules.yaml").rules
    result = scan_path(
        make_tree({"a.py": "def f():\n    eval(source()); eval(other)\n"}), rules, jobs=1
    )
    first, second = sorted(result.findings, key=lambda f: f.span.start_column)
    assert first.rule_id == "t-eval-taint" and first.severity is Severity.CRITICAL
    assert first.related_rules == ("t-eval-pattern",)
    assert set(first.tags) == {"dataflow", "pattern"} and first.trace
    # The second eval on the line is another sink: its own (pattern) finding.
    assert second.rule_id == "t-eval-pattern" and second.related_rules == ()


def _pattern_rule(rule_id: str, severity: str, category: str, pattern: str) -> str:
    return textwrap.dedent(
        f"""\
          - id: {rule_id}
            title: {rule_id}
            message: {rule_id} says its own thing.
            severity: {severity}
            confidence: MEDIUM
            category: {category}
            cwe: [CWE-400]
            fix: Do not.
            languages: [python]
            structural:
              rule: {{pattern: '{pattern}'}}
            examples:
              positive: ["call(x)"]
              negative: ["print(x)"]
        """
    )


def test_pattern_rules_of_one_kind_on_the_same_code_give_one_finding(
    make_tree: MakeTree,
) -> None:
    text = "rules:\n" + textwrap.indent(
        _pattern_rule("t-no-limit", "MEDIUM", "unbounded-consumption", "call($X)")
        + _pattern_rule("t-no-timeout", "LOW", "unbounded-consumption", "call($X)")
        + _pattern_rule("t-other-kind", "LOW", "logging", "call($X)")
        + _pattern_rule("t-argument", "LOW", "unbounded-consumption", "x"),
        "  ",
    )
    rules = load_rule_text(text, "rules.yaml").rules
    result = scan_path(make_tree({"a.py": "call(x)\n"}), rules, jobs=1)
    by_rule = {f.rule_id: f for f in result.findings}
    # No limit and no timeout on one call: one finding, the most severe, naming the other.
    # A finding of another kind on that call, or one on a part of it, stays its own.
    assert set(by_rule) == {"t-no-limit", "t-other-kind", "t-argument"}
    assert by_rule["t-no-limit"].related_rules == ("t-no-timeout",)
    assert by_rule["t-other-kind"].related_rules == ()


def test_model_reply_into_a_shell_is_one_finding_per_sink(
    make_tree: MakeTree, builtin: list[Rule]
) -> None:
    # Request data steers the prompt and the reply runs in a shell: command injection and
    # LLM05 are one root cause at that call, reported once with both rules named.
    files = {
        "route.ts": textwrap.dedent(
            """\
            import OpenAI from "openai";
            import { exec } from "child_process";
            const openai = new OpenAI();
            export async function POST(req) {
              const { message } = await req.json();
              const completion = await openai.chat.completions.create({
                model: "gpt-4o", max_tokens: 200, messages: [{ role: "user", content: message }],
              });
              exec(completion.choices[0].message.content ?? "");
            }
            """
        ),
    }
    result = scan_path(make_tree(files), builtin, jobs=1)
    on_exec = [f for f in result.findings if f.span.start_line == 9]
    assert len(on_exec) == 1, [(f.rule_id, f.cwe) for f in on_exec]
    names = {on_exec[0].rule_id, *on_exec[0].related_rules}
    assert {"js-taint-command-injection", "js-taint-llm05-model-output-to-sink"} <= names


def test_shipped_packs_pass_the_full_matcher_check() -> None:
    """Start-up trusts the shipped packs (no ast-grep compile of every pattern): this is
    where they get that check, with every pattern compiled as a user's rule would be."""
    from tavo_platform.rules.loader import BUILTIN_PACKS_DIR, builtin_pack_names, load_rules

    for pack in builtin_pack_names():
        assert [str(e) for e in load_rules(BUILTIN_PACKS_DIR / pack, pack=pack).errors] == []
