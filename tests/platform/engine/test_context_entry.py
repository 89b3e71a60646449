"""The code context's view of which functions enclose a position (engine/_context_entry.py)."""

from __future__ import annotations

import textwrap

from tavo_platform.engine._context import _FileFacts
from tavo_platform.engine._languages import Language

PYTHON = textwrap.dedent(
    """\
    def outer(a):
        def middle(b):
            def inner(c):
                return c
            return inner(b)
        x = lambda y: (lambda z: z)(y)
        return middle(a)

    def after():
        pass

    class K:
        def method(self):
            return 1
    y = 1
    """
)

JAVASCRIPT = textwrap.dedent(
    """\
    function outer(a) {
      const f = (b) => { return [1].map((c) => c + b); };
      return f(a);
    }
    const g = function () { return () => 1; };
    class K { m() { return 1; } }
    let z = 2;
    """
)


def _every_position_agrees(text: str, language: Language) -> int:
    facts = _FileFacts(text, language)
    checked = 0
    for line, content in enumerate(text.split("\n")):
        for column in range(len(content) + 1):
            position = (line, column)
            expected = [n for start, end, n in facts.functions if start <= position < end]
            found = facts.enclosing(position)
            assert [n.range().start.index for n in found] == [
                n.range().start.index for n in expected
            ], position
            checked += 1
    return checked


def test_enclosing_functions_are_every_function_around_the_position_outermost_first() -> None:
    assert _every_position_agrees(PYTHON, Language.PYTHON) > 200
    assert _every_position_agrees(JAVASCRIPT, Language.JAVASCRIPT) > 150
    facts = _FileFacts(PYTHON, Language.PYTHON)
    names = [n.field("name").text() for n in facts.enclosing((3, 12))]  # in `return c`
    assert names == ["outer", "middle", "inner"]
    assert facts.enclosing((14, 0)) == []  # `y = 1` at module level
