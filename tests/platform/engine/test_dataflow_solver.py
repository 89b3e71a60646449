"""The taint solver's work order and its choice of trace (engine/dataflow/solver.py): the
findings never depend on the order, and now neither does the trace shown."""

from __future__ import annotations

import gc
import textwrap

import pytest
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow import Module, TaintRules
from tavo_platform.engine.dataflow.solver import Project
from tavo_platform.engine.matchers.structural import parse
from tavo_platform.rules.loader import load_rule_text

RULES = """\
rules:
  - id: t-flow
    title: Source reaches sink
    message: Tainted data reaches the sink.
    severity: HIGH
    confidence: HIGH
    category: test-injection
    fix: Do not.
    languages: [python]
    taint:
      sources:
        - pattern: source()
          label: source()
      sinks:
        - pattern: sink($X)
          focus: $X
    examples:
      positive: ["sink(source())"]
      negative: ["sink(1)"]
"""


@pytest.fixture(scope="module")
def taint_rules() -> TaintRules:
    loaded = load_rule_text(RULES, "rules.yaml")
    assert loaded.errors == []
    return TaintRules(loaded.rules)


def lowered(rules: TaintRules, files: dict[str, str]) -> list[Module]:
    modules = []
    for path, code in files.items():
        text = textwrap.dedent(code)
        module, skipped = rules.lower(text, parse(text, Language.PYTHON), path, Language.PYTHON)
        assert module is not None, skipped
        modules.append(module)
    return modules


# Callers written before their callees, across modules: the order a plain queue handles
# worst (each caller evaluated again once its callees' summaries appear).
CHAIN = {
    "app/views.py": """\
        from app import steps
        def handler():
            return steps.first(source())
    """,
    "app/steps.py": """\
        from app.db import run
        def first(value):
            return second("x" + value)
        def second(value):
            return run(value)
    """,
    "app/db.py": """\
        def run(sql):
            sink(sql)
    """,
}


def test_callees_are_evaluated_before_their_callers(
    taint_rules: TaintRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluated: list[str] = []
    original = Project.analyse

    def counting(self: Project, uid: int) -> set[int]:
        evaluated.append(self.functions[uid][1].name)
        return original(self, uid)

    monkeypatch.setattr(Project, "analyse", counting)
    project = Project(lowered(taint_rules, CHAIN))
    hits = project.solve()
    assert [(h.path, h.at.line) for h in hits] == [("app/db.py", 2)]
    # Each function once: nothing had to be evaluated again.
    assert sorted(evaluated) == sorted(name for _, f in project.functions for name in [f.name])
    assert evaluated.index("run") < evaluated.index("second") < evaluated.index("first")
    assert evaluated.index("first") < evaluated.index("handler")


def test_a_call_cycle_still_reaches_its_fixed_point(taint_rules: TaintRules) -> None:
    modules = lowered(
        taint_rules,
        {
            "a.py": """\
                import b
                def ping(value, depth):
                    if depth:
                        return b.pong(value, depth - 1)
                    sink(value)
                def start():
                    ping(source(), 3)
            """,
            "b.py": """\
                import a
                def pong(value, depth):
                    return a.ping(value + "!", depth)
            """,
        },
    )
    assert [(h.path, h.at.line) for h in Project(modules).solve()] == [("a.py", 5)]


def test_the_trace_shown_is_the_shortest_whatever_the_order(taint_rules: TaintRules) -> None:
    files = {
        "app/near.py": """\
            from app.far import relay
            def run(sql):
                sink(sql)
            def direct():
                run(source())
        """,
        "app/far.py": """\
            from app.near import run
            def relay():
                value = source()
                copied = value
                run(copied)
        """,
    }
    traces = set()
    for order in (list(files), list(reversed(files))):
        modules = lowered(taint_rules, {path: files[path] for path in order})
        (hit,) = Project(modules).solve()
        traces.add(hit.trace)
    (trace,) = traces
    # The flow within app/near.py (3 steps, one file), not the one through app/far.py.
    assert [step[:2] for step in trace] == [
        ("app/near.py", 5),
        ("app/near.py", 2),
        ("app/near.py", 3),
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(taint_rules: TaintRules, enabled: bool) -> None:
    modules = lowered(taint_rules, CHAIN)
    (gc.enable if enabled else gc.disable)()
    try:
        Project(modules).solve()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
