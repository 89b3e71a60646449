"""Lowers a JavaScript, TypeScript or TSX syntax tree (tree-sitter, through ast-grep) to the
dataflow IR: ES modules and CommonJS, functions, arrows, classes, destructuring, spread."""

from __future__ import annotations

import posixpath

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._constant_conditions import Literal, literal_value
from tavo_platform.engine.dataflow._javascript_expressions import JavaScriptExpressions
from tavo_platform.engine.dataflow._javascript_syntax import (
    EXIT_CALLS,
    FUNCTIONS,
    MEMBER,
    MEMBER_FIELDS,
    callee_text,
    field_types,
    implemented,
    line_of,
    module_name,
    request_local,
)
from tavo_platform.engine.dataflow._lowering import Unlowerable, access_path, union
from tavo_platform.engine.dataflow._patterns import Found
from tavo_platform.engine.dataflow.ir import (
    CONST,
    Assign,
    Block,
    Eval,
    Exit,
    If,
    Loop,
    Module,
    Param,
    Return,
    Stmt,
)


def lower_javascript(root: SgNode, path: str, found: Found) -> Module:
    lowering = _JavaScript(found, module_name(path))
    body = lowering.open_function("<module>", 1)
    try:
        body.body = lowering.block(root)
    except RecursionError:
        raise Unlowerable("nested too deeply") from None
    lowering.close_function()
    return Module(
        path=path,
        name=lowering.module,
        language="javascript",
        functions=tuple(d.freeze() for d in lowering.drafts),
        imports=lowering.imports,
        exports=lowering.exports,
        star_exports=tuple(lowering.star_exports),
        classes=lowering.classes,
        bases=lowering.bases,
        implements={c: names for c, names in lowering.implements.items() if names},
        instances={name: lowering.imported(cls) for name, cls in lowering.instances.items()},
        dispatch=lowering.drafts[0].tables,
    )


