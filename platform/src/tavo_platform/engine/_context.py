"""Facts about the code around each finding, worked out from the syntax tree at scan time.

Scans keep no source once they finish, and a snippet of three lines cannot say whether the
value in `cursor.execute(f"... {user_id}")` came from a web request or from a constant. So
while the file is at hand the scanner asks this module, for every finding of a Python or
JavaScript/TypeScript file:

- which function the finding is in, and whether that function is an entry point: a web
  handler (route decorator, `request`/`req` parameter, `app.get(..., (req, res) => ...)`),
  a tool an LLM agent calls, or a command-line entry point;
- which untrusted inputs reach the flagged code inside the same function: the request
  object, a handler's parameters, an LLM's reply, command-line input;
- whether only literals and constants reach the flagged call's arguments;
- whether it is dead code (`if False:`, after a `return` in the same block).

This is a small intra-procedural data-flow pass: the names assigned in the enclosing
function(s) are followed in source order (twice, so values that flow around a loop are
seen). It follows no calls and knows no sanitisers, so the analysis weighs its answer as
evidence, not proof. It costs one more parse of each file that has findings, and nothing
for the rest.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ast_grep_py import SgNode, SgRoot

from tavo_platform.engine._findings import CodeContext, Span
from tavo_platform.engine._languages import Language

# Names that are the web request wherever they appear (Flask's global `request`, Django and
# Starlette's `request` parameter, Express's `req`).
REQUEST_ROOTS = frozenset({"request", "req"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_LLM_CALL = re.compile(
    r"\.(?:chat\.completions|completions|messages|responses)\.create\s*\("
    r"|\b(?:generate_content|ainvoke|invoke|apredict|predict|acomplete|complete|chat_completion)"
    r"\s*\(|\.(?:choices|output_text|generations)\b|\bollama\.(?:chat|generate)\s*\("
)
_USER_INPUT = re.compile(
    r"\binput\s*\(|\bsys\.(?:argv|stdin)\b|\bprocess\.(?:argv|stdin)\b|\bprompt\s*\("
)
_UPPER_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Calls whose result is safe for some sinks whatever goes in: numeric conversions, shell
# quoting, HTML escaping, file-name cleaning. Which sink each protects is the analysis's
# business; the engine only records which were applied.
_SANITISER = re.compile(
    r"^(?:int|float|bool|Decimal|(?:uuid\.)?UUID|(?:shlex|pipes)\.quote|shlex\.join"
    r"|(?:html|markupsafe|cgi)\.escape|escape|bleach\.clean|secure_filename"
    r"|(?:os\.path\.)?basename|parseInt|parseFloat|Number|encodeURIComponent"
    r"|DOMPurify\.sanitize|sanitizeHtml|escapeHtml|validator\.escape)$"
)

_PY_ROUTE_DECORATOR = re.compile(
    r"^@\s*[\w.]+\.(?:route|get|post|put|patch|delete|head|options|websocket|api_route)\s*\("
    r"|^@\s*(?:[\w.]+\.)?(?:api_view|require_http_methods|require_(?:GET|POST|safe)|csrf_exempt)\b"
)
_PY_TOOL_DECORATOR = re.compile(r"^@\s*(?:[\w.]+\.)?(?:tool|function_tool)\b")
_PY_CLI_DECORATOR = re.compile(r"^@\s*(?:click|[\w.]+)\.(?:command|group)\b")
_PY_VIEW_BASE = re.compile(r"(?:View|Resource|Handler|Endpoint|Consumer|ViewSet)\b")
_REQUEST_TYPE = re.compile(r"\b(?:Request|HttpRequest|WebSocket|NextRequest)\b")
_JS_ROUTE_CALL = re.compile(
    r"(?:^|\.)(?:get|post|put|patch|delete|all|use|route|handle|options|head)$"
)
_JS_TOOL_CALL = re.compile(r"(?:^|\.)(?:tool|DynamicTool|DynamicStructuredTool|Tool)$")
_STATEMENT_WRAPPERS = frozenset(
    {"expression_statement", "lexical_declaration", "variable_declaration", "export_statement"}
)
_IGNORED_PARAMETERS = frozenset(
    {"self", "cls", "res", "response", "reply", "next", "context", "ctx_response"}
)


@dataclass(frozen=True)
class _Syntax:
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


_PYTHON = _Syntax(
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

_JAVASCRIPT = _Syntax(
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

_SYNTAX = {
    Language.PYTHON: _PYTHON,
    Language.JAVASCRIPT: _JAVASCRIPT,
    Language.TYPESCRIPT: _JAVASCRIPT,
    Language.TSX: _JAVASCRIPT,
}

_Position = tuple[int, int]  # (line, column), 0-based, as ast-grep reports them


def _find_all(node: SgNode, config: dict[str, Any]) -> list[SgNode]:
    """`node.find_all` with a rule config built here as a plain dict."""
    return node.find_all(cast(Any, config))


def _start(node: SgNode) -> _Position:
    position = node.range().start
    return (position.line, position.column)


def _end(node: SgNode) -> _Position:
    position = node.range().end
    return (position.line, position.column)


@dataclass
class _Names:
    """The variable identifiers of one function (or module), by position."""

    starts: list[_Position] = field(default_factory=list)
    ends: list[_Position] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def extend(self, other: _Names) -> None:
        """Appends names that all come after these."""
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)
        self.names.extend(other.names)

    def within(self, start: _Position, end: _Position) -> list[str]:
        return [name for _, name in self.placed_within(start, end)]

    def placed_within(self, start: _Position, end: _Position) -> list[tuple[_Position, str]]:
        first = bisect.bisect_left(self.starts, start)
        return [
            (self.starts[i], self.names[i])
            for i in range(first, len(self.starts))
            if self.starts[i] < end and self.ends[i] <= end
        ]


@dataclass
class _Flow:
    """What one scope's assignments say about each name."""

    sources: dict[str, set[str]] = field(default_factory=dict)
    constants: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    # name -> sanitisers its untrusted value went through (and lost its sources)
    sanitised: dict[str, set[str]] = field(default_factory=dict)


