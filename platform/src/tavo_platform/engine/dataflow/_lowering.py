"""What both language adapters share: the function table being built, and the wrapping of
an expression with what the taint rules say about its syntax node."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._patterns import Found, node_key
from tavo_platform.engine.dataflow.ir import (
    CONST,
    Call,
    Const,
    Expr,
    Function,
    Param,
    Propagate,
    Sanitize,
    Sink,
    Source,
    Stmt,
    Union,
)

# Nesting deeper than this is not lowered further (its value is treated as unknown-clean):
# the per-file budget in the scanner bounds time, this bounds the recursion itself.
MAX_DEPTH = 200


# A file whose lowering takes longer than this is left out of the data-flow analysis.
LOWERING_SECONDS = 20.0
_CLOCK_EVERY = 4096  # nodes between two looks at the clock


class Unlowerable(Exception):
    """The file is outside the data-flow analysis's budget; the message says why."""


class TooDeep(Unlowerable):
    """The tree nests deeper than the adapters follow."""


@dataclass
class FunctionDraft:
    index: int
    name: str
    parent: int | None
    line: int
    owner_class: str | None = None
    is_method: bool = False
    params: tuple[Param, ...] = ()
    body: tuple[Stmt, ...] = ()
    local_functions: dict[str, int] = field(default_factory=dict)
    # Names of `**kwargs` parameters (Python): their keys are keyword names.
    keyword_params: set[str] = field(default_factory=set)
    # Containers whose elements at constant keys are followed one by one (Python):
    # access path -> the keys seen (`ctx["url"]` is read as `ctx.[url]`).
    keyed: dict[str, set[str]] = field(default_factory=dict)
    # Names bound, at the function's top level, to a check (`ok = is_safe(url)`): a
    # condition on the name is that check, until the name or a checked value is rebound.
    checks: dict[str, SgNode] = field(default_factory=dict)
    # Names holding a function picked from a table (`h = HANDLERS.get(kind)`) -> the table
    # as written; in the module body: the module's tables (Module.dispatch).
    picked: dict[str, str] = field(default_factory=dict)
    # Names holding another name's path normalised (`n = normalizePath(p)`) -> that name
    # (JS/TS): a check of `n` checks `p`.
    normalised: dict[str, str] = field(default_factory=dict)
    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    returns: str | None = None

    def freeze(self) -> Function:
        return Function(
            index=self.index,
            name=self.name,
            params=self.params,
            body=self.body,
            line=self.line,
            parent=self.parent,
            owner_class=self.owner_class,
            is_method=self.is_method,
            local_functions=tuple(self.local_functions.items()),
            calls=tuple(self.calls),
            returns=self.returns,
        )


