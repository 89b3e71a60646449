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

import re
from collections.abc import Iterable, Sequence

from ast_grep_py import SgNode

from tavo_platform.engine._context_entry import _EntryPoints
from tavo_platform.engine._context_flow import numeric_operation
from tavo_platform.engine._context_guards import (
    INERT_FOR,
    NUMBER_CALLS,
    NUMERIC_FORMAT,
    covers,
    guarded_paths,
    if_statements,
)
from tavo_platform.engine._context_syntax import (
    IGNORED_PARAMETERS,
    LLM_CALL,
    REQUEST_ROOTS,
    SCRIPT_LOCATION,
    SYNTAX,
    UPPER_CONSTANT,
    USER_INPUT,
    Flow,
    Names,
    Position,
    end_of,
    find_all,
    start_of,
)
from tavo_platform.engine._findings import CodeContext, Span
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow._javascript_schemas import destructured
from tavo_platform.engine.dataflow._python_syntax import ENUM_BASES, inert_fields, inert_type


class _FileFacts(_EntryPoints):
    # --- one finding -------------------------------------------------------------------

    def context(self, span: Span, category: str | None = None) -> CodeContext:
        start = (span.start_line - 1, span.start_column - 1)
        end = (span.end_line - 1, span.end_column - 1)
        chain = self.enclosing(start)
        entrypoint, seeds = self._entry_and_seeds(chain)
        typed = self._typed_without_text(chain)
        for name in typed:
            if typed[name] is None:
                seeds.pop(name, None)
        if chain:
            names, flow = self.scope(chain[0], seeds)
        else:
            names, flow = self._names(self._statement_at(start)), self.module_flow()
            if self._under_main_guard(start):
                entrypoint = "cli"
        # What flows into the flagged call is its arguments (not the receiver in
        # `cursor.execute(...)`); code flagged without a call is taken whole.
        arguments = self._arguments(start, end, chain[-1] if chain else self.root)
        if category == "sql-injection" and arguments is not None:
            # The query is the first argument; what follows are bound parameters.
            arguments = next(
                (a for a in arguments.children() if a.is_named() and a.kind() != "comment"),
                arguments,
            )
        # Paths a check validated before the finding (engine/_context_guards.py).
        guarded = guarded_paths(self._ifs_of(chain[0]), self.language, start) if chain else set()
        reaching, sanitisers = self._reaching(start, end, arguments, names, flow, guarded, typed)
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
                else not reaching
                and self._only_constants(
                    arguments,
                    names,
                    flow,
                    bool(chain),
                    guarded,
                    INERT_FOR.get(category or ""),
                    typed,
                )
            ),
            dead_code=self._is_dead(start, end, chain),
            sanitizers=tuple(sorted(sanitisers)),
        )

    def _ifs_of(self, scope: SgNode) -> list[SgNode]:
        key = start_of(scope)
        cache: dict[Position, list[SgNode]] = self.__dict__.setdefault("_if_cache", {})
        if key not in cache:
            cache[key] = if_statements(scope)
        return cache[key]

    def _entry_and_seeds(self, chain: list[SgNode]) -> tuple[str | None, dict[str, set[str]]]:
        """The innermost entry-point kind around a finding, and what each enclosing
        function's parameters carry in."""
        entrypoint = None
        seeds: dict[str, set[str]] = {}
        for function in chain:
            kind = self.entrypoint(function)
            entrypoint = kind or entrypoint
            for name, _ in self.parameters(function):
                if name in IGNORED_PARAMETERS:
                    continue
                if kind == "web_handler":
                    seeds.setdefault(name, set()).add("handler_parameter")
                elif kind == "llm_tool":
                    seeds.setdefault(name, set()).add("llm_output")
                elif kind is None:
                    seeds.setdefault(name, set()).add("parameter")
        return entrypoint, seeds

    def _reaching(
        self,
        start: Position,
        end: Position,
        arguments: SgNode | None,
        names: Names,
        flow: Flow,
        guarded: set[str],
        typed: dict[str, frozenset[str] | None],
    ) -> tuple[set[str], set[str]]:
        """The untrusted inputs reaching the flagged code, and the sanitisers met on the way."""
        data_start, data_end = (
            (start_of(arguments), end_of(arguments)) if arguments is not None else (start, end)
        )
        cleaned = self._sanitising_calls(arguments)
        callbacks = self._inert_parts(arguments)
        reaching: set[str] = set()
        sanitisers: set[str] = set()
        for position, name in names.placed_within(data_start, data_end):
            if any(s <= position < e for s, e in callbacks):
                continue
            if name in typed and self._typed_read(name, typed[name], position, flow):
                continue
            kinds = set(flow.sources.get(name, ()))
            if name in REQUEST_ROOTS:
                kinds.add("request")
            wrapper = next((w for s, e, w in cleaned if s <= position < e), None)
            if wrapper is not None and kinds:
                sanitisers.add(wrapper)
                continue
            if kinds and guarded and covers(guarded, self._text_of(position, data_end)):
                sanitisers.add("validated before use")
                continue
            reaching.update(kinds)
            sanitisers.update(flow.sanitised.get(name, ()))
        flagged_text = self._text_of(data_start, data_end)
        if LLM_CALL.search(flagged_text):
            reaching.add("llm_output")
        if USER_INPUT.search(flagged_text):
            reaching.add("user_input")
        return reaching, sanitisers

    def _sanitising_calls(self, arguments: SgNode | None) -> list[tuple[Position, Position, str]]:
        """Sanitiser calls inside the flagged code: they clean what they wrap."""
        if arguments is None:
            return []
        call_kind = "call" if self.language is Language.PYTHON else "call_expression"
        cleaned = []
        for call in arguments.find_all(kind=call_kind):
            sanitiser = self._sanitiser(call)
            if sanitiser is not None:
                cleaned.append((start_of(call), end_of(call), sanitiser))
        if self.language is Language.PYTHON:
            # "... LIMIT %d" % limit: a format whose every conversion is a number's
            for node in find_all(arguments, {"rule": {"kind": "binary_operator"}}):
                values = _numeric_format_values(node)
                if values is not None:
                    cleaned.append((start_of(values), end_of(values), NUMERIC_FORMAT))
        return cleaned

    def _inert_parts(self, arguments: SgNode | None) -> list[tuple[Position, Position]]:
        """The spans of the flagged call's arguments whose names carry no text into it: the
        function literals passed as arguments, and (JavaScript) arithmetic, whose result is
        a number whatever it read (`"... LIMIT " + req.query.n * 1`)."""
        if arguments is None:
            return []
        spans = [
            (start_of(child), end_of(child))
            for child in arguments.children()
            if child.kind() in _CALLBACK_KINDS
        ]
        if self.language is not Language.PYTHON:
            spans.extend(
                (start_of(node), end_of(node))
                for node in find_all(arguments, _JS_OPERATIONS)
                if numeric_operation(node)
            )
        return spans

    def _innermost_name(self, chain: list[SgNode]) -> str | None:
        for function in reversed(chain):
            name = self.function_name(function)
            if name:
                return name
        return None

    def _arguments(self, start: Position, end: Position, scope: SgNode) -> SgNode | None:
        """The flagged call's arguments: the argument list that ends where the span ends
        (in `User.objects.filter(a=1).extra(where=w)` that is `(where=w)`, not the
        receiver's `(a=1)`), else the first argument list inside the span."""
        key = start_of(scope)
        if key not in self._argument_lists:
            self._argument_lists[key] = [
                (start_of(node), end_of(node), node)
                for node in find_all(
                    scope,
                    {"rule": {"any": [{"kind": k} for k in sorted(self.syntax.argument_lists)]}},
                )
            ]
        first = None
        for node_start, node_end, node in self._argument_lists[key]:
            if node_start >= end:
                break
            if node_start >= start and node_end <= end:
                if node_end == end:
                    return node
                first = first or node
        return first

    def _only_constants(
        self,
        arguments: SgNode,
        names: Names,
        flow: Flow,
        in_function: bool,
        guarded: set[str] = frozenset(),  # type: ignore[assignment]
        inert: frozenset[str] | None = None,
        typed: dict[str, frozenset[str] | None] | None = None,
    ) -> bool:
        """Whether every variable among the arguments holds a literal (imported names,
        called functions and UPPER_CASE constants aside), or a value that a check before
        validated (`guarded`) or that a sanitiser made harmless for this sink (`inert`)."""
        module = self.module_flow() if in_function else flow
        imported = self.imported()
        call_kind = "call" if self.language is Language.PYTHON else "call_expression"
        callbacks = self._inert_parts(arguments)
        called = set()
        for call in arguments.find_all(kind=call_kind):
            callee = call.field("function")
            if callee is None or any(s <= start_of(call) < e for s, e in callbacks):
                continue
            if (
                inert is not None
                and callee.kind() == "identifier"
                and not (callee.text() in NUMBER_CALLS or callee.text() in imported)
            ):
                # what a local function returns is not known to be constant
                return False
            called.add(callee.text())
        arguments_end = end_of(arguments)
        # `int(request.GET["id"])`, `escape(name)` written in place: what they wrap is inert
        wrapped = [(s, e) for s, e, w in self._sanitising_calls(arguments) if inert and w in inert]
        for position, name in names.placed_within(start_of(arguments), arguments_end):
            if name in imported or name in called or name in SCRIPT_LOCATION:
                continue
            if any(s <= position < e for s, e in callbacks):
                continue
            if UPPER_CONSTANT.match(name):
                continue
            if inert and flow.sanitised.get(name, set()) & inert and name not in flow.sources:
                continue
            if any(s <= position < e for s, e in wrapped):
                continue
            if guarded and covers(guarded, self._text_of(position, arguments_end)):
                continue
            if typed and name in typed and self._typed_read(name, typed[name], position, flow):
                continue
            if name in flow.variables or name in flow.sources:
                return False
            if name not in flow.constants and name not in module.constants:
                return False
        return True

    def _schema_checked(self, function: SgNode) -> list[str]:
        """Names a tool handler destructures from fields its schema admits without text."""
        holder = function.field("parameters")
        first = next((p for p in holder.children() if p.is_named()), None) if holder else None
        pattern = first.field("pattern") or first if first is not None else None
        if pattern is None or pattern.kind() != "object_pattern":
            return []
        checked = self.schemas.checked_fields(function)
        return [name for field, name in destructured(pattern) if field in checked]

    def _typed_without_text(self, chain: list[SgNode]) -> dict[str, frozenset[str] | None]:
        """Parameters whose annotation (Python, TypeScript numbers) or tool schema (the
        JavaScript languages) admits no text: None for the whole value
        (`user_id: int`, `Annotated[int, Path()]`), else the attributes of a class of this
        file declaring them so (`q: ItemQuery` whose `limit: int`)."""
        if not chain:
            return {}
        if self.language is not Language.PYTHON:
            # A tool handler's arguments its input schema admits only as numbers, enums...
            checked: dict[str, frozenset[str] | None] = {
                name: None for function in chain for name in self._schema_checked(function)
            }
            if self.language in (Language.TYPESCRIPT, Language.TSX):
                numbers = (
                    _typescript_number(text)
                    for function in chain
                    for _, text in self.parameters(function)
                )
                checked.update((name, None) for name in numbers if name is not None)
            return checked
        models = self._model_fields()
        typed: dict[str, frozenset[str] | None] = {}
        for function in chain:
            # Flask route converters that make a number or a UUID of a path segment
            decorated = function.parent()
            if decorated is not None and decorated.kind() == "decorated_definition":
                for decorator in decorated.children():
                    if decorator.kind() == "decorator":
                        typed.update((n, None) for n in _TYPED_SEGMENT.findall(decorator.text()))
            for name, text in self.parameters(function):
                annotation = _annotation(text)
                if annotation is None:
                    continue
                if inert_type(annotation, set(self._file_enums())):
                    typed[name] = None
                elif annotation.strip("'\" ") in models:
                    typed[name] = models[annotation.strip("'\" ")]
        return typed

    def _typed_read(
        self, name: str, fields: frozenset[str] | None, position: Position, flow: Flow
    ) -> bool:
        """Whether the read of `name` at `position` holds no text: the parameter itself,
        never reassigned, or the attribute of it that its class types so."""
        if name in flow.variables:
            return False
        if fields is None:
            return name not in flow.sources
        if not flow.sources.get(name, set()) <= _PARAMETER_KINDS:
            return False  # assigned outside data after its parameter's
        after = _ATTRIBUTE.match(self._text_of(position, (position[0] + 1, 0)))
        return after is not None and after.group(1) in fields

    def typed_value(self, node: SgNode) -> bool:
        """`form.cleaned_data["limit"]` / `serializer.validated_data["limit"]` where a form
        or serializer class of this file declares `limit` a number, a date or a choice."""
        if self.language is not Language.PYTHON or node.kind() != "subscript":
            return False
        found = _CLEANED_READ.match(node.text())
        if found is None:
            return False
        return any(found[1] in fields for fields in self._model_fields().values())

    def _model_fields(self) -> dict[str, frozenset[str]]:
        """Classes of this file -> their attributes typed without text (pydantic models,
        dataclasses)."""
        cached: dict[str, frozenset[str]] | None = self.__dict__.get("_models")
        if cached is None:
            enums = set(self._file_enums())
            cached = {}
            for cls in self.root.find_all(kind="class_definition"):
                name, body = cls.field("name"), cls.field("body")
                if name is None or body is None:
                    continue
                fields = inert_fields(body, enums)
                if fields:
                    cached[name.text()] = fields
            self.__dict__["_models"] = cached
        return cached

    def _file_enums(self) -> frozenset[str]:
        cached: frozenset[str] | None = self.__dict__.get("_enums")
        if cached is None:
            found = set()
            for cls in self.root.find_all(kind="class_definition"):
                name, bases = cls.field("name"), cls.field("superclasses")
                if name is None or bases is None:
                    continue
                written = {b.text().rpartition(".")[2] for b in bases.children() if b.is_named()}
                if written & ENUM_BASES:
                    found.add(name.text())
            cached = frozenset(found)
            self.__dict__["_enums"] = cached
        return cached

    def _is_dead(self, start: Position, end: Position, chain: list[SgNode]) -> bool:
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

    def _exits(self, scope: SgNode) -> list[tuple[Position, Position, Position]]:
        """(end of the exit, start and end of its block) of each return/raise/throw that
        belongs to `scope` itself (not to a function nested in it)."""
        key = start_of(scope)
        if key not in self._exit_blocks:
            found = []
            for exit_node in find_all(
                scope, {"rule": {"any": [{"kind": k} for k in sorted(self.syntax.exits)]}}
            ):
                block = exit_node.parent()
                if block is not None and self._owner(block) == key:
                    found.append((end_of(exit_node), start_of(block), end_of(block)))
            self._exit_blocks[key] = found
        return self._exit_blocks[key]

    def _owner(self, node: SgNode) -> Position | None:
        """Where the function a node belongs to starts."""
        for ancestor in node.ancestors():
            if ancestor.kind() in self.syntax.functions:
                return start_of(ancestor)
        return None

    def _text_of(self, start: Position, end: Position) -> str:
        lines = self.lines[start[0] : end[0] + 1]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][start[1] : end[1]]
        return "\n".join([lines[0][start[1] :], *lines[1:-1], lines[-1][: end[1]]])

    def _under_main_guard(self, position: Position) -> bool:
        if self.language is not Language.PYTHON:
            return False
        for node in self.root.find_all(kind="if_statement"):
            condition = node.field("condition")
            if condition is None or "__main__" not in condition.text():
                continue
            if start_of(node) <= position < end_of(node):
                return True
        return False


