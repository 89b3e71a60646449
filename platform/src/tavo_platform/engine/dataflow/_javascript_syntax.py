"""JavaScript/TypeScript syntax the adapter reads the same way everywhere: node kinds,
calls that clean or end control flow, guard conditions, callee names, module names."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._lowering import access_path
from tavo_platform.engine.dataflow.ir import REQUEST_LOCAL

MEMBER = ("member_expression",)
MEMBER_FIELDS = ("object", "property")
CLEAN_CALLS = frozenset(
    {
        "parseInt",
        "parseFloat",
        "Number",
        "Boolean",
        "Number.parseInt",
        "Number.parseFloat",
        "Number.isInteger",
        "isNaN",
        "Array.isArray",
        "Math.floor",
        "Math.round",
        "Math.max",
        "Math.min",
        "Math.abs",
    }
)
EXIT_CALLS = frozenset({"process.exit", "notFound", "redirect", "permanentRedirect"})
STORING_METHODS = frozenset({"push", "unshift", "add", "set", "append"})
# Array and promise methods that call their first argument with the receiver's elements.
CALLBACK_METHODS = frozenset(
    {
        "map",
        "forEach",
        "filter",
        "find",
        "findLast",
        "some",
        "every",
        "flatMap",
        "then",
    }
)
# validator.js checks of a format with no quote, space, slash, dot or shell character in it
# (validator.isUUID(id), isInt(n)); not isIP/isFQDN/isURL/isEmail, which still name any
# host or carry quotes.
FORMAT_CHECKS = frozenset(
    {
        "isInt",
        "isNumeric",
        "isDecimal",
        "isFloat",
        "isPort",
        "isUUID",
        "isMongoId",
        "isHexadecimal",
        "isAlpha",
        "isAlphanumeric",
        "isValidObjectId",
    }
)
VALIDATING_METHODS = (
    frozenset({"includes", "has", "startsWith", "test", "isInteger", "isSafeInteger"})
    | FORMAT_CHECKS
)
FUNCTIONS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
    }
)
LITERALS = frozenset(
    {
        "string",
        "number",
        "true",
        "false",
        "null",
        "undefined",
        "regex",
        "comment",
        "update_expression",
        "template_literal_type",
    }
)
COMPARISONS = frozenset({"===", "==", "!==", "!=", "<", ">", "<=", ">=", "instanceof", "in"})
# Operators whose result is a number whatever the operands held (`+` concatenates, so no).
ARITHMETIC = frozenset({"-", "*", "/", "%", "**", "<<", ">>", ">>>", "&", "|", "^"})
UNWRAP = frozenset(
    {
        "await_expression",
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
        "spread_element",
        "template_substitution",
        "jsx_expression",
    }
)
EXTENSIONS = (".tsx", ".ts", ".mts", ".cts", ".jsx", ".js", ".mjs", ".cjs")


def module_name(path: str) -> str:
    for extension in EXTENSIONS:
        if path.endswith(extension):
            return path[: -len(extension)]
    return path


def guarded_names(condition: SgNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names the condition validates when it holds (first) or fails (second):
    `ALLOWED.includes(x)`, `allowed.has(x)`, `/^\\w+$/.test(x)`, `p.startsWith(base)`,
    `x === "literal"`, `Number.isInteger(x)`, a value tested for truth (empty where the
    test fails), negations and &&/|| of them."""
    kind = condition.kind()
    if kind == "parenthesized_expression":
        inner = next((c for c in condition.children() if c.is_named()), None)
        return guarded_names(inner) if inner is not None else ((), ())
    if kind == "unary_expression":
        operator, inner = condition.field("operator"), condition.field("argument")
        if operator is not None and operator.text() == "!" and inner is not None:
            positive, negative = guarded_names(inner)
            return negative, positive
        return (), ()
    if kind == "binary_expression":
        return _binary_guard(condition)
    if kind == "call_expression":
        return _call_guard(condition), ()
    if kind in ("identifier", "member_expression"):
        # A value tested for truth: where the test fails it is empty ("", null, 0).
        found = path_of(condition)
        return ((), (found,)) if found else ((), ())
    return (), ()


