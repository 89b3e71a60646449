"""JavaScript/TypeScript expressions to IR: names, members, calls, templates, callbacks."""

from __future__ import annotations

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._constant_conditions import Literal, decide_javascript
from tavo_platform.engine.dataflow._javascript_schemas import (
    PARSE_METHODS,
    Schemas,
    destructured,
)
from tavo_platform.engine.dataflow._javascript_syntax import (
    ARITHMETIC,
    CALLBACK_METHODS,
    CLEAN_CALLS,
    COMPARISONS,
    EXIT_CALLS,
    FUNCTIONS,
    LITERALS,
    MEMBER,
    MEMBER_FIELDS,
    NORMALISING,
    RELATIVE_CALLS,
    STORING_METHODS,
    annotated_class,
    callee_text,
    guarded_names,
    is_pieced,
    line_of,
    outside_checks,
    path_of,
    prefix_checked,
    request_local,
)
from tavo_platform.engine.dataflow._lowering import LoweringBase, access_path, union
from tavo_platform.engine.dataflow._patterns import node_key
from tavo_platform.engine.dataflow.ir import (
    CONST,
    PICKED,
    Arg,
    Assign,
    Call,
    Expr,
    FunctionRef,
    Let,
    Param,
    Propagate,
    Stmt,
    Union,
    Var,
)


