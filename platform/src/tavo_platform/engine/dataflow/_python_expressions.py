"""Python expressions to IR: names, attributes, calls, literals, comprehensions, lambdas."""

from __future__ import annotations

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._lowering import LoweringBase, access_path, union
from tavo_platform.engine.dataflow._python_syntax import (
    CLEAN_CALLS,
    COMPREHENSIONS,
    LITERALS,
    SEQUENCES,
    STORING_METHODS,
    callee_text,
    guarded_names,
    last_named,
    line_of,
    path_of,
)
from tavo_platform.engine.dataflow.ir import (
    CONST,
    Arg,
    Call,
    Expr,
    FunctionRef,
    Let,
    Param,
    Propagate,
    Return,
    Var,
)


class PythonExpressions(LoweringBase):
    """The expression half of the Python adapter (the statement half subclasses it)."""

    imports: dict[str, str]
    types: list[dict[str, str]]

    def parameters(self, node: SgNode) -> tuple[Param, ...]:
        raise NotImplementedError

    def targets(self, node: SgNode) -> tuple[str, ...]:
        raise NotImplementedError

    def expr(self, node: SgNode) -> Expr:
        self.enter()
        try:
            return self.wrap(node, self._expr(node))
        finally:
            self.leave()

    def _expr(self, node: SgNode) -> Expr:
        kind = node.kind()
        if kind == "identifier":
            return Var(node.text(), line_of(node))
        if kind == "attribute":
            path = (
                None
                if self.marked_inside(node, "object")
                else access_path(node, ("attribute",), ("object", "attribute"))
            )
            if path is not None:
                return Var(path, line_of(node))
            inner = node.field("object")
            return self.expr(inner) if inner is not None else CONST
        if kind == "subscript":
            inner = node.field("value")
            return self.expr(inner) if inner is not None else CONST
        if kind == "call":
            return self.call(node)
        if kind == "string":
            return union([self.expr(c) for c in node.children() if c.kind() == "interpolation"])
        if kind in LITERALS:
            return CONST
        if kind in ("await", "keyword_argument"):
            value = node.field("value") or last_named(node)
            return self.expr(value) if value is not None else CONST
        if kind in COMPREHENSIONS:
            return self.comprehension(node)
        if kind == "lambda":
            return self.lambda_(node)
        if kind == "named_expression":
            name, value = node.field("name"), node.field("value")
            if name is None or value is None:
                return CONST
            return Let((((name.text(),), self.expr(value)),), Var(name.text(), line_of(node)))
        if kind in ("yield", "yield_statement"):
            yielded = last_named(node)
            produced = self.expr(yielded) if yielded is not None else CONST
            return Propagate("<yield>", produced, line_of(node))
        if kind == "conditional_expression":
            return self.conditional(node)
        if kind in SEQUENCES:
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
            CONST if path_of(branch) in checked else self.expr(branch)
            for branch, checked in ((then, positive), (otherwise, negative))
        ]
        self.expr(condition)
        return union(parts)

    def call(self, node: SgNode) -> Expr:
        function, arguments = node.field("function"), node.field("arguments")
        args = self.arguments(arguments) if arguments is not None else ()
        callee = callee_text(node)
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
                        return Propagate(path, union([a.value for a in args]), line_of(node))
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
        return self.called(
            Call(
                callee,
                receiver,
                args,
                line_of(node),
                clean=callee in CLEAN_CALLS,
                on_instance=on_instance,
                lookup=lookup,
            )
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
        draft = self.open_function(self.qualified("<lambda>"), line_of(node))
        try:
            parameters = node.field("parameters")
            draft.params = self.parameters(parameters) if parameters is not None else ()
            body = node.field("body")
            draft.body = (Return(self.expr(body), line_of(node)),) if body is not None else ()
        finally:
            self.close_function()
        return FunctionRef(draft.index)
