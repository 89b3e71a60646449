"""What the Python lowering remembers about names while it walks a function: the literal a
name holds (for conditions fixed when the code was written), checks kept in variables
(`ok = is_safe(url)`), paths joined from parts, and the classes of variables and attributes."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._constant_conditions import (
    Literal,
    decide_python,
    literal_value,
)
from tavo_platform.engine.dataflow._python_expressions import PythonExpressions
from tavo_platform.engine.dataflow._python_syntax import (
    callee_text,
    guarded_names,
    line_of,
    path_of,
)
from tavo_platform.engine.dataflow.ir import Assign, Call, Stmt

# Expressions whose value is a check (`ok = is_safe(url)`, `ok = x in ALLOWED`).
_CHECK_KINDS = frozenset(
    {"call", "comparison_operator", "boolean_operator", "not_operator", "parenthesized_expression"}
)
_LITERALS = frozenset({"integer", "float", "string", "true", "false", "none"})
_TABLES = frozenset({"dictionary", "list", "tuple", "set"})
# FastAPI's dependency injection: `x: T = Depends(get_x)`, `x: Annotated[T, Depends(get_x)]`
# (Security(...) alike) passes what get_x returns.
_DECLARED_PARAMETERS = ("default_parameter", "typed_default_parameter", "typed_parameter")
_DEPENDENCY = re.compile(r"\b(?:Depends|Security)\(\s*([A-Za-z_][\w.]*)\s*[,)]")


class PythonFacts(PythonExpressions):
    # Set by the module lowering (python.py), one entry per function being lowered.
    types: list[dict[str, str]]
    joined: list[set[str]]
    literals: list[dict[str, Literal]]
    loops: int
    class_stack: list[str]
    attribute_types: dict[str, dict[str, str]]

    def _track_check(
        self,
        top: bool,
        name: str | None,
        right: SgNode,
        right_kind: str,
        targets: tuple[str, ...],
    ) -> None:
        """`ok = is_safe(url)` at the function's top level (`top`; `name`: the name bound,
        None for any other target): `if ok:` is that check. Any other assignment to `ok`,
        or to a value it checks, ends that."""
        self.forget_checks(targets)
        if name is None or right_kind not in _CHECK_KINDS or not top:
            return
        positive, negative = guarded_names(right)
        if positive or negative:
            self.function.checks[name] = right

    def forget_checks(self, names: tuple[str, ...]) -> None:
        checks = self.function.checks
        if not checks:
            return
        for name in names:
            checks.pop(name, None)
        for alias, check in list(checks.items()):
            positive, negative = guarded_names(check)
            if any(n in names for n in (*positive, *negative)):
                del checks[alias]

    def _track_literal(self, top: bool, name: str, value: SgNode, kind: str) -> None:
        """`name = 86` at the function's top level (`top`) binds a literal conditions can
        use; an assignment anywhere else (a branch, a loop) makes the name unknown."""
        known, literal = literal_value(value.text()) if kind in _LITERALS else (False, None)
        if top and known and not self.loops:
            self.literals[-1][name] = literal
        else:
            self.literals[-1].pop(name, None)

    def _track_dispatch(self, name: str, right: SgNode, kind: str) -> None:
        """`HANDLERS = {"csv": to_csv, ...}` in the module body: a table of functions
        (Module.dispatch); `h = HANDLERS[kind]` or `HANDLERS.get(kind)` in a function: `h`
        holds one of them, until rebound."""
        self.function.picked.pop(name, None)
        if self.current[-1] == 0 and not self.class_stack and kind in _TABLES:
            callees = _table_callees(right)
            if callees:
                self.function.tables[name] = tuple(self._imported(c) for c in callees)
            return
        table = self.picked(right)
        if table is not None:
            self.function.picked[name] = table

    def decided(self, condition: SgNode | None) -> bool | None:
        if condition is None:
            return None
        return decide_python(condition.text(), {} if self.loops else self.literals[-1])

    def _note_type(self, target: SgNode, cls: str) -> None:
        """`x = Repo()`: x holds a Repo in this function; `self.repo = Repo()` in a method:
        the attribute holds one in every method of the class."""
        if target.kind() == "identifier":
            self.types[-1][target.text()] = cls
            return
        path = path_of(target)
        head, _, attribute = (path or "").partition(".")
        if head == "self" and attribute and "." not in attribute and self.class_stack:
            self.attribute_types.setdefault(self.class_stack[-1], {})[attribute] = cls

    def _track_joined(self, name: str, value: SgNode, kind: str) -> None:
        """Whether `name` now holds a path joined from parts, not normalised since."""
        callee = (callee_text(value) or "") if kind == "call" else ""
        last = callee.rpartition(".")[2]
        joined = (callee.endswith("path.join") or last in ("Path", "PurePath")) or (
            kind == "binary_operator"
            and (operator := value.field("operator")) is not None
            and operator.text() == "/"
        )
        if joined:
            self.joined[-1].add(name)
        else:
            self.joined[-1].discard(name)

    def dependencies(self, parameters: SgNode | None) -> tuple[Stmt, ...]:
        """A parameter FastAPI fills from a dependency (`filters = Depends(get_filters)`)
        holds what that function returns: lowered as an assignment of its call, made
        before the body runs (its own parameters are request data where the rules say so).
        """
        text = parameters.text() if parameters is not None else ""
        if parameters is None or ("Depends" not in text and "Security" not in text):
            return ()
        out: list[Stmt] = []
        for child in parameters.children():
            if child.kind() not in _DECLARED_PARAMETERS:
                continue
            name = child.field("name") or next(
                (c for c in child.children() if c.kind() == "identifier"), None
            )
            declared = child.field("value") or child.field("type")
            found = _DEPENDENCY.search(declared.text()) if declared is not None else None
            if name is None or found is None:
                continue
            call = self.called(Call(self._imported(found.group(1)), None, (), line_of(child)))
            out.append(Assign((name.text(),), call, line_of(child)))
        return tuple(out)


def _table_callees(node: SgNode) -> tuple[str, ...]:
    """The functions a literal table holds (`{"a": f, "b": mod.g}`, `[f, g]`), as written;
    empty unless every element is a name or a dotted name."""
    callees: list[str] = []
    for child in node.children():
        if not child.is_named() or child.kind() == "comment":
            continue
        value = child.field("value") if child.kind() == "pair" else child
        found = path_of(value) if value is not None else None
        if found is None or found.partition(".")[0] in ("self", "cls"):
            return ()
        callees.append(found)
    return tuple(callees)
