"""The taint solver: per-function summaries over the IR, to a fixed point across the project.

Knows nothing of any library. Each function is evaluated once per round with its
parameters standing for themselves (labels), which yields its summary: which parameters
reach its return value and which reach a sink (and through which sanitisers), and which
sources reach its return value. A call applies the callee's summary to the caller's
arguments, so a flow is found however many functions and modules it crosses. When a
summary grows, its callers are evaluated again; when a function's final variables grow,
the functions nested in it (closures, callbacks) are. Summaries only grow and their keys
are finite, so this ends, recursion and call cycles included; a work budget and a deadline
bound it anyway.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from tavo_platform.engine.dataflow import _values as V
from tavo_platform.engine.dataflow._gc import collector_paused
from tavo_platform.engine.dataflow._resolve import Resolver, Target
from tavo_platform.engine.dataflow._values import EMPTY, Key, Trace, Value
from tavo_platform.engine.dataflow.ir import (
    PICKED,
    Arg,
    Assign,
    Block,
    Call,
    Eval,
    Exit,
    Expr,
    Field,
    Function,
    If,
    Let,
    Location,
    Loop,
    Module,
    Propagate,
    Return,
    Sanitize,
    Sink,
    Source,
    Stmt,
    Union,
    Var,
)

ROUNDS_PER_FUNCTION = 12
LOOP_PASSES = 2


@dataclass(frozen=True, slots=True)
class TaintHit:
    rule_id: str
    path: str
    at: Location
    trace: tuple[tuple[str, int, str], ...]  # (path, line, what happens), source first


@dataclass
class Summary:
    returns: Value = field(default_factory=dict)
    # (parameter index, sanitised for, rule) -> (sink path, sink location, steps from the
    # parameter to the sink)
    sinks: dict[
        tuple[int, frozenset[str], str], tuple[str, Location, tuple[tuple[str, int, str], ...]]
    ] = field(default_factory=dict)

    def signature(self) -> tuple[frozenset[Key], frozenset[tuple[int, frozenset[str], str]]]:
        return frozenset(self.returns), frozenset(self.sinks)


class Env:
    """Variables of one function; reads fall back to the enclosing function's (closures)."""

    __slots__ = ("outer", "own")

    def __init__(self, outer: Env | None, own: dict[str, Value] | None = None) -> None:
        self.own: dict[str, Value] = own if own is not None else {}
        self.outer = outer

    def copy(self) -> Env:
        return Env(self.outer, dict(self.own))

    def read(self, name: str) -> Value:
        while True:
            env: Env | None = self
            while env is not None:
                found = env.own.get(name)
                if found is not None:
                    return found
                env = env.outer
            head, dot, _ = name.rpartition(".")
            if not dot:
                return EMPTY
            name = head

    def write(self, name: str, value: Value, weak: bool = False) -> None:
        self.own[name] = V.merge((self.own.get(name, EMPTY), value)) if weak else value

    def join(self, other: Env) -> None:
        for name, value in other.own.items():
            mine = self.own.get(name)
            self.own[name] = value if mine is None else V.merge((mine, value))

    def signature(self) -> frozenset[tuple[str, frozenset[Key]]]:
        return frozenset((name, frozenset(value)) for name, value in self.own.items() if value)


