"""The structural matcher's shortcuts: file pre-filters and attribution of combined matches.

Both are only allowed to save work, never to change a result, so the reference here is
ast-grep itself: one `find_all` per rule.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from ast_grep_py import SgRoot
from hypothesis import given, settings
from hypothesis import strategies as st
from tavo_platform.engine import Language
from tavo_platform.engine.matchers.requirements import (
    NOTHING,
    Requirement,
    WordCache,
    node_kinds_of,
    regex_requirement,
    requirement_of,
    simplified,
)
from tavo_platform.engine.matchers.structural import StructuralProgram
from tavo_platform.rules.model import Rule


def make_rule(rule_id: str, rule: dict[str, Any], **extra: Any) -> Rule:
    return Rule.model_validate(
        {
            "id": rule_id,
            "title": f"rule {rule_id}",
            "message": "matched",
            "severity": "LOW",
            "confidence": "LOW",
            "category": "test",
            "fix": "change it",
            "languages": ["python"],
            "structural": {"rule": rule, **extra},
            "examples": {"positive": ["x"], "negative": ["y"]},
        }
    )


def satisfied(requirement: Requirement, text: str) -> bool:
    return requirement.satisfied(WordCache(text))


# --- words read from regexes ------------------------------------------------------------


def test_a_literal_regex_requires_its_word() -> None:
    requirement = regex_requirement(r"^trust_remote_code$")
    assert satisfied(requirement, "load(trust_remote_code=True)")
    assert not satisfied(requirement, "load(remote=True)")


def test_an_alternation_requires_one_of_its_branches() -> None:
    requirement = regex_requirement(r"^(?:subprocess\.)?(?:check_output|Popen)$")
    assert satisfied(requirement, "Popen(cmd)")
    assert satisfied(requirement, "check_output(cmd)")
    assert not satisfied(requirement, "run(cmd)")


def test_ignore_case_words_match_any_case() -> None:
    requirement = regex_requirement(r"(?i)\bsystem_prompt\b")
    assert satisfied(requirement, "SYSTEM_PROMPT = x")
    assert not satisfied(requirement, "prompt = x")
    scoped = regex_requirement(r"(?i:select)\s+star")
    assert satisfied(scoped, "SeLeCt star")
    assert not satisfied(scoped, "SeLeCt STAR")


@pytest.mark.parametrize(
    "regex",
    [
        r"^(?:optional_word)?x$",  # optional: nothing required
        r"ab",  # too short to be worth a look-up
        r"\b{start}word",  # Rust-only syntax that Python would read as text
        r"\pL+word_here",  # Rust-only escape: Python cannot parse it
        r"^(?:word_one|.*)$",  # one branch requires nothing
    ],
)
def test_regexes_that_prove_nothing_require_nothing(regex: str) -> None:
    assert regex_requirement(regex) == NOTHING


def test_a_rule_requires_the_words_of_its_relatives_regexes() -> None:
    rule = {
        "kind": "call",
        "has": {
            "field": "arguments",
            "has": {"kind": "keyword_argument", "has": {"field": "name", "regex": "^verify_ssl$"}},
        },
    }
    requirement = requirement_of(rule)
    assert satisfied(requirement, "get(url, verify_ssl=False)")
    assert not satisfied(requirement, "get(url, verify=False)")


def test_negated_parts_require_nothing() -> None:
    assert requirement_of({"kind": "call", "not": {"regex": "^forbidden_name$"}}) == NOTHING


def test_node_kinds() -> None:
    assert node_kinds_of({"kind": "call"}) == {"call"}
    assert node_kinds_of({"any": [{"kind": "call"}, {"kind": "string"}]}) == {"call", "string"}
    assert node_kinds_of({"any": [{"kind": "call"}, {"pattern": "x"}]}) is None
    assert node_kinds_of({"all": [{"kind": "call"}, {"has": {"kind": "string"}}]}) == {"call"}


def test_a_file_without_the_regex_word_skips_the_rule() -> None:
    rule = make_rule("t-remote", {"kind": "keyword_argument", "regex": "^trust_remote_code="})
    program = StructuralProgram(Language.PYTHON, [rule])
    assert program.applicable("load(x, safe=True)\n") == []
    assert [m.rule.id for m in program.run("load(x, trust_remote_code=True)\n")] == ["t-remote"]


# --- attributing the nodes of the combined query ----------------------------------------

OVERLAPPING_RULES = [
    make_rule("t-any-call", {"pattern": "run($$$)"}),
    make_rule("t-one-arg", {"pattern": "run($A)"}),
    make_rule("t-kind-regex", {"kind": "call", "regex": "^run\\(.*shell"}),
    make_rule("t-never", {"pattern": "run(1, 2, 3, 4)"}),
    make_rule("t-attribute", {"pattern": "$X.run($$$)"}),
    make_rule(
        "t-wordless", {"kind": "call", "has": {"field": "arguments", "kind": "argument_list"}}
    ),
    make_rule("t-string", {"kind": "string", "regex": "secret"}),
    make_rule(
        "t-not",
        {"pattern": "run($$$)", "not": {"has": {"kind": "keyword_argument", "stopBy": "end"}}},
    ),
]

SOURCES = [
    "run(cmd)\n",
    "run(cmd, shell=True)\n",
    "proc.run(cmd)\nrun(run(x))\n",
    "value = 'secret'\nrun('secret')\n",
    "def f():\n    return other(1)\n",
    "",
]


def reference(rules: list[Rule], source: str) -> set[tuple[str, int, int, int, int]]:
    root = SgRoot(source, "python").root()
    found = set()
    for rule in rules:
        assert rule.structural is not None
        for node in root.find_all(rule.structural.config()):
            r = node.range()
            found.add((rule.id, r.start.line, r.start.column, r.end.line, r.end.column))
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_combined_query_attributes_every_node_to_exactly_the_rules_it_matches(
    source: str,
) -> None:
    program = StructuralProgram(Language.PYTHON, OVERLAPPING_RULES)
    got = {
        (
            m.rule.id,
            m.span.start_line - 1,
            m.span.start_column - 1,
            m.span.end_line - 1,
            m.span.end_column - 1,
        )
        for m in program.run(source)
    }
    assert got == reference(OVERLAPPING_RULES, source)


def test_overlapping_rules_each_report_the_shared_node() -> None:
    program = StructuralProgram(Language.PYTHON, OVERLAPPING_RULES)
    ids = sorted(m.rule.id for m in program.run("run(cmd, shell=True)\n"))
    assert ids == ["t-any-call", "t-kind-regex", "t-wordless"]


# --- evaluating requirements --------------------------------------------------------------

ALPHABET = ("abc", "abd", "xyz", "Key", "key")


def _requirements() -> st.SearchStrategy[Requirement]:
    leaf = st.builds(
        Requirement,
        st.frozensets(st.sampled_from(ALPHABET), max_size=2),
        st.frozensets(st.sampled_from(("key", "abc")), max_size=1),
    )
    return st.recursive(
        leaf,
        lambda inner: st.builds(
            Requirement,
            st.frozensets(st.sampled_from(ALPHABET), max_size=1),
            st.just(frozenset()),
            st.lists(st.tuples(inner, inner) | st.tuples(inner), max_size=3).map(tuple),
        ),
        max_leaves=12,
    )


def _meaning(requirement: Requirement, text: str) -> bool:
    """The definition, evaluated naively."""
    return (
        all(word in text for word in requirement.words)
        and all(re.search(re.escape(w), text, re.IGNORECASE) for w in requirement.folded_words)
        and all(any(_meaning(o, text) for o in group) for group in requirement.any_of)
    )


# Pieces that join into longer runs of word characters ("ab" + "c"), split them (" ", ".",
# "\u00e9") or fold to ASCII letters under re.IGNORECASE ("\u017f", the long s).
PIECES = [*ALPHABET, "KEY", "ab", "c", "_", "9", " ", ".", "\u00e9", "\u017f"]


@given(_requirements(), st.lists(st.sampled_from(PIECES)))
@settings(max_examples=300, deadline=None)
def test_simplifying_and_both_checks_keep_the_meaning(
    requirement: Requirement, pieces: list[str]
) -> None:
    text = "".join(pieces)
    expected = _meaning(requirement, text)
    assert requirement.satisfied(WordCache(text)) == expected
    assert requirement.found_in(text) == expected
    assert simplified(requirement).satisfied(WordCache(text)) == expected


class _ByRunsAlone(WordCache):
    DIRECT_LOOKUPS = 0


@given(st.lists(st.sampled_from(PIECES)), st.sampled_from([*ALPHABET, "ab", "b.c", "c a", "_9"]))
@settings(max_examples=300, deadline=None)
def test_word_cache_answers_as_a_plain_substring_search(pieces: list[str], word: str) -> None:
    text = "".join(pieces)
    has = WordCache(text)
    assert has[word] == (word in text)
    assert has[word] == (word in text)  # the memoised answer too
    # The text's word runs answer once the first DIRECT_LOOKUPS words have been searched
    # for in the text itself: the same answers.
    runs = _ByRunsAlone(text)
    assert runs[word] == (word in text)
    if re.fullmatch(r"\w+", word, re.ASCII):
        assert runs._runs is not None  # answered by the runs, not the text
    assert has.ignoring_case(word.lower()) == (
        re.search(re.escape(word.lower()), text, re.IGNORECASE) is not None
    )


@pytest.mark.parametrize("text", ["SYSTEM_PROMPT", "\u017fystem_prompt", "system-prompt", ""])
def test_ignoring_case_is_what_re_does_in_ascii_and_other_text(text: str) -> None:
    expected = re.search("system_prompt", text, re.IGNORECASE) is not None
    assert WordCache(text).ignoring_case("system_prompt") == expected
