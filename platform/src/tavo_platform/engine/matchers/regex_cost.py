"""Cheaper regexes for ast-grep: ASCII classes instead of Unicode ones.

ast-grep compiles a rule again on every call (once per file and rule), and with Rust's
regex crate most of that cost is Unicode: `\\w` alone builds a class of every letter of
every script (about a millisecond, measured, against 10 us for `[0-9A-Za-z_]`), `\\b`
needs Unicode word tables, `(?i)` Unicode case folding. The code that rules read is
ASCII where it matters (keywords, identifiers, API names, URLs), so each regex of a rule
is rewritten once, when the rule set is compiled:

- `\\w`, `\\d`, `\\s` (and, outside brackets, `\\W`, `\\D`, `\\S`) become ASCII classes;
- `\\b`, `\\B` become ASCII word boundaries;
- a regex whose only Unicode-sensitive part is `(?i)` becomes `(?i-u)` where ast-grep
  accepts it (only literals and ASCII classes: nothing that could match invalid UTF-8).

What changes is only what non-ASCII text matches: `\\w` no longer matches `é`. Every
rewritten regex is checked to compile; one that does not is kept as written.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from ast_grep_py import SgRoot

_CLASS_BODIES = {"w": "0-9A-Za-z_", "d": "0-9", "s": "\\t\\n\\x0B\\f\\r "}
_OUTSIDE = {
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "d": "[0-9]",
    "D": "[^0-9]",
    "s": "[\\t\\n\\x0B\\f\\r ]",
    "S": "[^\\t\\n\\x0B\\f\\r ]",
    "b": "(?-u:\\b)",
    "B": "(?-u:\\B)",
}


def cheap_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of an ast-grep config (or rule object) with every `regex` rewritten."""
    return cast(dict[str, Any], _rewrite(config))


def _rewrite(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: cheap_regex(item) if key == "regex" and isinstance(item, str) else _rewrite(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(item) for item in value]
    return value


@lru_cache(maxsize=4096)
def cheap_regex(regex: str) -> str:
    rewritten = _ascii_classes(regex)
    folded = _ascii_case(rewritten)
    for candidate in (folded, rewritten):
        if candidate != regex and _compiles(candidate):
            return candidate
    return regex


def _ascii_classes(regex: str) -> str:
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\" and index + 1 < len(regex):
            escaped = regex[index + 1]
            if in_class and escaped in _CLASS_BODIES:
                out.append(_CLASS_BODIES[escaped])
            elif not in_class and escaped in _OUTSIDE:
                out.append(_OUTSIDE[escaped])
            else:
                out.append(char + escaped)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            # a `]` or `^]` right after the opening bracket is a literal
            if regex.startswith("^", index + 1):
                out.append("^")
                index += 1
            if regex.startswith("]", index + 1):
                out.append("]")
                index += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _ascii_case(regex: str) -> str:
    """`(?i)` at the start as `(?i-u)`: ASCII case folding, when nothing else in the regex
    depends on Unicode mode (ast-grep then rejects it, and the caller keeps `regex`)."""
    if regex.startswith("(?i)"):
        return "(?i-u)" + regex[4:]
    return regex


@lru_cache(maxsize=1)
def _probe() -> Any:
    return SgRoot("", "python").root()


def _compiles(regex: str) -> bool:
    try:
        _probe().find_all(cast(Any, {"rule": {"regex": regex}}))
    except BaseException as error:  # the Rust binding raises plain Exception subclasses
        if isinstance(error, KeyboardInterrupt | TimeoutError):
            raise  # an interrupt or a file's time budget, not a regex ast-grep refuses
        return False
    return True
