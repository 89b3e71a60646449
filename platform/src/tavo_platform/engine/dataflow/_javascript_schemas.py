"""Validation schemas whose output cannot carry text. A zod schema made only of numbers,
booleans, dates, enums, literals and identifier formats (uuid, cuid, ulid, ip, datetime)
parses request data into values no injection can ride on:
`const { id } = Params.parse(req.params)` with `Params = z.object({ id: z.coerce.number() })`.

Read from the file's own text, conservatively: a schema with any free-text string (a plain
`z.string()`, `.email()`, `.url()`), or one this module cannot read (imported from another
file, extended, merged, transformed, piped, passing unknown keys through), is no check."""

from __future__ import annotations

from ast_grep_py import SgNode

PARSE_METHODS = frozenset({"parse", "parseAsync", "safeParse", "safeParseAsync"})
# z.<type>() (also under z.coerce.) whose parsed value is never free text.
_SAFE_TYPES = frozenset(
    {
        "number",
        "boolean",
        "bigint",
        "date",
        "int",
        "int32",
        "int64",
        "uint32",
        "uint64",
        "float32",
        "float64",
        "uuid",
        "uuidv4",
        "uuidv6",
        "uuidv7",
        "guid",
        "cuid",
        "cuid2",
        "ulid",
        "nanoid",
        "enum",
        "nativeEnum",
        "literal",
        "null",
        "undefined",
        "void",
        "ipv4",
        "ipv6",
        "cidrv4",
        "cidrv6",
        "nan",
    }
)
# z.string().<format>(): a string the format's own pattern restricts to identifier text.
_STRING_FORMATS = frozenset(
    {
        "uuid",
        "cuid",
        "cuid2",
        "ulid",
        "nanoid",
        "datetime",
        "date",
        "time",
        "duration",
        "ip",
        "ipv4",
        "ipv6",
        "cidr",
        "base64",
    }
)
# Methods that keep the type of the schema they are called on.
_KEEPING = frozenset(
    {
        "optional",
        "nullable",
        "nullish",
        "default",
        "int",
        "positive",
        "nonnegative",
        "negative",
        "nonpositive",
        "min",
        "max",
        "gt",
        "gte",
        "lt",
        "lte",
        "finite",
        "safe",
        "multipleOf",
        "step",
        "length",
        "strict",
        "strip",
        "partial",
        "required",
        "describe",
        "readonly",
        "refine",
        "superRefine",
        "brand",
        "array",
        "nonempty",
    }
)
# Containers whose arguments are all schemas: z.array(x), z.union([a, b]), z.tuple([...]).
_CONTAINERS = frozenset({"array", "optional", "nullable", "union", "tuple", "set"})
_MAX_DEPTH = 32


