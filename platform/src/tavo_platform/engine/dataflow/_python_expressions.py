"""Python expressions to IR: names, attributes, calls, literals, comprehensions, lambdas."""

from __future__ import annotations

import re
import string
from dataclasses import replace

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._lowering import LoweringBase, union
from tavo_platform.engine.dataflow._patterns import Found, node_key
from tavo_platform.engine.dataflow._python_syntax import (
    CLEAN_CALLS,
    COMPREHENSIONS,
    LITERALS,
    SEQUENCES,
    STORING_METHODS,
    attribute_path,
    callee_text,
    guarded_names,
    last_named,
    line_of,
    path_of,
    picked_table,
)
from tavo_platform.engine.dataflow.ir import (
    CONST,
    PICKED,
    RETURNED,
    Arg,
    Call,
    Expr,
    Field,
    FunctionRef,
    Let,
    Param,
    Propagate,
    Return,
    Sanitize,
    Var,
)

# Calls that bind a function to arguments for a later call, and methods that call the
# function they are given later (a thread pool, FastAPI/Starlette background tasks).
_BINDING_CALLS = frozenset({"partial", "functools.partial"})
_DEFERRING_METHODS = frozenset({"submit", "add_task", "run_in_executor", "to_thread"})
_THREAD_CLASSES = frozenset(
    {"Thread", "threading.Thread", "Process", "multiprocessing.Process", "Timer"}
)
_CLEANED = re.compile(r"^(?:cleaned_data|validated_data)\.\[(\w+)\]")


