"""Which rules must run on a linear-time regex engine, and whether a pattern can.

The built-in packs are ours and reviewed; a rule written by a user (an organisation's
uploaded rules, `--rules` files) runs on RE2 (see engine/matchers/linear.py), which has no
lookaround, backreferences or possessive/atomic groups: a user pattern using them is
refused when it is loaded, with an error naming the rule.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import re2

_BUILTIN_PACKS_DIR = Path(__file__).parent / "packs"
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


@lru_cache(maxsize=1)
def _builtin_packs() -> frozenset[str]:
    return frozenset(p.name for p in _BUILTIN_PACKS_DIR.iterdir() if p.is_dir())


def user_supplied(pack: str | None) -> bool:
    """A rule outside the built-in packs: its regexes must run in linear time."""
    return pack not in _builtin_packs()


def linear_problem(pattern: str) -> str | None:
    """Why `pattern` cannot run on RE2, or None when it can."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return (
            f"regular expression {pattern[:80]!r} needs backtracking ({detail}); user rules "
            "must be linear-time (RE2): no lookaround, backreferences or possessive groups"
        )
    return None
