"""Checks that make a value safe for the code after them, as the code context sees them.

A pattern finding on `cursor.execute(f"... {table}")` is no injection when the function
first did `if table not in ALLOWED_TABLES: raise ...`, nor `eval(f"{a} + {b}")` when both
were numbers, nor `execSync(`./scripts/${name}.sh`)` after `if (!SAFE.includes(name))
throw ...`. This module finds, for a position in a function:

- the names (access paths) that a guard validated before it: an `if` whose body leaves
  (return, raise, throw, abort(), sys.exit()) or sets the name to a literal
  (`if col not in ALLOWED: col = "id"`) when the check fails, or an `if` whose body holds
  the position and runs only when the check passes. The checks are those the
  data-flow engine knows (membership in an allow-list, `startswith`, `isdigit`,
  `isidentifier`, full-match regexes, equality with a literal, URL-host allow-lists);
- which sanitisers make a value inert for a class of sink: numbers cannot inject SQL,
  code or shell syntax; shell quoting protects a shell command.
"""

from __future__ import annotations

from ast_grep_py import SgNode

from tavo_platform.engine._context_syntax import Position, end_of, find_all, start_of
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow import _javascript_syntax, _python_syntax

# Python's "%d" % value (every conversion of the format a number's): the value reaches the
# text as digits, as through int().
NUMERIC_FORMAT = "numeric %-format"
_NUMERIC = frozenset(
    {
        "int", "float", "bool", "Decimal", "UUID", "uuid.UUID", "parseInt", "parseFloat",
        "Number", NUMERIC_FORMAT,
    }
)
# Calls whose result is a number: no outside text survives them.
NUMBER_CALLS = _NUMERIC | {
    "len",
    "Number.parseInt",
    "Number.parseFloat",
    *(f"Math.{f}" for f in ("floor", "round", "ceil", "trunc", "max", "min", "abs")),
}
_SHELL_QUOTES = frozenset({"shlex.quote", "pipes.quote", "shlex.join"})
# A validation schema of numbers, enums, uuids parsed the value (dataflow/_javascript_schemas).
SCHEMA_PARSE = "schema parse"
# Sanitisers after which a value can no longer change the meaning of each kind of sink.
_HTML_ESCAPES = frozenset(
    {
        "escape",
        "html.escape",
        "markupsafe.escape",
        "cgi.escape",
        "bleach.clean",
        "DOMPurify.sanitize",
        "sanitizeHtml",
        "escapeHtml",
        "validator.escape",
    }
)
INERT_FOR = {
    "sql-injection": _NUMERIC | {SCHEMA_PARSE},
    "code-injection": _NUMERIC | {SCHEMA_PARSE},
    "command-injection": _NUMERIC | _SHELL_QUOTES | {SCHEMA_PARSE},
    "xss": _NUMERIC | _HTML_ESCAPES | {SCHEMA_PARSE},
}
_PY_EXIT_CALLS = frozenset({"abort", "flask.abort", "sys.exit", "exit", "os._exit"})
_EXIT_KINDS = frozenset({"return_statement", "raise_statement", "throw_statement"})


def if_statements(scope: SgNode) -> list[SgNode]:
    """The `if` statements of a scope, in source order (looked up once per scope)."""
    return find_all(scope, {"rule": {"kind": "if_statement"}})


def guarded_paths(statements: list[SgNode], language: Language, position: Position) -> set[str]:
    """The access paths validated on every way from the start of a scope to `position`,
    given the scope's `if` statements."""
    found: set[str] = set()
    for statement in statements:
        if start_of(statement) >= position:
            break
        condition = statement.field("condition")
        body = statement.field("consequence")
        if condition is None or body is None:
            continue
        positive, negative = guarded_names_of(condition, language)
        if end_of(statement) <= position:
            # before the position: counts when the failed check leaves the function
            if negative and statement.field("alternative") is None:
                if _leaves(body):
                    found.update(negative)
                else:  # `if col not in ALLOWED: col = "name"`: checked, or a literal now
                    found.update(n for n in negative if n in _reset_to_literals(body))
        elif start_of(body)[0] <= position[0] and position < end_of(body):
            found.update(positive)  # inside the body that runs only when the check held
    return found


def covers(paths: set[str], text_from_name: str) -> bool:
    """Whether the code starting at a name (`args.script)...`) reads a guarded path."""
    for path in paths:
        if text_from_name.startswith(path):
            rest = text_from_name[len(path) : len(path) + 1]
            if not rest or not (rest.isalnum() or rest in "_$"):
                return True
    return False


def guarded_names_of(
    condition: SgNode, language: Language
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The paths `condition` validates when it holds, and those it validates when it fails."""
    if language is Language.PYTHON:
        return _python_syntax.guarded_names(condition)
    return _javascript_syntax.guarded_names(condition)


_ASSIGNMENTS = frozenset({"assignment", "assignment_expression"})
_LITERALS = frozenset(
    {"string", "integer", "float", "number", "true", "false", "none", "null", "undefined"}
)


def _reset_to_literals(body: SgNode) -> set[str]:
    """The names a block sets to a literal, when that is all the block does."""
    statements = (
        [c for c in body.children() if c.is_named() and c.kind() != "comment"]
        if body.kind() in ("block", "statement_block")
        else [body]
    )
    names: set[str] = set()
    for statement in statements:
        expression = next((c for c in statement.children() if c.is_named()), None)
        if statement.kind() != "expression_statement" or expression is None:
            return set()
        left, right = expression.field("left"), expression.field("right")
        if (
            expression.kind() not in _ASSIGNMENTS
            or left is None
            or right is None
            or left.kind() != "identifier"
            or right.kind() not in _LITERALS
            or (right.kind() == "string" and right.find(kind="interpolation") is not None)
        ):
            return set()
        names.add(left.text())
    return names


def _leaves(body: SgNode) -> bool:
    """Whether a block (or a single statement) always ends by leaving the function."""
    statements = (
        [c for c in body.children() if c.is_named() and c.kind() != "comment"]
        if body.kind() in ("block", "statement_block")
        else [body]
    )
    if not statements:
        return False
    last = statements[-1]
    if last.kind() in _EXIT_KINDS:
        return True
    if last.kind() == "expression_statement":
        call = next((c for c in last.children() if c.is_named()), None)
        function = call.field("function") if call is not None and call.kind() == "call" else None
        return function is not None and function.text() in _PY_EXIT_CALLS
    return False
