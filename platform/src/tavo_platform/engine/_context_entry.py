"""How the code-context pass recognises entry points: web handlers, tools an LLM agent
calls, command-line entry points; and a function's name and parameters."""

from __future__ import annotations

from bisect import bisect_right

from ast_grep_py import SgNode

from tavo_platform.engine._context_flow import _FlowFacts
from tavo_platform.engine._context_syntax import (
    HTTP_METHODS,
    JS_ROUTE_CALL,
    JS_TOOL_CALL,
    PY_CLI_DECORATOR,
    PY_ROUTE_DECORATOR,
    PY_TOOL_DECORATOR,
    PY_VIEW_BASE,
    REQUEST_ROOTS,
    REQUEST_TYPE,
    Position,
)
from tavo_platform.engine._languages import Language


class _EntryPoints(_FlowFacts):
    def enclosing(self, position: Position) -> list[SgNode]:
        """The functions around a position, outermost first. Functions nest, so the
        innermost one is the last to start before the position or one of its ancestors:
        a search and a walk up, not a pass over every function of the file."""
        starts, parents = self._nesting()
        index = bisect_right(starts, position) - 1
        while index >= 0 and not position < self.functions[index][1]:
            index = parents[index]
        chain: list[SgNode] = []
        while index >= 0:
            chain.append(self.functions[index][2])
            index = parents[index]
        chain.reverse()
        return chain

    def _nesting(self) -> tuple[list[Position], list[int]]:
        """The functions' starts (in order) and each one's innermost enclosing function."""
        if self._function_tree is None:
            self.functions.sort(key=lambda f: (f[0], (-f[1][0], -f[1][1])))
            parents: list[int] = []
            open_: list[int] = []
            for index, (start, _end, _node) in enumerate(self.functions):
                while open_ and not start < self.functions[open_[-1]][1]:
                    open_.pop()
                parents.append(open_[-1] if open_ else -1)
                open_.append(index)
            self._function_tree = ([f[0] for f in self.functions], parents)
        return self._function_tree

    def entrypoint(self, function: SgNode) -> str | None:
        if self.language is Language.PYTHON:
            return self._python_entrypoint(function)
        return self._javascript_entrypoint(function)

    def _python_entrypoint(self, function: SgNode) -> str | None:
        parent = function.parent()
        decorators = []
        if parent is not None and parent.kind() == "decorated_definition":
            decorators = [d.text() for d in parent.children() if d.kind() == "decorator"]
        if any(PY_ROUTE_DECORATOR.search(d) for d in decorators):
            return "web_handler"
        if any(PY_TOOL_DECORATOR.search(d) for d in decorators):
            return "llm_tool"
        if any(PY_CLI_DECORATOR.search(d) for d in decorators):
            return "cli"
        parameters = self.parameters(function)
        name = self.function_name(function) or ""
        first = next((p for p in parameters if p[0] not in ("self", "cls")), None)
        if first is not None and (first[0] in REQUEST_ROOTS or REQUEST_TYPE.search(first[1])):
            return "web_handler"
        if [p[0] for p in parameters] == ["event", "context"] and "handler" in name:
            return "web_handler"  # an AWS Lambda handler
        if name in HTTP_METHODS and self._in_view_class(function):
            return "web_handler"
        if name == "main":
            return "cli"
        return None

    def _in_view_class(self, function: SgNode) -> bool:
        for ancestor in function.ancestors():
            if ancestor.kind() == "class_definition":
                bases = ancestor.field("superclasses")
                return bases is not None and bool(PY_VIEW_BASE.search(bases.text()))
            if ancestor.kind() in self.syntax.functions:
                return False
        return False

    def _javascript_entrypoint(self, function: SgNode) -> str | None:
        parameters = [p[0] for p in self.parameters(function)]
        name = self.function_name(function) or ""
        if name.upper() in {m.upper() for m in HTTP_METHODS} and name.isupper() and parameters:
            return "web_handler"  # Next.js / Remix route handlers: export function POST(req)
        if (
            parameters[:1]
            and parameters[0] in ("req", "request", "ctx")
            and (len(parameters) == 1 or parameters[1] in ("res", "reply", "response", "next"))
        ):
            return "web_handler"
        call = self._called_with(function)
        if call is not None:
            callee = call.field("function") or call.field("constructor")
            callee_text = callee.text() if callee is not None else ""
            if JS_TOOL_CALL.search(callee_text):
                return "llm_tool"
            if JS_ROUTE_CALL.search(callee_text) and len(parameters) >= 2:
                return "web_handler"
        return None

    def _called_with(self, function: SgNode) -> SgNode | None:
        """The call `function` is passed to, directly or as a property of an object."""
        parent = function.parent()
        if parent is not None and parent.kind() == "pair":
            parent = parent.parent()
            parent = parent.parent() if parent is not None else None
        if parent is not None and parent.kind() == "arguments":
            return parent.parent()
        return None

    def function_name(self, function: SgNode) -> str | None:
        named = function.field("name")
        if named is not None:
            return named.text()
        parent = function.parent()
        if parent is not None and parent.kind() == "variable_declarator":
            declared = parent.field("name")
            return declared.text() if declared is not None else None
        if parent is not None and parent.kind() == "pair":
            key = parent.field("key")
            return key.text() if key is not None else None
        return None

    def parameters(self, function: SgNode) -> list[tuple[str, str]]:
        """(name, full text) of each parameter."""
        holder = function.field("parameters") or function.field("parameter")
        if holder is None:
            return []
        if holder.kind() == "identifier":
            return [(holder.text(), holder.text())]
        found = []
        for parameter in holder.children():
            if not parameter.is_named() or parameter.kind() == "comment":
                continue
            first = (
                parameter if parameter.kind() == "identifier" else parameter.find(kind="identifier")
            )
            if first is not None:
                found.append((first.text(), parameter.text()))
        return found
