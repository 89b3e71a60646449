"""The built-in rules, loaded once per process, for listing and validating selectors, and
for masking secrets in every scan's snippets."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from tavo_platform.rules.loader import RuleSet, load_builtin_rules
from tavo_platform.rules.model import Rule


class Catalog:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules.rules
        self.by_id = {rule.id: rule for rule in self.rules}
        self.packs = sorted({rule.pack for rule in self.rules})

    def names(self) -> list[str]:
        return [*self.packs, *self.by_id]


@lru_cache(maxsize=1)
def builtin_catalog() -> Catalog:
    return Catalog(load_builtin_rules())


@lru_cache(maxsize=1)
def builtin_redaction_rules() -> tuple[Rule, ...]:
    """The built-in rules whose matches are secrets: masked wherever a snippet is shown."""
    return tuple(r for r in load_builtin_rules().rules if r.regex and r.regex.redact)


def redaction_rules_for(rules: Sequence[Rule]) -> list[Rule]:
    """What a scan with `rules` masks: the selection's own redacting rules, plus every
    built-in secret rule whether it was selected or not."""
    own = [r for r in rules if r.regex and r.regex.redact]
    known = {r.id for r in own}
    return own + [r for r in builtin_redaction_rules() if r.id not in known]
