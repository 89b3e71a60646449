"""zod schemas as checks (engine/dataflow/_javascript_schemas.py): request data parsed by a
schema of numbers, enums, literals, uuids or dates carries no text into SQL or a shell, for
the taint rules and for the pattern rules alike. A schema with any free-text field, one that
passes unknown keys through, transforms its value or comes from another file stays tainted."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

HEAD = """\
import express from "express";
import { z } from "zod";
import { Pool } from "pg";
import { exec } from "node:child_process";
import { Shared } from "./schemas";
const app = express();
const pool = new Pool();
"""


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    return load_builtin_rules().rules


def _lines_flagged(make_tree: MakeTree, rules: list[Rule], code: str) -> set[int]:
    text = HEAD + textwrap.dedent(code)
    tree = make_tree({"server.ts": text})
    findings = scan_path(tree, rules, jobs=1).findings
    flagged = {f.span.start_line for f in findings
               if f.category in ("sql-injection", "command-injection")}
    offset = HEAD.count("\n")
    return {line - offset for line in flagged}


CASES = [
    ("coerced number", "const S = z.object({ id: z.coerce.number().int().positive() });",
     "const { id } = S.parse(req.query);", False),
    ("uuid string format", "const S = z.object({ id: z.string().min(1).uuid() });",
     "const { id } = S.parse(req.params);", False),
    ("enum and boolean",
     "const S = z.object({ sort: z.enum(['name', 'date']), asc: z.boolean() });",
     "const { sort: id } = S.parse(req.query);", False),
    ("nested object and array of numbers",
     "const Inner = z.object({ n: z.number() });\n"
     "const S = z.object({ inner: Inner, ids: z.array(z.number()) });",
     "const id = S.parse(req.body).inner.n;", False),
    ("safeParse data", "const S = z.object({ id: z.number() }).strict();",
     "const r = S.safeParse(req.body); if (!r.success) return; const id = r.data.id;", False),
    ("inline schema", "",
     "const id = z.coerce.number().parse(req.query.id);", False),
    ("free text field", "const S = z.object({ id: z.number(), name: z.string() });",
     "const { id, name } = S.parse(req.query); const unused = id;", True),
    ("e-mail is text", "const S = z.object({ id: z.string().email() });",
     "const { id } = S.parse(req.query);", True),
    ("unknown keys passed through", "const S = z.object({ n: z.number() }).passthrough();",
     "const { id } = S.parse(req.query);", True),
    ("transformed", "const S = z.object({ id: z.number().transform(String) });",
     "const { id } = S.parse(req.query);", True),
    ("schema from another file", "",
     "const { id } = Shared.parse(req.query);", True),
    ("a schema naming itself", "const S: any = z.object({ id: z.number(), child: S });",
     "const { id } = S.parse(req.query);", True),
]


@pytest.mark.parametrize(("name", "schema", "read", "vulnerable"), CASES,
                         ids=[case[0] for case in CASES])
def test_schema_parse_as_a_check(
    make_tree: MakeTree, rules: list[Rule], name: str, schema: str, read: str, vulnerable: bool
) -> None:
    name_line = read if "name" in read else read + " const name = id;"
    code = (
        f"{schema}\n"
        'app.get("/q", async (req, res) => {\n'
        f"  {name_line}\n"
        "  const rows = await pool.query(`SELECT * FROM t WHERE id = '${id}' AND n = '${name}'`);\n"
        "  exec(`report ${id} ${name}`);\n"
        "  res.json(rows);\n"
        "});\n"
    )
    sinks = {code.count("\n", 0, code.index("pool.query")) + 1,
             code.count("\n", 0, code.index("exec(")) + 1}
    flagged = _lines_flagged(make_tree, rules, code) & sinks
    assert (flagged == sinks) if vulnerable else (flagged == set()), (name, flagged)
