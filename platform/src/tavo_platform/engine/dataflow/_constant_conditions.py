"""Conditions whose outcome is fixed when the code is written.

`if (7 * 42) - num > 200:` after `num = 86`, or `if switch == "B":` after `switch = "B"`:
only one branch can ever run, so a value assigned in the other one never reaches what
follows. Deciding such conditions keeps a request value that only a dead branch assigns
from being reported (and a sink inside a dead branch from being reached).

A condition is decided from its text: Python's own parser reads it (JavaScript's operators
are first spelled the Python way) and a small evaluator computes literals, names bound to
literals, arithmetic, comparisons and boolean operators. Anything else (a call, an
attribute, a name holding anything but a literal) leaves the condition undecided, as do
numbers too large to be ordinary code.
"""

from __future__ import annotations

import ast
import keyword
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

Literal = int | float | str | bool | None

_LIMIT = 10**15
_MAX_TEXT = 200

_BINARY: dict[type[ast.operator], Callable[[Any, Any], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

# What a JavaScript condition may contain to be read the Python way: names, numbers,
# quoted strings without escapes or backticks, arithmetic, comparisons, && || !.
_JS_SIMPLE = re.compile(r"""^(?:[\w\s.+\-*/%<>=!&|()]|"[^"\\`]*"|'[^'\\`]*')*$""")
_JS_OPERATORS = re.compile(
    r"""===|!==|&&|\|\||!(?!=)|\btrue\b|\bfalse\b|\bnull\b|"[^"]*"|'[^']*'"""
)
_JS_SPELLING = {
    "===": "==",
    "!==": "!=",
    "&&": " and ",
    "||": " or ",
    "!": " not ",
    "true": "True",
    "false": "False",
    "null": "None",
}


# Texts read without Python's parser, which costs far more than the lowering of the rest
# of the statement (a compile each): a plain name or a chain of them (`if user:`,
# `if self.debug:`), a short string literal without escapes, a decimal integer.
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PLAIN_STRING = re.compile(r"""(?:"[^"\\\n\r\0]*"|'[^'\\\n\r\0]*')""")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,14}")
# An f-string, alone or first in a longer text: never a literal (nor part of one).
_FORMATTED = re.compile(r"[rRbBuU]?[fF][rR]?[\"']")


class _Undecided(Exception):
    pass


def decide_python(text: str, literals: Mapping[str, Literal]) -> bool | None:
    """True or False when the condition's outcome is fixed; None when it is not known."""
    if len(text) > _MAX_TEXT:
        return None
    names = _NAMES.fullmatch(text.strip())
    if names is not None and not keyword.iskeyword(names.group()):
        name = names.group()
        if "." in name:
            return None  # an attribute (or a keyword among the names: not Python)
        return bool(literals[name]) if name in literals else None
    try:
        with warnings.catch_warnings():
            # `1if`, `0777`, `10n`: the parser's warnings are about the scanned code, not ours
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
        return bool(_evaluate(tree.body, literals))
    except (SyntaxError, ValueError, _Undecided, TypeError, ZeroDivisionError, RecursionError):
        return None


def decide_javascript(text: str, literals: Mapping[str, Literal]) -> bool | None:
    if len(text) > _MAX_TEXT or not _JS_SIMPLE.match(text):
        return None
    spelled = _JS_OPERATORS.sub(lambda m: _JS_SPELLING.get(m.group(0), m.group(0)), text)
    return decide_python(spelled, literals)


def literal_value(text: str) -> tuple[bool, Literal]:
    """(True, value) when `text` is a number, string, boolean or None literal."""
    if _PLAIN_STRING.fullmatch(text):
        return True, text[1:-1]
    if _DECIMAL.fullmatch(text):
        return True, int(text)
    if _FORMATTED.match(text):
        return False, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False, None
    if value is None or isinstance(value, int | float | str | bool):
        return True, value
    return False, None


def _evaluate(node: ast.expr, literals: Mapping[str, Literal]) -> object:
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, int | float | str | bool):
            return _bounded(node.value)
        raise _Undecided
    if isinstance(node, ast.Name):
        if node.id in literals:
            return literals[node.id]
        raise _Undecided
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, literals)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub) and isinstance(value, int | float):
            return -value
        if isinstance(node.op, ast.UAdd) and isinstance(value, int | float):
            return value
        raise _Undecided
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, literals), _evaluate(node.right, literals)
        apply = _BINARY.get(type(node.op))
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
        strings = isinstance(node.op, ast.Add) and all(isinstance(v, str) for v in (left, right))
        if apply is None or not (numbers or strings):
            raise _Undecided
        return _bounded(apply(left, right))
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, literals) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, literals)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, literals)
            compare = _COMPARE.get(type(op))
            if compare is None or not _comparable(left, right, op):
                raise _Undecided
            if not compare(left, right):
                return False
            left = right
        return True
    raise _Undecided


def _comparable(left: object, right: object, op: ast.cmpop) -> bool:
    if isinstance(op, ast.Eq | ast.NotEq):
        return True
    both_numbers = all(isinstance(v, int | float) for v in (left, right))
    return both_numbers or all(isinstance(v, str) for v in (left, right))


def _bounded(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > _LIMIT:
        raise _Undecided
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        raise _Undecided
    return value
