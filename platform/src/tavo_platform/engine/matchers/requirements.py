"""Cheap text pre-filters for structural rules.

Before a file is parsed, each structural rule is asked whether it could possibly match:
a pattern such as `pickle.loads($DATA)` cannot match a file that never mentions `loads`,
and `regex: ^trust_remote_code$` cannot match one that never mentions `trust_remote_code`.
The requirement is derived from the rule itself (never written by hand), conservatively:
anything it cannot reason about (kinds, most regex syntax, utilities, negations) requires
nothing. Skipping a rule matters because ast-grep compiles a rule again on every call, and
compiling a large rule (hundreds of patterns and regexes) can cost more than parsing a file.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parser
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\$\$\$[A-Z_][A-Z0-9_]*|\$[A-Z_][A-Z0-9_]*|\$\$\$|[A-Za-z_][A-Za-z0-9_]*")
_RELATIONAL_KEYS = ("inside", "has", "follows", "precedes")
# A comment inside a pattern may not have to match anything, so its words prove nothing.
_COMMENT_MARKERS = ("#", "//", "/*")
_WORD_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# Shorter literals rule out almost no file and still cost a look-up each.
_MIN_REGEX_WORD = 3
# Rust regex syntax (ast-grep's) that Python's parser would read as literal text.
_RUST_ONLY_SYNTAX = re.compile(r"\\[bB]\{")


@dataclass(frozen=True, slots=True)
class Requirement:
    """All of `words` must appear (and all of `folded_words`, ignoring case), and for each
    group in `any_of`, one of its options."""

    words: frozenset[str] = frozenset()
    folded_words: frozenset[str] = frozenset()
    any_of: tuple[tuple[Requirement, ...], ...] = ()
    # Each group split into its single-word options and the rest, for the checks below.
    _groups: tuple[tuple[tuple[str, ...], tuple[Requirement, ...]], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        groups = []
        for group in self.any_of:
            single = tuple(
                next(iter(o.words))
                for o in group
                if len(o.words) == 1 and not o.folded_words and not o.any_of
            )
            rest = tuple(
                o for o in group if not (len(o.words) == 1 and not o.folded_words and not o.any_of)
            )
            groups.append((single, rest))
        object.__setattr__(self, "_groups", tuple(groups))

    # Both checks run for every rule on every file (and node), hence the plain loops.
    def satisfied(self, has: WordCache) -> bool:
        """Checked against a whole file, with each word looked up once per file."""
        for word in self.words:
            if not has[word]:
                return False
        for word in self.folded_words:
            if not has.ignoring_case(word):
                return False
        for single, rest in self._groups:
            for word in single:
                if has[word]:
                    break
            else:
                for option in rest:
                    if option.satisfied(has):
                        break
                else:
                    return False
        return True

    def found_in(self, text: str) -> bool:
        """Checked against a short text (a node's), looked up directly."""
        for word in self.words:
            if word not in text:
                return False
        for word in self.folded_words:
            if _folded(word).search(text) is None:
                return False
        for single, rest in self._groups:
            for word in single:
                if word in text:
                    break
            else:
                for option in rest:
                    if option.found_in(text):
                        break
                else:
                    return False
        return True

    def __bool__(self) -> bool:
        return bool(self.words or self.folded_words or self.any_of)

    def __and__(self, other: Requirement) -> Requirement:
        return Requirement(
            self.words | other.words,
            self.folded_words | other.folded_words,
            self.any_of + other.any_of,
        )


NOTHING = Requirement()


def one_of(options: Iterable[Requirement]) -> Requirement:
    """At least one of `options`; nothing at all when any option requires nothing."""
    alternatives = tuple(options)
    if not alternatives or not all(alternatives):
        return NOTHING
    return Requirement(any_of=(alternatives,))


def requirement_of(rule: dict[str, Any], memo: dict[int, Requirement] | None = None) -> Requirement:
    """What the file must contain for `rule` (an ast-grep rule object) to match anywhere.
    `memo`: sub-rules' requirements by object id, shared by calls about parts of one rule
    (valid only while the rule is alive and unchanged)."""
    return simplified(_requirement(rule, {} if memo is None else memo))


def _requirement(rule: dict[str, Any], memo: dict[int, Requirement]) -> Requirement:
    # YAML anchors make one sub-rule object appear many times in a rule: work it out once.
    known = memo.get(id(rule))
    if known is not None:
        return known
    requirement = _own_requirement(rule)
    for item in rule.get("all") or ():
        if isinstance(item, dict):
            requirement &= _requirement(item, memo)
    options = rule.get("any")
    if options:
        requirement &= one_of(
            _requirement(o, memo) if isinstance(o, dict) else NOTHING for o in options
        )
    for key in _RELATIONAL_KEYS:
        related = rule.get(key)
        if isinstance(related, dict):
            requirement &= _requirement(related, memo)
    memo[id(rule)] = requirement
    return requirement


def node_requirement_of(rule: dict[str, Any]) -> Requirement:
    """What the text of a node must contain for `rule` to match that very node: only the
    parts that look at the node itself (pattern, regex, all, any), not at its relatives."""
    return simplified(_node_requirement(rule))


def _node_requirement(rule: dict[str, Any]) -> Requirement:
    requirement = _own_requirement(rule)
    for item in rule.get("all") or ():
        if isinstance(item, dict):
            requirement &= _node_requirement(item)
    options = rule.get("any")
    if options:
        requirement &= one_of(
            _node_requirement(o) if isinstance(o, dict) else NOTHING for o in options
        )
    return requirement


# Rules share sub-rules (YAML anchors), so the same requirement trees come back many times
# while a rule set compiles: a scan's start-up cost, paid again by every CLI run.
@lru_cache(maxsize=16384)
def simplified(requirement: Requirement) -> Requirement:
    """The same condition with less to evaluate. Large rules repeat sub-rules (YAML anchors),
    so their raw requirement is a deep tree of the same few words, and it is evaluated for
    every rule on every file."""
    words, folded = set(requirement.words), set(requirement.folded_words)
    groups: list[tuple[Requirement, ...]] = []
    pending = [tuple(simplified(option) for option in group) for group in requirement.any_of]
    while pending:
        options: list[Requirement] = []
        for option in pending.pop():
            # An option that is itself just "one of these" joins the group.
            if not option.words and not option.folded_words and len(option.any_of) == 1:
                options.extend(option.any_of[0])
            else:
                options.append(option)
        unique = list(dict.fromkeys(options))
        if not all(unique):
            continue  # an option that requires nothing: the group always holds
        # An option that requires more than another adds nothing to "one of".
        kept = [o for o in unique if not any(p is not o and _implies(o, p) for p in unique)]
        if len(kept) == 1:
            only = kept[0]
            words |= only.words
            folded |= only.folded_words
            pending.extend(only.any_of)
        else:
            groups.append(tuple(kept))
    implied = Requirement(frozenset(words), frozenset(folded))
    groups = [g for g in dict.fromkeys(groups) if not any(_implies(implied, o) for o in g)]
    # Cheap groups (single words) first, so a file fails fast.
    groups.sort(key=lambda group: sum(_size(option) for option in group))
    return Requirement(frozenset(words), frozenset(folded), tuple(groups))


def _implies(first: Requirement, second: Requirement) -> bool:
    """Whether `first` holding guarantees `second` (judged on their parts, conservatively)."""
    return (
        second.words <= first.words
        and second.folded_words <= first.folded_words
        and set(second.any_of) <= set(first.any_of)
    )


def _size(requirement: Requirement) -> int:
    return (
        len(requirement.words)
        + len(requirement.folded_words)
        + sum(_size(option) for group in requirement.any_of for option in group)
    )


def _own_requirement(rule: dict[str, Any]) -> Requirement:
    """What the rule's own pattern and regex require of the text of the node they match."""
    requirement = NOTHING
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        requirement &= Requirement(frozenset(pattern_words(pattern)))
    regex = rule.get("regex")
    if isinstance(regex, str):
        requirement &= regex_requirement(regex)
    return requirement


def node_kinds_of(rule: dict[str, Any]) -> frozenset[str] | None:
    """The node kinds `rule` can match, or None when it cannot tell (any kind)."""
    kinds: frozenset[str] | None = None
    kind = rule.get("kind")
    if isinstance(kind, str):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", kind):
            return None
        kinds = frozenset({kind})
    for item in rule.get("all") or ():
        if isinstance(item, dict):
            kinds = _intersect(kinds, node_kinds_of(item))
    options = rule.get("any")
    if options:
        branches = [node_kinds_of(o) if isinstance(o, dict) else None for o in options]
        if all(branch is not None for branch in branches):
            kinds = _intersect(kinds, frozenset().union(*branches))  # type: ignore[arg-type]
    return kinds


def _intersect(
    first: frozenset[str] | None, second: frozenset[str] | None
) -> frozenset[str] | None:
    if first is None:
        return second
    if second is None:
        return first
    return first & second


def pattern_words(pattern: str) -> list[str]:
    if any(marker in pattern for marker in _COMMENT_MARKERS):
        return []
    return [token for token in _WORD.findall(pattern) if not token.startswith("$")]


# Rules repeat the same regexes (YAML anchors copy sub-rules), and parsing is not free.
@lru_cache(maxsize=4096)
def regex_requirement(regex: str) -> Requirement:
    """The literal words any match of `regex` contains, read from its parse tree.

    ast-grep's regexes are Rust's; they are parsed here with Python's parser, which reads
    the common syntax the same way and rejects most of what it does not know. Only runs of
    ASCII letters, digits and `_` become words, so punctuation escapes never matter.
    """
    if _RUST_ONLY_SYNTAX.search(regex):
        return NOTHING
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = sre_parser.parse(regex)
    except (re.error, RecursionError, OverflowError, ValueError):
        return NOTHING
    return _sequence(list(parsed), bool(parsed.state.flags & sre.SRE_FLAG_IGNORECASE))


def _sequence(items: list[Any], ignore_case: bool) -> Requirement:
    requirement = NOTHING
    run: list[str] = []

    def flush() -> None:
        nonlocal requirement
        if len(run) >= _MIN_REGEX_WORD:
            word = "".join(run)
            requirement &= (
                Requirement(folded_words=frozenset({word.lower()}))
                if ignore_case
                else Requirement(words=frozenset({word}))
            )
        run.clear()

    for op, argument in items:
        if op is sre.LITERAL and chr(argument) in _WORD_CHARACTERS:
            run.append(chr(argument))
            continue
        flush()
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, inner = argument
            inner_ignore_case = bool(
                (ignore_case or add_flags & sre.SRE_FLAG_IGNORECASE)
                and not del_flags & sre.SRE_FLAG_IGNORECASE
            )
            requirement &= _sequence(list(inner), inner_ignore_case)
        elif op is sre.BRANCH:
            requirement &= one_of(_sequence(list(branch), ignore_case) for branch in argument[1])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            minimum, _maximum, inner = argument
            if minimum >= 1:
                requirement &= _sequence(list(inner), ignore_case)
        elif op is sre.ATOMIC_GROUP:
            requirement &= _sequence(list(argument), ignore_case)
        # Anything else (classes, anchors, look-arounds, back-references) requires nothing
        # and ends the current run of literal characters.
    flush()
    return requirement


@lru_cache(maxsize=4096)
def _folded(word: str) -> re.Pattern[str]:
    # re's own case-insensitive matching, as the regex the word came from uses it (it also
    # equates 'k' with the Kelvin sign and 's' with the long s).
    return re.compile(re.escape(word), re.IGNORECASE)


_WORD_RUN = re.compile(r"[A-Za-z0-9_]+")
_WORD_ONLY = re.compile(r"[A-Za-z0-9_]+\Z")


class WordCache(dict[str, bool]):
    """Memoised `word in text` (and its case-insensitive twin) for one text: `cache[word]`.

    A file is asked about hundreds of words (every rule's, every taint entry's), most of
    them absent, and each `in` scans the whole text. The words of rules are made of ASCII
    word characters only, so any occurrence lies within one maximal run of such characters:
    the text's distinct runs, read once, answer every such question. A run found whole is a
    set look-up; otherwise the distinct runs joined by newlines, much shorter than the text
    in real code, are searched instead of the text.

    Reading the runs costs about as much as DIRECT_LOOKUPS searches of the text (measured on
    the 2.7 kB modules of bench/dataflow_scale.py: 26 us against 0.5 us a search), and a
    scan with a few rules asks a file only about some forty words: the first DIRECT_LOOKUPS
    words are searched for in the text itself, the same answer, and only a text asked about
    more pays for its runs.
    """

    DIRECT_LOOKUPS = 48

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text
        self._runs: frozenset[str] | None = None
        self._joined = ""
        self._lowered: str | None = None
        self._folded: dict[str, bool] = {}

    def __missing__(self, word: str) -> bool:
        if _WORD_ONLY.match(word) is None or (
            self._runs is None and len(self) < self.DIRECT_LOOKUPS
        ):
            found = word in self._text
        else:
            runs = self._word_runs()
            found = word in runs or word in self._joined
        self[word] = found
        return found

    def _word_runs(self) -> frozenset[str]:
        if self._runs is None:
            self._runs = frozenset(_WORD_RUN.findall(self._text))
            self._joined = "\n".join(self._runs)
        return self._runs

    def __call__(self, word: str) -> bool:
        return self[word]

    def ignoring_case(self, word: str) -> bool:
        found = self._folded.get(word)
        if found is None:
            if self._text.isascii():
                # In ASCII text, ignoring case is lower-casing (folded words are lower case).
                # Lower-casing maps ASCII word characters to word characters and nothing
                # else to one, so the runs answer for a word here too.
                if self._lowered is None:
                    self._word_runs()
                    self._lowered = self._joined.lower()
                found = (
                    word in self._lowered
                    if _WORD_ONLY.match(word) is not None
                    else word in self._text.lower()
                )
            else:
                found = _folded(word).search(self._text) is not None
            self._folded[word] = found
        return found
