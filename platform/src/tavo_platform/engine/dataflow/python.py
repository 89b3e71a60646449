"""Lowers a Python syntax tree (tree-sitter, through ast-grep) to the dataflow IR."""

from __future__ import annotations

import re
from dataclasses import replace

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._constant_conditions import Literal
from tavo_platform.engine.dataflow._lowering import Unlowerable, union
from tavo_platform.engine.dataflow._patterns import Found
from tavo_platform.engine.dataflow._python_expressions import constant_key
from tavo_platform.engine.dataflow._python_facts import PythonFacts
from tavo_platform.engine.dataflow._python_syntax import (
    ENUM_BASES,
    EXIT_CALLS,
    attribute_path,
    callee_text,
    child_of_kind,
    guarded_names,
    inert_fields,
    last_block,
    line_of,
    name_of,
    path_of,
    prefix_checked,
)
from tavo_platform.engine.dataflow.ir import (
    CONST,
    RETURNED,
    Assign,
    Block,
    Eval,
    Exit,
    Expr,
    If,
    Loop,
    Module,
    Param,
    Return,
    Stmt,
    Var,
)


def module_name(path: str) -> str:
    parts = path[: -len(".py")].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def lower_python(root: SgNode, path: str, found: Found) -> Module:
    lowering = _Python(found, module_name(path), path.endswith("__init__.py"))
    body = lowering.open_function("<module>", 1)
    try:
        body.body = lowering.block(root, root.kind() in _OWNERS)
    except RecursionError:
        raise Unlowerable("nested too deeply") from None
    lowering.close_function()
    return Module(
        path=path,
        name=lowering.module,
        language="python",
        functions=tuple(d.freeze() for d in lowering.drafts),
        imports=lowering.imports,
        exports={name: name for name in body.local_functions},
        classes=lowering.classes,
        bases=lowering.bases,
        instances={name: lowering.imported(cls) for name, cls in lowering.types[0].items()},
        dispatch=body.tables,
        inert_fields=lowering.inert_fields,
    )


