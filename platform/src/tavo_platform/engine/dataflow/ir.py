"""The one small IR that every language adapter lowers its syntax tree to.

The solver reads only these types. An expression says where its value comes from (which
variables, which calls), never what a library means: what is a source, a sink or a
sanitizer was decided while lowering, by the taint rules' patterns, and is carried here as
rule ids. Everything is immutable (read-only to mypy: _immutable.py) and picklable, so files
are lowered in worker processes and the project is solved in one place.
"""

from __future__ import annotations

from dataclasses import field

from tavo_platform.engine.dataflow._immutable import immutable


class Expr:
    """An expression; `line` is 1-based."""

    __slots__ = ()


@immutable
class Const(Expr):
    """A literal or anything else that carries no taint (a type conversion, a length)."""


CONST = Const()


@immutable
class Var(Expr):
    """A read of a variable or of an access path (`a.b`), which falls back to its root."""

    name: str
    line: int


@immutable
class Field(Expr):
    """A read of attribute `name` of an object whose class is known (`q.size` of a parameter
    `q: ItemQuery`): `cls` is the class as written, imports substituted. When that class is
    the project's and declares the attribute with a type that holds no text (`size: int`,
    an Enum), the read carries no taint; otherwise it is `inner`."""

    inner: Expr
    cls: str
    name: str


@immutable
class Union(Expr):
    """A value built from parts (operators, f-strings, containers, attribute reads)."""

    parts: tuple[Expr, ...]


@immutable
class Arg:
    value: Expr
    keyword: str | None = None
    spread: bool = False  # *args / **kwargs / ...spread


RETURNED = "<return>"  # in a callee: the object a function returns (`f.<return>.m`)
PICKED = "[*]"  # a callee's suffix: one of the functions of a table (`HANDLERS[*]`)
# The root of a value kept for the rest of one request, or for the session, under a name
# (Express's res.locals.user and req.session.user, Koa's ctx.state.user): one variable of
# the whole project per name, as a handler in one module sets what one in another reads.
REQUEST_LOCAL = "<request local>"


@immutable
class Call(Expr):
    """A call. `callee` is the callee as written (`f`, `mod.f`, `self.m`), resolved against
    the module's imports and definitions by the solver; `receiver` is the object a method
    is called on. `f.<return>.m` (Python) is method `m` of what function `f` returns."""

    callee: str | None
    receiver: Expr | None
    args: tuple[Arg, ...]
    line: int
    clean: bool = False  # the language guarantees an untainted result (int(), len())
    # The callee was named through an object of a known class (`repo.find` after
    # `repo = Repo()`): a Python method then takes that object as its first parameter.
    on_instance: bool = False
    # A lookup (`mapping.get(key, default)`, `.getlist(key)`, `.pop(key)`): the result
    # comes from the receiver or the default, never the key.
    lookup: bool = False
    # A call of a function defined in this module, by index (a callback given to `map`).
    local_target: int | None = None


@immutable
class Source(Expr):
    """Taint for `rules` enters here; the inner expression still flows too."""

    rules: frozenset[str]
    inner: Expr
    line: int
    label: str


@immutable
class Sanitize(Expr):
    """The inner value, cleaned for `rules`."""

    rules: frozenset[str]
    inner: Expr


@immutable
class Sink(Expr):
    """The inner value reaches a sink of `rules`; the finding is reported at `at`."""

    rules: frozenset[str]
    inner: Expr
    at: Location


@immutable
class Let(Expr):
    """Binds names (comprehension and walrus targets) before evaluating `inner`."""

    bindings: tuple[tuple[tuple[str, ...], Expr], ...]
    inner: Expr


@immutable
class Propagate(Expr):
    """A side effect: `target` takes the taint of `value` (`items.append(x)`)."""

    target: str
    value: Expr
    line: int


@immutable
class FunctionRef(Expr):
    """A lambda, arrow function or nested definition used as a value (no taint itself)."""

    index: int


@immutable
class Location:
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


class Stmt:
    __slots__ = ()