_CLEANED_READ = re.compile(r"^\w+\.(?:cleaned_data|validated_data)\[\s*[\"']([\w]+)[\"']\s*\]$")
_PARAMETER_KINDS = frozenset({"parameter", "handler_parameter", "llm_output"})
_ATTRIBUTE = re.compile(r"^\w+\s*\.\s*(\w+)")


# `id: number`, `private readonly n?: number`, `@Param("id", ParseIntPipe) id: number`; a
# parameter a framework decorator fills is text unless a parse pipe converted it (NestJS).
_TS_NUMBER = re.compile(
    r"^(?P<decorators>(?:@[\w.]+(?:\((?:[^()]|\([^()]*\))*\))?\s*)*)"
    r"(?:(?:public|private|protected|readonly|override)\s+)*"
    r"(?P<name>[A-Za-z_$][\w$]*)\??\s*:\s*(?:number|boolean|bigint)\s*(?:=.*)?$",
    re.DOTALL,
)
_PARSE_PIPE = re.compile(r"\bParse(?:Int|Float|Bool)Pipe\b")


# A function written among a call's arguments (`exec(cmd, (err, out) => res.send(out))`)
# is code the callee runs later, not data that reaches it.
_CALLBACK_KINDS = frozenset({"arrow_function", "function_expression", "function", "lambda"})
_JS_OPERATIONS = {"rule": {"any": [{"kind": "binary_expression"}, {"kind": "unary_expression"}]}}