class _Union:
    """Membership in a scope's constants or the module's, without copying either; the
    module's are only worked out if asked about."""

    def __init__(self, first: set[str], facts: _FileFacts) -> None:
        self._first = first
        self._facts = facts

    def __contains__(self, name: object) -> bool:
        return name in self._first or name in self._facts.module_flow().constants


class _FileFacts:
    def __init__(self, text: str, language: Language) -> None:
        self.syntax = _SYNTAX[language]
        self.root = SgRoot(text, language.value).root()
        self.lines = text.split("\n")
        self.language = language
        self.functions = [
            (_start(node), _end(node), node)
            for node in self.root.find_all(
                {"rule": {"any": [{"kind": kind} for kind in sorted(self.syntax.functions)]}}
            )
        ]
        self._dead_regions: list[tuple[_Position, _Position]] | None = None
        self._module_flow: _Flow | None = None
        self._imported: set[str] | None = None
        self._scopes: dict[_Position, tuple[_Names, _Flow]] = {}
        self._argument_lists: dict[_Position, list[tuple[_Position, _Position, SgNode]]] = {}
        self._exit_blocks: dict[_Position, list[tuple[_Position, _Position, _Position]]] = {}

    # --- the pieces, computed once per file or scope -----------------------------------

    def imported(self) -> set[str]:
        if self._imported is None:
            names: set[str] = set()
            for node in self.root.find_all(
                {"rule": {"any": [{"kind": kind} for kind in sorted(self.syntax.imports)]}}
            ):
                names.update(re.findall(r"[A-Za-z_$][\w$]*", node.text()))
            if self.language is not Language.PYTHON:
                for node in self.root.find_all(pattern="const $N = require($$$)"):
                    target = node.get_match("N")
                    if target is not None:
                        names.update(re.findall(r"[A-Za-z_$][\w$]*", target.text()))
            self._imported = names
        return self._imported

    def dead_regions(self) -> list[tuple[_Position, _Position]]:
        if self._dead_regions is None:
            regions = []
            dead_if = {
                "rule": {
                    "kind": "if_statement",
                    "has": {"field": "condition", **self.syntax.false_conditions},
                }
            }
            for node in _find_all(self.root, dead_if):
                consequence = node.field("consequence")
                if consequence is not None:
                    regions.append((_start(consequence), _end(consequence)))
            self._dead_regions = regions
        return self._dead_regions

    def module_flow(self) -> _Flow:
        if self._module_flow is None:
            names = _Names()
            for node in self._top_level_assignments():
                names.extend(self._names(node))
            self._module_flow = self._flow(self.root, names, {}, top_level_only=True)
        return self._module_flow

    def scope(self, node: SgNode, seeds: dict[str, set[str]]) -> tuple[_Names, _Flow]:
        key = _start(node)
        if key not in self._scopes:
            names = self._names(node)
            self._scopes[key] = (names, self._flow(node, names, seeds))
        return self._scopes[key]

    def _names(self, node: SgNode) -> _Names:
        found = _Names()
        for identifier in _find_all(node, self.syntax.identifier_rule):
            found.starts.append(_start(identifier))
            found.ends.append(_end(identifier))
            found.names.append(identifier.text())
        return found

    def _flow(
        self,
        scope: SgNode,
        names: _Names,
        seeds: dict[str, set[str]],
        *,
        top_level_only: bool = False,
    ) -> _Flow:
        flow = _Flow(sources={name: set(kinds) for name, kinds in seeds.items()})
        # Names holding constants: this scope's, and the module's for a function.
        known = flow.constants if top_level_only else _Union(flow.constants, self)
        steps = []
        nodes = (
            self._top_level_assignments()
            if top_level_only
            else _find_all(
                scope, {"rule": {"any": [{"kind": kind} for kind in self.syntax.assignments]}}
            )
        )
        for node in nodes:
            target_field, value_field = self.syntax.assignments[node.kind()]
            assigned, value = node.field(target_field), node.field(value_field)
            if assigned is None or value is None:
                continue
            targets = [
                name
                for name in names.within(_start(assigned), _end(assigned))
                if name not in ("self", "this")
            ]
            steps.append((_start(node), targets, value))
        steps.sort(key=lambda step: step[0])
        # Twice: a value assigned late in a loop body reaches uses earlier in it.
        for _ in range(2):
            for _, targets, value in steps:
                kinds = self.sources_in(value, names, flow)
                sanitiser = self._sanitiser(value)
                if sanitiser is not None and (
                    kinds
                    or any(n in flow.sanitised for n in names.within(_start(value), _end(value)))
                ):
                    for target in targets:
                        flow.sources.pop(target, None)
                        flow.sanitised.setdefault(target, set()).add(sanitiser)
                        flow.variables.add(target)
                    continue
                literal = not kinds and self.is_literal(value, known)
                for target in targets:
                    if kinds:
                        flow.sources.setdefault(target, set()).update(kinds)
                    elif literal and target not in flow.variables:
                        flow.constants.add(target)
                    else:
                        flow.variables.add(target)
                        flow.constants.discard(target)
        return flow

    def _sanitiser(self, node: SgNode) -> str | None:
        """The sanitiser `node` calls at its top, if it is such a call."""
        while node.kind() in ("parenthesized_expression", "await", "await_expression"):
            inner = next((c for c in node.children() if c.is_named()), None)
            if inner is None:
                return None
            node = inner
        if node.kind() not in ("call", "call_expression"):
            return None
        callee = node.field("function")
        if callee is None:
            return None
        text = callee.text()
        return text if _SANITISER.match(text) else None

    def _statement_at(self, position: _Position) -> SgNode:
        """The top-level statement holding a position (the root if none does)."""
        for child in self.root.children():
            if _start(child) <= position < _end(child):
                return child
        return self.root

    def _top_level_assignments(self) -> list[SgNode]:
        """The module's own assignments (not those inside functions or classes), found
        among the root's children rather than by walking the whole tree."""
        found = []
        pending = [c for c in self.root.children() if c.is_named()]
        while pending:
            node = pending.pop(0)
            if node.kind() in self.syntax.assignments:
                found.append(node)
            elif node.kind() in _STATEMENT_WRAPPERS:
                pending[:0] = [c for c in node.children() if c.is_named()]
        return found

    def sources_in(self, node: SgNode, names: _Names, flow: _Flow) -> set[str]:
        """Which untrusted inputs the expression `node` carries."""
        kinds: set[str] = set()
        for name in names.within(_start(node), _end(node)):
            if name in REQUEST_ROOTS:
                kinds.add("request")
            kinds.update(flow.sources.get(name, ()))
        text = node.text()
        if _LLM_CALL.search(text):
            kinds.add("llm_output")
        if _USER_INPUT.search(text):
            kinds.add("user_input")
        return kinds

    def is_literal(self, node: SgNode, known: Container[str] = ()) -> bool:
        """A literal, or a collection or concatenation of literals and `known` constants
        (and UPPER_CASE names), with no interpolation."""
        kind = node.kind()
        if kind in self.syntax.interpolations:
            return False
        if kind == "identifier":
            text = node.text()
            return bool(_UPPER_CONSTANT.match(text)) or text in known
        if kind in self.syntax.literal_leaves:
            return not any(
                node.find(kind=interpolation) for interpolation in self.syntax.interpolations
            )
        if kind in self.syntax.literal_containers:
            return all(
                self.is_literal(child, known) for child in node.children() if child.is_named()
            )
        return False

    # --- functions ---------------------------------------------------------------------

    def enclosing(self, position: _Position) -> list[SgNode]:
        """The functions around a position, outermost first."""
        return [node for start, end, node in self.functions if start <= position < end]

    def entrypoint(self, function: SgNode) -> str | None:
        if self.language is Language.PYTHON:
            return self._python_entrypoint(function)
        return self._javascript_entrypoint(function)

    def _python_entrypoint(self, function: SgNode) -> str | None:
        parent = function.parent()
        decorators = []
        if parent is not None and parent.kind() == "decorated_definition":
            decorators = [d.text() for d in parent.children() if d.kind() == "decorator"]
        if any(_PY_ROUTE_DECORATOR.search(d) for d in decorators):
            return "web_handler"
        if any(_PY_TOOL_DECORATOR.search(d) for d in decorators):
            return "llm_tool"
        if any(_PY_CLI_DECORATOR.search(d) for d in decorators):
            return "cli"
        parameters = self.parameters(function)
        name = self.function_name(function) or ""
        first = next((p for p in parameters if p[0] not in ("self", "cls")), None)
        if first is not None and (first[0] in REQUEST_ROOTS or _REQUEST_TYPE.search(first[1])):
            return "web_handler"
        if [p[0] for p in parameters] == ["event", "context"] and "handler" in name:
            return "web_handler"  # an AWS Lambda handler
        if name in HTTP_METHODS and self._in_view_class(function):
            return "web_handler"
        if name == "main":
            return "cli"
        return None

    def _in_view_class(self, function: SgNode) -> bool:
        for ancestor in function.ancestors():
            if ancestor.kind() == "class_definition":
                bases = ancestor.field("superclasses")
                return bases is not None and bool(_PY_VIEW_BASE.search(bases.text()))
            if ancestor.kind() in self.syntax.functions:
                return False
        return False

    def _javascript_entrypoint(self, function: SgNode) -> str | None:
        parameters = [p[0] for p in self.parameters(function)]
        name = self.function_name(function) or ""
        if name.upper() in {m.upper() for m in HTTP_METHODS} and name.isupper() and parameters:
            return "web_handler"  # Next.js / Remix route handlers: export function POST(req)
        if (
            parameters[:1]
            and parameters[0] in ("req", "request", "ctx")
            and (len(parameters) == 1 or parameters[1] in ("res", "reply", "response", "next"))
        ):
            return "web_handler"
        call = self._called_with(function)
        if call is not None:
            callee = call.field("function") or call.field("constructor")
            callee_text = callee.text() if callee is not None else ""
            if _JS_TOOL_CALL.search(callee_text):
                return "llm_tool"
            if _JS_ROUTE_CALL.search(callee_text) and len(parameters) >= 2:
                return "web_handler"
        return None

    def _called_with(self, function: SgNode) -> SgNode | None:
        """The call `function` is passed to, directly or as a property of an object."""
        parent = function.parent()
        if parent is not None and parent.kind() == "pair":
            parent = parent.parent()
            parent = parent.parent() if parent is not None else None
        if parent is not None and parent.kind() == "arguments":
            return parent.parent()
        return None

    def function_name(self, function: SgNode) -> str | None:
        named = function.field("name")
        if named is not None:
            return named.text()
        parent = function.parent()
        if parent is not None and parent.kind() == "variable_declarator":
            declared = parent.field("name")
            return declared.text() if declared is not None else None
        if parent is not None and parent.kind() == "pair":
            key = parent.field("key")
            return key.text() if key is not None else None
        return None

    def parameters(self, function: SgNode) -> list[tuple[str, str]]:
        """(name, full text) of each parameter."""
        holder = function.field("parameters") or function.field("parameter")
        if holder is None:
            return []
        if holder.kind() == "identifier":
            return [(holder.text(), holder.text())]
        found = []
        for parameter in holder.children():
            if not parameter.is_named() or parameter.kind() == "comment":
                continue
            first = (
                parameter if parameter.kind() == "identifier" else parameter.find(kind="identifier")
            )
            if first is not None:
                found.append((first.text(), parameter.text()))
        return found

    # --- one finding -------------------------------------------------------------------

    def context(self, span: Span) -> CodeContext:
        start = (span.start_line - 1, span.start_column - 1)
        end = (span.end_line - 1, span.end_column - 1)
        chain = self.enclosing(start)
        entrypoint = None
        seeds: dict[str, set[str]] = {}
        for function in chain:
            kind = self.entrypoint(function)
            entrypoint = kind or entrypoint
            for name, _ in self.parameters(function):
                if name in _IGNORED_PARAMETERS:
                    continue
                if kind == "web_handler":
                    seeds.setdefault(name, set()).add("handler_parameter")
                elif kind == "llm_tool":
                    seeds.setdefault(name, set()).add("llm_output")
                elif kind is None:
                    seeds.setdefault(name, set()).add("parameter")
        if chain:
            names, flow = self.scope(chain[0], seeds)
        else:
            names, flow = self._names(self._statement_at(start)), self.module_flow()
            if self._under_main_guard(start):
                entrypoint = "cli"
        # What flows into the flagged call is its arguments (not the receiver in
        # `cursor.execute(...)`); code flagged without a call is taken whole.
        arguments = self._arguments(start, end, chain[-1] if chain else self.root)
        data_start, data_end = (
            (_start(arguments), _end(arguments)) if arguments is not None else (start, end)
        )
        # Sanitiser calls inside the flagged code clean what they wrap.
        cleaned: list[tuple[_Position, _Position, str]] = []
        if arguments is not None:
            call_kind = "call" if self.language is Language.PYTHON else "call_expression"
            for call in arguments.find_all(kind=call_kind):
                sanitiser = self._sanitiser(call)
                if sanitiser is not None:
                    cleaned.append((_start(call), _end(call), sanitiser))
        reaching: set[str] = set()
        sanitisers: set[str] = set()
        for position, name in names.placed_within(data_start, data_end):
            kinds = set(flow.sources.get(name, ()))
            if name in REQUEST_ROOTS:
                kinds.add("request")
            wrapper = next((w for s, e, w in cleaned if s <= position < e), None)
            if wrapper is not None and kinds:
                sanitisers.add(wrapper)
                continue
            reaching.update(kinds)
            sanitisers.update(flow.sanitised.get(name, ()))
        flagged_text = self._text_of(data_start, data_end)
        if _LLM_CALL.search(flagged_text):
            reaching.add("llm_output")
        if _USER_INPUT.search(flagged_text):
            reaching.add("user_input")
        from_parameters = "parameter" in reaching
        reaching.discard("parameter")
        return CodeContext(
            function=self._innermost_name(chain),
            entrypoint=entrypoint,
            untrusted_sources=tuple(sorted(reaching)),
            from_parameters=from_parameters,
            constant_input=(
                None
                if arguments is None
                else not reaching and self._only_constants(arguments, names, flow, bool(chain))
            ),
            dead_code=self._is_dead(start, end, chain),
            sanitizers=tuple(sorted(sanitisers)),
        )

    def _innermost_name(self, chain: list[SgNode]) -> str | None:
        for function in reversed(chain):
            name = self.function_name(function)
            if name:
                return name
        return None

    def _arguments(self, start: _Position, end: _Position, scope: SgNode) -> SgNode | None:
        """The first argument list inside the span: the flagged call's arguments."""
        key = _start(scope)
        if key not in self._argument_lists:
            self._argument_lists[key] = [
                (_start(node), _end(node), node)
                for node in _find_all(
                    scope,
                    {"rule": {"any": [{"kind": k} for k in sorted(self.syntax.argument_lists)]}},
                )
            ]
        for node_start, node_end, node in self._argument_lists[key]:
            if node_start >= end:
                break
            if node_start >= start and node_end <= end:
                return node
        return None

    def _only_constants(
        self, arguments: SgNode, names: _Names, flow: _Flow, in_function: bool
    ) -> bool:
        """Whether every variable among the arguments holds a literal (imported names,
        called functions and UPPER_CASE constants aside)."""
        module = self.module_flow() if in_function else flow
        imported = self.imported()
        call_kind = "call" if self.language is Language.PYTHON else "call_expression"
        called = {
            callee.text()
            for call in arguments.find_all(kind=call_kind)
            if (callee := call.field("function")) is not None
        }
        for name in names.within(_start(arguments), _end(arguments)):
            if name in imported or name in called or _UPPER_CONSTANT.match(name):
                continue
            if name in flow.variables or name in flow.sources:
                return False
            if name not in flow.constants and name not in module.constants:
                return False
        return True

    def _is_dead(self, start: _Position, end: _Position, chain: list[SgNode]) -> bool:
        for region_start, region_end in self.dead_regions():
            if region_start <= start and end <= region_end:
                return True
        scope = chain[-1] if chain else None
        if scope is None:
            return False
        return any(
            exit_end <= start and block_start <= start and end <= block_end
            for exit_end, block_start, block_end in self._exits(scope)
        )

    def _exits(self, scope: SgNode) -> list[tuple[_Position, _Position, _Position]]:
        """(end of the exit, start and end of its block) of each return/raise/throw that
        belongs to `scope` itself (not to a function nested in it)."""
        key = _start(scope)
        if key not in self._exit_blocks:
            found = []
            for exit_node in _find_all(
                scope, {"rule": {"any": [{"kind": k} for k in sorted(self.syntax.exits)]}}
            ):
                block = exit_node.parent()
                if block is not None and self._owner(block) == key:
                    found.append((_end(exit_node), _start(block), _end(block)))
            self._exit_blocks[key] = found
        return self._exit_blocks[key]

    def _owner(self, node: SgNode) -> _Position | None:
        """Where the function a node belongs to starts."""
        for ancestor in node.ancestors():
            if ancestor.kind() in self.syntax.functions:
                return _start(ancestor)
        return None

    def _text_of(self, start: _Position, end: _Position) -> str:
        lines = self.lines[start[0] : end[0] + 1]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][start[1] : end[1]]
        return "\n".join([lines[0][start[1] :], *lines[1:-1], lines[-1][: end[1]]])

    def _under_main_guard(self, position: _Position) -> bool:
        if self.language is not Language.PYTHON:
            return False
        for node in self.root.find_all(kind="if_statement"):
            condition = node.field("condition")
            if condition is None or "__main__" not in condition.text():
                continue
            if _start(node) <= position < _end(node):
                return True
        return False


def code_contexts(text: str, language: Language, spans: Iterable[Span]) -> list[CodeContext | None]:
    """The context of each span (None for every span of a language without a grammar here)."""
    spans = list(spans)
    if language not in _SYNTAX or not spans:
        return [None] * len(spans)
    facts = _FileFacts(text, language)
    return [facts.context(span) for span in spans]


def contexts_for(text: str, language: Language, spans: Sequence[Span]) -> list[CodeContext | None]:
    """As code_contexts, but a failure costs the contexts, never the scan."""
    try:
        return code_contexts(text, language, spans)
    except Exception:
        return [None] * len(spans)
