"""The built-in pack files themselves: a YAML mapping with a repeated key silently keeps
only the last value (a second `not:` replaces the first), so a rule would quietly lose a
condition; and every rule of the detection families carries what a reader needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tavo_platform.rules.loader import BUILTIN_PACKS_DIR, load_builtin_rules

PACK_FILES = sorted(BUILTIN_PACKS_DIR.rglob("*.yaml"))


class _DuplicateKeyLoader(yaml.SafeLoader):
    duplicates: list[str]


def _construct_mapping(loader: _DuplicateKeyLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)  # type: ignore[no-untyped-call]
        if key in seen:
            loader.duplicates.append(f"{key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    loader.flatten_mapping(node)  # type: ignore[no-untyped-call]
    return yaml.SafeLoader.construct_mapping(loader, node)


_DuplicateKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: str(p.relative_to(BUILTIN_PACKS_DIR)))
def test_no_repeated_keys(path: Path) -> None:
    loader = _DuplicateKeyLoader(path.read_text(encoding="utf-8"))
    loader.duplicates = []
    try:
        loader.get_single_data()
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    assert loader.duplicates == []


def test_every_builtin_rule_has_cwe_and_fix() -> None:
    missing = [r.id for r in load_builtin_rules().rules if not r.cwe or len(r.fix) < 20]
    assert missing == []


def test_ml_and_llm_rules_carry_an_owasp_llm_id() -> None:
    pack = [r for r in load_builtin_rules().rules if r.pack == "owasp-llm"]
    assert [r.id for r in pack if r.owasp_llm is None] == []