def _typescript_number(parameter: str) -> str | None:
    """The name of a TypeScript parameter declared a number or a boolean."""
    found = _TS_NUMBER.match(parameter.strip())
    if found is None:
        return None
    decorators = found.group("decorators")
    if decorators and not _PARSE_PIPE.search(decorators):
        return None
    return found.group("name")


def _annotation(parameter: str) -> str | None:
    """The annotation of a Python parameter as written (`q: Query = Depends()` -> `Query`)."""
    name, colon, rest = parameter.partition(":")
    if not colon or not name.strip().isidentifier():
        return None
    depth = 0
    for index, char in enumerate(rest):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "=" and depth == 0:
            return rest[:index].strip()
    return rest.strip()


def code_contexts(
    text: str,
    language: Language,
    spans: Iterable[Span],
    categories: Sequence[str | None] | None = None,
) -> list[CodeContext | None]:
    """The context of each span (None for every span of a language without a grammar here);
    `categories` (one per span) say which sanitisers make a value harmless for it."""
    spans = list(spans)
    if language not in SYNTAX or not spans:
        return [None] * len(spans)
    facts = _FileFacts(text, language)
    kinds = list(categories) if categories is not None else [None] * len(spans)
    return [facts.context(span, kind) for span, kind in zip(spans, kinds, strict=True)]


