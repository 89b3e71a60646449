"""`any` options pruned by a file's words: only ever less for ast-grep to do, never a
different result. The reference is ast-grep itself, given the rule whole."""

from __future__ import annotations

from typing import Any, cast

import pytest
from ast_grep_py import SgRoot
from tavo_platform.engine import CompiledRules, Language
from tavo_platform.engine.matchers.requirements import WordCache
from tavo_platform.engine.matchers.word_pruning import WordPruned
from tavo_platform.rules.loader import load_builtin_rules


def spans(text: str, config: dict[str, Any], language: str = "python") -> list[tuple[int, int]]:
    root = SgRoot(text, language).root()
    return [(n.range().start.index, n.range().end.index) for n in root.find_all(cast(Any, config))]


def test_options_whose_words_are_missing_are_left_out() -> None:
    config = {"rule": {"any": [{"pattern": "pickle.loads($X)"}, {"pattern": "yaml.load($X)"}]}}
    pruned = WordPruned(config)
    kept = pruned.for_file(WordCache("import yaml\nyaml.load(data)\n"))
    assert kept == {"rule": {"any": [{"pattern": "yaml.load($X)"}]}}
    assert config["rule"]["any"][0] == {"pattern": "pickle.loads($X)"}  # not modified
    both = WordCache("pickle.loads(a)\nyaml.load(b)\n")
    assert pruned.for_file(both) is config


def test_nested_options_are_pruned_under_not_has_and_stop_rules() -> None:
    config = {
        "rule": {
            "kind": "call",
            "has": {
                "field": "arguments",
                "stopBy": {"any": [{"pattern": "sanitize($A)"}, {"pattern": "escape($A)"}]},
                "has": {"kind": "identifier"},
            },
            "not": {"any": [{"pattern": "safe_call($$$)"}, {"pattern": "trusted($$$)"}]},
        }
    }
    text = "run(escape(x))\nsafe_call(y)\nrun(z)\n"
    kept = WordPruned(config).for_file(WordCache(text))
    assert kept["rule"]["not"] == {"any": [{"pattern": "safe_call($$$)"}]}
    assert kept["rule"]["has"]["stopBy"] == {"any": [{"pattern": "escape($A)"}]}
    assert spans(text, kept) == spans(text, config)


def test_a_constrained_metavariable_keeps_the_rule_whole() -> None:
    # Dropping the only option that writes $C would leave its constraint naming nothing,
    # which ast-grep refuses.
    config = {
        "rule": {"any": [{"pattern": "$C.execute($Q)"}, {"pattern": "cursor.raw($Q)"}]},
        "constraints": {"C": {"regex": "^db$"}, "Q": {"kind": "identifier"}},
    }
    assert WordPruned(config).for_file(WordCache("cursor.raw(q)\n")) is config
    unconstrained = {"rule": config["rule"], "constraints": {"Q": {"kind": "identifier"}}}
    kept = WordPruned(unconstrained).for_file(WordCache("cursor.raw(q)\n"))
    assert kept["rule"] == {"any": [{"pattern": "cursor.raw($Q)"}]}
    assert spans("cursor.raw(q)\n", kept) == spans("cursor.raw(q)\n", unconstrained)


def test_an_any_whose_options_are_all_missing_is_kept() -> None:
    config = {
        "rule": {"kind": "call", "not": {"any": [{"pattern": "aaa()"}, {"pattern": "bbb()"}]}}
    }
    assert WordPruned(config).for_file(WordCache("ccc()\n")) is config


def _ast_grep_configs() -> list[tuple[str, Language, dict[str, Any]]]:
    compiled = CompiledRules(load_builtin_rules().rules)
    found = []
    for language, program in compiled.structural.items():
        found += [(c.rule.id, language, c.config) for c in program._rules if c.pruner]
    for language, patterns in compiled.taint.patterns.items():
        found += [
            (f"{e.role} of {sorted(e.rules)[0]}", language, e.config)
            for e in patterns.entries
            if e.pruner
        ]
    # The programs are keyed by a set of languages: sorted, so every test process collects
    # the same cases in the same order.
    return sorted(found, key=lambda case: (case[0], case[1].value, repr(case[2])))


@pytest.mark.parametrize("rule_id,language,config", _ast_grep_configs(), ids=lambda v: str(v)[:60])
def test_built_in_rules_find_the_same_nodes_pruned_on_their_examples(
    rule_id: str, language: Language, config: dict[str, Any]
) -> None:
    rules = {r.id: r for r in load_builtin_rules().rules}
    owner = rules.get(rule_id) or rules[rule_id.split(" of ")[-1]]
    pruned = WordPruned(config)
    for example in owner.examples.positive + owner.examples.negative:
        code = example if isinstance(example, str) else getattr(example, "code", None)
        if not isinstance(code, str):
            continue
        kept = pruned.for_file(WordCache(code))
        assert spans(code, kept, language.value) == spans(code, config, language.value)
