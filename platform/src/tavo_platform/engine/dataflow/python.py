"""Lowers a Python syntax tree (tree-sitter, through ast-grep) to the dataflow IR."""

from __future__ import annotations

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._lowering import LoweringBase, Unlowerable, access_path, union
from tavo_platform.engine.dataflow._patterns import Found
from tavo_platform.engine.dataflow.ir import (
    CONST,
    Arg,
    Assign,
    Block,
    Call,
    Eval,
    Exit,
    Expr,
    FunctionRef,
    If,
    Let,
    Loop,
    Module,
    Param,
    Propagate,
    Return,
    Stmt,
    Var,
)

# Builtins whose result carries no text of their argument.
CLEAN_CALLS = frozenset(
    {
        "int",
        "float",
        "bool",
        "len",
        "abs",
        "round",
        "ord",
        "hash",
        "id",
        "isinstance",
        "issubclass",
        "callable",
        "range",
        "uuid.UUID",
        "UUID",
        "decimal.Decimal",
        "Decimal",
        "datetime.date.fromisoformat",
        "date.fromisoformat",
    }
)
# Calls that never return: the code after them in a block is not reached.
EXIT_CALLS = frozenset({"abort", "flask.abort", "sys.exit", "exit", "os._exit", "quit"})
# Container methods that store their argument in the receiver.
STORING_METHODS = frozenset(
    {"append", "extend", "insert", "add", "update", "appendleft", "setdefault"}
)
_VALIDATING_METHODS = frozenset(
    {
        "startswith",
        "isdigit",
        "isnumeric",
        "isdecimal",
        "isalnum",
        "isalpha",
        "isidentifier",
        "fullmatch",
        "match",
    }
)
_LITERALS = frozenset(
    {
        "integer",
        "float",
        "true",
        "false",
        "none",
        "ellipsis",
        "comment",
        "comparison_operator",
        "not_operator",
    }
)
_SEQUENCES = frozenset(
    {
        "list",
        "tuple",
        "set",
        "expression_list",
        "parenthesized_expression",
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "concatenated_string",
        "binary_operator",
        "boolean_operator",
        "conditional_expression",
        "unary_operator",
        "list_splat",
        "dictionary_splat",
        "pair",
        "dictionary",
        "slice",
        "interpolation",
        "format_expression",
        "as_pattern",
    }
)
_COMPREHENSIONS = frozenset(
    {
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
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
        body.body = lowering.block(root)
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
    )


class _Python(LoweringBase):
    def __init__(self, found: Found, module: str, is_package: bool) -> None:
        super().__init__(found)
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.classes: dict[str, dict[str, int]] = {}
        self.class_stack: list[str] = []
        self.types: list[dict[str, str]] = [{}]  # per function: variable -> class name

    # --- statements ------------------------------------------------------------------

    def block(self, node: SgNode) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        for child in node.children():
            if child.is_named():
                out.extend(self.statement(child))
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
                out.extend(self.assignment(child))
            elif kind == "augmented_assignment":
                left, right = child.field("left"), child.field("right")
                if left is not None and right is not None:
                    value = self.expr(right)
                    out.append(Assign(self.targets(left), value, _line(child), augmented=True))
            else:
                value = self.expr(child)
                out.append(Eval(value))
                if kind == "call" and _callee_text(child) in EXIT_CALLS:
                    out.append(Exit())
        return out

    def assignment(self, node: SgNode) -> list[Stmt]:
        left, right = node.field("left"), node.field("right")
        if left is None or right is None:
            return []
        if right.kind() == "assignment":  # a = b = value
            inner = self.assignment(right)
            source = right.field("left")
            value: Expr = Var(source.text(), _line(node)) if source is not None else CONST
            return [*inner, Assign(self.targets(left), value, _line(node))]
        value = self.expr(right)
        if left.kind() == "identifier" and right.kind() == "call":
            callee = _callee_text(right)
            if callee and callee.rpartition(".")[2][:1].isupper():
                self.types[-1][left.text()] = callee
        return [Assign(self.targets(left), value, _line(node))]

    def targets(self, node: SgNode) -> tuple[str, ...]:
        kind = node.kind()
        if kind == "identifier":
            return (node.text(),)
        if kind in ("attribute", "subscript"):
            inner = node.field("object") or node.field("value")
            path = access_path(node, ("attribute",), ("object", "attribute"))
            roots = self.targets(inner) if inner is not None else ()
            return (path, *roots) if path else roots
        names: list[str] = []
        for child in node.children():
            if child.is_named():
                names.extend(self.targets(child))
        return tuple(names)

    def return_statement(self, node: SgNode) -> list[Stmt]:
        values = [self.expr(c) for c in node.children() if c.is_named()]
        # A rule may name the return statement itself as a sink (a route returning HTML).
        return [Return(self.wrap(node, union(values)), _line(node))]

    def raise_statement(self, node: SgNode) -> list[Stmt]:
        values = [self.expr(c) for c in node.children() if c.is_named()]
        return [Eval(union(values)), Exit()]

    def if_statement(self, node: SgNode) -> list[Stmt]:
        condition = node.field("condition")
        body = node.field("consequence")
        alternatives = [c for c in node.children() if c.kind() in ("elif_clause", "else_clause")]
        return [self._if(condition, body, alternatives)]

    def _if(self, condition: SgNode | None, body: SgNode | None, rest: list[SgNode]) -> If:
        orelse: tuple[Stmt, ...] = ()
        if rest:
            first = rest[0]
            if first.kind() == "elif_clause":
                orelse = (self._if(first.field("condition"), first.field("consequence"), rest[1:]),)
            else:
                orelse = self.block(first.field("body") or first)
        positive, negative = guarded_names(condition) if condition is not None else ((), ())
        return If(
            self.expr(condition) if condition is not None else CONST,
            self.block(body) if body is not None else (),
            orelse,
            positive,
            negative,
        )

    def assert_statement(self, node: SgNode) -> list[Stmt]:
        condition = next((c for c in node.children() if c.is_named()), None)
        if condition is None:
            return []
        positive, negative = guarded_names(condition)
        return [If(self.expr(condition), (), (Exit(),), positive, negative)]

    def for_statement(self, node: SgNode) -> list[Stmt]:
        left, right, body = node.field("left"), node.field("right"), node.field("body")
        targets = self.targets(left) if left is not None else ()
        iterable = self.expr(right) if right is not None else CONST
        loop = Loop(targets, iterable, self.block(body) if body is not None else (), _line(node))
        alternative = node.field("alternative")
        return [loop, *(self.block(alternative) if alternative is not None else ())]

    def while_statement(self, node: SgNode) -> list[Stmt]:
        condition, body = node.field("condition"), node.field("body")
        cond = self.expr(condition) if condition is not None else CONST
        return [
            Eval(cond),
            Loop((), CONST, self.block(body) if body is not None else (), _line(node)),
        ]

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
                tail.extend(self.block(child.field("body") or _last_block(child) or child))
        if handlers:
            out.append(Block(tuple(handlers)))
        return out + tail

    def _handler(self, node: SgNode) -> tuple[Stmt, ...]:
        body = _last_block(node)
        return self.block(body) if body is not None else ()

    def with_statement(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        for item in node.find_all(kind="with_item"):
            value = item.field("value")
            if value is None:
                continue
            if value.kind() == "as_pattern":
                source = next((c for c in value.children() if c.is_named()), None)
                target = value.field("alias") or _child_of_kind(value, "as_pattern_target")
                expr = self.expr(source) if source is not None else CONST
                names = self.targets(target) if target is not None else ()
                out.append(Assign(names, expr, _line(item)))
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
        out: list[Stmt] = []
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
                        self.classes[name][_name(definition)] = index
                        continue
                if child.is_named():
                    out.extend(self.statement(child))
        finally:
            self.class_stack.pop()
        return out

    def define_function(
        self, node: SgNode, decorators: SgNode | None, method_of: str | None = None
    ) -> int:
        name = _name(node)
        qualified = f"{method_of}.{name}" if method_of else self.qualified(name)
        owner = self.function
        draft = self.open_function(qualified, _line(node), method_of, method_of is not None)
        if method_of is None:
            owner.local_functions[name] = draft.index
        self.types.append({})
        try:
            parameters = node.field("parameters")
            draft.params = self.parameters(parameters) if parameters is not None else ()
            body = node.field("body")
            draft.body = self.block(body) if body is not None else ()
        finally:
            self.types.pop()
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
                ident = child.field("name") or _child_of_kind(child, "identifier")
                if ident is None:
                    inner = _child_of_kind(child, "list_splat_pattern") or _child_of_kind(
                        child, "dictionary_splat_pattern"
                    )
                    ident = _child_of_kind(inner, "identifier") if inner is not None else None
                if ident is not None:
                    rest = "splat" in kind or "splat" in (
                        child.children()[0].kind() if child.children() else ""
                    )
                    params.append(self.param(ident, ident.text(), rest=rest, whole=child))
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
        prefix = _child_of_kind(source, "import_prefix")
        dots = len(prefix.text()) if prefix is not None else 1
        package = self.package.split(".") if self.package else []
        base = package[: len(package) - (dots - 1)] if dots > 1 else package
        rest = _child_of_kind(source, "dotted_name")
        return ".".join([*base, *([rest.text()] if rest is not None else [])])

    # --- expressions -----------------------------------------------------------------

    def expr(self, node: SgNode) -> Expr:
        self.enter()
        try:
            return self.wrap(node, self._expr(node))
        finally:
            self.leave()

    def _expr(self, node: SgNode) -> Expr:
        kind = node.kind()
        if kind == "identifier":
            return Var(node.text(), _line(node))
        if kind == "attribute":
            path = (
                None
                if self.marked_inside(node, "object")
                else access_path(node, ("attribute",), ("object", "attribute"))
            )
            if path is not None:
                return Var(path, _line(node))
            inner = node.field("object")
            return self.expr(inner) if inner is not None else CONST
        if kind == "subscript":
            inner = node.field("value")
            return self.expr(inner) if inner is not None else CONST
        if kind == "call":
            return self.call(node)
        if kind == "string":
            return union([self.expr(c) for c in node.children() if c.kind() == "interpolation"])
        if kind in _LITERALS:
            return CONST
        if kind in ("await", "keyword_argument"):
            value = node.field("value") or _last_named(node)
            return self.expr(value) if value is not None else CONST
        if kind in _COMPREHENSIONS:
            return self.comprehension(node)
        if kind == "lambda":
            return self.lambda_(node)
        if kind == "named_expression":
            name, value = node.field("name"), node.field("value")
            if name is None or value is None:
                return CONST
            return Let((((name.text(),), self.expr(value)),), Var(name.text(), _line(node)))
        if kind in ("yield", "yield_statement"):
            yielded = _last_named(node)
            produced = self.expr(yielded) if yielded is not None else CONST
            return Propagate("<yield>", produced, _line(node))
        if kind == "conditional_expression":
            return self.conditional(node)
        if kind in _SEQUENCES:
            return union([self.expr(c) for c in node.children() if c.is_named()])
        return union([self.expr(c) for c in node.children() if c.is_named()])

    def conditional(self, node: SgNode) -> Expr:
        """`x if x in ALLOWED else "default"`: the guarded branch's `x` is checked."""
        named = [c for c in node.children() if c.is_named()]
        if len(named) != 3:
            return union([self.expr(c) for c in named])
        then, condition, otherwise = named
        positive, negative = guarded_names(condition)
        parts = [
            CONST if _path(branch) in checked else self.expr(branch)
            for branch, checked in ((then, positive), (otherwise, negative))
        ]
        self.expr(condition)
        return union(parts)

    def call(self, node: SgNode) -> Expr:
        function, arguments = node.field("function"), node.field("arguments")
        args = self.arguments(arguments) if arguments is not None else ()
        callee = _callee_text(node)
        receiver: Expr | None = None
        on_instance = False
        if function is not None and function.kind() == "attribute":
            target = function.field("object")
            if target is not None:
                receiver = self.expr(target)
                method = function.field("attribute")
                if method is not None and method.text() in STORING_METHODS:
                    path = access_path(target, ("attribute",), ("object", "attribute"))
                    if path is not None:
                        return Propagate(path, union([a.value for a in args]), _line(node))
            typed = self._typed(callee)
            on_instance = typed != callee
            callee = typed
        elif function is not None and function.kind() != "identifier":
            receiver = self.expr(function)
        if callee is not None:
            callee = self._imported(callee)
        lookup = (
            function is not None
            and function.kind() == "attribute"
            and function.field("attribute") is not None
            and function.field("attribute").text() == "get"  # type: ignore[union-attr]
        )
        return Call(
            callee,
            receiver,
            args,
            _line(node),
            clean=callee in CLEAN_CALLS,
            on_instance=on_instance,
            lookup=lookup,
        )

    def _typed(self, callee: str | None) -> str | None:
        """`x.m` where `x = SomeClass(...)` in this function -> `SomeClass.m`."""
        if callee is None or "." not in callee:
            return callee
        head, _, rest = callee.partition(".")
        # The innermost function that knows the variable's class (module globals too).
        known = next((types[head] for types in reversed(self.types) if head in types), None)
        return f"{known}.{rest}" if known else callee

    def _imported(self, callee: str) -> str:
        head, dot, rest = callee.partition(".")
        target = self.imports.get(head)
        if target is None:
            return callee
        return f"{target}{dot}{rest}"

    def arguments(self, node: SgNode) -> tuple[Arg, ...]:
        if node.kind() == "generator_expression":
            return (Arg(self.expr(node)),)
        args: list[Arg] = []
        for child in node.children():
            if not child.is_named() or child.kind() == "comment":
                continue
            kind = child.kind()
            if kind == "keyword_argument":
                name, value = child.field("name"), child.field("value")
                if name is not None and value is not None:
                    args.append(Arg(self.wrap(child, self.expr(value)), keyword=name.text()))
            elif kind in ("list_splat", "dictionary_splat"):
                args.append(Arg(self.expr(child), spread=True))
            else:
                args.append(Arg(self.expr(child)))
        return tuple(args)

    def comprehension(self, node: SgNode) -> Expr:
        bindings: list[tuple[tuple[str, ...], Expr]] = []
        body: list[Expr] = []
        for child in node.children():
            kind = child.kind()
            if kind == "for_in_clause":
                left, right = child.field("left"), child.field("right")
                if left is not None and right is not None:
                    bindings.append((self.targets(left), self.expr(right)))
            elif kind == "if_clause":
                continue
            elif child.is_named():
                body.append(child)  # type: ignore[arg-type]
        # The body reads the bound names, so it is lowered after them.
        return Let(tuple(bindings), union([self.expr(b) for b in body]))  # type: ignore[arg-type]

    def lambda_(self, node: SgNode) -> Expr:
        draft = self.open_function(self.qualified("<lambda>"), _line(node))
        try:
            parameters = node.field("parameters")
            draft.params = self.parameters(parameters) if parameters is not None else ()
            body = node.field("body")
            draft.body = (Return(self.expr(body), _line(node)),) if body is not None else ()
        finally:
            self.close_function()
        return FunctionRef(draft.index)


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


def guarded_names(condition: SgNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names the condition validates when it holds (first) or when it fails (second):
    `x in ALLOWED`, `x.isdigit()`, `path.startswith(base)`, `re.fullmatch(p, x)`,
    `isinstance(x, int)`, negations and and/or combinations of them."""
    kind = condition.kind()
    if kind == "parenthesized_expression":
        inner = _last_named(condition)
        return guarded_names(inner) if inner is not None else ((), ())
    if kind == "not_operator":
        inner = condition.field("argument")
        positive, negative = guarded_names(inner) if inner is not None else ((), ())
        return negative, positive
    if kind == "boolean_operator":
        left, right = condition.field("left"), condition.field("right")
        lp, ln = guarded_names(left) if left is not None else ((), ())
        rp, rn = guarded_names(right) if right is not None else ((), ())
        operator = condition.field("operator")
        if operator is not None and operator.text() == "and":
            return lp + rp, ()
        return (), ln + rn
    if kind == "comparison_operator":
        return _comparison_guard(condition)
    if kind == "call":
        return _call_guard(condition), ()
    return (), ()


def _comparison_guard(node: SgNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    named = [c for c in node.children() if c.is_named()]
    operators = [c.text() for c in node.children() if not c.is_named()]
    if len(named) != 2 or not operators:
        return (), ()
    subject = _path(named[0])
    if subject is None:
        return (), ()
    operator = " ".join(operators)
    if operator in ("in", "=="):
        return (subject,), ()
    if operator in ("not in", "!="):
        return (), (subject,)
    return (), ()


def _call_guard(node: SgNode) -> tuple[str, ...]:
    function, arguments = node.field("function"), node.field("arguments")
    if function is None or arguments is None:
        return ()
    args = [c for c in arguments.children() if c.is_named()]
    if function.kind() == "attribute":
        method = function.field("attribute")
        target = function.field("object")
        if method is None or method.text() not in _VALIDATING_METHODS:
            return ()
        if method.text() in ("fullmatch", "match"):
            # re.fullmatch(pattern, x) or compiled.fullmatch(x)
            subject = (
                args[1]
                if target is not None and target.text() == "re" and len(args) > 1
                else (args[0] if args else None)
            )
            found = _path(subject) if subject is not None else None
            return (found,) if found else ()
        found = _path(target) if target is not None else None
        return (found,) if found else ()
    if function.text() == "isinstance" and args:
        found = _path(args[0])
        return (found,) if found else ()
    return ()


def _path(node: SgNode) -> str | None:
    if node.kind() == "identifier":
        return node.text()
    if node.kind() == "attribute":
        return access_path(node, ("attribute",), ("object", "attribute"))
    return None


def _callee_text(call: SgNode) -> str | None:
    function = call.field("function")
    if function is None:
        return None
    if function.kind() == "identifier":
        return function.text()
    if function.kind() == "attribute":
        return access_path(function, ("attribute",), ("object", "attribute"))
    return None


def _name(node: SgNode) -> str:
    name = node.field("name")
    return name.text() if name is not None else "<anonymous>"


def _line(node: SgNode) -> int:
    return node.range().start.line + 1


def _child_of_kind(node: SgNode, kind: str) -> SgNode | None:
    return next((c for c in node.children() if c.kind() == kind), None)


def _last_named(node: SgNode) -> SgNode | None:
    named = [c for c in node.children() if c.is_named()]
    return named[-1] if named else None


def _last_block(node: SgNode) -> SgNode | None:
    blocks = [c for c in node.children() if c.kind() == "block"]
    return blocks[-1] if blocks else None