class Project:
    """Every lowered module of one scan, solved together."""

    def __init__(
        self,
        modules: Sequence[Module],
        deadline_seconds: float = 120.0,
        package: str | None = None,
    ) -> None:
        self.modules = list(modules)
        self.resolver = Resolver(self.modules, package)
        self.uids: dict[tuple[int, int], int] = {}
        self.functions: list[tuple[int, Function]] = []
        for m, module in enumerate(self.modules):
            for function in module.functions:
                self.uids[(m, function.index)] = len(self.functions)
                self.functions.append((m, function))
        self.summaries = [Summary() for _ in self.functions]
        # The variables of each function with functions nested in it, as its last
        # evaluation left them: what those (closures, callbacks) read.
        self.final_envs: list[Env | None] = [None] * len(self.functions)
        self.callers: list[set[int]] = [set() for _ in self.functions]
        self.children: list[list[int]] = [[] for _ in self.functions]
        for uid, (m, function) in enumerate(self.functions):
            if function.parent is not None:
                self.children[self.uids[(m, function.parent)]].append(uid)
        self.hits: dict[tuple[str, str, int, int], TaintHit] = {}
        # What functions stored into a module's global containers (`PENDING.append(x)`,
        # `CACHE[k] = x` in a function, on a name it never binds): read by every function
        # of that module and of the modules importing it. Keyed by the module defining the
        # container and its name there (Resolver.variable); values only grow.
        self.globals: dict[tuple[int, str], Value] = {}
        self.by_module: dict[int, list[int]] = {}
        for uid, (m, _) in enumerate(self.functions):
            self.by_module.setdefault(m, []).append(uid)
        self.deadline = time.monotonic() + deadline_seconds
        self.complete = True
        self.targets: dict[tuple[int, str | None, int | None], Target | None] = {}
        self.tables: dict[tuple[int, str], tuple[Target | None, ...]] = {}
        # The global containers that grew during the last evaluation.
        self.grown: set[tuple[int, str]] = set()

    def target(self, uid: int, call: Call) -> Target | None:
        """The function `call` (made by function `uid`) means, resolved once per scan."""
        key = (uid, call.callee, call.local_target)
        if key in self.targets:
            return self.targets[key]
        m, function = self.functions[uid]
        target: Target | None = None
        if call.local_target is not None:
            target = Target(m, call.local_target, False)
        elif call.callee:
            target = self.resolver.call(m, function, call.callee)
        self.targets[key] = target
        return target

    def table(self, uid: int, name: str) -> tuple[Target | None, ...]:
        """The functions of table `name` (as written in function `uid`'s module)."""
        key = (uid, name)
        if key not in self.tables:
            self.tables[key] = self.resolver.table(self.functions[uid][0], name)
        return self.tables[key]

    def order(self) -> list[int]:
        """Every function after the functions it calls and the function enclosing it (whose
        final variables it reads), where cycles allow: depth-first, dependencies first. Any
        order reaches the same fixed point; this one reaches it with few evaluations again,
        since a caller then meets its callees' summaries complete."""
        needs: list[list[int]] = [[] for _ in self.functions]
        for uid, (m, function) in enumerate(self.functions):
            if function.parent is not None:
                needs[uid].append(self.uids[(m, function.parent)])
            for call in function.calls:
                if call.clean:
                    continue
                target = self.target(uid, call)
                if target is not None:
                    callee = self.uids.get((target.module, target.function))
                    if callee is not None and callee != uid:
                        needs[uid].append(callee)
        order: list[int] = []
        seen = [False] * len(self.functions)
        for first in range(len(self.functions)):
            if seen[first]:
                continue
            seen[first] = True
            stack = [(first, iter(needs[first]))]
            while stack:
                uid, pending = stack[-1]
                for other in pending:
                    if not seen[other]:
                        seen[other] = True
                        stack.append((other, iter(needs[other])))
                        break
                else:
                    stack.pop()
                    order.append(uid)
        return order

    def solve(self) -> list[TaintHit]:
        with collector_paused():
            return self._solve()

    def _solve(self) -> list[TaintHit]:
        queue = deque(self.order())
        queued = set(queue)
        budget = ROUNDS_PER_FUNCTION * max(1, len(self.functions))
        while queue:
            if budget <= 0 or time.monotonic() > self.deadline:
                self.complete = False
                break
            budget -= 1
            uid = queue.popleft()
            queued.discard(uid)
            summary_before = self.summaries[uid].signature()
            # Final variables are kept, and compared, only for a function with functions
            # nested in it: no other function reads them.
            before = self.final_envs[uid]
            env_before = before.signature() if before is not None else None
            changed_summaries = self.analyse(uid)
            if self.summaries[uid].signature() != summary_before:
                changed_summaries.add(uid)
            final = self.final_envs[uid]
            wake: set[int] = set()
            if final is not None and final.signature() != env_before:
                wake.update(self.children[uid])
            for changed in changed_summaries:
                wake.update(self.callers[changed])
            for home, name in self.grown:
                for reader in self.resolver.readers(home, name):
                    wake.update(self.by_module[reader])
            if self.grown:
                wake.discard(uid)
            for other in sorted(wake):
                if other not in queued:
                    queue.append(other)
                    queued.add(other)
        return sorted(self.hits.values(), key=lambda h: (h.path, h.at.line, h.at.column, h.rule_id))

    # --- one function ------------------------------------------------------------------

    def store_global(self, key: tuple[int, str], value: Value) -> None:
        known = self.globals.get(key, EMPTY)
        merged = V.merge((known, value))
        if frozenset(merged) != frozenset(known):
            self.globals[key] = merged
            self.grown.add(key)

    def analyse(self, uid: int) -> set[int]:
        self.grown = set()
        m, function = self.functions[uid]
        parent = function.parent
        outer = self.final_envs[self.uids[(m, parent)]] if parent is not None else None
        frame = _Frame(self, uid, m, function, Env(outer))
        path = self.modules[m].path
        for index, param in enumerate(function.params):
            value: Value = {(uid, index, frozenset()): V.start(path, function.line, param.label)}
            for rule in param.sources:
                value[rule] = V.start(path, function.line, f"source: {param.label}")
            frame.env.write(param.name, value)
        frame.block(function.body)
        summary = self.summaries[uid]
        summary.returns = V.merge(
            (summary.returns, frame.returns, frame.env.own.get("<yield>", EMPTY))
        )
        if self.children[uid]:
            self.final_envs[uid] = frame.env
        return frame.changed

    def record_hit(
        self, rule: str, path: str, at: Location, steps: list[tuple[str, int, str]]
    ) -> None:
        """Keeps one trace per sink and rule: the shortest, then the one crossing the fewest
        files, then the first in order; so the trace shown does not depend on the order in
        which the solver happened to meet the flows."""
        key = (rule, path, at.line, at.column)
        trace = (*steps, (path, at.line, f"sink: {V.short(at.text)}"))
        known = self.hits.get(key)
        if known is None or V.preference(trace) < V.preference(known.trace):
            self.hits[key] = TaintHit(rule, path, at, trace)

    def record_param_sink(
        self,
        key: tuple[int, int, frozenset[str]],
        rule: str,
        path: str,
        at: Location,
        steps: list[tuple[str, int, str]],
    ) -> int | None:
        uid, index, clean = key
        entry = (index, clean, rule)
        summary = self.summaries[uid]
        if entry in summary.sinks:
            return None
        summary.sinks[entry] = (path, at, tuple(steps))
        return uid