class JavaScriptExpressions(LoweringBase):
    """The expression half of the JS/TS adapter (the statement half subclasses it)."""

    STRING_KINDS = frozenset({"string", "template_string"})
    TEXT_KINDS = frozenset({"string_fragment", "escape_sequence"})
    HOLE_KINDS = frozenset({"template_substitution"})
    CONCAT_KIND = "binary_expression"

    imports: dict[str, str]
    types: dict[str, str]
    # Per function, innermost last: names holding a path built from pieces, and names
    # holding path.relative(base, target) -> target (see `guards`).
    pieced: list[set[str]]
    relatives: list[dict[str, str]]
    param_types: list[dict[str, str]]  # per function: parameter -> its annotated class
    field_types: list[dict[str, str]]  # per class lowered: `this.<field>` -> its class
    _schemas: Schemas | None = None  # the file's validation schemas, read on first use

    def define(self, node: SgNode, name: str, owner: str | None = None) -> int:
        raise NotImplementedError

    def targets(self, node: SgNode) -> tuple[str, ...]:
        raise NotImplementedError

    def parameters(self, node: SgNode, prologue: list[Stmt]) -> tuple[Param, ...]:
        single = node.field("parameter")
        if single is not None:
            return (self.param(single, single.text()),)
        parameters = node.field("parameters")
        if parameters is None:
            return ()
        params: list[Param] = []
        # A rule may mark the whole parameter list (every argument of a tool's execute).
        whole_rules, whole_label = self.found.sources.get(node_key(parameters), (frozenset(), ""))
        for child in parameters.children():
            if not child.is_named() or child.kind() == "comment":
                continue
            pattern = child.field("pattern") or child
            if pattern.kind() == "assignment_pattern":
                pattern = pattern.field("left") or pattern
            rest = pattern.kind() == "rest_pattern"
            if rest:
                pattern = next((c for c in pattern.children() if c.is_named()), pattern)
            if pattern.kind() == "identifier":
                params.append(self.param(pattern, pattern.text(), rest=rest, whole=child))
                annotation = child.field("type") if child is not pattern else None
                cls = annotated_class(annotation.text()) if annotation is not None else None
                if cls is not None:  # `repo: Repo`: its methods are Repo's
                    self.param_types[-1][pattern.text()] = cls
                continue
            name = f"<param{len(params)}>"
            sources, label = self.nested_sources(child)
            param = self.param(child, name, rest=rest)
            params.append(Param(name, rest, param.sources | sources, label or param.label))
            prologue.append(
                Assign(self.targets(pattern), Var(name, line_of(child)), line_of(child))
            )
            if whole_rules and pattern.kind() == "object_pattern":
                # fields the tool's schema admits only as numbers, enums, ... hold no text
                checked = self.schemas(node).checked_fields(node)
                prologue.extend(
                    Assign((bound,), CONST, line_of(child))
                    for field, bound in destructured(pattern)
                    if field in checked
                )
        if whole_rules:
            params = [
                Param(p.name, p.rest, p.sources | whole_rules, whole_label or p.label)
                for p in params
            ]
        return tuple(params)

    def nested_sources(self, node: SgNode) -> tuple[frozenset[str], str]:
        rules: frozenset[str] = frozenset()
        label = ""
        pending = [node]
        while pending:
            current = pending.pop()
            found = self.found.sources.get(node_key(current))
            if found is not None:
                rules, label = rules | found[0], label or found[1]
            pending.extend(current.children())
        return rules, label

    def expr(self, node: SgNode) -> Expr:
        self.enter()
        try:
            return self.wrap(node, self._expr(node))
        finally:
            self.leave()

    def _expr(self, node: SgNode) -> Expr:
        kind = node.kind()
        if kind in ("identifier", "this", "shorthand_property_identifier"):
            return Var(node.text(), line_of(node))
        if kind == "member_expression":
            marked = self.marked_inside(node, "object")
            path = access_path(node, MEMBER, MEMBER_FIELDS)
            if marked and path is not None and any(path in c for c in self.checked):
                return CONST  # `req.query.to` read where a check of it held
            if path is not None and not marked:
                return Var(request_local(path), line_of(node))
            inner = node.field("object")
            return self.expr(inner) if inner is not None else CONST
        if kind == "subscript_expression":
            inner = node.field("object")
            return self.expr(inner) if inner is not None else CONST
        if kind in ("call_expression", "new_expression"):
            return self.call(node)
        if self.found.after_text and self.builds_string(node):
            return self.built(node, "")[0]
        if kind == "template_string":
            return union(
                [self.expr(c) for c in node.children() if c.kind() == "template_substitution"]
            )
        if kind in LITERALS:
            return CONST
        if kind == "binary_expression":
            operator = node.field("operator")
            if operator is not None and operator.text() in COMPARISONS | ARITHMETIC:
                return CONST
        if kind == "unary_expression":
            operator = node.field("operator")
            if operator is not None and operator.text() in ("!", "typeof", "-", "+", "~", "void"):
                return CONST
        if kind == "ternary_expression":
            return self.ternary(node)
        if kind in FUNCTIONS:
            return FunctionRef(self.define(node, "<anonymous>"))
        if kind == "method_definition":
            name = node.field("name")
            return FunctionRef(self.define(node, name.text() if name is not None else "<method>"))
        if kind == "assignment_expression":
            left, right = node.field("left"), node.field("right")
            if left is None or right is None:
                return CONST
            names = self.targets(left)
            return Let(
                ((names, self.expr(right)),), Var(names[0], line_of(node)) if names else CONST
            )
        if kind == "pair":
            value = node.field("value")
            return self.expr(value) if value is not None else CONST
        return union([self.expr(c) for c in node.children() if c.is_named()])

    literals: list[dict[str, Literal]]
    # Access paths into a source (`req.query.to`) a guard validated, innermost scope last:
    # the body of `if (ALLOWED.has(req.query.to))`, the statements after an `if` that
    # leaves when the check fails. (Names the solver cleans itself; these it cannot, as a
    # source read gives fresh taint each time.)
    checked: list[frozenset[str]]

    def checked_after(self, node: SgNode) -> frozenset[str]:
        """The paths an `if` statement leaves validated for the statements after it: those
        its failed check cleans, when its body always leaves and it has no else."""
        body = node.field("consequence")
        if node.field("alternative") is not None or body is None or not _leaves(body):
            return frozenset()
        return frozenset(self.guards(node.field("condition"))[1])

    def decided(self, condition: SgNode | None) -> bool | None:
        """The fixed outcome of a condition made of literals and `const` literals."""
        if condition is None:
            return None
        return decide_javascript(condition.text(), self.literals[-1])

    def guards(self, condition: SgNode | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The condition's guarded names (_javascript_syntax.guarded_names), less the paths a
        prefix check cannot protect (built by `+` or a template literal, never normalised:
        `base + "/" + name` still starts with base when name holds `../`), plus the targets
        of Node's `path.relative(base, target).startsWith("..")` containment check."""
        if condition is None:
            return (), ()
        positive, negative = guarded_names(condition)
        normalised = self.function.normalised
        if normalised:  # a check of normalizePath(p) checks p
            positive += tuple(normalised[n] for n in positive if n in normalised)
            negative += tuple(normalised[n] for n in negative if n in normalised)
        pieced, relatives = self.pieced[-1], self.relatives[-1]
        text = condition.text()
        if (not pieced and not relatives) or not (
            "startsWith" in text or "slice" in text or "substr" in text or "indexOf" in text
        ):
            return positive, negative
        weak = prefix_checked(condition) & pieced
        if weak:
            positive = tuple(n for n in positive if n not in weak)
            negative = tuple(n for n in negative if n not in weak)
        if relatives:
            more_positive, more_negative = outside_checks(condition, relatives)
            positive, negative = positive + more_positive, negative + more_negative
        return positive, negative

    def track_path(self, name: str, value: SgNode) -> None:
        """Notes what `name` now holds: a string built from pieces (`pieced`), or the
        relative path from a base to another path (`relatives`); forgets it otherwise."""
        pieced, relatives = self.pieced[-1], self.relatives[-1]
        pieced.discard(name)
        relatives.pop(name, None)
        if is_pieced(value):
            pieced.add(name)
        elif value.kind() == "call_expression" and callee_text(value) in RELATIVE_CALLS:
            arguments = value.field("arguments")
            named = [c for c in arguments.children() if c.is_named()] if arguments else []
            target = path_of(named[1]) if len(named) == 2 else None
            if target is not None:
                relatives[name] = target

    def ternary(self, node: SgNode) -> Expr:
        """`ALLOWED.includes(x) ? x : "default"`: the guarded branch's `x` is checked."""
        condition = node.field("condition")
        decided = self.decided(condition)
        chosen = node.field("consequence" if decided else "alternative")
        if decided is not None and chosen is not None:
            return self.expr(chosen)
        positive, negative = self.guards(condition)
        parts: list[Expr] = []
        for name, checked in (("consequence", positive), ("alternative", negative)):
            branch = node.field(name)
            if branch is None:
                continue
            parts.append(CONST if path_of(branch) in checked else self.expr(branch))
        return union(parts)

    def call(self, node: SgNode) -> Expr:
        function = node.field("function") or node.field("constructor")
        arguments = node.field("arguments")
        args = self.arguments(arguments) if arguments is not None else ()
        callee = callee_text(node)
        receiver: Expr | None = None
        on_instance = False
        if function is not None and function.kind() == "member_expression":
            target, method = function.field("object"), function.field("property")
            if target is not None and method is not None:
                typed = self._typed(target, method.text(), callee)
                # a method of a known class on its instance: the receiver becomes `this`
                on_instance = typed != callee
                callee = typed
            if target is not None:
                receiver = self.expr(target)
                if method is not None and method.text() in STORING_METHODS:
                    path = access_path(target, MEMBER, MEMBER_FIELDS)
                    if path is not None:
                        return Propagate(path, union([a.value for a in args]), line_of(node))
        elif function is not None and function.kind() != "identifier":
            receiver = self.expr(function)
        if callee is not None:
            callee = self._imported(callee)
        table = self.called_table(function)
        if table is not None:  # `HANDLERS[action](data)`: one of the table's functions
            callee = table + PICKED
        property_node = (
            function.field("property")
            if function is not None and function.kind() == "member_expression"
            else None
        )
        lookup = property_node is not None and property_node.text() == "get"
        callback = self.callback(function, args, receiver, node)
        if callback is not None:
            return callback
        clean = callee in CLEAN_CALLS or (
            property_node is not None
            and property_node.text() in PARSE_METHODS
            and self.schemas(node).cleans(function)
        )
        return self.called(
            Call(
                callee,
                receiver,
                args,
                line_of(node),
                clean=clean,
                on_instance=on_instance,
                lookup=lookup,
            )
        )

    def schemas(self, node: SgNode) -> Schemas:
        if self._schemas is None:
            self._schemas = Schemas(node.get_root().root())
        return self._schemas

    def callback(
        self, function: SgNode | None, args: tuple[Arg, ...], receiver: Expr | None, node: SgNode
    ) -> Expr | None:
        """`items.map((item) => ...)`, `promise.then((value) => ...)`: the callback is called
        with the receiver's elements, and what it returns is the call's result."""
        if function is None or receiver is None or not args:
            return None
        method = function.field("property")
        first = args[0].value
        if method is None or method.text() not in CALLBACK_METHODS:
            return None
        mapper = node.field("arguments")
        mapper = next((c for c in mapper.children() if c.is_named()), None) if mapper else None
        if (
            method.text() in ("map", "flatMap")
            and mapper is not None
            and (mapper.text() in CLEAN_CALLS)
        ):
            # `ids.map(Number)`: every element converted by the language itself
            return self.called(Call(mapper.text(), receiver, args, line_of(node), clean=True))
        if not isinstance(first, FunctionRef):
            return None
        return self.called(
            Call(None, None, (Arg(receiver),), line_of(node), local_target=first.index)
        )

    def _typed(self, target: SgNode, method: str, callee: str | None) -> str | None:
        """`new Repo().find` and `repo.find` after `const repo = new Repo()` -> `Repo.find`."""
        if target.kind() == "new_expression":
            constructor = target.field("constructor")
            if constructor is not None and constructor.kind() == "identifier":
                return f"{constructor.text()}.{method}"
        if target.kind() == "member_expression" and self.field_types:
            owner, field = target.field("object"), target.field("property")
            if owner is not None and field is not None and owner.kind() == "this":
                held = self.field_types[-1].get(field.text())
                if held is not None:  # `this.users.find` of `users: UsersService`
                    return f"{held}.{method}"
        if target.kind() == "identifier":
            name = target.text()
            # A typed parameter of this function or an enclosing one, then the module's.
            stated = next((t[name] for t in reversed(self.param_types) if name in t), None)
            if stated is not None:
                return f"{stated}.{method}"
            if name in self.types:
                return f"{self.types[name]}.{method}"
        return callee

    def imported(self, name: str) -> str:
        return self._imported(name)

    def _imported(self, callee: str) -> str:
        head, dot, rest = callee.partition(".")
        target = self.imports.get(head)
        if target is None:
            return callee
        if not rest and target.endswith(":*"):
            return target[:-1] + "default"
        return f"{target}{dot}{rest}"

    def arguments(self, node: SgNode) -> tuple[Arg, ...]:
        args: list[Arg] = []
        for child in node.children():
            if not child.is_named() or child.kind() == "comment":
                continue
            args.append(Arg(self.expr(child), spread=child.kind() == "spread_element"))
        if node.kind() == "template_string":  # a tagged template: tag`...${x}...`
            return (Arg(self.expr(node)),)
        return tuple(args)

    def marked_keys(self, left: SgNode) -> list[SgNode]:
        """The computed keys of an assignment's target (`o[a][b] = v`) that a rule names: a
        key is evaluated too, and may be a sink (a key from the request writing through
        `o["__proto__"]` into every object's prototype)."""
        keys: list[SgNode] = []
        node: SgNode | None = left
        while node is not None and node.kind() in ("member_expression", "subscript_expression"):
            index = node.field("index") if node.kind() == "subscript_expression" else None
            if index is not None and index in self.found.touched:
                keys.append(index)
            node = node.field("object")
        return keys

    def table_or_pick(self, name: SgNode, value: SgNode, lowered: Expr) -> Expr:
        """`const HANDLERS = { ping, run: shell.run, size: (x) => x.length }` (or an array)
        at module level: a table of functions (Module.dispatch); `const fn = HANDLERS[k]`
        in a function: `fn` holds one of them, until rebound. Returns `lowered`."""
        if name.kind() != "identifier":
            return lowered
        label = name.text()
        self.function.picked.pop(label, None)
        self._track_normalised(label, value)
        kind = value.kind()
        if kind == "subscript_expression":
            owner = value.field("object")
            path = access_path(owner, MEMBER, MEMBER_FIELDS) if owner is not None else None
            if path is not None and path.partition(".")[0] != "this":
                self.function.picked[label] = path
        elif kind in ("object", "array") and self.current[-1] == 0:
            callees = [self._imported(c) for c in _named_functions(value)]
            for i, index in enumerate(_function_refs(lowered)):
                self.function.local_functions[f"{label}[{i}]"] = index
                callees.append(f"{label}[{i}]")
            if callees:
                self.function.tables[label] = tuple(callees)
        return lowered

    def _track_normalised(self, label: str, value: SgNode) -> None:
        normalised = self.function.normalised
        normalised.pop(label, None)
        if value.kind() == "await_expression":
            value = next((c for c in value.children() if c.is_named()), value)
        arguments = value.field("arguments") if value.kind() == "call_expression" else None
        named = [c for c in arguments.children() if c.is_named()] if arguments else []
        callee = callee_text(value) if arguments is not None else None
        one = named[0] if len(named) == 1 else None
        if callee and NORMALISING.search(callee) and one is not None and one.kind() == "identifier":
            normalised[label] = one.text()

    def called_table(self, function: SgNode | None) -> str | None:
        if function is None:
            return None
        if function.kind() == "identifier":
            return self.function.picked.get(function.text())
        if function.kind() != "subscript_expression":
            return None
        owner = function.field("object")
        path = access_path(owner, MEMBER, MEMBER_FIELDS) if owner is not None else None
        return path if path is not None and path.partition(".")[0] != "this" else None


def _named_functions(table: SgNode) -> list[str]:
    """The names and member paths an object or array literal holds as values."""
    names: list[str] = []
    for child in table.children():
        value = child.field("value") if child.kind() == "pair" else child
        if value is None:
            continue
        if value.kind() in ("identifier", "shorthand_property_identifier"):
            names.append(value.text())
        elif value.kind() == "member_expression":
            path = access_path(value, MEMBER, MEMBER_FIELDS)
            if path is not None:
                names.append(path)
    return names


def _function_refs(lowered: Expr) -> list[int]:
    """The functions defined in place in a lowered literal (arrows, methods)."""
    if isinstance(lowered, FunctionRef):
        return [lowered.index]
    if isinstance(lowered, Union):
        return [i for part in lowered.parts for i in _function_refs(part)]
    return []


_LEAVING = frozenset(
    {"return_statement", "throw_statement", "continue_statement", "break_statement"}
)


def _leaves(body: SgNode) -> bool:
    """Whether an `if` body (a block or one statement) always ends by leaving."""
    if body.kind() == "statement_block":
        named = [c for c in body.children() if c.is_named() and c.kind() != "comment"]
        if not named:
            return False
        body = named[-1]
    if body.kind() in _LEAVING:
        return True
    call = next((c for c in body.children() if c.is_named()), None)
    return (
        body.kind() == "expression_statement"
        and call is not None
        and call.kind() == "call_expression"
        and callee_text(call) in EXIT_CALLS
    )
