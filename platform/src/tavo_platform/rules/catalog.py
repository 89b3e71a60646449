"""The built-in rules, loaded once per process, for listing and validating selectors."""

from __future__ import annotations

from functools import lru_cache

from tavo_platform.rules.loader import RuleSet, load_builtin_rules


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