class _JavaScript(JavaScriptExpressions):
    def __init__(self, found: Found, module: str) -> None:
        super().__init__(found)
        self.module = module
        self.imports: dict[str, str] = {}
        self.exports: dict[str, str] = {}
        self.star_exports: list[str] = []
        self.classes: dict[str, dict[str, int]] = {}
        self.types: dict[str, str] = {}  # variable -> class it was constructed from
        self.instances: dict[str, str] = {}  # the module-level ones among them
        self.bases: dict[str, tuple[str, ...]] = {}  # class -> the class it extends
        self.implements: dict[str, tuple[str, ...]] = {}  # class -> its interfaces
        # per function: `const` names bound to a literal (a const cannot be reassigned)
        self.literals: list[dict[str, Literal]] = [{}]
        self.pieced = [set()]
        self.relatives = [{}]
        self.param_types = [{}]
        # per class being lowered: `this.<field>` -> the class of what it holds
        self.field_types = []
        self.reexports = 0
        self.checked = []

    def specifier(self, node: SgNode | None) -> str | None:
        if node is None:
            return None
        text = node.text().strip("'\"`")
        if text.startswith("."):
            # `./db.js` in ES modules names the file the module `db` was lowered from.
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(self.module), text))
            return module_name(joined)
        for alias in ("@/", "~/", "#/"):
            if text.startswith(alias):
                return text[len(alias) :]
        return text

    # --- statements ------------------------------------------------------------------

    def block(self, node: SgNode) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        depth = len(self.checked)
        try:
            for child in node.children():
                if child.is_named():
                    out.extend(self.statement(child))
                    if child.kind() == "if_statement":
                        # `if (!ALLOWED.has(req.query.to)) return ...;`: checked from here on
                        self.checked.append(self.checked_after(child))
        finally:
            del self.checked[depth:]
        return tuple(out)

    def statement(self, node: SgNode) -> list[Stmt]:
        kind = node.kind()
        handler = _STATEMENTS.get(kind)
        self.enter()
        try:
            if handler is not None:
                return handler(self, node)
            if kind in ("break_statement", "continue_statement"):
                return [Exit()]
            if kind in (
                "comment",
                "empty_statement",
                "debugger_statement",
                "type_alias_declaration",
                "interface_declaration",
                "enum_declaration",
                "ambient_declaration",
                "hash_bang_line",
            ):
                return []
            return [Eval(self.expr(node))]
        finally:
            self.leave()

    def statement_block(self, node: SgNode) -> list[Stmt]:
        return list(self.block(node))

    def expression_statement(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        for child in node.children():
            if not child.is_named():
                continue
            if child.kind() == "assignment_expression":
                out.extend(self.assignment(child))
            elif child.kind() == "augmented_assignment_expression":
                left, right = child.field("left"), child.field("right")
                if left is not None and right is not None:
                    out.append(Assign(self.targets(left), self.expr(right), line_of(child), True))
            else:
                out.append(Eval(self.expr(child)))
                if child.kind() == "call_expression" and callee_text(child) in EXIT_CALLS:
                    out.append(Exit())
        return out

    def assignment(self, node: SgNode) -> list[Stmt]:
        left, right = node.field("left"), node.field("right")
        if left is None or right is None:
            return []
        target = left.text()
        if target in ("module.exports", "exports") or target.startswith(
            ("module.exports.", "exports.")
        ):
            self.commonjs_export(target, right)
        if right.kind() in FUNCTIONS and left.kind() == "identifier":
            self.function.local_functions[left.text()] = self.define(right, left.text())
            return []
        if left.kind() == "identifier":
            self.track_path(left.text(), right)
        store = left.kind() in ("member_expression", "subscript_expression")
        keys = [Eval(self.expr(key)) for key in self.marked_keys(left)]
        value = self.table_or_pick(left, right, self.expr(right))
        return [*keys, Assign(self.targets(left), value, line_of(node), store=store)]

    def commonjs_export(self, target: str, right: SgNode) -> None:
        name = (
            target.rpartition(".")[2]
            if target.count(".") >= (2 if target.startswith("module") else 1)
            else None
        )
        if name is not None:
            if right.kind() in FUNCTIONS:
                self.function.local_functions[name] = self.define(right, name)
                self.exports[name] = name
            elif right.kind() == "identifier":
                self.exports[name] = right.text()
            else:
                self.exported_instance(name, right)
            return
        if right.kind() == "identifier":
            self.exports["default"] = right.text()
        elif right.kind() == "new_expression":
            self.exported_instance("default", right)
        elif right.kind() == "object":
            for child in right.children():
                if child.kind() == "shorthand_property_identifier":
                    self.exports[child.text()] = child.text()
                elif child.kind() == "pair":
                    key, value = child.field("key"), child.field("value")
                    if key is not None and value is not None and value.kind() == "identifier":
                        self.exports[key.text()] = value.text()

    def exported_instance(self, name: str, value: SgNode) -> None:
        """`module.exports = new UserService()`, `export default new UserService()`: the
        module exports an object of a known class (a singleton service), whose methods are
        that class's wherever it is imported."""
        if value.kind() != "new_expression":
            return
        constructor = value.field("constructor")
        if constructor is None or constructor.kind() != "identifier":
            return
        local = f"<exported {name}>"
        self.instances[local] = constructor.text()
        self.exports[name] = local

    def declaration(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        for declarator in node.children():
            if declarator.kind() != "variable_declarator":
                continue
            name, value = declarator.field("name"), declarator.field("value")
            if name is None or value is None:
                continue
            if value.kind() in FUNCTIONS and name.kind() == "identifier":
                self.function.local_functions[name.text()] = self.define(value, name.text())
                continue
            if self.require(name, value):
                continue
            if name.kind() == "identifier" and node.text().startswith("const"):
                known, literal = literal_value(_python_spelling(value.text()))
                if known and value.kind() in _LITERALS:
                    self.literals[-1][name.text()] = literal
            if value.kind() == "new_expression" and name.kind() == "identifier":
                constructor = value.field("constructor")
                if constructor is not None and constructor.kind() == "identifier":
                    self.types[name.text()] = constructor.text()
                    if self.current[-1] == 0:  # a module-level instance
                        self.instances[name.text()] = constructor.text()
            if name.kind() == "identifier":
                self.track_path(name.text(), value)
            lowered = self.table_or_pick(name, value, self.expr(value))
            out.append(Assign(self.targets(name), lowered, line_of(declarator)))
        return out

    def require(self, name: SgNode, value: SgNode) -> bool:
        """`const x = require("./m")` and `const { a, b: c } = require("./m")`."""
        if value.kind() != "call_expression" or callee_text(value) != "require":
            return False
        arguments = value.field("arguments")
        first = next((c for c in arguments.children() if c.is_named()), None) if arguments else None
        spec = self.specifier(first) if first is not None and first.kind() == "string" else None
        if spec is None:
            return False
        if name.kind() == "identifier":
            self.imports[name.text()] = f"{spec}:*"
        for child in name.children():
            if child.kind() == "shorthand_property_identifier_pattern":
                self.imports[child.text()] = f"{spec}:{child.text()}"
            elif child.kind() == "pair_pattern":
                key, alias = child.field("key"), child.field("value")
                if key is not None and alias is not None:
                    self.imports[alias.text()] = f"{spec}:{key.text()}"
        return True

    def targets(self, node: SgNode) -> tuple[str, ...]:
        kind = node.kind()
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            return (node.text(),)
        if kind in ("member_expression", "subscript_expression"):
            path = access_path(node, MEMBER, MEMBER_FIELDS)
            inner = node.field("object")
            roots = self.targets(inner) if inner is not None else ()
            return (request_local(path), *roots) if path else roots
        names: list[str] = []
        for child in node.children():
            if child.kind() == "pair_pattern":
                value = child.field("value")
                names.extend(self.targets(value) if value is not None else ())
            elif child.is_named() and child.kind() not in (
                "property_identifier",
                "type_annotation",
            ):
                names.extend(self.targets(child))
        return tuple(names)

    def return_statement(self, node: SgNode) -> list[Stmt]:
        values = [self.expr(c) for c in node.children() if c.is_named()]
        # A rule may name the return statement itself as a sink (a route returning HTML).
        return [Return(self.wrap(node, union(values)), line_of(node))]

    def throw_statement(self, node: SgNode) -> list[Stmt]:
        return [Eval(union([self.expr(c) for c in node.children() if c.is_named()])), Exit()]

    def if_statement(self, node: SgNode) -> list[Stmt]:
        condition, body, alternative = (
            node.field("condition"),
            node.field("consequence"),
            node.field("alternative"),
        )
        # A condition fixed when the code was written: only its branch is code that runs.
        decided = self.decided(condition)
        if decided is True:
            return list(self.statement(body)) if body is not None else []
        positive, negative = self.guards(condition)
        orelse: tuple[Stmt, ...] = ()
        if alternative is not None:
            orelse = tuple(
                s for c in alternative.children() if c.is_named() for s in self.statement(c)
            )
        if decided is False:
            return list(orelse)
        self.checked.append(frozenset(positive))
        try:
            then = tuple(self.statement(body)) if body is not None else ()
        finally:
            self.checked.pop()
        return [
            If(
                self.expr(condition) if condition is not None else CONST,
                then,
                orelse,
                positive,
                negative,
            )
        ]

    def for_in_statement(self, node: SgNode) -> list[Stmt]:
        left, right, body = node.field("left"), node.field("right"), node.field("body")
        targets = self.targets(left) if left is not None else ()
        iterable = self.expr(right) if right is not None else CONST
        return [
            Loop(
                targets,
                iterable,
                tuple(self.statement(body)) if body is not None else (),
                line_of(node),
            )
        ]

    def loop(self, node: SgNode) -> list[Stmt]:
        head: list[Stmt] = []
        for name in ("initializer", "condition", "increment"):
            part = node.field(name)
            if part is not None:
                head.extend(
                    self.statement(part)
                    if part.kind().endswith(("declaration", "statement"))
                    else [Eval(self.expr(part))]
                )
        body = node.field("body")
        return [
            *head,
            Loop((), CONST, tuple(self.statement(body)) if body is not None else (), line_of(node)),
        ]

    def try_statement(self, node: SgNode) -> list[Stmt]:
        out: list[Stmt] = []
        body, handler, finalizer = (
            node.field("body"),
            node.field("handler"),
            node.field("finalizer"),
        )
        if body is not None:
            out.extend(self.block(body))
        if handler is not None:
            inner = handler.field("body")
            out.append(Block((self.block(inner) if inner is not None else (),)))
        if finalizer is not None:
            inner = finalizer.field("body")
            out.extend(self.block(inner) if inner is not None else ())
        return out

    def switch_statement(self, node: SgNode) -> list[Stmt]:
        value, body = node.field("value"), node.field("body")
        branches = []
        for case in body.children() if body is not None else []:
            if case.kind() in ("switch_case", "switch_default"):
                branches.append(
                    tuple(
                        s
                        for c in case.children()
                        if c.is_named() and c != case.field("value")
                        for s in self.statement(c)
                    )
                )
        return [Eval(self.expr(value) if value is not None else CONST), Block(tuple(branches))]

    def function_declaration(self, node: SgNode) -> list[Stmt]:
        name = node.field("name")
        label = name.text() if name is not None else "default"
        self.function.local_functions[label] = self.define(node, label)
        return []

    def class_declaration(self, node: SgNode) -> list[Stmt]:
        name, body = node.field("name"), node.field("body")
        if name is None or body is None:
            return []
        cls = self.qualified(name.text())
        methods = self.classes.setdefault(cls, {})
        heritage = next((c for c in node.children() if c.kind() == "class_heritage"), None)
        # TypeScript wraps `extends X` in an extends_clause; JavaScript does not.
        extends = (
            next((c for c in heritage.children() if c.kind() == "extends_clause"), heritage)
            if heritage is not None
            else None
        )
        base = next((c for c in extends.children() if c.is_named()), None) if extends else None
        if base is not None and base.kind() in ("identifier", "member_expression"):
            self.bases[cls] = (self.imported(base.text()),)
        if heritage is not None:
            names = implemented(heritage)
            self.implements[cls] = tuple(self.imported(n) for n in names) if names else ()
        self.field_types.append(field_types(body))
        try:
            self._class_members(body, cls, methods)
        finally:
            self.field_types.pop()
        return []

    def _class_members(self, body: SgNode, cls: str, methods: dict[str, int]) -> None:
        for member in body.children():
            if member.kind() == "method_definition":
                method = member.field("name")
                if method is not None:
                    methods[method.text()] = self.define(member, method.text(), owner=cls)
            elif member.kind() in ("public_field_definition", "field_definition"):
                value, method = (
                    member.field("value"),
                    member.field("name") or member.field("property"),
                )
                if value is not None and method is not None and value.kind() in FUNCTIONS:
                    methods[method.text()] = self.define(value, method.text(), owner=cls)

    def export_statement(self, node: SgNode) -> list[Stmt]:
        declaration = node.field("declaration") or node.field("value")
        source = self.specifier(node.field("source"))
        is_default = any(c.text() == "default" for c in node.children() if not c.is_named())
        clause = next((c for c in node.children() if c.kind() == "export_clause"), None)
        namespace = next((c for c in node.children() if c.kind() == "namespace_export"), None)
        if clause is not None:
            self.export_clause(clause, source)
        elif namespace is not None and source is not None:  # export * as ns from "./x"
            alias = next((c for c in namespace.children() if c.is_named()), None)
            if alias is not None:
                self.reexports += 1
                local = f"<reexport{self.reexports}>"
                self.imports[local] = f"{source}:*"
                self.exports[alias.text()] = local
        elif source is not None:
            self.star_exports.append(source)
        if declaration is None:
            return []
        out = self.statement(declaration) if declaration.kind() not in FUNCTIONS else []
        if declaration.kind() in FUNCTIONS:
            self.function.local_functions["default"] = self.define(declaration, "default")
        for name in self.declared_names(declaration):
            self.exports["default" if is_default else name] = name
        if is_default and declaration.kind() == "identifier":
            self.exports["default"] = declaration.text()
        if is_default:
            self.exported_instance("default", declaration)
        return out

    def declared_names(self, node: SgNode) -> list[str]:
        kind = node.kind()
        if kind in (
            "function_declaration",
            "class_declaration",
            "generator_function_declaration",
            "abstract_class_declaration",
            "interface_declaration",
        ):
            name = node.field("name")
            return [name.text()] if name is not None else ["default"]
        if kind in ("lexical_declaration", "variable_declaration"):
            names = (d.field("name") for d in node.children() if d.kind() == "variable_declarator")
            return [name.text() for name in names if name is not None]
        if kind in FUNCTIONS:
            return ["default"]
        return []

    def export_clause(self, clause: SgNode, source: str | None) -> None:
        for specifier in clause.children():
            if specifier.kind() != "export_specifier":
                continue
            name, alias = specifier.field("name"), specifier.field("alias")
            if name is None:
                continue
            exported = (alias or name).text()
            if source is None:
                self.exports[exported] = name.text()
            else:
                self.reexports += 1
                local = f"<reexport{self.reexports}>"
                self.imports[local] = f"{source}:{name.text()}"
                self.exports[exported] = local

    def import_statement(self, node: SgNode) -> list[Stmt]:
        source = self.specifier(node.field("source"))
        clause = next((c for c in node.children() if c.kind() == "import_clause"), None)
        if source is None or clause is None:
            return []
        for child in clause.children():
            if child.kind() == "identifier":
                self.imports[child.text()] = f"{source}:default"
            elif child.kind() == "namespace_import":
                name = next((c for c in child.children() if c.kind() == "identifier"), None)
                if name is not None:
                    self.imports[name.text()] = f"{source}:*"
            elif child.kind() == "named_imports":
                for specifier in child.children():
                    if specifier.kind() == "import_specifier":
                        name, alias = specifier.field("name"), specifier.field("alias")
                        if name is not None:
                            self.imports[(alias or name).text()] = f"{source}:{name.text()}"
        return []

    # --- functions -------------------------------------------------------------------

    def define(self, node: SgNode, name: str, owner: str | None = None) -> int:
        qualified = f"{owner}.{name}" if owner else self.qualified(name)
        draft = self.open_function(qualified, line_of(node), owner_class=owner)
        self.literals.append({})
        self.pieced.append(set())
        self.relatives.append({})
        self.param_types.append({})
        try:
            prologue: list[Stmt] = []
            draft.params = self.parameters(node, prologue)
            if owner is not None and not _is_static(node):
                # An instance method receives its object as `this`, bound like Python's self.
                draft.params = (Param("this"), *draft.params)
            body = node.field("body")
            if body is None:
                draft.body = tuple(prologue)
            elif body.kind() == "statement_block":
                draft.body = (*prologue, *self.block(body))
            else:  # an arrow function's expression body
                draft.body = (*prologue, Return(self.expr(body), line_of(body)))
        finally:
            self.literals.pop()
            self.pieced.pop()
            self.relatives.pop()
            self.param_types.pop()
            self.close_function()
        return draft.index

    # --- expressions -----------------------------------------------------------------


_STATEMENTS = {
    "expression_statement": _JavaScript.expression_statement,
    "lexical_declaration": _JavaScript.declaration,
    "variable_declaration": _JavaScript.declaration,
    "return_statement": _JavaScript.return_statement,
    "throw_statement": _JavaScript.throw_statement,
    "if_statement": _JavaScript.if_statement,
    "for_in_statement": _JavaScript.for_in_statement,
    "for_statement": _JavaScript.loop,
    "while_statement": _JavaScript.loop,
    "do_statement": _JavaScript.loop,
    "try_statement": _JavaScript.try_statement,
    "switch_statement": _JavaScript.switch_statement,
    "statement_block": _JavaScript.statement_block,
    "function_declaration": _JavaScript.function_declaration,
    "generator_function_declaration": _JavaScript.function_declaration,
    "class_declaration": _JavaScript.class_declaration,
    "abstract_class_declaration": _JavaScript.class_declaration,
    "export_statement": _JavaScript.export_statement,
    "import_statement": _JavaScript.import_statement,
}


_LITERALS = frozenset({"number", "string", "true", "false", "null"})


def _python_spelling(text: str) -> str:
    return {"true": "True", "false": "False", "null": "None"}.get(text, text)


def _is_static(node: SgNode) -> bool:
    member = node if node.kind() == "method_definition" else node.parent()
    return member is not None and any(c.text() == "static" for c in member.children())
