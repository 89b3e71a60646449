"""The code-context pass's data flow within a file: which names hold untrusted input,
sanitised values or constants, scope by scope, computed once per file or scope."""

from __future__ import annotations

import re
from collections.abc import Container

from ast_grep_py import SgNode, SgRoot

from tavo_platform.engine._context_guards import NUMBER_CALLS, SCHEMA_PARSE, guarded_names_of
from tavo_platform.engine._context_syntax import (
    LLM_CALL,
    REQUEST_ROOTS,
    SANITISER,
    SCRIPT_LOCATION,
    STATEMENT_WRAPPERS,
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
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow._constant_conditions import (
    Literal,
    decide_javascript,
    decide_python,
    literal_value,
)
from tavo_platform.engine.dataflow._javascript_schemas import Schemas


class _Union:
    """Membership in a scope's constants or the module's, without copying either; the
    module's are only worked out if asked about."""

    def __init__(self, first: set[str], facts: _FlowFacts) -> None:
        self._first = first
        self._facts = facts

    def __contains__(self, name: object) -> bool:
        return name in self._first or name in self._facts.module_flow().constants


# Values that are another name's value, unchanged.
_COPIES = frozenset({"identifier", "attribute", "member_expression"})


class _FlowFacts:
    def __init__(self, text: str, language: Language) -> None:
        self.syntax = SYNTAX[language]
        self.root = SgRoot(text, language.value).root()
        self.lines = text.split("\n")
        self.language = language
        self.schemas = Schemas(self.root)
        self.functions = [
            (start_of(node), end_of(node), node)
            for node in self.root.find_all(
                {"rule": {"any": [{"kind": kind} for kind in sorted(self.syntax.functions)]}}
            )
        ]
        self._function_tree: tuple[list[Position], list[int]] | None = None  # _EntryPoints
        self._dead_regions: list[tuple[Position, Position]] | None = None
        self._module_flow: Flow | None = None
        self._imported: set[str] | None = None
        self._scopes: dict[Position, tuple[Names, Flow]] = {}
        self._argument_lists: dict[Position, list[tuple[Position, Position, SgNode]]] = {}
        self._exit_blocks: dict[Position, list[tuple[Position, Position, Position]]] = {}

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

    def dead_regions(self) -> list[tuple[Position, Position]]:
        if self._dead_regions is None:
            regions = []
            dead_if = {
                "rule": {
                    "kind": "if_statement",
                    "has": {"field": "condition", **self.syntax.false_conditions},
                }
            }
            for node in find_all(self.root, dead_if):
                consequence = node.field("consequence")
                if consequence is not None:
                    regions.append((start_of(consequence), end_of(consequence)))
            regions.extend(self._decided_branches())
            self._dead_regions = regions
        return self._dead_regions

    @staticmethod
    def _inside_dead(position: Position, dead: list[tuple[Position, Position]]) -> bool:
        return any(start <= position < end for start, end in dead)

    def _decided_branches(self) -> list[tuple[Position, Position]]:
        """Branches of conditions fixed when the code was written (`if 7 * 42 - num > 200`
        after `num = 86`): engine/dataflow/_constant_conditions.py decides them, with the
        names the scope assigns exactly once, to a literal."""
        decide = decide_python if self.language is Language.PYTHON else decide_javascript
        regions: list[tuple[Position, Position]] = []
        literals_of: dict[Position, dict[str, Literal]] = {}
        for node in self.root.find_all(kind="if_statement"):
            clauses = _if_clauses(node, self.language)
            scope = self._scope_of(node)
            key = start_of(scope)
            if key not in literals_of:
                literals_of[key] = self._single_literals(scope)
            for position, (condition, branch) in enumerate(clauses):
                if condition is None:
                    break
                outcome = decide(condition.text(), literals_of[key])
                if outcome is None:
                    break
                if outcome:  # every later clause is dead
                    regions.extend((start_of(b), end_of(b)) for _, b in clauses[position + 1 :])
                    break
                regions.append((start_of(branch), end_of(branch)))
        return regions

    def _scope_of(self, node: SgNode) -> SgNode:
        for ancestor in node.ancestors():
            if ancestor.kind() in self.syntax.functions:
                return ancestor
        return self.root

    def _single_literals(self, scope: SgNode) -> dict[str, Literal]:
        counts: dict[str, int] = {}
        values: dict[str, Literal] = {}
        rule = {"rule": {"any": [{"kind": kind} for kind in sorted(self.syntax.assignments)]}}
        for node in find_all(scope, rule):
            target_field, value_field = self.syntax.assignments[node.kind()]
            target, value = node.field(target_field), node.field(value_field)
            if target is None:
                continue
            for name in re.findall(r"[A-Za-z_$][\w$]*", target.text()):
                counts[name] = counts.get(name, 0) + 1
            if node.kind() in ("assignment", "variable_declarator") and value is not None:
                known, literal = literal_value(_python_spelling(value.text()))
                if known and target.kind() == "identifier":
                    values[target.text()] = literal
        return {name: value for name, value in values.items() if counts.get(name) == 1}

    def module_flow(self) -> Flow:
        if self._module_flow is None:
            names = Names()
            for node in self._top_level_assignments():
                names.extend(self._names(node))
            self._module_flow = self._flow(self.root, names, {}, top_level_only=True)
        return self._module_flow

    def scope(self, node: SgNode, seeds: dict[str, set[str]]) -> tuple[Names, Flow]:
        key = start_of(node)
        if key not in self._scopes:
            names = self._names(node)
            self._scopes[key] = (names, self._flow(node, names, seeds))
        return self._scopes[key]

    def _names(self, node: SgNode) -> Names:
        found = Names()
        for identifier in find_all(node, self.syntax.identifier_rule):
            found.starts.append(start_of(identifier))
            found.ends.append(end_of(identifier))
            found.names.append(identifier.text())
        return found

    def _flow(
        self,
        scope: SgNode,
        names: Names,
        seeds: dict[str, set[str]],
        *,
        top_level_only: bool = False,
    ) -> Flow:
        flow = Flow(sources={name: set(kinds) for name, kinds in seeds.items()})
        # Names holding constants: this scope's, and the module's for a function.
        known = flow.constants if top_level_only else _Union(flow.constants, self)
        steps = []
        nodes = (
            self._top_level_assignments()
            if top_level_only
            else find_all(
                scope, {"rule": {"any": [{"kind": kind} for kind in self.syntax.assignments]}}
            )
        )
        dead = self.dead_regions()
        for node in nodes:
            if dead and self._inside_dead(start_of(node), dead):
                continue  # a branch that never runs assigns nothing
            target_field, value_field = self.syntax.assignments[node.kind()]
            assigned, value = node.field(target_field), node.field(value_field)
            if assigned is None or value is None:
                continue
            targets = [
                name
                for name in names.within(start_of(assigned), end_of(assigned))
                if name not in ("self", "this")
            ]
            steps.append((start_of(node), targets, value))
        steps.sort(key=lambda step: step[0])
        # Twice: a value assigned late in a loop body reaches uses earlier in it.
        for _ in range(2):
            for _, targets, value in steps:
                self._assign(flow, known, names, targets, value)
        return flow

    def _assign(
        self,
        flow: Flow,
        known: Container[str],
        names: Names,
        targets: list[str],
        value: SgNode,
    ) -> None:
        """What `targets = value` makes of the targets: sources, sanitised, constants."""
        kinds = self.sources_in(value, names, flow)
        if (cleaned := self._cleaned(value, kinds, names, flow)) is not None:
            sanitisers, ends_sources = cleaned
            for target in targets:
                if ends_sources:
                    flow.sources.pop(target, None)
                flow.sanitised.setdefault(target, set()).update(sanitisers)
                flow.variables.add(target)
            return
        # A value that carries no outside text (a number, a choice among literals,
        # a lookup in a literal table) holds none of what its parts read.
        literal = self.is_literal(value, known) or self.typed_value(value)
        if literal:
            kinds = set()
            # `col = col if col in COLUMNS else "id"`: the name checked and replaced
            # by a constant no longer holds what it read before.
            inside = names.within(start_of(value), end_of(value))
            for target in targets:
                if target in inside:
                    flow.sources.pop(target, None)
        for target in targets:
            if kinds:
                flow.sources.setdefault(target, set()).update(kinds)
            elif literal and target not in flow.variables:
                flow.constants.add(target)
            else:
                flow.variables.add(target)
                flow.constants.discard(target)

    def _cleaned(
        self, value: SgNode, kinds: set[str], names: Names, flow: Flow
    ) -> tuple[set[str], bool] | None:
        """The sanitisers an assigned value went through: a sanitiser called on outside or
        sanitised data (True: what the target held from outside ends there), or a plain copy
        of sanitised names, `const name = id` (False). None for any other value."""
        inside = names.within(start_of(value), end_of(value))
        sanitiser = self._sanitiser(value)
        if sanitiser is not None and (kinds or any(n in flow.sanitised for n in inside)):
            return {sanitiser}, True
        if (
            not kinds
            and value.kind() in _COPIES
            and inside
            and all(n in flow.sanitised for n in inside)
        ):
            return set().union(*(flow.sanitised[n] for n in inside)), False
        return None

    def typed_value(self, node: SgNode) -> bool:
        """Whether a value's declared type says it holds no text (_FileFacts knows)."""
        return False

    def _sanitiser(self, node: SgNode) -> str | None:
        """The sanitiser `node` calls at its top, if it is such a call."""
        while node.kind() in ("parenthesized_expression", "await", "await_expression"):
            inner = next((c for c in node.children() if c.is_named()), None)
            if inner is None:
                return None
            node = inner
        read_from: SgNode | None = node
        while read_from is not None and read_from.kind() == "member_expression":
            read_from = read_from.field("object")  # `Schema.parse(body).user.id`
        if read_from is None:
            return None
        if read_from.kind() == "call_expression" and self.language is not Language.PYTHON:
            parsed = read_from.field("function")
            if self.schemas.cleans(parsed):
                return SCHEMA_PARSE
        if node.kind() not in ("call", "call_expression"):
            return None
        callee = node.field("function")
        if callee is None:
            return None
        text = callee.text()
        return text if SANITISER.match(text) else None

    def _statement_at(self, position: Position) -> SgNode:
        """The top-level statement holding a position (the root if none does)."""
        for child in self.root.children():
            if start_of(child) <= position < end_of(child):
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
            elif node.kind() in STATEMENT_WRAPPERS:
                pending[:0] = [c for c in node.children() if c.is_named()]
        return found

    def sources_in(self, node: SgNode, names: Names, flow: Flow) -> set[str]:
        """Which untrusted inputs the expression `node` carries."""
        kinds: set[str] = set()
        for name in names.within(start_of(node), end_of(node)):
            if name in REQUEST_ROOTS:
                kinds.add("request")
            kinds.update(flow.sources.get(name, ()))
        text = node.text()
        if LLM_CALL.search(text):
            kinds.add("llm_output")
        if USER_INPUT.search(text):
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
            return bool(UPPER_CONSTANT.match(text)) or text in known or text in SCRIPT_LOCATION
        if kind in self.syntax.literal_leaves:
            return not any(
                node.find(kind=interpolation) for interpolation in self.syntax.interpolations
            )
        if self.language is not Language.PYTHON and numeric_operation(node):
            return True  # `page * 20`, `-offset`: a number whatever its operands held
        if kind in self.syntax.literal_containers:
            return all(
                self.is_literal(child, known) for child in node.children() if child.is_named()
            )
        if kind in ("call", "call_expression"):
            return self._literal_call(node, known)
        if kind in ("conditional_expression", "ternary_expression"):
            return self._literal_choice(node, known)
        if kind in ("subscript", "subscript_expression"):
            # {"name": "name", "date": "created_at"}[sort]: one of the table's values
            table = node.field("value") or node.field("object")
            return table is not None and (
                (table.kind() in ("dictionary", "object") and self.is_literal(table, known))
                or _constant_table(table)
            )
        if kind == "member_expression":
            return _constant_table(node.field("object"))  # SORTS.newest
        if kind in ("list_comprehension", "set_comprehension", "generator_expression"):
            # [int(i) for i in ids]: numbers only; ("?" for _ in ids): one placeholder each
            element = next((c for c in node.children() if c.is_named()), None)
            return element is not None and (
                _is_number_call(element) or self.is_literal(element, known)
            )
        return False

    def _literal_call(self, node: SgNode, known: Container[str]) -> bool:
        """A number (`len(x)`, `int(x)`), a join of literals (`", ".join(["%s"] * n)`), or a
        lookup in a table of literals (`{"csv": "csvkit"}.get(fmt, "csvkit")`)."""
        callee, arguments = node.field("function"), node.field("arguments")
        if callee is None or arguments is None:
            return False
        if callee.text() in NUMBER_CALLS:
            return True
        args = [a for a in arguments.children() if a.is_named() and a.kind() != "comment"]
        if arguments.kind() == "generator_expression":
            args = [arguments]  # `",".join("?" for _ in ids)`: the generator is the argument
        if callee.text() in PURE_PATH_CALLS:
            return bool(args) and all(self.is_literal(a, known) for a in args)
        owner = callee.field("object")
        method = callee.field("attribute") or callee.field("property")
        if owner is None or method is None:
            return False
        if method.text() == "map" and len(args) == 1:
            # ids.map(Number), ids.map((id) => parseInt(id, 10)): numbers only
            mapper = args[0]
            body = mapper.field("body") if mapper.kind() == "arrow_function" else None
            return mapper.text() in NUMBER_CALLS or (body is not None and _is_number_call(body))
        if method.text() in ("filter", "slice", "sort", "reverse") and owner.kind() in (
            "call",
            "call_expression",
        ):
            # ids.map(Number).filter(Number.isInteger): some of the elements, as they were
            return self._literal_call(owner, known)
        if method.text() == "join" and owner.kind() in self.syntax.literal_leaves:
            return len(args) == 1 and self.is_literal(args[0], known)
        if method.text() == "join" and owner.kind() == "call_expression":
            # ids.map((_, i) => `$${i + 1}`).join(", "): placeholders, one per element
            return len(args) == 1 and self.is_literal(args[0], known) and _placeholders(owner)
        if method.text() == "get" and (
            (owner.kind() in ("dictionary", "object") and self.is_literal(owner, known))
            or _constant_table(owner)  # SORTS.get(key, "name"), as SORTS[key]
            or owner.text() in known
        ):
            return all(self.is_literal(a, known) for a in args[1:])
        return False

    def _literal_choice(self, node: SgNode, known: Container[str]) -> bool:
        """`a if c else b` / `c ? a : b` whose branches are literals, or where the branch
        that is not is a value the condition checked (`x if x in ALLOWED else "id"`)."""
        chosen: SgNode | None
        other: SgNode | None
        condition: SgNode | None
        if self.language is Language.PYTHON:
            named = [c for c in node.children() if c.is_named()]
            if len(named) != 3:
                return False
            chosen, condition, other = named[0], named[1], named[2]
        else:
            condition = node.field("condition")
            chosen, other = node.field("consequence"), node.field("alternative")
        if condition is None or chosen is None or other is None:
            return False
        positive, negative = guarded_names_of(condition, self.language)
        return (self.is_literal(chosen, known) or chosen.text() in positive) and (
            self.is_literal(other, known) or other.text() in negative
        )


# Path and string functions that only rearrange their arguments: over literals (and the
# script's own location), `path.join("./node_modules/.bin", "eslint")` is a literal too.
PURE_PATH_CALLS = frozenset(
    {
        *(f"path.{f}" for f in ("join", "resolve", "normalize", "dirname", "basename")),
        *(f"path.posix.{f}" for f in ("join", "resolve", "normalize")),
        *(f"os.path.{f}" for f in ("join", "abspath", "dirname", "basename", "normpath")),
        "os.path.realpath",
        "Path",
        "pathlib.Path",
        "PurePath",
        "str",
        "String",
    }
)


# JavaScript operators whose result is a number (or a boolean) whatever the operands are;
# `+` is not one of them (it concatenates strings).
_NUMERIC_OPERATORS = frozenset(
    {
        "-",
        "*",
        "/",
        "%",
        "**",
        "<<",
        ">>",
        ">>>",
        "&",
        "|",
        "^",
        "~",
        "<",
        ">",
        "<=",
        ">=",
        "===",
        "!==",
        "==",
        "!=",
        "!",
        "instanceof",
        "in",
    }
)


def numeric_operation(node: SgNode) -> bool:
    if node.kind() not in ("binary_expression", "unary_expression"):
        return False
    operator = node.field("operator")
    if operator is None:
        return False
    if node.kind() == "unary_expression":
        return operator.text() in ("-", "+", "~", "!")  # `+x` converts to a number
    return operator.text() in _NUMERIC_OPERATORS


def _constant_table(node: SgNode | None) -> bool:
    """An UPPER_CASE name: a module's table of constants (`SORTS[key]`, `SORTS.newest`)."""
    return (
        node is not None and node.kind() == "identifier" and bool(UPPER_CONSTANT.match(node.text()))
    )


def _is_number_call(node: SgNode) -> bool:
    if node.kind() not in ("call", "call_expression"):
        return False
    callee = node.field("function")
    return callee is not None and callee.text() in NUMBER_CALLS


def _if_clauses(node: SgNode, language: Language) -> list[tuple[SgNode | None, SgNode]]:
    """(condition, branch) of an if statement and its elif/else clauses, in order; an
    `else` has no condition."""
    clauses: list[tuple[SgNode | None, SgNode]] = []
    consequence = node.field("consequence")
    if consequence is None:
        return clauses
    clauses.append((node.field("condition"), consequence))
    if language is Language.PYTHON:
        for clause in node.children():
            if clause.kind() == "elif_clause" and (body := clause.field("consequence")):
                clauses.append((clause.field("condition"), body))
            elif clause.kind() == "else_clause" and (body := clause.field("body")):
                clauses.append((None, body))
        return clauses
    alternative = node.field("alternative")
    if alternative is not None:  # an `else if` is decided as an if statement of its own
        clauses.append((None, alternative))
    return clauses


def _python_spelling(text: str) -> str:
    return {"true": "True", "false": "False", "null": "None"}.get(text, text)


def _placeholders(call: SgNode) -> bool:
    """`items.map(() => "?")` or `items.map((_, i) => `$${i + 1}`)`: text made of literals
    and the element's index only, never the element."""
    function, arguments = call.field("function"), call.field("arguments")
    if function is None or arguments is None or function.kind() != "member_expression":
        return False
    method = function.field("property")
    mappers = [a for a in arguments.children() if a.is_named()]
    if method is None or method.text() != "map" or len(mappers) != 1:
        return False
    mapper = mappers[0]
    body, parameters = mapper.field("body"), mapper.field("parameters")
    if mapper.kind() != "arrow_function" or body is None:
        return False
    names = [c.text() for c in parameters.children() if c.is_named()] if parameters else []
    return _index_text(body, frozenset(names[1:2]))


def _index_text(node: SgNode, index: frozenset[str]) -> bool:
    kind = node.kind()
    if kind in ("string", "number"):
        return True
    if kind == "identifier":
        return node.text() in index
    if kind in ("binary_expression", "parenthesized_expression", "template_substitution"):
        return all(_index_text(c, index) for c in node.children() if c.is_named())
    if kind == "template_string":
        return all(
            _index_text(c, index) for c in node.children() if c.kind() == "template_substitution"
        )
    return False