class _Python(PythonFacts):
    def __init__(self, found: Found, module: str, is_package: bool) -> None:
        super().__init__(found)
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.classes: dict[str, dict[str, int]] = {}
        self.bases: dict[str, tuple[str, ...]] = {}
        # class -> attributes declared with a type that holds no text (Module.inert_fields)
        self.inert_fields: dict[str, frozenset[str]] = {}
        # class -> attribute -> the class of what its methods store there (`self.repo = Repo()`)
        self.attribute_types: dict[str, dict[str, str]] = {}
        self.class_stack: list[str] = []
        self.enums: set[str] = set()  # this module's Enum classes
        self.types: list[dict[str, str]] = [{}]  # per function: variable -> class name
        # per function: variables holding a joined, never normalised path
        self.joined: list[set[str]] = [set()]
        # per function: names bound to a literal at the function's top level, and loop depth
        self.literals: list[dict[str, Literal]] = [{}]
        self.loops = 0
        # Whether the statements being lowered are those of a function's (or the module's)
        # own body, not of a branch, loop, `with` or class inside it (PythonFacts).
        self.top_level = False

    # --- statements ------------------------------------------------------------------

    def block(self, node: SgNode, top: bool = False) -> tuple[Stmt, ...]:
        """`top`: the block is a function's body or the module (see `top_level`)."""
        out: list[Stmt] = []
        outer, self.top_level = self.top_level, top
        try:
            for child in node.children():
                if child.is_named():
                    out.extend(self.statement(child))
        finally:
            self.top_level = outer
        return tuple(out)

    def statement(self, node: SgNode) -> list[Stmt]:
        kind = node.kind()
        handler = _STATEMENTS.get(kind)
        if handler is not None:
            self.enter()
            try:
                return handler(self, node)
            finally:
                self.leave()
        if kind in (
            "pass_statement",
            "comment",
            "global_statement",
            "nonlocal_statement",
            "future_import_statement",
            "type_alias_statement",
        ):
            return []
        if kind in ("break_statement", "continue_statement"):
            return [Exit()]
        return [Eval(self.expr(node))]

    def expression_statement(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        for child in node.children():
            if not child.is_named():
                continue
            kind = child.kind()
            if kind == "assignment":
                out.extend(self.assignment(child, self.top_level))
            elif kind == "augmented_assignment":
                left, right = child.field("left"), child.field("right")
                if left is not None and right is not None:
                    value = self.expr(right)
                    for name in self.targets(left):
                        self.literals[-1].pop(name, None)
                    targets = self.targets(left)
                    self.forget_checks(targets)
                    out.append(Assign(targets, value, line_of(child), augmented=True))
            else:
                value = self.expr(child)
                out.append(Eval(value))
                if kind == "call" and callee_text(child) in EXIT_CALLS:
                    out.append(Exit())
        return out

    def assignment(self, node: SgNode, top: bool = False) -> list[Stmt]:
        """`top`: a statement of its function's (or module's) own body."""
        left, right = node.field("left"), node.field("right")
        if left is None or right is None:
            return []
        left_kind, right_kind, line = left.kind(), right.kind(), line_of(node)
        if right_kind == "assignment":  # a = b = value
            inner = self.assignment(right)
            source = right.field("left")
            value: Expr = Var(source.text(), line) if source is not None else CONST
            return [*inner, Assign(self.targets(left), value, line)]
        is_name = left_kind == "identifier"
        name = left.text() if is_name else ""
        if is_name:
            self._track_dispatch(name, right, right_kind)
        if is_name and right_kind == "dictionary":
            keyed = self._keyed_dictionary(name, right, line)
            if keyed is not None:
                self.forget_checks((name,))
                self._track_joined(name, right, right_kind)
                self._track_literal(top, name, right, right_kind)
                return keyed
        value = self.expr(right)
        if is_name:
            self._track_joined(name, right, right_kind)
            self._track_literal(top, name, right, right_kind)
        else:
            for target in self.targets(left):
                self.literals[-1].pop(target, None)
        if left_kind in ("identifier", "attribute") and right_kind == "call":
            callee = callee_text(right)
            if callee and callee.rpartition(".")[2][:1].isupper():
                self._note_type(left, callee)
            elif callee and callee.partition(".")[0] not in ("self", "cls"):
                # `repo = get_repo()`: whatever the function returns (Function.returns)
                self._note_type(left, f"{callee}.{RETURNED}")
        elif left_kind == "attribute" and right_kind == "identifier":
            # `self.repo = repo` of a parameter `repo: UserRepo` (constructor injection)
            held = self.types[-1].get(right.text())
            if held is not None:
                self._note_type(left, held)
        store = left_kind in ("subscript", "attribute")
        targets = self.targets(left)
        self._track_check(top, name if is_name else None, right, right_kind, targets)
        if is_name:
            # the elements followed one by one now hold whatever the new value holds
            known = sorted(self.function.keyed.get(name, ()))
            targets = (*targets, *(f"{name}.[{key}]" for key in known))
        return [Assign(targets, value, line, store=store)]

    def _keyed_dictionary(self, name: str, node: SgNode, line: int) -> list[Stmt] | None:
        """`ctx = {"opts": opts, "url": url}`: each element at its constant key followed on
        its own (`ctx["url"]` does not hold `opts`), the whole holding them all. None when a
        key is computed or the literal spreads another mapping."""
        entries: list[tuple[str, SgNode, SgNode]] = []
        for child in node.children():
            if not child.is_named() or child.kind() == "comment":
                continue
            if child.kind() != "pair":
                return None
            key_node, value_node = child.field("key"), child.field("value")
            key = constant_key(key_node) if key_node is not None else None
            if key is None or value_node is None:
                return None
            entries.append((key, child, value_node))
        if not entries:
            return None
        known = self.function.keyed.setdefault(name, set())
        out: list[Stmt] = []
        for key, pair, value_node in entries:
            known.add(key)
            value = self.wrap(pair, self.expr(value_node))
            out.append(Assign((f"{name}.[{key}]",), value, line))
        whole = union([Var(f"{name}.[{key}]", line) for key, _, _ in entries])
        out.append(Assign((name,), self.wrap(node, whole), line))
        return out

    def targets(self, node: SgNode) -> tuple[str, ...]:
        kind = node.kind()
        if kind == "identifier":
            return (node.text(),)
        if kind in ("attribute", "subscript"):
            inner = node.field("object") or node.field("value")
            path = attribute_path(node) if kind == "attribute" else self.keyed_path(node)
            roots = self.targets(inner) if inner is not None else ()
            if path and kind == "subscript":
                owner, _, key = path.rpartition(".[")
                self.function.keyed.setdefault(owner, set()).add(key[:-1])
            return (path, *roots) if path else roots
        names: list[str] = []
        for child in node.children():
            if child.is_named():
                names.extend(self.targets(child))
        return tuple(names)

    def return_statement(self, node: SgNode) -> list[Stmt]:
        named = [c for c in node.children() if c.is_named()]
        draft = self.function
        if draft.returns is None and len(named) == 1 and named[0].kind() == "call":
            made = callee_text(named[0])
            if made and made.rpartition(".")[2][:1].isupper():  # `return Repo(...)`
                draft.returns = self.imported(made)
        values = [self.expr(c) for c in named]
        # A rule may name the return statement itself as a sink (a route returning HTML).
        return [Return(self.wrap(node, union(values)), line_of(node))]

    def raise_statement(self, node: SgNode) -> list[Stmt]:
        values = [self.expr(c) for c in node.children() if c.is_named()]
        return [Eval(union(values)), Exit()]

    def if_statement(self, node: SgNode) -> list[Stmt]:
        condition = node.field("condition")
        body = node.field("consequence")
        alternatives = [c for c in node.children() if c.kind() in ("elif_clause", "else_clause")]
        return self._if(condition, body, alternatives)

    def _if(self, condition: SgNode | None, body: SgNode | None, rest: list[SgNode]) -> list[Stmt]:
        # A condition fixed when the code was written: only its branch is code that runs.
        decided = self.decided(condition)
        if decided is True:
            return list(self.block(body)) if body is not None else []
        if decided is False:
            return self._else(rest)
        orelse = tuple(self._else(rest))
        positive, negative = self._guards(condition)
        return [
            If(
                self.expr(condition) if condition is not None else CONST,
                self.block(body) if body is not None else (),
                orelse,
                positive,
                negative,
            )
        ]

    def _else(self, rest: list[SgNode]) -> list[Stmt]:
        if not rest:
            return []
        first = rest[0]
        if first.kind() == "elif_clause":
            return self._if(first.field("condition"), first.field("consequence"), rest[1:])
        return list(self.block(first.field("body") or first))

    def assert_statement(self, node: SgNode) -> list[Stmt]:
        condition = next((c for c in node.children() if c.is_named()), None)
        if condition is None:
            return []
        positive, negative = self._guards(condition)
        return [If(self.expr(condition), (), (Exit(),), positive, negative)]

    def _guards(self, condition: SgNode | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The condition's guarded names, less the paths a prefix check cannot protect: a
        path joined from parts and never normalised (`os.path.join(BASE, name)` still
        holds `..` after `startswith(BASE)`, `is_relative_to(BASE)` or a `commonpath` check;
        `os.path.realpath` or `Path.resolve()` of it does not)."""
        if condition is None:
            return (), ()
        positive, negative = guarded_names(condition, self.function.checks)
        joined = self.joined[-1]
        weak = prefix_checked(condition) & joined if joined else set()
        return (
            tuple(n for n in positive if n not in weak),
            tuple(n for n in negative if n not in weak),
        )

    def for_statement(self, node: SgNode) -> list[Stmt]:
        left, right, body = node.field("left"), node.field("right"), node.field("body")
        targets = self.targets(left) if left is not None else ()
        self.forget_checks(targets)
        iterable = self.expr(right) if right is not None else CONST
        for name in targets:
            self.literals[-1].pop(name, None)
        statements = self._loop_body(body)
        key = self.keyword_name(left, right)
        if key is not None:  # `for name, value in kwargs.items()`: the name is a keyword
            targets = tuple(t for t in targets if t != key)
            statements = (Assign((key,), CONST, line_of(node)), *statements)
        loop = Loop(targets, iterable, statements, line_of(node))
        alternative = node.field("alternative")
        return [loop, *(self.block(alternative) if alternative is not None else ())]

    def while_statement(self, node: SgNode) -> list[Stmt]:
        condition, body = node.field("condition"), node.field("body")
        cond = self.expr(condition) if condition is not None else CONST
        return [Eval(cond), Loop((), CONST, self._loop_body(body), line_of(node))]

    def _loop_body(self, body: SgNode | None) -> tuple[Stmt, ...]:
        """A loop's body, where a name's literal may change between iterations."""
        if body is None:
            return ()
        self.loops += 1
        try:
            return self.block(body)
        finally:
            self.loops -= 1

    def try_statement(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        handlers: list[tuple[Stmt, ...]] = []
        tail: list[Stmt] = []
        for child in node.children():
            kind = child.kind()
            if kind == "block":
                out.extend(self.block(child))
            elif kind in ("except_clause", "except_group_clause"):
                handlers.append(self._handler(child))
            elif kind in ("else_clause", "finally_clause"):
                tail.extend(self.block(child.field("body") or last_block(child) or child))
        if handlers:
            out.append(Block(tuple(handlers)))
        return out + tail

    def _handler(self, node: SgNode) -> tuple[Stmt, ...]:
        body = last_block(node)
        return self.block(body) if body is not None else ()

    def with_statement(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        for item in node.find_all(kind="with_item"):
            value = item.field("value")
            if value is None:
                continue
            if value.kind() == "as_pattern":
                source = next((c for c in value.children() if c.is_named()), None)
                target = value.field("alias") or child_of_kind(value, "as_pattern_target")
                expr = self.expr(source) if source is not None else CONST
                names = self.targets(target) if target is not None else ()
                self.forget_checks(names)
                out.append(Assign(names, expr, line_of(item)))
            else:
                out.append(Eval(self.expr(value)))
        body = node.field("body")
        return out + list(self.block(body) if body is not None else ())

    def function_definition(self, node: SgNode) -> list[Stmt]:
        self.define_function(node, decorators=None)
        return []

    def decorated_definition(self, node: SgNode) -> list[Stmt]:
        definition = node.field("definition")
        if definition is None:
            return []
        if definition.kind() == "class_definition":
            return self.class_definition(definition)
        self.define_function(definition, decorators=node)
        return []

    def class_definition(self, node: SgNode) -> list[Stmt]:
        name_node, body = node.field("name"), node.field("body")
        if name_node is None or body is None:
            return []
        name = self.qualified(name_node.text())
        self.class_stack.append(name)
        self.classes.setdefault(name, {})
        superclasses = node.field("superclasses")
        if superclasses is not None:
            written = (path_of(c) for c in superclasses.children() if c.is_named())
            self.bases[name] = tuple(self.imported(b) for b in written if b is not None)
        inert = inert_fields(body, self.enums)
        if any(b.rpartition(".")[2] in ENUM_BASES for b in self.bases.get(name, ())):
            self.enums.add(name)
            # a member's .value and .name are written in the class (`theme.value` of a
            # parameter `theme: Theme` is one of them)
            inert = inert | {"value", "name"}
        if inert:
            self.inert_fields[name] = inert
        out: list[Stmt] = []
        outer, self.top_level = self.top_level, False
        try:
            for child in body.children():
                if child.kind() in ("function_definition", "decorated_definition"):
                    definition = (
                        child.field("definition")
                        if child.kind() == "decorated_definition"
                        else child
                    )
                    if definition is not None and definition.kind() == "function_definition":
                        index = self.define_function(definition, decorators=child, method_of=name)
                        self.classes[name][name_of(definition)] = index
                        continue
                if child.is_named():
                    out.extend(self.statement(child))
        finally:
            self.class_stack.pop()
            self.top_level = outer
        return out

    def define_function(
        self, node: SgNode, decorators: SgNode | None, method_of: str | None = None
    ) -> int:
        name = name_of(node)
        qualified = f"{method_of}.{name}" if method_of else self.qualified(name)
        owner = self.function
        draft = self.open_function(qualified, line_of(node), method_of, method_of is not None)
        if method_of is None:
            owner.local_functions[name] = draft.index
        self.types.append({})
        self.joined.append(set())
        self.literals.append({})
        loops, self.loops = self.loops, 0
        try:
            parameters = node.field("parameters")
            draft.params = self.parameters(parameters) if parameters is not None else ()
            annotation = node.field("return_type")
            returned = _annotated_class(annotation.text()) if annotation is not None else None
            if returned is not None:
                draft.returns = self.imported(returned)
            if decorators is not None:
                draft.params = _typed_by_route(draft.params, decorators.text())
            body, injected = node.field("body"), self.dependencies(parameters)
            draft.body = (*injected, *(self.block(body, True) if body is not None else ()))
        finally:
            self.types.pop()
            self.joined.pop()
            self.literals.pop()
            self.loops = loops
            self.close_function()
        return draft.index

    def parameters(self, node: SgNode) -> tuple[Param, ...]:
        params: list[Param] = []
        for child in node.children():
            kind = child.kind()
            if kind == "identifier":
                params.append(self.param(child, child.text()))
            elif kind in (
                "typed_parameter",
                "default_parameter",
                "typed_default_parameter",
                "list_splat_pattern",
                "dictionary_splat_pattern",
            ):
                ident = child.field("name") or child_of_kind(child, "identifier")
                if ident is None:
                    inner = child_of_kind(child, "list_splat_pattern") or child_of_kind(
                        child, "dictionary_splat_pattern"
                    )
                    ident = child_of_kind(inner, "identifier") if inner is not None else None
                if ident is not None:
                    rest = "splat" in kind or "splat" in (
                        child.children()[0].kind() if child.children() else ""
                    )
                    params.append(self.param(ident, ident.text(), rest=rest, whole=child))
                    annotation = child.field("type")
                    cls = _annotated_class(annotation.text()) if annotation is not None else None
                    if cls is not None:
                        self.types[-1][ident.text()] = cls
                    if kind == "dictionary_splat_pattern" or child_of_kind(
                        child, "dictionary_splat_pattern"
                    ):
                        self.function.keyword_params.add(ident.text())
        return tuple(params)

    def import_statement(self, node: SgNode) -> list[Stmt]:
        for child in node.children():
            if child.kind() == "dotted_name":
                self.imports[child.text().split(".")[0]] = child.text().split(".")[0]
            elif child.kind() == "aliased_import":
                name, alias = child.field("name"), child.field("alias")
                if name is not None and alias is not None:
                    self.imports[alias.text()] = name.text()
        return []

    def import_from_statement(self, node: SgNode) -> list[Stmt]:
        source = node.field("module_name")
        if source is None:
            return []
        base = self._absolute(source)
        for child in node.children():
            if child == source:
                continue
            if child.kind() == "dotted_name":
                self.imports[child.text()] = f"{base}.{child.text()}" if base else child.text()
            elif child.kind() == "aliased_import":
                name, alias = child.field("name"), child.field("alias")
                if name is not None and alias is not None:
                    self.imports[alias.text()] = f"{base}.{name.text()}" if base else name.text()
        return []

    def _absolute(self, source: SgNode) -> str:
        if source.kind() != "relative_import":
            return source.text()
        prefix = child_of_kind(source, "import_prefix")
        dots = len(prefix.text()) if prefix is not None else 1
        package = self.package.split(".") if self.package else []
        base = package[: len(package) - (dots - 1)] if dots > 1 else package
        rest = child_of_kind(source, "dotted_name")
        return ".".join([*base, *([rest.text()] if rest is not None else [])])

    # --- expressions -----------------------------------------------------------------


# What owns the statements of a body at its top level.
_OWNERS = ("function_definition", "module")

_STATEMENTS = {
    "expression_statement": _Python.expression_statement,
    "return_statement": _Python.return_statement,
    "raise_statement": _Python.raise_statement,
    "if_statement": _Python.if_statement,
    "assert_statement": _Python.assert_statement,
    "for_statement": _Python.for_statement,
    "while_statement": _Python.while_statement,
    "try_statement": _Python.try_statement,
    "with_statement": _Python.with_statement,
    "function_definition": _Python.function_definition,
    "decorated_definition": _Python.decorated_definition,
    "class_definition": _Python.class_definition,
    "import_statement": _Python.import_statement,
    "import_from_statement": _Python.import_from_statement,
}


_ANNOTATION = re.compile(r"(?:(?:typing\.)?(?:Annotated|Optional)\[\s*)?([A-Za-z_][\w.]*)")


def _annotated_class(annotation: str) -> str | None:
    """`Repo`, `db.Repo`, `Optional[Repo]`, `Annotated[Repo, Depends(...)]` -> the class
    (a capitalised last name; `str`, `int`, `list[...]` are not classes of the project)."""
    annotation = annotation.strip().strip("'\"")  # a forward reference: `-> "Repo"`
    found = _ANNOTATION.match(annotation)
    if found is None:
        return None
    cls = found.group(1)
    rest = annotation[found.end() :].strip()
    if rest and not rest.startswith((",", "]")):
        return None  # `Repo | None`, `Repo[int]`: leave it
    return cls if cls.rpartition(".")[2][:1].isupper() else None


# Flask route converters that make a number or a UUID of a path segment.
_TYPED_SEGMENT = re.compile(r"<(?:int|float|uuid)(?:\([^)]*\))?:([A-Za-z_][A-Za-z0-9_]*)>")


def _typed_by_route(params: tuple[Param, ...], decorators: str) -> tuple[Param, ...]:
    """A parameter that a route converter types (`<int:id>`) carries no text."""
    typed = set(_TYPED_SEGMENT.findall(decorators))
    if not typed:
        return params
    return tuple(replace(p, sources=frozenset()) if p.name in typed else p for p in params)
