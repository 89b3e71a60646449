"""Python syntax the adapter reads the same way everywhere: builtins that clean or end
control flow, guard conditions, callee names."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._lowering import access_path

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
        "is_relative_to",  # pathlib: Path(...).resolve().is_relative_to(ROOT)
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
# Functions that say whether a URL stays on allowed hosts (Django's, and its older name).
_URL_CHECKS = frozenset(
    {
        "url_has_allowed_host_and_scheme",
        "http.url_has_allowed_host_and_scheme",
        "django.utils.http.url_has_allowed_host_and_scheme",
        "is_safe_url",
        "http.is_safe_url",
    }
)
# The host part of a parsed URL: checking it against an allow-list checks where the URL goes.
_HOST_ATTRIBUTES = frozenset({"hostname", "netloc", "host"})
LITERALS = frozenset(
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
SEQUENCES = frozenset(
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
COMPREHENSIONS = frozenset(
    {
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
)


# Half of a redirect guard, kept apart from the names until both halves meet: a value
# starting with "/" may still be "//evil.com" (a URL of another host), and one not starting
# with "//" may still be "https://evil.com"; only both together keep it a local path.
_SLASH_START = "\0starts-with-slash"
_NOT_DOUBLE_SLASH = "\0not-double-slash"
# A literal prefix that fixes nothing about the rest: "", a scheme, slashes ("https://",
# "/"): "https://evil.com" and "/etc/passwd" pass such a check.
_WEAK_PREFIX = re.compile(r"^(?:https?|[A-Za-z][A-Za-z0-9+.-]*:)?[/\\]*$")


def guarded_names(
    condition: SgNode, checks: Mapping[str, SgNode] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names the condition validates when it holds (first) or when it fails (second):
    `x in ALLOWED`, `x.isdigit()`, `path.startswith(base)`, `re.fullmatch(p, x)`,
    `isinstance(x, int)`, a value tested for truth (empty where the test fails),
    negations and and/or combinations of them. `checks`: names bound to a check
    (`ok = is_safe(url)`), which stand for it. A prefix that fixes nothing
    (`x.startswith("https://")`) is no check; `x.startswith("/")` is one only together
    with `not x.startswith("//")`."""
    positive, negative = _guards(condition, checks)
    return _whole(positive), _whole(negative)


