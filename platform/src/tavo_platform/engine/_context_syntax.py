"""The syntax tables and small structures the code-context pass works with: which node
kinds each grammar uses for functions, assignments, literals and exits, and the patterns
that recognise requests, LLM replies, user input, sanitisers and entry points."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, cast

from ast_grep_py import SgNode

from tavo_platform.engine._languages import Language

# Names that are the web request wherever they appear (Flask's global `request`, Django and
# Starlette's `request` parameter, Express's `req`).
REQUEST_ROOTS = frozenset({"request", "req"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
LLM_CALL = re.compile(
    r"\.(?:chat\.completions|completions|messages|responses)\.create\s*\("
    r"|\b(?:generate_content|ainvoke|invoke|apredict|predict|acomplete|complete|chat_completion)"
    r"\s*\(|\.(?:choices|output_text|generations)\b|\bollama\.(?:chat|generate)\s*\("
)
USER_INPUT = re.compile(
    r"\binput\s*\(|\bsys\.(?:argv|stdin)\b|\bprocess\.(?:argv|stdin)\b|\bprompt\s*\("
)
UPPER_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Where the running script itself lives is chosen by whoever installed it, not by a caller.
SCRIPT_LOCATION = frozenset({"__dirname", "__filename", "__file__"})
# Calls whose result is safe for some sinks whatever goes in: numeric conversions, shell
# quoting, HTML escaping, file-name cleaning. Which sink each protects is the analysis's
# business; the engine only records which were applied.
SANITISER = re.compile(
    r"^(?:int|float|bool|Decimal|(?:uuid\.)?UUID|(?:shlex|pipes)\.quote|shlex\.join"
    r"|(?:html|markupsafe|cgi)\.escape|escape|bleach\.clean|secure_filename"
    r"|(?:os\.path\.)?basename|parseInt|parseFloat|Number|encodeURIComponent"
    r"|DOMPurify\.sanitize|sanitizeHtml|escapeHtml|validator\.escape)$"
)

PY_ROUTE_DECORATOR = re.compile(
    r"^@\s*[\w.]+\.(?:route|get|post|put|patch|delete|head|options|websocket|api_route)\s*\("
    r"|^@\s*(?:[\w.]+\.)?(?:api_view|require_http_methods|require_(?:GET|POST|safe)|csrf_exempt)\b"
)
PY_TOOL_DECORATOR = re.compile(r"^@\s*(?:[\w.]+\.)?(?:tool|function_tool)\b")
PY_CLI_DECORATOR = re.compile(r"^@\s*(?:click|[\w.]+)\.(?:command|group)\b")
PY_VIEW_BASE = re.compile(r"(?:View|Resource|Handler|Endpoint|Consumer|ViewSet)\b")
REQUEST_TYPE = re.compile(r"\b(?:Request|HttpRequest|WebSocket|NextRequest)\b")
JS_ROUTE_CALL = re.compile(
    r"(?:^|\.)(?:get|post|put|patch|delete|all|use|route|handle|options|head)$"
)
JS_TOOL_CALL = re.compile(r"(?:^|\.)(?:tool|DynamicTool|DynamicStructuredTool|Tool)$")
STATEMENT_WRAPPERS = frozenset(
    {"expression_statement", "lexical_declaration", "variable_declaration", "export_statement"}
)
IGNORED_PARAMETERS = frozenset(
    {"self", "cls", "res", "response", "reply", "next", "context", "ctx_response"}
)


@dataclass(frozen=True)
class Syntax:
    """The node kinds one grammar uses for what this analysis looks at."""

    functions: frozenset[str]
    # assignment-like kind -> (field holding the target, field holding the value)
    assignments: dict[str, tuple[str, str]]
    argument_lists: frozenset[str]
    exits: frozenset[str]
    identifier_rule: dict[str, Any]
    literal_leaves: frozenset[str]
    literal_containers: frozenset[str]
    interpolations: frozenset[str]
    false_conditions: dict[str, Any]
    imports: frozenset[str]


PYTHON_SYNTAX = Syntax(
    functions=frozenset({"function_definition"}),
    assignments={
        "assignment": ("left", "right"),
        "augmented_assignment": ("left", "right"),
        "named_expression": ("name", "value"),
        "for_statement": ("left", "right"),
        "for_in_clause": ("left", "right"),
    },
    argument_lists=frozenset({"argument_list"}),
    exits=frozenset({"return_statement", "raise_statement"}),
    # Variables only: not `b` in `a.b`, not `x` in `f(x=1)`.
    identifier_rule={
        "rule": {
            "kind": "identifier",
            "not": {
                "any": [
                    {"inside": {"kind": "attribute", "field": "attribute"}},
                    {"inside": {"kind": "keyword_argument", "field": "name"}},
                ]
            },
        }
    },
    literal_leaves=frozenset(
        {"string", "integer", "float", "true", "false", "none", "concatenated_string"}
    ),
    literal_containers=frozenset(
        {
            "list",
            "tuple",
            "set",
            "dictionary",
            "pair",
            "expression_list",
            "binary_operator",
            "parenthesized_expression",
            "string_content",
            "string_start",
            "string_end",
        }
    ),
    interpolations=frozenset({"interpolation"}),
    false_conditions={
        "any": [
            {"kind": "false"},
            {"kind": "none"},
            {"kind": "integer", "regex": "^0$"},
            {"kind": "identifier", "regex": "^TYPE_CHECKING$"},
            {"kind": "attribute", "regex": r"^typing\.TYPE_CHECKING$"},
        ]
    },
    imports=frozenset({"import_statement", "import_from_statement"}),
)

JAVASCRIPT_SYNTAX = Syntax(
    functions=frozenset(
        {
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
        }
    ),
    assignments={
        "variable_declarator": ("name", "value"),
        "assignment_expression": ("left", "right"),
        "augmented_assignment_expression": ("left", "right"),
        "for_in_statement": ("left", "right"),
    },
    argument_lists=frozenset({"arguments"}),
    exits=frozenset({"return_statement", "throw_statement"}),
    identifier_rule={
        "rule": {
            "any": [
                {"kind": "identifier"},
                {"kind": "shorthand_property_identifier"},
                {"kind": "shorthand_property_identifier_pattern"},
            ]
        }
    },
    literal_leaves=frozenset({"string", "number", "true", "false", "null", "undefined"}),
    literal_containers=frozenset(
        {
            "array",
            "object",
            "pair",
            "binary_expression",
            "parenthesized_expression",
            "template_string",
            "string_fragment",
            "property_identifier",
        }
    ),
    interpolations=frozenset({"template_substitution"}),
    false_conditions={
        "kind": "parenthesized_expression",
        "has": {
            "any": [
                {"kind": "false"},
                {"kind": "null"},
                {"kind": "undefined"},
                {"kind": "number", "regex": "^0$"},
            ]
        },
    },
    imports=frozenset({"import_statement"}),
)

SYNTAX = {
    Language.PYTHON: PYTHON_SYNTAX,
    Language.JAVASCRIPT: JAVASCRIPT_SYNTAX,
    Language.TYPESCRIPT: JAVASCRIPT_SYNTAX,
    Language.TSX: JAVASCRIPT_SYNTAX,
}

Position = tuple[int, int]  # (line, column), 0-based, as ast-grep reports them


def find_all(node: SgNode, config: dict[str, Any]) -> list[SgNode]:
    """`node.find_all` with a rule config built here as a plain dict."""
    return node.find_all(cast(Any, config))


def start_of(node: SgNode) -> Position:
    position = node.range().start
    return (position.line, position.column)


def end_of(node: SgNode) -> Position:
    position = node.range().end
    return (position.line, position.column)


@dataclass
class Names:
    """The variable identifiers of one function (or module), by position."""

    starts: list[Position] = field(default_factory=list)
    ends: list[Position] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def extend(self, other: Names) -> None:
        """Appends names that all come after these."""
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)
        self.names.extend(other.names)

    def within(self, start: Position, end: Position) -> list[str]:
        return [name for _, name in self.placed_within(start, end)]

    def placed_within(self, start: Position, end: Position) -> list[tuple[Position, str]]:
        first = bisect.bisect_left(self.starts, start)
        return [
            (self.starts[i], self.names[i])
            for i in range(first, len(self.starts))
            if self.starts[i] < end and self.ends[i] <= end
        ]


@dataclass
class Flow:
    """What one scope's assignments say about each name."""

    sources: dict[str, set[str]] = field(default_factory=dict)
    constants: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    # name -> sanitisers its untrusted value went through (and lost its sources)
    sanitised: dict[str, set[str]] = field(default_factory=dict)