class LoweringBase:
    # Node kinds of strings built from pieces, set by each language adapter: literals and
    # f-strings/template literals, the literal text in them, the values placed in them,
    # operators that join them (`+`), and adjacent literals ("a" "b").
    STRING_KINDS: frozenset[str] = frozenset()
    TEXT_KINDS: frozenset[str] = frozenset()
    HOLE_KINDS: frozenset[str] = frozenset()
    CONCAT_KIND: str = ""
    GLUED_KINDS: frozenset[str] = frozenset()

    def __init__(self, found: Found) -> None:
        self.found = found
        self.drafts: list[FunctionDraft] = []
        self.current: list[int] = []
        self.depth = 0
        self.visits = 0
        self.deadline = time.monotonic() + LOWERING_SECONDS

    def open_function(
        self, name: str, line: int, owner_class: str | None = None, is_method: bool = False
    ) -> FunctionDraft:
        parent = self.current[-1] if self.current else None
        draft = FunctionDraft(len(self.drafts), name, parent, line, owner_class, is_method)
        self.drafts.append(draft)
        self.current.append(draft.index)
        return draft

    def close_function(self) -> None:
        self.current.pop()

    @property
    def function(self) -> FunctionDraft:
        return self.drafts[self.current[-1]]

    def qualified(self, name: str) -> str:
        if not self.current or self.current[-1] == 0:
            return name
        return f"{self.function.name}.{name}"

    def called(self, call: Call) -> Call:
        """Notes a call made by the function being lowered (Function.calls)."""
        self.drafts[self.current[-1]].calls.append(call)
        return call

    def param(
        self, node: SgNode, name: str, rest: bool = False, whole: SgNode | None = None
    ) -> Param:
        found = self.found
        # Only a node the rules touched can be a source (`wrap`): most parameters are not.
        sources, label = (
            found.sources.get(node_key(node), (frozenset(), ""))
            if node in found.touched
            else (frozenset(), "")
        )
        if whole is not None and whole in found.touched:
            more, more_label = found.sources.get(node_key(whole), (frozenset(), ""))
            sources, label = sources | more, label or more_label
        return Param(name, rest, sources, label or f"parameter {name}")

    def wrap(self, node: SgNode, value: Expr) -> Expr:
        """Applies the rules' view of this node: sanitizer, source, sink, propagator."""
        found = self.found
        if node not in found.touched:
            return value
        key = node_key(node)
        if key in found.sanitizers:
            value = Sanitize(found.sanitizers[key], value)
        if key in found.sources:
            rules, label = found.sources[key]
            value = Source(rules, value, node.range().start.line + 1, label or _label(node))
        for rules, at in found.sinks.get(key, ()):
            value = Sink(rules, value, at)
        for target, source in found.propagators.get(key, ()):
            effect = Propagate(target.text(), self.expr(source), node.range().start.line + 1)
            value = Union((value, effect))
        return value

    def after(self, seen: str, value: Expr) -> Expr:
        """`value`, placed after the literal text `seen`: cleaned for the rules whose
        `after_text` sanitiser matches that text."""
        if isinstance(value, Const):
            return value
        rules = frozenset(
            rule
            for pattern, found in self.found.after_text
            if pattern.search(seen)
            for rule in found
        )
        return Sanitize(rules, value) if rules else value

    def builds_string(self, node: SgNode) -> bool:
        kind = node.kind()
        if kind in self.STRING_KINDS or kind in self.GLUED_KINDS:
            return True
        if kind != self.CONCAT_KIND:
            return False
        operator = node.field("operator")
        return operator is not None and operator.text() == "+"

    def built(self, node: SgNode, seen: str) -> tuple[Expr, str]:
        """A string built from pieces (f-string or template literal, `+`, adjacent
        literals): the values placed in it, each after the literal text before it (see
        `after`), and the literal text seen so far."""
        parts: list[Expr] = []
        placed = node.kind() in self.STRING_KINDS
        for child in node.children():
            kind = child.kind()
            if placed:
                if kind in self.TEXT_KINDS:
                    seen += child.text()
                elif kind in self.HOLE_KINDS:
                    parts.append(self.after(seen, self.expr(child)))
                continue
            if not child.is_named() or kind == "comment":
                continue
            if self.builds_string(child):
                self.enter()
                try:
                    value, seen = self.built(child, seen)
                finally:
                    self.leave()
                parts.append(self.wrap(child, value))
            else:
                parts.append(self.after(seen, self.expr(child)))
        return union(parts), seen

    def marked_inside(self, node: SgNode, object_field: str) -> bool:
        """Whether a rule marks a node inside an access path (`request.args` in
        `request.args.name`): then the path is lowered part by part, not read as one name."""
        marked = self.found.marked
        if not marked:
            return False
        current = node.field(object_field)
        while current is not None:
            if current in marked:
                return True
            current = current.field(object_field)
        return False

    def expr(self, node: SgNode) -> Expr:  # implemented by each language
        raise NotImplementedError

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
        self.visits += 1
        if self.visits % _CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise Unlowerable(f"over the {LOWERING_SECONDS:.0f} s budget")

    def leave(self) -> None:
        self.depth -= 1


def _label(node: SgNode) -> str:
    text = " ".join(node.text().split())
    return text if len(text) <= 80 else text[:77] + "..."


def access_path(
    node: SgNode, member_kinds: tuple[str, ...], field_names: tuple[str, str]
) -> str | None:
    """`a.b.c` for a chain of plain names (`self.db.cursor`), else None."""
    parts: list[str] = []
    current: SgNode | None = node
    while current is not None and current.kind() in member_kinds:
        attribute = current.field(field_names[1])
        if attribute is None:
            return None
        parts.append(attribute.text())
        current = current.field(field_names[0])
    if current is None or current.kind() not in ("identifier", "this", "self"):
        return None
    parts.append(current.text())
    return ".".join(reversed(parts))


def union(parts: list[Expr]) -> Expr:
    kept = tuple(p for p in parts if not isinstance(p, Const))
    if not kept:
        return CONST
    return kept[0] if len(kept) == 1 else Union(kept)