def contexts_for(
    text: str,
    language: Language,
    spans: Sequence[Span],
    categories: Sequence[str | None] | None = None,
) -> list[CodeContext | None]:
    """As code_contexts, but a failure costs the contexts, never the scan."""
    try:
        return code_contexts(text, language, spans, categories)
    except TimeoutError:
        raise  # the file's time budget ran out: the scan skips the file (engine/_scanner.py)
    except Exception:
        return [None] * len(spans)


# Flask's `<int:id>`, `<float:x>`, `<uuid:u>` route segments (as dataflow/python.py reads them).
_TYPED_SEGMENT = re.compile(r"<(?:int|float|uuid)(?:\([^)]*\))?:([A-Za-z_][A-Za-z0-9_]*)>")
# A %-conversion: flags, width, precision and its type letter (or a mapping key first).
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?([a-zA-Z%])")


def _numeric_format_values(node: SgNode) -> SgNode | None:
    """The values of `"literal" % values` when every conversion of the literal formats a
    number (%d, %i, %f, %x...): whatever they read, they reach the text as digits (or the
    format raises)."""
    left, right = node.field("left"), node.field("right")
    operator = next((c.text() for c in node.children() if not c.is_named()), "")
    if operator != "%" or left is None or right is None or left.kind() != "string":
        return None
    if any(c.kind() == "interpolation" for c in left.children()):
        return None
    types = [t for t in _CONVERSION.findall(left.text()) if t != "%"]
    return right if types and all(t in "diouxXeEfFgG" for t in types) else None