class _Frame:
    def __init__(
        self, project: Project, uid: int, module: int, function: Function, env: Env
    ) -> None:
        self.project = project
        self.uid = uid
        self.module = module
        self.function = function
        self.path = project.modules[module].path
        self.env = env
        self.returns: Value = EMPTY
        self.changed: set[int] = set()
        # Names this function binds itself (parameters, plain assignments): not globals.
        self.bound: set[str] = {param.name for param in function.params}

    # --- statements --------------------------------------------------------------------

    def block(self, statements: Sequence[Stmt]) -> bool:
        """Runs statements in order; True when control cannot fall off the end."""
        # any() stops at the first statement that exits, as control does.
        return any(self.statement(statement) for statement in statements)

    def statement(self, statement: Stmt) -> bool:
        if isinstance(statement, Assign):
            value = self.expr(statement.value)
            if value:
                value = V.stepped(
                    value, self.path, statement.line, f"{', '.join(statement.targets[:1])} = ..."
                )
            for target in statement.targets:
                # A store into an element or attribute changes the object, never empties it.
                weak = (
                    statement.augmented
                    or statement.store
                    or "." in target
                    or target != statement.targets[0]
                )
                if statement.store and value:
                    self.store_global(target, value, statement.line)
                elif not statement.store and target == statement.targets[0]:
                    self.bound.add(target)
                    if value and self.function.parent is None and "." not in target:
                        # A module's own variable (`TOKEN = os.environ["TOKEN"]`): what
                        # modules importing it read too.
                        variable = self.project.resolver.variable(self.module, target)
                        self.project.store_global(variable, value)
                self.env.write(target, value, weak=weak)
            return False
        if isinstance(statement, Eval):
            self.expr(statement.value)
            return False
        if isinstance(statement, Return):
            value = self.expr(statement.value)
            self.returns = V.merge((self.returns, value))
            return True
        if isinstance(statement, Exit):
            return True
        if isinstance(statement, If):
            return self.branch(statement)
        if isinstance(statement, Loop):
            self.loop(statement)
            return False
        if isinstance(statement, Block):
            entry = self.env
            for branch in statement.branches:
                self.env = entry.copy()
                exited = self.block(branch)
                if not exited:
                    entry.join(self.env)
            self.env = entry
            return False
        return False

    def branch(self, statement: If) -> bool:
        self.expr(statement.condition)
        entry = self.env
        outcomes: list[Env] = []
        for body, clean in (
            (statement.body, statement.clean_in_body),
            (statement.orelse, statement.clean_in_orelse),
        ):
            self.env = entry.copy()
            for name in clean:
                self.env.write(name, EMPTY)
            if not self.block(body):
                outcomes.append(self.env)
        if not outcomes:
            self.env = entry
            return True
        self.env = outcomes[0]
        for other in outcomes[1:]:
            self.env.join(other)
        return False

    def loop(self, statement: Loop) -> None:
        self.bound.update(statement.targets)
        iterable = self.expr(statement.iterable)
        for _ in range(LOOP_PASSES):
            entry = self.env.copy()
            for target in statement.targets:
                self.env.write(
                    target,
                    V.stepped(iterable, self.path, statement.line, f"for {target} in ..."),
                    weak=True,
                )
            self.block(statement.body)
            self.env.join(entry)

    # --- expressions -------------------------------------------------------------------

    def expr(self, expr: Expr) -> Value:
        if isinstance(expr, Var):
            value = self.env.read(expr.name)
            project = self.project
            if project.globals and expr.name.partition(".")[0] not in self.env.own:
                stored = project.globals.get(project.resolver.variable(self.module, expr.name))
                if stored:
                    return V.merge((value, stored))
            return value
        if isinstance(expr, Field):
            if self.project.resolver.inert_field(self.module, expr.cls, expr.name):
                return EMPTY
            return self.expr(expr.inner)
        if isinstance(expr, Union):
            return V.merge([self.expr(part) for part in expr.parts])
        if isinstance(expr, Call):
            return self.call(expr)
        if isinstance(expr, Source):
            return self.source(expr)
        if isinstance(expr, Sanitize):
            return V.sanitized(self.expr(expr.inner), expr.rules)
        if isinstance(expr, Sink):
            return self.sink(expr)
        if isinstance(expr, Let):
            for names, bound in expr.bindings:
                self.bound.update(names)
                value = self.expr(bound)
                for name in names:
                    self.env.write(name, value, weak=True)
            return self.expr(expr.inner)
        if isinstance(expr, Propagate):
            self.propagate(expr)
        return EMPTY  # Const, FunctionRef, and a Propagate's own value

    def propagate(self, expr: Propagate) -> None:
        value = self.expr(expr.value)
        if not value:
            return
        target = expr.target
        self.store_global(target, value, expr.line)
        self.env.write(target, V.stepped(value, self.path, expr.line, f"into {target}"), weak=True)
        root = target.partition(".")[0]
        if root != target:
            self.env.write(root, value, weak=True)

    def store_global(self, target: str, value: Value, line: int) -> None:
        """A store into a name this function never bound, inside a function of the module:
        a global container, this module's or the one it imported the name from."""
        root = target.partition(".")[0]
        if self.function.parent is None or root in self.bound or root in ("self", "this"):
            return
        stored = V.stepped(value, self.path, line, f"into global {root}")
        project = self.project
        project.store_global(project.resolver.variable(self.module, target), stored)

    def source(self, expr: Source) -> Value:
        inner = self.expr(expr.inner)
        added: Value = {
            rule: V.start(self.path, expr.line, f"source: {expr.label}") for rule in expr.rules
        }
        return V.merge((inner, added))

    def sink(self, expr: Sink) -> Value:
        value = self.expr(expr.inner)
        if value:
            self.check_sink(value, expr.rules, self.path, expr.at, ())
        return value

    def check_sink(
        self,
        value: Value,
        rules: frozenset[str],
        path: str,
        at: Location,
        after: tuple[tuple[str, int, str], ...],
    ) -> None:
        for key, trace in value.items():
            if isinstance(key, str):
                if key in rules:
                    self.project.record_hit(key, path, at, trace.steps() + list(after))
                continue
            for rule in rules - key[2]:
                owner = self.project.record_param_sink(
                    key, rule, path, at, trace.steps() + list(after)
                )
                if owner is not None:
                    self.changed.add(owner)

    def call(self, call: Call) -> Value:
        receiver = self.expr(call.receiver) if call.receiver is not None else EMPTY
        args = [(arg, self.expr(arg.value)) for arg in call.args]
        if call.clean:
            return EMPTY
        default = V.merge(
            # a lookup gives an element of the receiver, or its default: never the key
            [receiver, *(value for _, value in args[1:])]
            if call.lookup
            else [receiver, *(value for _, value in args)]
        )
        if call.callee is not None and call.callee.endswith(PICKED):
            # one of a table's functions: what any of them may do (outside ones: default)
            found = self.project.table(self.uid, call.callee.removesuffix(PICKED))
            picked = [self.enter(t, call, receiver, args, default) for t in found]
            return V.merge(picked) if picked else default
        return self.enter(self.project.target(self.uid, call), call, receiver, args, default)

    def enter(
        self,
        target: Target | None,
        call: Call,
        receiver: Value,
        args: list[tuple[Arg, Value]],
        default: Value,
    ) -> Value:
        if target is None:
            return default
        if call.on_instance and not target.bound:
            target = Target(target.module, target.function, True, target.constructor)
        callee_uid = self.project.uids.get((target.module, target.function))
        if callee_uid is None:
            return default
        self.project.callers[callee_uid].add(self.uid)
        params = self.bind(target, receiver, args)
        result = self.apply(callee_uid, params, call.line)
        return V.merge((default, result)) if target.constructor else result

    def bind(self, target: Target, receiver: Value, args: list[tuple[Arg, Value]]) -> list[Value]:
        _, callee = self.project.functions[self.project.uids[(target.module, target.function)]]
        params = callee.params
        values: list[Value] = [EMPTY] * len(params)
        position = 0
        if target.bound and params:
            values[0] = EMPTY if target.constructor else receiver
            position = 1
        names = {p.name: i for i, p in enumerate(params)}
        rest = next((i for i, p in enumerate(params) if p.rest), None)
        for arg, value in args:
            keyword, spread = arg.keyword, arg.spread
            if spread:
                for i in range(position, len(params)):
                    values[i] = V.merge((values[i], value))
            elif keyword is not None:
                slot = names.get(keyword, rest)
                if slot is not None:
                    values[slot] = V.merge((values[slot], value))
            elif position < len(params) and not params[position].rest:
                values[position] = value
                position += 1
            elif rest is not None:
                values[rest] = V.merge((values[rest], value))
        return values

    def apply(self, callee_uid: int, params: list[Value], line: int) -> Value:
        summary = self.project.summaries[callee_uid]
        _, callee = self.project.functions[callee_uid]
        note = f"calls {callee.name}()"
        result: list[Value] = []
        for key, trace in summary.returns.items():
            if isinstance(key, str):
                result.append(
                    {
                        key: Trace(
                            self.path, line, f"{callee.name}() returns it", trace, trace.length + 1
                        )
                    }
                )
            elif key[0] == callee_uid:
                if key[1] < len(params):
                    flowed = V.sanitized(params[key[1]], key[2]) if key[2] else params[key[1]]
                    result.append(V.stepped(flowed, self.path, line, f"through {callee.name}()"))
            else:
                result.append({key: trace})
        for (index, clean, rule), (path, at, steps) in list(summary.sinks.items()):
            if index >= len(params) or not params[index]:
                continue
            flowed = V.sanitized(params[index], clean) if clean else params[index]
            flowed = V.stepped(flowed, self.path, line, note)
            self.check_sink(flowed, frozenset({rule}), path, at, steps)
        return V.merge(result)
