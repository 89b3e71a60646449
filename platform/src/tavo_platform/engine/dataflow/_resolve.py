"""Which function a call means, within the scanned project.

Callees arrive as written, with the module's imports already substituted by the adapter:
`helper`, `self.save`, `Repo.find`, `pkg.db.run_query` (Python), `src/lib/db:runQuery` or
`src/lib/db:*.runQuery` (JS/TS: module path, then the export). A callee outside the
project resolves to nothing, and the solver falls back to default propagation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tavo_platform.engine.dataflow._immutable import immutable
from tavo_platform.engine.dataflow.ir import REQUEST_LOCAL, RETURNED, Function, Module

MAX_REEXPORT_HOPS = 8
MAX_BASE_DEPTH = 8  # base classes followed up from a class
MAX_PICKED = 64  # functions `getattr(obj, name)` may pick, followed at most
_MADE = f".{RETURNED}."


@immutable
class Target:
    module: int
    function: int
    bound: bool  # a Python method called on an object: the object is its first parameter
    constructor: bool = False


class Resolver:
    """`package`: the scanned directory is itself this Python package (it holds an
    `__init__.py`), so its modules are also known by their full names (`django.urls.base`
    for `urls/base.py` when `django/` is scanned), as the package's own absolute imports
    name them."""

    def __init__(self, modules: Sequence[Module], package: str | None = None) -> None:
        self.modules = modules
        self.by_name: dict[str, int] = {}
        self.by_suffix: dict[str, list[int]] = defaultdict(list)
        for index, module in enumerate(modules):
            self.by_name[module.name] = index
            if package and module.language == "python":
                full = f"{package}.{module.name}" if module.name else package
                self.by_name.setdefault(full, index)
            separator = "." if module.language == "python" else "/"
            parts = module.name.split(separator)
            for start in range(1, len(parts)):
                self.by_suffix[separator.join(parts[start:])].append(index)
            if module.language != "python" and parts[-1] == "index" and len(parts) > 1:
                self.by_name.setdefault(separator.join(parts[:-1]), index)
        self._variables: dict[tuple[int, str], tuple[int, str]] = {}
        self._importers: defaultdict[int, set[int]] | None = None
        # function (by identity) -> its local functions by name: a module of thousands of
        # functions is searched once, not once a call
        self._locals: dict[int, tuple[Function, dict[str, int]]] = {}
        # module -> its top-level functions by name (the last definition of a name wins,
        # as at run time): built once, not once a call into the module
        self._tops: dict[int, dict[str, int]] = {}
        # (module, dotted Python callee) -> its target (`call`)
        self._dotted: dict[tuple[int, str], Target | None] = {}
        # (module, interface or base class) -> the JS/TS classes implementing or extending it
        self._implementers: dict[tuple[int, str], list[tuple[int, str]]] | None = None

    def module(self, name: str, near: int) -> int | None:
        found = self.by_name.get(name)
        if found is not None:
            return found
        candidates = self.by_suffix.get(name) or self.by_suffix.get(f"{name}/index")
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        # Several modules end the same way: the one sharing most of the caller's path.
        here = self.modules[near].name
        return max(candidates, key=lambda c: _common_prefix(self.modules[c].name, here))

    def call(self, module_index: int, function: Function, callee: str) -> Target | None:
        module = self.modules[module_index]
        if module.language == "python":
            head, dot, _ = callee.partition(".")
            if not dot or head in ("self", "cls") or _MADE in callee:
                return self._python(module_index, function, callee, 0)
            # `mod.f`, `Class.m`, `cursor.execute`: resolved by the module alone, whichever
            # of its functions calls it, so once per module.
            key = (module_index, callee)
            if key not in self._dotted:
                self._dotted[key] = self._python(module_index, function, callee, 0)
            return self._dotted[key]
        return self._javascript(module_index, function, callee, 0)

    # --- Python ------------------------------------------------------------------------

    def _python(self, index: int, function: Function, callee: str, hops: int) -> Target | None:
        module = self.modules[index]
        if _MADE in callee:  # `get_repo.<return>.find`
            maker, _, method = callee.partition(_MADE)
            if "." in method or hops > MAX_REEXPORT_HOPS:
                return None
            cls = self._returned_class(index, function, maker, hops)
            found = self._inherited(*cls, method, 0) if cls is not None else None
            return Target(found[0], found[1], True) if found is not None else None
        head, _, rest = callee.partition(".")
        if not rest:
            local = self._lexical(module, function, head)
            if local is not None:
                return Target(index, local, False)
            if head in module.classes:
                return self._constructor(index, head)
            return self._global(index, callee, hops)
        if head in ("self", "cls"):
            owner = self._owner_class(module, function)
            if owner is not None and "." not in rest:
                found = self._inherited(index, owner, rest, 0)
                if found is not None:
                    return Target(found[0], found[1], True)
            return None
        if head in module.classes and "." not in rest:
            found = self._inherited(index, head, rest, 0)
            return self._on_class(found) if found is not None else None
        return self._global(index, callee, hops)

    def _on_class(self, found: tuple[int, int]) -> Target:
        """A method called on its class (`View.as_view(**options)`): a classmethod (first
        parameter `cls`) receives the class there, the arguments fill the rest."""
        params = self.modules[found[0]].functions[found[1]].params
        takes_class = bool(params) and params[0].name == "cls"
        return Target(found[0], found[1], takes_class)

    def _global(self, near: int, dotted: str, hops: int) -> Target | None:
        """`pkg.mod.f`, `pkg.mod.Class.m`, `pkg.mod.Class` (a constructor)."""
        if hops > MAX_REEXPORT_HOPS:
            return None
        parts = dotted.split(".")
        for split in range(len(parts) - 1, 0, -1):
            found = self.module(".".join(parts[:split]), near)
            if found is None:
                continue
            return self._member(found, parts[split:], hops)
        return None

    def _member(self, index: int, names: list[str], hops: int) -> Target | None:
        module = self.modules[index]
        body = module.functions[0]
        first = names[0]
        top = self._tops.get(index)
        if top is None:
            top = self._tops[index] = dict(body.local_functions)
        if len(names) == 1 and first in top:
            return Target(index, top[first], False)
        if first in module.classes:
            if len(names) == 1:
                return self._constructor(index, first)
            found = self._inherited(index, first, names[1], 0) if len(names) == 2 else None
            return self._on_class(found) if found is not None else None
        if first in module.instances and len(names) == 2:  # `repo.find` of `repo = Repo()`
            built = module.instances[first]
            maker = built.removesuffix(f".{RETURNED}")  # `repo = get_repo()`
            cls = (
                self._returned_class(index, module.functions[0], maker, hops)
                if maker != built
                else self._class_of(index, built, hops)
            )
            found = self._inherited(cls[0], cls[1], names[1], 0) if cls is not None else None
            return Target(found[0], found[1], True) if found is not None else None
        imported = module.imports.get(first)
        if imported is not None:  # a re-export: `from .impl import f` in a package
            return self._global(index, ".".join([imported, *names[1:]]), hops + 1)
        return None

    def _extended(self, index: int, cls: str, name: str, depth: int) -> tuple[int, int] | None:
        """Method `name` of JS/TS class `cls` or of the classes it extends, here or imported
        (`class View extends Base`, `extends lib.Base`): (module, function)."""
        module = self.modules[index]
        method = module.classes.get(cls, {}).get(name)
        if method is not None:
            return index, method
        bases = module.bases.get(cls, ())
        if depth >= MAX_BASE_DEPTH or not bases:
            return None
        base = bases[0]
        if base in module.classes:
            return self._extended(index, base, name, depth + 1)
        specifier, colon, member = base.partition(":")
        found = self.module(specifier, index) if colon else None
        if found is None:
            return None
        if member.startswith("*."):  # `extends lib.Base` after `import * as lib`
            member = member[2:]
        local = self.modules[found].exports.get(member)
        if local is None or local not in self.modules[found].classes:
            return None
        return self._extended(found, local, name, depth + 1)

    def _returned_class(
        self, index: int, function: Function, maker: str, hops: int
    ) -> tuple[int, str] | None:
        """The class of what calling `maker` returns (its Function.returns)."""
        made = self._python(index, function, maker, hops + 1)
        if made is None or made.constructor:
            return None
        producer = self.modules[made.module].functions[made.function]
        if producer.returns is None:
            return None
        return self._class_of(made.module, producer.returns, hops + 1)

    def _constructor(self, index: int, cls: str) -> Target | None:
        found = self._inherited(index, cls, "__init__", 0)
        return Target(found[0], found[1], True, constructor=True) if found is not None else None

    def _inherited(self, index: int, cls: str, name: str, depth: int) -> tuple[int, int] | None:
        """Method `name` of class `cls` (of module `index`) or of its nearest base class
        that defines it, depth first in the order the bases are written: (module, function)."""
        module = self.modules[index]
        method = module.classes.get(cls, {}).get(name)
        if method is not None:
            return index, method
        if depth >= MAX_BASE_DEPTH:
            return None
        for base in module.bases.get(cls, ()):
            where = self._class_of(index, base, 0)
            found = self._inherited(*where, name, depth + 1) if where is not None else None
            if found is not None:
                return found
        return None

    def inert_field(self, near: int, cls: str, name: str) -> bool:
        """Whether class `cls` (as written in module `near`) or one of its bases declares
        attribute `name` with a type that holds no text (Module.inert_fields)."""
        where = self._class_of(near, cls, 0)
        for _ in range(MAX_BASE_DEPTH):
            if where is None:
                return False
            module = self.modules[where[0]]
            if name in module.inert_fields.get(where[1], ()):
                return True
            bases = module.bases.get(where[1], ())
            where = self._class_of(where[0], bases[0], 0) if bases else None
        return False

    def _class_of(self, near: int, written: str, hops: int) -> tuple[int, str] | None:
        """A class named as written in module `near` (imports substituted): its module and
        its name there, or None when it is not a class of the project."""
        if written in self.modules[near].classes:
            return near, written
        if hops > MAX_REEXPORT_HOPS:
            return None
        parts = written.split(".")
        for split in range(len(parts) - 1, 0, -1):
            found = self.module(".".join(parts[:split]), near)
            if found is None:
                continue
            if split != len(parts) - 1:
                return None
            name = parts[-1]
            if name in self.modules[found].classes:
                return found, name
            imported = self.modules[found].imports.get(name)  # a re-export
            return self._class_of(found, imported, hops + 1) if imported else None
        return None

    # --- JavaScript / TypeScript -------------------------------------------------------

    def _javascript(self, index: int, function: Function, callee: str, hops: int) -> Target | None:
        module = self.modules[index]
        if ":" in callee:
            specifier, _, member = callee.partition(":")
            return self._export(index, specifier, member, hops)
        head, _, rest = callee.partition(".")
        if not rest:
            local = self._lexical(module, function, head)
            if local is not None:
                return Target(index, local, False)
            if head in module.classes:
                method = module.classes[head].get("constructor")
                return Target(index, method, True, True) if method is not None else None
            return None
        if head == "this":
            owner = self._owner_class(module, function)
            found = self._extended(index, owner, rest, 0) if owner and "." not in rest else None
            return Target(found[0], found[1], True) if found is not None else None
        if head in module.classes and "." not in rest:
            found = self._extended(index, head, rest, 0) or self._implementation(index, head, rest)
            return Target(found[0], found[1], False) if found is not None else None
        cls = module.instances.get(head)
        if cls is not None and "." not in rest and hops <= MAX_REEXPORT_HOPS:
            # `users.find()` of a module-level `const users = new Users()`, here or imported:
            # the method takes the object as `this`.
            made = self._javascript(index, function, f"{cls}.{rest}", hops + 1)
            if made is not None and not made.constructor:
                return Target(made.module, made.function, True)
        found = self._implementation(index, head, rest) if "." not in rest else None
        return Target(found[0], found[1], False) if found is not None else None

    def _implementation(self, index: int, name: str, method: str) -> tuple[int, int] | None:
        """Method `method` of a TypeScript interface or abstract class `name` (of module
        `index`), called on a field or parameter typed with it (`this.store.save(...)` of
        `private store: Store`): the one method the project's classes implementing or
        extending it define. Several different ones: unknown, as before."""
        implementers = self.implementers().get((index, name), ())
        found = {hit for m, cls in implementers if (hit := self._extended(m, cls, method, 0))}
        return found.pop() if len(found) == 1 else None

    def implementers(self) -> dict[tuple[int, str], list[tuple[int, str]]]:
        if self._implementers is None:
            table: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
            for index, module in enumerate(self.modules):
                if module.language == "python":
                    continue
                for cls in module.classes:
                    written = (*module.implements.get(cls, ()), *module.bases.get(cls, ()))
                    for name in written:
                        where = self._declared(index, name)
                        if where is not None:
                            table[where].append((index, cls))
            self._implementers = dict(table)
        return self._implementers

    def _declared(self, index: int, written: str) -> tuple[int, str] | None:
        """Where a type named as written in module `index` is declared: this module's own
        name, or `./store:Store` imported from a module of the project (its local name)."""
        specifier, colon, member = written.partition(":")
        if not colon:
            return index, written
        found = self.module(specifier, index)
        if found is None or "." in member:
            return None
        return found, self.modules[found].exports.get(member, member)

    def _export(self, near: int, specifier: str, member: str, hops: int) -> Target | None:
        if hops > MAX_REEXPORT_HOPS:
            return None
        found = self.module(specifier, near)
        if found is None:
            return None
        module = self.modules[found]
        if member.startswith("*."):  # a namespace import: `import * as db` ... `db.run()`
            member = member[2:]
            if member.partition(".")[0] not in module.exports and "default" in module.exports:
                # `const users = require("./users")` of `module.exports = new Users()`:
                # the object the module exports is what require() returns
                member = f"default.{member}"
        name, _, rest = member.partition(".")
        local = module.exports.get(name)
        if local is None:
            for star in module.star_exports:
                target = self._export(found, star, member, hops + 1)
                if target is not None:
                    return target
            return None
        local_callee = f"{local}.{rest}" if rest else local
        imported = module.imports.get(local.partition(".")[0])
        if imported is not None and ":" in imported:  # re-exported from elsewhere
            spec, _, inner = imported.partition(":")
            tail = local.partition(".")[2]
            inner = ".".join(p for p in (inner, tail, rest) if p)
            return self._export(found, spec, inner, hops + 1)
        return self._javascript(found, module.functions[0], local_callee, hops + 1)

    # --- module-level variables ----------------------------------------------------------

    def readers(self, home: int, name: str) -> Sequence[int]:
        """The modules whose functions read global `name` of module `home`: that module and
        those importing it; every module for a request-local (ir.REQUEST_LOCAL)."""
        if name.startswith(REQUEST_LOCAL):
            return range(len(self.modules))
        return (home, *self.importers(home))

    def variable(self, index: int, name: str) -> tuple[int, str]:
        """The module-level variable that `name` (read or stored in module `index`) is:
        (the module defining it, its name there). Imported from a module of the project
        (`from app.state import PENDING`, `state.CACHE` after `from app import state`,
        `import { pending } from "./state"`, re-exports followed), it is that module's;
        anything else is this module's own, by the name's first part."""
        key = (index, name)
        known = self._variables.get(key)
        if known is None and name.startswith(REQUEST_LOCAL):
            known = self._variables[key] = (0, name.partition(".")[0])
        if known is None:
            known = self._variable(index, name, 0) or (index, name.partition(".")[0])
            self._variables[key] = known
        return known

    def _variable(self, index: int, name: str, hops: int) -> tuple[int, str] | None:
        module = self.modules[index]
        root, _, rest = name.partition(".")
        imported = module.imports.get(root)
        if imported is None:
            return (index, root) if hops else None
        if hops > MAX_REEXPORT_HOPS:
            return None
        if module.language == "python":
            parts = [*imported.split("."), *(rest.split(".") if rest else [])]
            if self.by_name.get(".".join(parts)) is not None:
                return None  # the module itself, not a variable of it
            for split in range(len(parts) - 1, 0, -1):
                found = self.module(".".join(parts[:split]), index)
                if found is not None:
                    return self._variable(found, parts[split], hops + 1)
            return None
        specifier, _, member = imported.partition(":")
        found = self.module(specifier, index)
        if found is None:
            return None
        if member == "*":  # a namespace import: `state.pending`
            member = rest.partition(".")[0]
            if not member:
                return None
        local = self.modules[found].exports.get(member)
        return self._variable(found, local, hops + 1) if local else None

    def table(self, index: int, name: str) -> tuple[Target | None, ...]:
        """The functions of a module-level table of functions (Module.dispatch) that `name`
        (as written in module `index`) is, here or imported; None for one outside the
        project."""
        if name.startswith("getattr:"):
            return self._attributes(index, name.removeprefix("getattr:"))
        where, table = self.variable(index, name)
        module = self.modules[where]
        callees = module.dispatch.get(table, ()) if table == name.rpartition(".")[2] else ()
        return tuple(self.call(where, module.functions[0], callee) for callee in callees)

    def _attributes(self, index: int, written: str) -> tuple[Target | None, ...]:
        """`getattr(obj, name)`: any method of obj's class (not a dunder), or any function
        of the module it is, at most MAX_PICKED of them."""
        cls = self._class_of(index, written, 0)
        if cls is not None:
            methods = self.modules[cls[0]].classes[cls[1]]
            found = [Target(cls[0], f, True) for m, f in methods.items() if m[:2] != "__"]
            return tuple(found[:MAX_PICKED])
        module = self.by_name.get(written)
        if module is None:
            return ()
        functions = self.modules[module].functions[0].local_functions
        return tuple(Target(module, f, False) for _, f in list(functions)[:MAX_PICKED])

    def importers(self, index: int) -> set[int]:
        """The modules that import anything from module `index`."""
        if self._importers is None:
            self._importers = defaultdict(set)
            for near, module in enumerate(self.modules):
                for imported in module.imports.values():
                    found = self._imported_module(near, imported)
                    if found is not None and found != near:
                        self._importers[found].add(near)
        return self._importers.get(index, set())

    def _imported_module(self, near: int, imported: str) -> int | None:
        if self.modules[near].language != "python":
            return self.module(imported.partition(":")[0], near)
        parts = imported.split(".")
        for split in range(len(parts), 0, -1):
            found = self.module(".".join(parts[:split]), near)
            if found is not None:
                return found
        return None

    # --- shared ------------------------------------------------------------------------

    def _lexical(self, module: Module, function: Function, name: str) -> int | None:
        current: Function | None = function
        while current is not None:
            index = self._local_functions(current).get(name)
            if index is not None:
                return index
            current = module.functions[current.parent] if current.parent is not None else None
        return None

    def _local_functions(self, function: Function) -> dict[str, int]:
        known = self._locals.get(id(function))
        if known is None or known[0] is not function:
            named: dict[str, int] = {}
            for local, index in function.local_functions:
                named.setdefault(local, index)  # the first, as the linear search found it
            known = self._locals[id(function)] = (function, named)
        return known[1]

    def _owner_class(self, module: Module, function: Function) -> str | None:
        current: Function | None = function
        while current is not None:
            if current.owner_class is not None:
                return current.owner_class
            current = module.functions[current.parent] if current.parent is not None else None
        return None

    def _method(self, module: Module, cls: str, name: str) -> int | None:
        return module.classes.get(cls, {}).get(name)


def _common_prefix(first: str, second: str) -> int:
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count