class Schemas:
    """The file's module-level `const Name = z....` schemas, read on first use."""

    def __init__(self, root: SgNode) -> None:
        self._root = root
        self._declared: dict[str, SgNode] | None = None
        self._safe: dict[str, bool] = {}

    def cleans(self, function: SgNode | None) -> bool:
        """Whether calling `function` (`Schema.parse`, `z.coerce.number().parse`) returns a
        value that cannot carry text."""
        if function is None or function.kind() != "member_expression":
            return False
        method, schema = function.field("property"), function.field("object")
        if method is None or schema is None or method.text() not in PARSE_METHODS:
            return False
        return self._is_safe(schema, 0)

    def _declarations(self) -> dict[str, SgNode]:
        if self._declared is None:
            self._declared = {}
            for statement in self._root.children():
                if statement.kind() == "export_statement":
                    statement = statement.field("declaration") or statement
                if statement.kind() != "lexical_declaration":
                    continue
                for declarator in statement.children():
                    name, value = declarator.field("name"), declarator.field("value")
                    if (
                        declarator.kind() == "variable_declarator"
                        and name is not None
                        and name.kind() == "identifier"
                        and value is not None
                        and value.text().startswith("z.")
                    ):
                        self._declared[name.text()] = value
        return self._declared

    def _named(self, name: str, depth: int) -> bool:
        if name not in self._safe:
            self._safe[name] = False  # a schema naming itself is not read as safe
            value = self._declarations().get(name)
            self._safe[name] = value is not None and self._is_safe(value, depth + 1)
        return self._safe[name]

    def _is_safe(self, node: SgNode, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        kind = node.kind()
        if kind in ("parenthesized_expression", "as_expression", "satisfies_expression"):
            inner = node.named_children()
            return bool(inner) and self._is_safe(inner[0], depth + 1)
        if kind == "identifier":
            return self._named(node.text(), depth)
        if kind != "call_expression":
            return False
        function, arguments = node.field("function"), node.field("arguments")
        if function is None or function.kind() != "member_expression":
            return False
        method, target = function.field("property"), function.field("object")
        if method is None or target is None:
            return False
        name = method.text()
        if target.text() in ("z", "z.coerce", "z.iso"):
            return self._type(name, arguments, depth)
        if name in _STRING_FORMATS and _is_plain_string(target):
            return True
        return name in _KEEPING and self._is_safe(target, depth + 1)

    def _type(self, name: str, arguments: SgNode | None, depth: int) -> bool:
        if name in _SAFE_TYPES or name in ("datetime", "time"):
            return True
        given = arguments.named_children() if arguments is not None else []
        if name == "object":
            return len(given) == 1 and self._shape(given[0], depth)
        if name in _CONTAINERS and given:
            first = given[0]
            items = first.named_children() if first.kind() == "array" else given[:1]
            return bool(items) and all(self._is_safe(item, depth + 1) for item in items)
        return False

    def _shape(self, node: SgNode, depth: int) -> bool:
        if node.kind() != "object":
            return False
        for member in node.named_children():
            if member.kind() == "comment":
                continue
            value = member.field("value") if member.kind() == "pair" else None
            if value is None or not self._is_safe(value, depth + 1):
                return False  # a spread, a shorthand or a free-text field
        return True


    def checked_fields(self, handler: SgNode) -> frozenset[str]:
        """The argument fields of a tool handler that its input schema admits only as
        values without text: `status` of an MCP `server.tool("s", { status: z.enum([...]) },
        async ({ status }) => ...)`, of `registerTool(name, { inputSchema: {...} }, ...)` and
        of an AI SDK `tool({ inputSchema: z.object({...}), execute })`. The SDK parses the
        model's arguments with the schema before the handler runs."""
        shape = self._shape_of(_schema_beside(handler), 0)
        if shape is None:
            return frozenset()
        fields = set()
        for member in shape.named_children():
            key, value = member.field("key"), member.field("value")
            if member.kind() != "pair" or key is None or value is None:
                continue
            if key.kind() in ("property_identifier", "string") and self._is_safe(value, 0):
                fields.add(key.text().strip("'\""))
        return frozenset(fields)

    def _shape_of(self, node: SgNode | None, depth: int) -> SgNode | None:
        """The object of fields a schema is made of: a raw shape `{ a: z.number() }`,
        `z.object({...})`, or a module constant holding one."""
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.kind() == "object":
            return node
        if node.kind() == "identifier":
            return self._shape_of(self._declarations().get(node.text()), depth + 1)
        if node.kind() == "call_expression":
            function, arguments = node.field("function"), node.field("arguments")
            given = arguments.named_children() if arguments is not None else []
            if function is not None and function.text() == "z.object" and len(given) == 1:
                return self._shape_of(given[0], depth + 1)
        return None


# Keys that hold a tool's input schema in its configuration object.
_SCHEMA_KEYS = frozenset({"inputSchema", "parameters", "schema"})


def _schema_beside(handler: SgNode) -> SgNode | None:
    """The schema given with a tool handler: the argument before it in an MCP
    `server.tool(name, [description,] shape, handler)`, `inputSchema` of the configuration
    before it (`registerTool(name, config, handler)`), or a sibling `inputSchema` /
    `parameters` of the `execute` pair (`tool({ inputSchema, execute })`)."""
    parent = handler.parent()
    if parent is None:
        return None
    if parent.kind() == "pair":
        key = parent.field("key")
        holder = parent.parent()
        if key is None or key.text() != "execute" or holder is None:
            return None
        return _schema_in(holder)
    if parent.kind() != "arguments":
        return None
    before = None
    for argument in parent.named_children():
        if argument == handler:
            break
        before = argument
    if before is None:
        return None
    if before.kind() == "object":
        return _schema_in(before) or before  # a configuration, or the raw shape itself
    return before


def _schema_in(config: SgNode) -> SgNode | None:
    for member in config.named_children():
        key = member.field("key") if member.kind() == "pair" else None
        if key is not None and key.text().strip("'\"") in _SCHEMA_KEYS:
            return member.field("value")
    return None


def destructured(pattern: SgNode) -> list[tuple[str, str]]:
    """(field, name bound to it) of an object pattern's plain members: `{ a, b: c, d = 1 }`
    gives a->a, b->c, d->d (nested patterns and rest elements are left out)."""
    bound: list[tuple[str, str]] = []
    for member in pattern.named_children():
        kind = member.kind()
        if kind == "object_assignment_pattern":
            member = member.field("left") or member
            kind = member.kind()
        if kind == "shorthand_property_identifier_pattern":
            bound.append((member.text(), member.text()))
        elif kind == "pair_pattern":
            key, value = member.field("key"), member.field("value")
            if value is not None and value.kind() == "assignment_pattern":
                value = value.field("left")
            if key is not None and value is not None and value.kind() == "identifier":
                bound.append((key.text().strip("'\""), value.text()))
    return bound


def _is_plain_string(node: SgNode) -> bool:
    """`z.string()`, possibly with checks chained on it (`z.string().min(1)`)."""
    while node.kind() == "call_expression":
        function = node.field("function")
        if function is None or function.kind() != "member_expression":
            return False
        target = function.field("object")
        if target is None:
            return False
        if target.text() == "z":
            return function.text() == "z.string"
        node = target
    return False