@immutable
class Assign(Stmt):
    targets: tuple[str, ...]
    value: Expr
    line: int
    augmented: bool = False
    # A store into an element or attribute (`CACHE[k] = v`, `obj.x = v`): it changes the
    # object the name holds, a module's global container included, never rebinds the name.
    store: bool = False


@immutable
class Eval(Stmt):
    value: Expr


@immutable
class Return(Stmt):
    value: Expr
    line: int


@immutable
class Exit(Stmt):
    """raise / throw / break / continue: control does not reach the next statement."""


@immutable
class If(Stmt):
    condition: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    # Names the condition validates: clean in `body` when it holds (`if x in ALLOWED:`),
    # clean in `orelse` when it fails (`if x not in ALLOWED: raise`).
    clean_in_body: tuple[str, ...] = ()
    clean_in_orelse: tuple[str, ...] = ()


@immutable
class Loop(Stmt):
    """A loop body, run until its taint settles; `targets` take `iterable`'s taint."""

    targets: tuple[str, ...]
    iterable: Expr
    body: tuple[Stmt, ...]
    line: int


@immutable
class Block(Stmt):
    """Statements that may or may not run (try/except/finally, switch cases)."""

    branches: tuple[tuple[Stmt, ...], ...]


@immutable
class Param:
    name: str
    rest: bool = False  # *args, **kwargs, ...rest: takes every extra argument
    sources: frozenset[str] = frozenset()  # rules for which the parameter is a source
    label: str = ""


@immutable
class Function:
    index: int  # position in the module's function list
    name: str  # qualified within the module: `f`, `Class.m`, `f.<lambda>`
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    line: int
    parent: int | None  # the lexically enclosing function (the module body is 0)
    owner_class: str | None = None  # for methods: the class, qualified within the module
    is_method: bool = False  # Python methods take the receiver as their first parameter
    # Names of nested functions visible in this function's body -> function index.
    local_functions: tuple[tuple[str, int], ...] = ()
    # The calls its body makes (the same objects as in the body): the solver resolves them
    # once to order its work callees first.
    calls: tuple[Call, ...] = ()
    # The class of the objects it returns, as written with imports substituted (Python:
    # `-> Repo`, or `return Repo(...)`): a method called on its result is that class's.
    returns: str | None = None


@immutable
class Module:
    path: str  # relative to the scan root, '/'-separated
    name: str  # dotted for Python (`pkg.mod`), the path without extension for JS/TS
    language: str  # "python" | "javascript"
    functions: tuple[Function, ...]  # functions[0] is the module body
    # Local name -> what it refers to: `pkg.mod.f` (Python) or `path/to/mod:f` (JS/TS);
    # external modules keep their specifier.
    imports: dict[str, str] = field(default_factory=dict)
    # Exported name -> local name (JS/TS `export`, Python: every top-level name).
    exports: dict[str, str] = field(default_factory=dict)
    # `export * from` targets (JS/TS).
    star_exports: tuple[str, ...] = ()
    # Class name -> its methods' function indexes by method name.
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    # Class name -> its base classes as written, imports substituted (Python).
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Class name -> the interfaces it implements, as written with imports substituted
    # (TypeScript `class S3Store implements Store`).
    implements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Module-level variable -> the class it was built from (`repo = Repo()`), as written
    # with imports substituted: a method called on it, here or where it is imported, is
    # that class's.
    instances: dict[str, str] = field(default_factory=dict)
    # Module-level tables of functions (`HANDLERS = {"csv": to_csv, "pdf": pdf.render}`,
    # a list or tuple of them) -> those functions, as written with imports substituted:
    # `HANDLERS[kind](data)`, here or where the table is imported, calls one of them.
    dispatch: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Class name -> its attributes declared with a type that holds no text (`id: int`,
    # `when: datetime`, `kind: Kind` of an Enum, `Literal[...]`): pydantic models, dataclasses.
    inert_fields: dict[str, frozenset[str]] = field(default_factory=dict)