class PythonExpressions(LoweringBase):
    """The expression half of the Python adapter (the statement half subclasses it)."""

    STRING_KINDS = frozenset({"string"})
    TEXT_KINDS = frozenset({"string_content", "escape_sequence"})
    HOLE_KINDS = frozenset({"interpolation"})
    CONCAT_KIND = "binary_operator"
    GLUED_KINDS = frozenset({"concatenated_string"})

    imports: dict[str, str]
    types: list[dict[str, str]]
    class_stack: list[str]
    attribute_types: dict[str, dict[str, str]]

    def __init__(self, found: Found) -> None:
        super().__init__(found)
        # Names bound to functools.partial(f, ...), by the function binding them (its
        # index): the function and the arguments bound.
        self._partials: dict[tuple[int, str], tuple[str, tuple[Arg, ...]]] = {}

    def parameters(self, node: SgNode) -> tuple[Param, ...]:
        raise NotImplementedError

    def targets(self, node: SgNode) -> tuple[str, ...]:
        raise NotImplementedError

    def expr(self, node: SgNode) -> Expr:
        self.enter()
        try:
            value = self._expr(node)
            # Most nodes are neither sources, sinks nor sanitisers: `wrap` only for those.
            return self.wrap(node, value) if node in self.found.touched else value
        finally:
            self.depth -= 1  # leave()

    def _expr(self, node: SgNode) -> Expr:
        kind = node.kind()
        if kind == "identifier":
            return Var(node.text(), line_of(node))
        if kind == "attribute":
            path = None if self.marked_inside(node, "object") else attribute_path(node)
            if path is not None:
                return self._field(Var(path, line_of(node)))
            inner = node.field("object")
            return self.expr(inner) if inner is not None else CONST
        if kind == "subscript":
            inner = node.field("value")
            keyed = self.keyed_path(node)
            if keyed is not None:
                return self._field(Var(keyed, line_of(node)))
            return self.expr(inner) if inner is not None else CONST
        if kind == "call":
            return self.call(node)
        if self.found.after_text:
            if kind == "binary_operator":
                operator = _operator(node)
                if operator == "+":
                    return self.built(node, "")[0]
                if operator == "%":
                    return self.percent(node)
            elif kind in self.STRING_KINDS or kind in self.GLUED_KINDS:
                return self.built(node, "")[0]
        if kind == "string":
            if "{" not in node.text():  # no value placed in it: one call, not one a part
                return CONST
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

    def decided(self, condition: SgNode | None) -> bool | None:
        """The fixed outcome of a condition, if it has one (the module lowering knows
        which names hold literals)."""
        return None

    def conditional(self, node: SgNode) -> Expr:
        """`x if x in ALLOWED else "default"`: the guarded branch's `x` is checked."""
        named = [c for c in node.children() if c.is_named()]
        if len(named) != 3:
            return union([self.expr(c) for c in named])
        then, condition, otherwise = named
        decided = self.decided(condition)
        if decided is not None:  # `"safe" if 7 * 42 - 106 > 200 else value`
            return self.expr(then if decided else otherwise)
        positive, negative = guarded_names(condition, self.function.checks)
        parts = [
            CONST if path_of(branch) in checked else self.expr(branch)
            for branch, checked in ((then, positive), (otherwise, negative))
        ]
        self.expr(condition)
        return union(parts)

    def percent(self, node: SgNode) -> Expr:
        """`"%s?%s" % (url, query)`: each value after the literal text before its
        conversion (see `after`)."""
        left, right = node.field("left"), node.field("right")
        parts = [self.expr(c) for c in node.children() if c.is_named()]
        text = _literal_text(left) if left is not None else None
        if text is None or right is None or right.kind() == "dictionary":
            return union(parts)
        before = [text[: m.start()] for m in _CONVERSION.finditer(text) if m.group(1) != "%"]
        if right.kind() != "tuple":
            if len(before) != 1:  # a tuple held in a variable: which value goes where?
                return union(parts)
            return union([parts[0], self.after(before[0], parts[1])])
        values = [
            self.after(before[i], self.expr(v)) if i < len(before) else self.expr(v)
            for i, v in enumerate(c for c in right.children() if c.is_named())
        ]
        return union([parts[0], self.wrap(right, union(values))])

    def call(self, node: SgNode) -> Expr:
        function, arguments = node.field("function"), node.field("arguments")
        args = self.arguments(arguments) if arguments is not None else ()
        # Each part of the callee asked of the parser once (this runs for every call).
        kind = function.kind() if function is not None else None
        target = method = None
        if kind == "attribute":
            target, method = function.field("object"), function.field("attribute")  # type: ignore[union-attr]
        name = method.text() if method is not None else None
        if self.found.after_text and name == "format":
            args = self._formatted(function, args)  # type: ignore[arg-type]
        callee = path_of(function) if kind in ("identifier", "attribute") else None  # type: ignore[arg-type]
        line = line_of(node)
        receiver: Expr | None = None
        on_instance = False
        if kind == "attribute":
            if target is not None:
                receiver = self.expr(target)
                if name in STORING_METHODS:
                    path = path_of(target)
                    if path is not None:
                        return Propagate(path, union([a.value for a in args]), line)
            typed = self._typed(callee) if callee is not None else _constructed(target, method)
            on_instance = typed != callee
            callee = typed
        elif function is not None and kind != "identifier":
            receiver = self.expr(function)
        if callee is not None:
            callee = self._imported(callee)
        table = self._called_table(function, kind)
        if table is not None:  # `HANDLERS[kind](data)`: one of the table's functions
            callee = table + PICKED
        lookup = name in LOOKUP_METHODS
        if name == "get" and arguments is not None:
            # `ctx.get("url", default)`: the element at that key, or the default
            named = [c for c in arguments.children() if c.is_named() and c.kind() != "comment"]
            key = constant_key(named[0]) if named else None
            owner = self.unmarked_path(target) if target is not None and key else None
            # An object of a project class (`repo.get("id")`) or a module (`store.get(k)`)
            # runs its own `get`.
            if (
                owner is not None
                and not on_instance
                and owner not in ("self", "cls")
                and owner.partition(".")[0] not in self.imports
            ):
                element = Var(f"{owner}.[{key}]", line)
                return union([element, *(a.value for a in args[1:])])
        clean = callee in CLEAN_CALLS
        made = self.called(
            Call(callee, receiver, args, line, clean, on_instance=on_instance, lookup=lookup)
        )
        later = self._deferred(node, name, callee, kind, function, args)
        return union([made, later]) if later is not None else made

    def _deferred(
        self,
        node: SgNode,
        method: str | None,
        callee: str | None,
        kind: str | None,
        function: SgNode | None,
        args: tuple[Arg, ...],
    ) -> Call | None:
        """The call of a project function that this call makes later, with the arguments
        it was given: functools.partial(f, a) (and a name bound to it, called later with
        more), executor.submit(f, a), background_tasks.add_task(f, a),
        asyncio.to_thread(f, a), loop.run_in_executor(None, f, a), a Celery task's
        task.delay(a), threading.Thread(target=f, args=(a,))."""
        if kind == "identifier" and function is not None:
            bound = self._partials.get((self.current[-1], function.text())) or (
                self._partials.get((0, function.text()))
            )
            if bound is not None:
                return self.called(Call(bound[0], None, (*bound[1], *args), line_of(node)))
            if callee not in _BINDING_CALLS:
                return None
        elif callee in _THREAD_CLASSES:
            return self._thread_target(node, args)
        elif method == "delay" and function is not None:
            # a Celery task queued with its arguments: convert.delay(path)
            task = function.field("object")
            path = path_of(task) if task is not None else None
            if path is None or path.partition(".")[0] in ("self", "cls"):
                return None
            return self.called(Call(self._imported(path), None, args, line_of(node)))
        elif method not in _DEFERRING_METHODS and callee not in _BINDING_CALLS:
            return None
        skip = 2 if method == "run_in_executor" else 1
        arguments = node.field("arguments")
        named = [c for c in arguments.children() if c.is_named()] if arguments else []
        target = named[skip - 1] if len(named) >= skip else None
        path = path_of(target) if target is not None else None
        if path is None or path.partition(".")[0] in ("self", "cls") or len(args) < skip:
            return None
        rest = tuple(args[skip:])
        parent = node.parent() if callee in _BINDING_CALLS else None
        if parent is not None and parent.kind() == "assignment":
            # `job = partial(f, a)`, then `job(b)` calls f(a, b)
            left = parent.field("left")
            if left is not None and left.kind() == "identifier":
                self._partials[(self.current[-1], left.text())] = (self._imported(path), rest)
        return self.called(Call(self._imported(path), None, rest, line_of(node)))

    def _thread_target(self, node: SgNode, args: tuple[Arg, ...]) -> Call | None:
        """Thread(target=f, args=(a,)) (a Process, a Timer) runs f(a) once started."""
        given = {a.keyword: a.value for a in args if a.keyword == "args"}
        arguments = node.field("arguments")
        target = next(
            (
                c.field("value")
                for c in (arguments.children() if arguments is not None else [])
                if c.kind() == "keyword_argument" and (c.field("name") or c).text() == "target"
            ),
            None,
        )
        path = path_of(target) if target is not None else None
        if path is None or "args" not in given or path.partition(".")[0] in ("self", "cls"):
            return None
        spread = (Arg(given["args"], spread=True),)
        return self.called(Call(self._imported(path), None, spread, line_of(node)))

    def _formatted(self, function: SgNode, args: tuple[Arg, ...]) -> tuple[Arg, ...]:
        """`"{}?{}".format(url, query)`: each argument after the literal text before every
        field that uses it (see `after`)."""
        method, owner = function.field("attribute"), function.field("object")
        if method is None or method.text() != "format" or owner is None:
            return args
        text = _literal_text(owner)
        if text is None:
            return args
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError:
            return args
        seen = ""
        automatic = 0
        before: dict[int | str, list[str]] = {}
        for literal, name, _, _ in fields:
            seen += literal
            if name is None:
                continue
            head = re.split(r"[.\[]", name, maxsplit=1)[0]
            key: int | str
            if head == "":
                key, automatic = automatic, automatic + 1
            else:
                key = int(head) if head.isdigit() else head
            before.setdefault(key, []).append(seen)
        out: list[Arg] = []
        position = 0
        for arg in args:
            key = arg.keyword if arg.keyword is not None else position
            if arg.keyword is None and not arg.spread:
                position += 1
            texts = before.get(key) if not arg.spread else None
            value = arg.value
            if texts:
                # Used in several places: clean only for what every place cleans.
                cleaned = [self.after(t, value) for t in texts]
                rules = [c.rules if isinstance(c, Sanitize) else frozenset() for c in cleaned]
                common = frozenset.intersection(*rules)
                value = Sanitize(common, value) if common else value
            out.append(replace(arg, value=value))
        return tuple(out)

    def _typed(self, callee: str | None) -> str | None:
        """`x.m` where `x = SomeClass(...)` in this function -> `SomeClass.m`."""
        if callee is None or "." not in callee:
            return callee
        head, _, rest = callee.partition(".")
        if head == "self" and self.class_stack:
            attribute, _, method = rest.partition(".")
            cls = self.attribute_types.get(self.class_stack[-1], {}).get(attribute)
            return f"{cls}.{method}" if cls and method and "." not in method else callee
        # The innermost function that knows the variable's class (module globals too).
        known = next((types[head] for types in reversed(self.types) if head in types), None)
        return f"{known}.{rest}" if known else callee

    def imported(self, name: str) -> str:
        return self._imported(name)

    def _field(self, read: Var) -> Expr:
        """`q.size` of a variable whose class is known (`q: ItemQuery`, `q = ItemQuery(...)`):
        the solver clears it when the class declares `size` with a type holding no text."""
        root, _, rest = read.name.partition(".")
        cls = self.types[-1].get(root) if rest and root not in ("self", "cls") else None
        if cls is None or RETURNED in cls:
            return read
        cleaned = _CLEANED.match(rest)  # form.cleaned_data["limit"], DRF's validated_data
        return Field(read, self.imported(cls), cleaned[1] if cleaned else rest.partition(".")[0])

    def _called_table(self, function: SgNode | None, kind: str | None) -> str | None:
        if function is None:
            return None
        if kind == "identifier":
            return self.function.picked.get(function.text())
        return self.picked(function) if kind in ("subscript", "call") else None

    def picked(self, node: SgNode) -> str | None:
        """The table a function is picked from (`picked_table`), or `getattr:<where>` for
        `getattr(obj, name)` with a computed name, where `obj` is an object of a known class
        or an imported module: one of that class's methods or of the module's functions."""
        table = picked_table(node)
        if table is not None or node.kind() != "call" or callee_text(node) != "getattr":
            return table
        arguments = node.field("arguments")
        named = [c for c in arguments.children() if c.is_named()] if arguments else []
        if len(named) < 2 or named[1].kind() == "string":
            return None
        owner = named[0].text()
        if named[0].kind() == "call":  # getattr(Tasks(), name)
            made = callee_text(named[0])
            built = made is not None and made.rpartition(".")[2][:1].isupper()
            return "getattr:" + self._imported(made) if made and built else None
        if named[0].kind() != "identifier":
            return None
        known = next((types[owner] for types in reversed(self.types) if owner in types), None)
        if known is None and owner not in self.imports:
            return None
        return "getattr:" + self._imported(known or owner)

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
            if not child.is_named():
                continue
            kind = child.kind()
            if kind == "comment":
                continue
            if kind == "keyword_argument":
                name, value = child.field("name"), child.field("value")
                if name is not None and value is not None:
                    args.append(Arg(self.wrap(child, self.expr(value)), keyword=name.text()))
            elif kind in ("list_splat", "dictionary_splat"):
                args.append(Arg(self.expr(child), spread=True))
            else:
                args.append(Arg(self.expr(child)))
        return tuple(args)

    def unmarked_path(self, node: SgNode) -> str | None:
        """The access path of `node` (`ctx`, `self.cache`) when no rule marks it or a node
        inside it (`request.GET` is a source: read through the source, not by name)."""
        found = path_of(node)
        if found is None:
            return None
        marks = self.found
        key = node_key(node)
        if key in marks.sources or key in marks.sanitizers or key in marks.sinks:
            return None
        if node.kind() == "attribute" and self.marked_inside(node, "object"):
            return None
        return found

    def keyed_path(self, node: SgNode) -> str | None:
        """`ctx["url"]` -> `ctx.[url]`: the element of a container at a constant key, as an
        access path of its own (reads of other keys do not see it). None for anything
        else (a computed key, a marked container)."""
        inner = node.field("value")
        keys = [c for c in node.children() if c.is_named() and c != inner]
        if inner is None or len(keys) != 1:
            return None
        key = constant_key(keys[0])
        owner = self.unmarked_path(inner) if key is not None else None
        if owner is None:
            return None
        return f"{owner}.[{key}]"

    def keyword_name(self, left: SgNode | None, right: SgNode | None) -> str | None:
        """In `for name, value in kwargs.items()` over the function's own `**kwargs`, the
        name: a keyword written at a call site (`f(title=x)`), not data. Else None."""
        if left is None or right is None or right.kind() != "call":
            return None
        callee = callee_text(right) or ""
        owner, dot, method = callee.rpartition(".")
        if not dot or method != "items" or owner not in self.function.keyword_params:
            return None
        if right.field("arguments") is not None and any(
            c.is_named()
            for c in right.field("arguments").children()  # type: ignore[union-attr]
        ):
            return None
        names = [c for c in left.children() if c.is_named()]
        if left.kind() in ("pattern_list", "tuple_pattern") and len(names) == 2:
            return names[0].text() if names[0].kind() == "identifier" else None
        return None

    def comprehension(self, node: SgNode) -> Expr:
        bindings: list[tuple[tuple[str, ...], Expr]] = []
        body: list[Expr] = []
        for child in node.children():
            kind = child.kind()
            if kind == "for_in_clause":
                left, right = child.field("left"), child.field("right")
                if left is not None and right is not None:
                    names = self.targets(left)
                    key = self.keyword_name(left, right)
                    if key is not None:
                        bindings.append(((key,), CONST))
                        names = tuple(n for n in names if n != key)
                    bindings.append((names, self.expr(right)))
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


