"""JavaScript/TypeScript containment checks by name and through normalisation: a call of a
function named as a containment or allow-list check of its first argument
(`isPathWithinAllowedDirectories(p, dirs)`, `isInsideRoot(p)`) guards that argument, and a
check of `normalizePath(p)` / `await fs.realpath(p)` checks `p` itself. A check of a part
(`isAllowedExtension(name)`, `path.basename(p)`) guards nothing of the whole path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

_ROUTE = """\
const express = require("express");
const fs = require("fs");
const { safePath } = require("./lib/paths");
const router = express.Router();
router.get("/doc", async (req, res) => {
  const target = await safePath(req.query.name);
  res.type("text").send(fs.readFileSync(target, "utf8"));
});
module.exports = router;
"""

_PATHS = """\
const path = require("path");
const fs = require("fs/promises");
const ROOT = "/srv/docs";
function normalizePath(p) {
  return path.normalize(p).replace(/\\\\/g, "/");
}
function isPathWithinRoot(p) {
  return p === ROOT || p.startsWith(ROOT + "/");
}
function isAllowedExtension(p) {
  return [".md", ".txt"].includes(path.extname(p));
}
async function safePath(name) {
  const absolute = path.join(ROOT, name);
  %s
}
module.exports = { safePath };
"""

CASES = [
    (
        "the real path's normalised form checked by a containment function, then returned",
        "const real = await fs.realpath(absolute);\n"
        "  const normal = normalizePath(real);\n"
        "  if (!isPathWithinRoot(normal)) {\n    throw new Error('outside');\n  }\n"
        "  return real;",
        False,
    ),
    (
        "the path itself checked by a containment function",
        "const real = await fs.realpath(absolute);\n"
        "  if (!isPathWithinRoot(real)) throw new Error('outside');\n  return real;",
        False,
    ),
    (
        "only the extension checked",
        "if (!isAllowedExtension(absolute)) throw new Error('type');\n  return absolute;",
        True,
    ),
    (
        "the check is of a name's last part, not of the path",
        "const leaf = path.basename(absolute);\n"
        "  if (!isPathWithinRoot(leaf)) throw new Error('outside');\n  return absolute;",
        True,
    ),
    (
        "a containment check of another path",
        "const real = await fs.realpath(absolute);\n"
        "  if (!isPathWithinRoot(ROOT + '/index.md')) throw new Error('gone');\n  return real;",
        True,
    ),
]


@pytest.fixture(scope="module")
def taint_rules() -> list[Rule]:
    return [rule for rule in load_builtin_rules().rules if rule.taint is not None]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_containment_checks_by_name_and_through_normalisation(  # type: ignore[no-untyped-def]
    make_tree, taint_rules, body: str, expected: bool
) -> None:
    tree = make_tree({"src/routes.js": _ROUTE, "src/lib/paths.js": textwrap.dedent(_PATHS % body)})
    findings = scan_path(tree, taint_rules, jobs=1).findings
    found = any(
        f.rule_id == "js-taint-path-traversal" or "js-taint-path-traversal" in f.related_rules
        for f in findings
    )
    assert found is expected