def _whole(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` with the redirect-guard halves joined: a value both halves hold for is
    checked; a half alone checks nothing."""
    if not any("\0" in name for name in names):
        return names
    whole = [name for name in names if "\0" not in name]
    for name in names:
        path, _, half = name.partition("\0")
        if half and f"\0{half}" == _SLASH_START and f"{path}{_NOT_DOUBLE_SLASH}" in names:
            whole.append(path)
    return tuple(dict.fromkeys(whole))


def _guards(
    condition: SgNode, checks: Mapping[str, SgNode] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    kind = condition.kind()
    if kind == "parenthesized_expression":
        inner = last_named(condition)
        return _guards(inner, checks) if inner is not None else ((), ())
    if kind == "not_operator":
        inner = condition.field("argument")
        positive, negative = _guards(inner, checks) if inner is not None else ((), ())
        return negative, positive
    if kind == "boolean_operator":
        left, right = condition.field("left"), condition.field("right")
        lp, ln = _guards(left, checks) if left is not None else ((), ())
        rp, rn = _guards(right, checks) if right is not None else ((), ())
        operator = condition.field("operator")
        if operator is not None and operator.text() == "and":
            # Holds: both held. Fails: one of them failed, so only what either failure
            # cleans: `(x or ...) and not is_safe(x)` fails when x is empty or x is safe.
            return lp + rp, _on_both_ways(ln, rn)
        return _on_both_ways(lp, rp), ln + rn
    if kind == "identifier" and checks and condition.text() in checks:
        return _guards(checks[condition.text()])
    if kind in ("identifier", "attribute"):
        # A value tested for truth: where the test fails it is empty ("", None, 0, []),
        # which carries no outside text.
        found = path_of(condition)
        return ((), (found,)) if found else ((), ())
    if kind == "comparison_operator":
        return _comparison_guard(condition)
    if kind == "call":
        double = _double_slash_check(condition)
        if double is not None:
            return (), (double,)
        return _call_guard(condition), ()
    return (), ()


def _on_both_ways(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in first if name in second)


def _comparison_guard(node: SgNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    named = [c for c in node.children() if c.is_named()]
    operators = [c.text() for c in node.children() if not c.is_named()]
    if len(named) != 2 or not operators:
        return (), ()
    container = named[1]
    operator = " ".join(operators)
    if _literal_strings(named[0]) == ["//"] and operator in ("in", "not in"):
        # `"//" not in x`: the second half of a local-path check (see _double_slash_check)
        found = path_of(container)
        half = (f"{found}{_NOT_DOUBLE_SLASH}",) if found else ()
        return ((), half) if operator == "in" else (half, ())
    subjects = _checked_paths(named[0])
    if container.kind() == "attribute" and (container.field("attribute") or node).text() == (
        "parents"
    ):
        # `BASE in path.parents` (pathlib): a check of where `path` is
        owner = container.field("object")
        inside = path_of(owner) if owner is not None else None
        subjects = (inside,) if inside else ()
    if not subjects:
        return (), ()
    if operator in ("in", "=="):
        return subjects, ()
    if operator in ("not in", "!="):
        return (), subjects
    return (), ()


def _checked_paths(node: SgNode) -> tuple[str, ...]:
    """What a check of `node` validates: the value itself, for the host of a URL
    (`url.hostname`, `urlparse(url).netloc`) the URL too, and for
    `os.path.commonpath([path, BASE])` the paths it compares."""
    if node.kind() == "call":
        return tuple(_common_paths(node))
    found = path_of(node)
    subjects = (found,) if found else ()
    if node.kind() != "attribute":
        return subjects
    attribute, owner = node.field("attribute"), node.field("object")
    if attribute is None or owner is None or attribute.text() not in _HOST_ATTRIBUTES:
        return subjects
    if owner.kind() == "call":
        callee = callee_text(owner) or ""
        arguments = owner.field("arguments")
        first = next((c for c in arguments.children() if c.is_named()), None) if arguments else None
        if callee.rsplit(".", 1)[-1] in ("urlparse", "urlsplit") and first is not None:
            owner = first
    url = path_of(owner)
    return (*subjects, url) if url else subjects


def _matches_to_the_end(pattern: SgNode) -> bool:
    """Whether a pattern given to `re.match` (anchored only at the start) is anchored at the
    end too: a literal ending in `$` or `\\Z`. A pattern that is not a literal here (a
    constant defined elsewhere) is given the benefit of the doubt."""
    if pattern.kind() != "string":
        return True
    text = pattern.text()
    body = text.lstrip("rRbBuU")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            body = body[len(quote) : -len(quote)]
            break
    return body.endswith(("\\Z", "\\z")) or (body.endswith("$") and not body.endswith("\\$"))


# A function named as a containment or allow-list check of its first argument:
# is_path_inside(p, base), is_within_directory(base, p)'s kin, is_safe_path(p),
# check_path_allowed(p) (as engine/dataflow/_javascript_syntax.py's CONTAINMENT_CHECK).
_CONTAINMENT_CHECK = re.compile(
    r"^_?(?:is|check)_\w*?(?:within|inside|contained|allowed|permitted|safe|sub_?path)\w*$"
)
# ...unless it checks only a part or a property of it (is_allowed_extension(name)).
_PART_CHECK = re.compile(r"(?i)ext|type|mime|size|length|format")


def _call_guard(node: SgNode) -> tuple[str, ...]:
    function, arguments = node.field("function"), node.field("arguments")
    if function is None or arguments is None:
        return ()
    called = function.text().rpartition(".")[2]
    if _CONTAINMENT_CHECK.match(called) and not _PART_CHECK.search(called):
        first = next((c for c in arguments.children() if c.is_named()), None)
        found = path_of(first) if first is not None and first.kind() != "keyword_argument" else None
        return (found,) if found else ()
    if function.kind() == "attribute":
        method = function.field("attribute")
        if method is None or method.text() not in _VALIDATING_METHODS:
            return ()
        target = function.field("object")
        if method.text() in ("fullmatch", "match"):
            args = [c for c in arguments.children() if c.is_named()]
            # re.fullmatch(pattern, x) or compiled.fullmatch(x)
            on_re = target is not None and target.text() == "re" and len(args) > 1
            if method.text() == "match" and on_re and not _matches_to_the_end(args[0]):
                return ()  # re.match(r"[a-z]+", x) passes "abc; rm -rf /": no check
            subject = args[1] if on_re else (args[0] if args else None)
            found = path_of(subject) if subject is not None else None
            return (found,) if found else ()
        found = path_of(target) if target is not None else None
        if found and method.text() == "startswith":
            return _prefix_guard(found, arguments)
        return (found,) if found else ()
    name = function.text()
    if name != "isinstance" and name not in _URL_CHECKS:
        return ()  # the arguments of any other call are never walked
    args = [c for c in arguments.children() if c.is_named()]
    if name == "isinstance" and args:
        found = path_of(args[0])
        return (found,) if found else ()
    if name in _URL_CHECKS:
        # url_has_allowed_host_and_scheme(url, allowed_hosts=...) or (url=..., ...)
        keyword = next(
            (
                a.field("value")
                for a in args
                if a.kind() == "keyword_argument"
                and (n := a.field("name")) is not None
                and n.text() == "url"
            ),
            None,
        )
        subject = keyword or (args[0] if args and args[0].kind() != "keyword_argument" else None)
        found = path_of(subject) if subject is not None else None
        return (found,) if found else ()
    return ()


def _prefix_guard(path: str, arguments: SgNode) -> tuple[str, ...]:
    """What `path.startswith(prefix)` checks: the path, unless the prefix is a literal
    that fixes nothing (`"https://"`); for `"/"`, the first half of a local-path check."""
    first = next((c for c in arguments.children() if c.is_named()), None)
    prefixes = _literal_strings(first) if first is not None else None
    if prefixes is None:
        return (path,)  # a base held elsewhere: a directory, a configured URL
    weak = {prefix for prefix in prefixes if _WEAK_PREFIX.match(prefix)}
    if not weak:
        return (path,)
    return (f"{path}{_SLASH_START}",) if weak == {"/"} else ()


def _double_slash_check(call: SgNode) -> str | None:
    """The second half of a local-path check, `x.startswith("//")` (or of a tuple of
    "//" and "/\\"): where it fails, x does not start a URL of another host."""
    function, arguments = call.field("function"), call.field("arguments")
    if function is None or arguments is None or function.kind() != "attribute":
        return None
    method, target = function.field("attribute"), function.field("object")
    if method is None or method.text() != "startswith" or target is None:
        return None
    first = next((c for c in arguments.children() if c.is_named()), None)
    prefixes = _literal_strings(first) if first is not None else None
    found = path_of(target)
    if not found or not prefixes or "//" not in prefixes:
        return None
    return f"{found}{_NOT_DOUBLE_SLASH}"


def _literal_strings(node: SgNode) -> list[str] | None:
    """The text of a plain string literal, or of a tuple of them; None for anything else."""
    if node.kind() == "tuple":
        items = [_literal_strings(c) for c in node.children() if c.is_named()]
        if not items or any(item is None for item in items):
            return None
        return [text for item in items for text in item or ()]
    if node.kind() != "string" or any(c.kind() == "interpolation" for c in node.children()):
        return None
    content = [c.text() for c in node.children() if c.kind() == "string_content"]
    return ["".join(content).replace("\\\\", "\\")]


# An attribute written as a chain of plain names (`self.db.cursor`) is its own access path:
# read from its text in one call into the parser's binding, not by walking the chain
# (three calls a link). Words the grammar may read as something else fall back to the walk.
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_NOT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"print", "exec", "type"}


# Texts seen, and whether each is such a chain (the same few recur all through a project).
_CHAINS: dict[str, bool] = {}


def attribute_path(node: SgNode) -> str | None:
    """The access path of an `attribute` node (`a.b.c`), None unless a chain of names."""
    text = node.text()
    chain = _CHAINS.get(text)
    if chain is None:
        if len(_CHAINS) > 8192:
            _CHAINS.clear()
        chain = _CHAINS[text] = _DOTTED.fullmatch(text) is not None and _NOT_NAMES.isdisjoint(
            text.split(".")
        )
    return text if chain else access_path(node, ("attribute",), ("object", "attribute"))


def path_of(node: SgNode) -> str | None:
    kind = node.kind()
    if kind == "identifier":
        return node.text()
    if kind == "attribute":
        return attribute_path(node)
    return None


def callee_text(call: SgNode) -> str | None:
    function = call.field("function")
    return path_of(function) if function is not None else None


def name_of(node: SgNode) -> str:
    name = node.field("name")
    return name.text() if name is not None else "<anonymous>"


def line_of(node: SgNode) -> int:
    return node.range().start.line + 1


def child_of_kind(node: SgNode, kind: str) -> SgNode | None:
    return next((c for c in node.children() if c.kind() == kind), None)


def last_named(node: SgNode) -> SgNode | None:
    named = [c for c in node.children() if c.is_named()]
    return named[-1] if named else None


def last_block(node: SgNode) -> SgNode | None:
    blocks = [c for c in node.children() if c.kind() == "block"]
    return blocks[-1] if blocks else None


def picked_table(node: SgNode) -> str | None:
    """The table a function is picked from, as written: `HANDLERS[kind]`,
    `HANDLERS.get(kind)`, `registry.HANDLERS.get(kind, fallback)`; None otherwise."""
    kind = node.kind()
    if kind == "subscript":
        owner = node.field("value")
    elif kind == "call":
        function = node.field("function")
        if function is None or function.kind() != "attribute":
            return None
        method = function.field("attribute")
        if method is None or method.text() != "get":
            return None
        owner = function.field("object")
    else:
        return None
    found = path_of(owner) if owner is not None else None
    if found is None or found.partition(".")[0] in ("self", "cls", "request", "os"):
        return None
    return found


def _common_paths(call: SgNode) -> list[str]:
    """The paths `os.path.commonpath([a, b])` compares (none for any other call)."""
    if (callee_text(call) or "").rpartition(".")[2] != "commonpath":
        return []
    arguments = call.field("arguments")
    first = next((c for c in arguments.children() if c.is_named()), None) if arguments else None
    if first is None or first.kind() not in ("list", "tuple"):
        return []
    return [found for c in first.children() if c.is_named() and (found := path_of(c))]


def prefix_checked(condition: SgNode) -> set[str]:
    """The paths a prefix check in `condition` tests (`p.startswith(BASE)`,
    `p.is_relative_to(BASE)`, `os.path.commonpath([p, BASE]) == BASE`, `BASE in p.parents`):
    lexical checks, which a path still holding `..` passes."""
    text = condition.text()
    if not any(word in text for word in ("startswith", "is_relative_to", "commonpath", "parents")):
        return set()
    found: set[str] = set()
    for comparison in condition.find_all(kind="comparison_operator"):
        # `ROOT in target.parents` / `ROOT not in target.parents` (pathlib)
        operands = [c for c in comparison.children() if c.is_named()]
        last = operands[-1] if len(operands) == 2 else None
        if last is not None and last.kind() == "attribute" and " in " in f" {comparison.text()} ":
            attribute, owner = last.field("attribute"), last.field("object")
            path = path_of(owner) if owner is not None else None
            if attribute is not None and attribute.text() == "parents" and path:
                found.add(path)
    for call in condition.find_all(kind="call"):
        function = call.field("function")
        method = function.field("attribute") if function is not None else None
        if method is not None and method.text() in ("startswith", "is_relative_to"):
            owner = function.field("object")  # type: ignore[union-attr]
            path = path_of(owner) if owner is not None else None
            found.update((path,) if path else ())
        found.update(_common_paths(call))
    return found


ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "IntFlag", "Flag"})
# Annotations of values that hold no text: numbers, booleans, dates, UUIDs, pydantic's
# constrained numbers; optional or not.
_INERT_TYPE = re.compile(
    r"(?:(?:typing\.)?Optional\[\s*|(?:typing\.)?Annotated\[\s*)*"
    r"(?:int|float|bool|complex|Decimal|decimal\.Decimal|UUID|uuid\.UUID|UUID[1345]|datetime"
    r"|datetime\.datetime|date|datetime\.date|time|timedelta|PositiveInt|NegativeInt"
    r"|NonNegativeInt|NonPositiveInt|PositiveFloat|NegativeFloat|NonNegativeFloat"
    r"|NonPositiveFloat|StrictInt|StrictFloat|StrictBool|conint\(.*?\)|confloat\(.*?\)"
    r"|condecimal\(.*?\)|Literal\[[^\]]*\])"
    r"\s*(?:\|\s*None\s*)?(?:\]|,.*\])*$"
)


_OPTIONAL_NAME = re.compile(r"^(?:(?:typing\.)?Optional\[)?\s*([\w.]+)\s*(?:\]|\|\s*None)?$")


def inert_type(annotation: str, enums: set[str]) -> bool:
    annotation = annotation.strip().strip("'\"")
    if _INERT_TYPE.match(annotation):
        return True
    bare = _OPTIONAL_NAME.match(annotation)
    return bare is not None and bare.group(1) in enums


# Django form, DRF serializer and Django model fields whose values hold no text: numbers,
# booleans, dates, UUIDs, one of the declared choices (`limit = forms.IntegerField()`).
_INERT_FIELD_CLASS = re.compile(
    r"^(?:(?:forms|serializers|models|fields)\.)?(?:Integer|BigInteger|SmallInteger"
    r"|PositiveInteger|PositiveSmallInteger|PositiveBigInteger|Float|Decimal|Boolean"
    r"|NullBoolean|Choice|TypedChoice|MultipleChoice|TypedMultipleChoice|Date|DateTime"
    r"|Time|Duration|UUID)Field$"
)


def inert_fields(body: SgNode, enums: set[str]) -> frozenset[str]:
    """The attributes a class body declares with a type that holds no text (`id: int`,
    `status: Status` of an Enum of this module): pydantic models, dataclasses, TypedDicts;
    Django forms, DRF serializers and models (`limit = serializers.IntegerField()`)."""
    inert = set()
    for statement in body.children():
        if statement.kind() != "expression_statement":
            continue
        for assignment in statement.children():
            if assignment.kind() != "assignment":
                continue
            left, annotation = assignment.field("left"), assignment.field("type")
            if left is None or left.kind() != "identifier":
                continue
            if annotation is not None:
                if inert_type(annotation.text(), enums):
                    inert.add(left.text())
                continue
            right = assignment.field("right")
            if right is not None and right.kind() == "call":
                callee = callee_text(right) or ""
                if _INERT_FIELD_CLASS.match(callee):
                    inert.add(left.text())
    return frozenset(inert)