# A %-conversion: `%s`, `%(name)s`, `%-10.3f`; group 1 is the conversion (`%` for "%%").
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([a-zA-Z%])")


def _operator(node: SgNode) -> str | None:
    operator = node.field("operator")
    return operator.text() if operator is not None else None


def _literal_text(node: SgNode) -> str | None:
    """The text of a string literal with no values placed in it (adjacent literals
    joined); None for anything else."""
    if node.kind() == "concatenated_string":
        texts = [_literal_text(c) for c in node.children() if c.is_named()]
        return None if any(t is None for t in texts) else "".join(t or "" for t in texts)
    if node.kind() != "string":
        return None
    text = ""
    for child in node.children():
        if child.kind() == "interpolation":
            return None
        if child.kind() in ("string_content", "escape_sequence"):
            text += child.text()
    return text


def _constructed(target: SgNode | None, method: SgNode | None) -> str | None:
    """`Service(x).greet` -> `Service.greet`: a method called on an object built in place
    (`target` and `method`: the callee's object and attribute)."""
    if target is None or method is None or target.kind() != "call":
        return None
    constructor = callee_text(target)
    if not constructor or constructor.partition(".")[0] in ("self", "cls"):
        return None
    if not constructor.rpartition(".")[2][:1].isupper():
        # `get_repo().find`: a method of what the function returns (Function.returns)
        return f"{constructor}.{RETURNED}.{method.text()}"
    return f"{constructor}.{method.text()}"


_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def constant_key(node: SgNode) -> str | None:
    """A subscript or `.get` key written as a literal: a short string or an integer."""
    text: str | None
    if node.kind() == "integer":
        text = node.text()
    else:
        text = _literal_text(node) if node.kind() == "string" else None
    return text if text is not None and _KEY.match(text) else None


# Lookups: `mapping.get(key, default)`, `multidict.getlist(key)`, `mapping.pop(key, default)`
# return an element of the receiver (or the default), never the key.
LOOKUP_METHODS = frozenset({"get", "getlist", "pop"})