def _binary_guard(node: SgNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    left, right, operator = node.field("left"), node.field("right"), node.field("operator")
    if left is None or right is None or operator is None:
        return (), ()
    op = operator.text()
    if op in ("&&", "||"):
        lp, ln = guarded_names(left)
        rp, rn = guarded_names(right)
        # A failed `a && b` is a failure of either: only what both failures clean.
        if op == "&&":
            return lp + rp, tuple(n for n in ln if n in rn)
        return tuple(n for n in lp if n in rp), ln + rn
    prefixed = prefix_comparison(node)
    if prefixed is not None:  # file.slice(0, root.length) === root, file.indexOf(root) === 0
        if op in ("===", "=="):
            return (prefixed,), ()
        return ((), (prefixed,)) if op in ("!==", "!=") else ((), ())
    subjects = checked_paths(left) if right.kind() in ("string", "number", "true", "false") else ()
    if not subjects:
        return (), ()
    if op in ("===", "=="):
        return subjects, ()
    if op in ("!==", "!="):
        return (), subjects
    return (), ()


# A function named as a containment or allow-list check of its first argument:
# isPathWithinAllowedDirectories(p, dirs), isInsideRoot(p), isSafePath(p), isAllowedUrl(u).
CONTAINMENT_CHECK = re.compile(
    r"^(?:is|check)_?[A-Za-z_]*?(?:Within|Inside|Contained|Allowed|Permitted|Safe|SubPath"
    r"|_within|_inside|_contained|_allowed|_permitted|_safe|_sub_path)[A-Za-z_]*$"
)

# ...unless it checks only a part or a property of it (isAllowedExtension(name)).
_PART_CHECK = re.compile(r"(?i)ext|type|mime|size|length|format")
# One-argument calls whose result is the same path, normalised (a check of the result
# checks the path): normalizePath(p), fs.realpath(p), path.resolve(p).
NORMALISING = re.compile(r"(?i)(?:normali[sz]e\w*|realpath\w*|resolve|canonical\w*)$")


def _call_guard(node: SgNode) -> tuple[str, ...]:
    function, arguments = node.field("function"), node.field("arguments")
    if function is None or arguments is None:
        return ()
    if function.kind() == "identifier" and (
        function.text() in FORMAT_CHECKS
        or (CONTAINMENT_CHECK.match(function.text()) and not _PART_CHECK.search(function.text()))
    ):
        first = next((c for c in arguments.children() if c.is_named()), None)
        return checked_paths(first) if first is not None else ()
    if function.kind() != "member_expression":
        return ()
    method, target = function.field("property"), function.field("object")
    args = [c for c in arguments.children() if c.is_named()]
    if method is not None and method.text() in ("some", "find") and args:
        return _element_check(args[0])
    if method is None or target is None or method.text() not in VALIDATING_METHODS:
        return ()
    if method.text() == "test" and target.kind() == "regex" and not _anchored(target):
        return ()  # /[a-z]+/.test(x) passes "abc; rm -rf /": no check
    subject = target if method.text() == "startsWith" else (args[0] if args else None)
    return checked_paths(subject) if subject is not None else ()


def _element_check(callback: SgNode) -> tuple[str, ...]:
    """`list.some((u) => u === x)`, `list.find((p) => x.startsWith(p))`: an allow-list check
    of `x` against the list's elements, as `list.includes(x)` is. What the callback's one
    parameter stands for is an element, not what is checked."""
    if callback.kind() != "arrow_function":
        return ()
    parameter = callback.field("parameter")
    if parameter is None:
        parameters = callback.field("parameters")
        named = [c for c in parameters.children() if c.is_named()] if parameters else []
        parameter = named[0] if len(named) == 1 else None
        if parameter is not None and parameter.kind() != "identifier":
            parameter = parameter.field("pattern")
    body = callback.field("body")
    if parameter is None or parameter.kind() != "identifier" or body is None:
        return ()
    element = parameter.text()
    while body.kind() == "parenthesized_expression":
        inner = next((c for c in body.children() if c.is_named()), None)
        if inner is None:
            return ()
        body = inner
    if body.kind() == "binary_expression":
        left, right, operator = body.field("left"), body.field("right"), body.field("operator")
        if (
            left is None
            or right is None
            or operator is None
            or operator.text()
            not in (
                "===",
                "==",
            )
        ):
            return ()
        if left.text() == element:
            return tuple(p for p in checked_paths(right) if p.split(".")[0] != element)
        if right.text() == element:
            return tuple(p for p in checked_paths(left) if p.split(".")[0] != element)
        return ()
    if body.kind() == "call_expression" and element in body.text():
        return tuple(p for p in _call_guard(body) if p.split(".")[0] != element)
    return ()


def _anchored(regex: SgNode) -> bool:
    """Whether a regex literal matches the whole string: `^...$` (without the `m` flag,
    under which `^` and `$` match at every line)."""
    pattern, flags = regex.field("pattern"), regex.field("flags")
    if pattern is None or (flags is not None and "m" in flags.text()):
        return False
    body = pattern.text()
    return body.startswith("^") and body.endswith("$") and not body.endswith("\\$")


# Node's path.relative(base, target): its result starts with ".." when target is outside.
RELATIVE_CALLS = frozenset({"path.relative", "path.posix.relative", "relative"})


def is_pieced(value: SgNode) -> bool:
    """Whether `value` builds a string from pieces (`base + "/" + name`, a template literal
    with a substitution): a path built so still holds any `..` its pieces held, where
    path.join, path.resolve, path.normalize and fs.realpath leave none."""
    kind = value.kind()
    if kind == "binary_expression":
        operator = value.field("operator")
        return operator is not None and operator.text() == "+"
    if kind == "template_string":
        return any(c.kind() == "template_substitution" for c in value.children())
    return False


_PREFIX_SLICES = frozenset({"slice", "substr", "substring"})


def prefix_comparison(node: SgNode) -> str | None:
    """The path whose start a comparison checks against another value, as `startsWith`
    would: `file.slice(0, root.length) === root` (or substr/substring), and
    `file.indexOf(root) === 0`. None for other comparisons."""
    if node.kind() != "binary_expression":
        return None
    operator = node.field("operator")
    if operator is None or operator.text() not in ("===", "==", "!==", "!="):
        return None
    left, right = node.field("left"), node.field("right")
    for side, other in ((left, right), (right, left)):
        if side is None or other is None or side.kind() != "call_expression":
            continue
        function, arguments = side.field("function"), side.field("arguments")
        if function is None or arguments is None or function.kind() != "member_expression":
            continue
        method, owner = function.field("property"), function.field("object")
        if method is None or owner is None:
            continue
        args = [c for c in arguments.children() if c.is_named()]
        if (
            method.text() in _PREFIX_SLICES
            and args
            and args[0].text() == "0"
            and other.kind() in ("identifier", "member_expression")
        ):
            return path_of(owner)
        if method.text() == "indexOf" and len(args) == 1 and other.text() == "0":
            return path_of(owner)
    return None


def prefix_checked(condition: SgNode) -> set[str]:
    """The names whose text a `startsWith` call (or a comparison of the same effect) in the
    condition checks."""
    names: set[str] = set()
    for comparison in (condition, *condition.find_all(kind="binary_expression")):
        found = prefix_comparison(comparison)
        if found is not None:
            names.add(found)
    for call in condition.find_all(kind="call_expression"):
        function = call.field("function")
        if function is None or function.kind() != "member_expression":
            continue
        method, owner = function.field("property"), function.field("object")
        if method is not None and method.text() == "startsWith" and owner is not None:
            found = path_of(owner)
            if found is not None:
                names.add(found)
    return names


def outside_checks(
    condition: SgNode, relatives: dict[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Node's containment idiom: `rel = path.relative(base, target)`, then
    `if (rel.startsWith("..") || path.isAbsolute(rel)) return;`. Where the check fails the
    target lies under base: the paths clean when the condition holds (first) or fails."""
    kind = condition.kind()
    if kind == "parenthesized_expression":
        inner = next((c for c in condition.children() if c.is_named()), None)
        return outside_checks(inner, relatives) if inner is not None else ((), ())
    if kind == "unary_expression":
        operator, inner = condition.field("operator"), condition.field("argument")
        if operator is not None and operator.text() == "!" and inner is not None:
            positive, negative = outside_checks(inner, relatives)
            return negative, positive
        return (), ()
    if kind == "binary_expression":
        left, right, operator = (
            condition.field("left"),
            condition.field("right"),
            condition.field("operator"),
        )
        if left is None or right is None or operator is None:
            return (), ()
        lp, ln = outside_checks(left, relatives)
        rp, rn = outside_checks(right, relatives)
        if operator.text() == "&&":
            return lp + rp, tuple(n for n in ln if n in rn)
        if operator.text() == "||":
            return tuple(n for n in lp if n in rp), ln + rn
        return (), ()
    if kind != "call_expression":
        return (), ()
    function, arguments = condition.field("function"), condition.field("arguments")
    if function is None or arguments is None or function.kind() != "member_expression":
        return (), ()
    method, owner = function.field("property"), function.field("object")
    first = next((c for c in arguments.children() if c.is_named()), None)
    if method is None or owner is None or first is None or method.text() != "startsWith":
        return (), ()
    target = relatives.get(path_of(owner) or "")
    if target is None or first.kind() != "string" or first.text()[1:-1] not in ("..", "../"):
        return (), ()
    # Starting with ".." means outside: the target is clean where this fails.
    return (), (target,)


# The host part of a URL object: checking it against an allow-list checks where it goes.
_HOST_PROPERTIES = frozenset({"hostname", "host", "origin"})


def checked_paths(node: SgNode) -> tuple[str, ...]:
    """What a check of `node` validates: the value itself, and for the host of a URL
    (`url.hostname`, `new URL(u).host`) the URL too."""
    found = path_of(node)
    subjects = (found,) if found else ()
    if node.kind() != "member_expression":
        return subjects
    prop, owner = node.field("property"), node.field("object")
    if prop is None or owner is None or prop.text() not in _HOST_PROPERTIES:
        return subjects
    while owner.kind() == "parenthesized_expression":
        inner = next((c for c in owner.children() if c.is_named()), None)
        if inner is None:
            return subjects
        owner = inner
    if owner.kind() == "new_expression":
        constructor, arguments = owner.field("constructor"), owner.field("arguments")
        first = next((c for c in arguments.children() if c.is_named()), None) if arguments else None
        if constructor is None or constructor.text() != "URL" or first is None:
            return subjects
        owner = first
    url = path_of(owner)
    return (*subjects, url) if url else subjects


def path_of(node: SgNode) -> str | None:
    if node.kind() == "identifier":
        return node.text()
    if node.kind() == "member_expression":
        return access_path(node, MEMBER, MEMBER_FIELDS)
    return None


def callee_text(call: SgNode) -> str | None:
    function = call.field("function") or call.field("constructor")
    if function is None:
        return None
    if function.kind() == "identifier":
        return function.text()
    if function.kind() == "member_expression":
        return access_path(function, MEMBER, MEMBER_FIELDS)
    return None


def line_of(node: SgNode) -> int:
    return node.range().start.line + 1


_ANNOTATION = re.compile(r":\s*([A-Z][A-Za-z0-9_]*)\s*$")


def field_types(body: SgNode) -> dict[str, str]:
    """What a class's fields hold, by their declared type or initial value: TypeScript
    parameter properties (`constructor(private readonly users: UsersService)`, how NestJS
    and Angular inject services), `users: UsersService;`, `users = new UsersService()`."""
    found: dict[str, str] = {}
    for member in body.children():
        kind = member.kind()
        if kind in ("public_field_definition", "field_definition"):
            name = member.field("name") or member.field("property")
            annotation, value = member.field("type"), member.field("value")
            cls = annotated_class(annotation.text()) if annotation is not None else None
            if cls is None and value is not None and value.kind() == "new_expression":
                constructor = value.field("constructor")
                if constructor is not None and constructor.kind() == "identifier":
                    cls = constructor.text()
            if name is not None and cls is not None:
                found[name.text()] = cls
        elif kind == "method_definition" and _named(member, "constructor"):
            parameters = member.field("parameters")
            for parameter in parameters.children() if parameters is not None else ():
                modified = any(
                    c.kind() in ("accessibility_modifier", "override_modifier")
                    or c.text() == "readonly"
                    for c in parameter.children()
                )
                pattern, annotation = parameter.field("pattern"), parameter.field("type")
                if not modified or pattern is None or annotation is None:
                    continue
                cls = annotated_class(annotation.text())
                if cls is not None and pattern.kind() == "identifier":
                    found[pattern.text()] = cls
    return found


def _named(node: SgNode, name: str) -> bool:
    named = node.field("name")
    return named is not None and named.text() == name


def annotated_class(annotation: str) -> str | None:
    """`: Repo` -> `Repo` (a capitalised name alone: not a union, a generic or a literal)."""
    found = _ANNOTATION.match(annotation)
    return found.group(1) if found else None


def implemented(heritage: SgNode) -> list[str]:
    """The interfaces a TypeScript class_heritage names in its `implements` clause, by
    name (`Store`, `ns.Store`; `Repo<User>` as `Repo`)."""
    clause = next((c for c in heritage.children() if c.kind() == "implements_clause"), None)
    names: list[str] = []
    for child in clause.children() if clause is not None else ():
        if child.kind() == "generic_type":
            child = child.field("name") or child
        if child.kind() in ("type_identifier", "nested_type_identifier"):
            names.append(child.text())
    return names


# The session (express-session's req.session, koa-session's ctx.session) keeps a value for
# the client's later requests the same way.
_REQUEST_LOCALS = re.compile(
    r"^(?:res\.locals|response\.locals|ctx\.state|req\.session|request\.session|ctx\.session)"
    r"\.(\w+)(.*)$"
)


def request_local(path: str) -> str:
    """`res.locals.user.name` as the project-wide variable it reads (ir.REQUEST_LOCAL);
    any other access path as it is."""
    found = _REQUEST_LOCALS.match(path)
    return f"{REQUEST_LOCAL}{found[1]}{found[2]}" if found else path
