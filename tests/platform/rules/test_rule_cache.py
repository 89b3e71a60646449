"""The built-in packs' cache (rules/_cache.py): a hit gives the same rules, any change to a
pack is a miss, and a cache file someone else could have written is never read."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from tavo_platform.rules import _cache, loader

PACK = """\
rules:
- id: cached-rule
  title: a rule
  message: matched
  severity: LOW
  confidence: LOW
  category: test
  fix: change it
  languages: [python]
  structural:
    rule:
      pattern: {pattern}
  examples:
    positive: ["{positive}"]
    negative: ["y = 1"]
"""


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "packs"
    (directory / "mine").mkdir(parents=True)
    (directory / "mine" / "rules.yaml").write_text(
        PACK.format(pattern="eval($X)", positive="eval(x)")
    )
    monkeypatch.setattr(loader, "BUILTIN_PACKS_DIR", directory)
    monkeypatch.setenv("TAVO_CACHE_DIR", str(tmp_path / "cache"))
    loader._builtin_rules.cache_clear()
    yield directory
    loader._builtin_rules.cache_clear()


def _load() -> list[str]:
    loader._builtin_rules.cache_clear()
    return [rule.structural.rule["pattern"] for rule in loader.load_builtin_rules().rules]


def _entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("builtin-rules-*.pickle"))


def test_a_second_load_reads_the_cache_and_gets_the_same_rules(
    packs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = loader._load_builtin_packs()
    assert _load() == ["eval($X)"]
    assert len(_entries(tmp_path)) == 1

    def must_not_parse() -> None:
        raise AssertionError("the packs were parsed again")

    monkeypatch.setattr(loader, "_load_builtin_packs", must_not_parse)
    loader._builtin_rules.cache_clear()
    again = loader._builtin_rules()
    assert [r.model_dump() for r in again[0]] == [r.model_dump() for r in first[0]]


def test_an_edited_pack_is_parsed_again_and_replaces_the_old_entry(
    packs: Path, tmp_path: Path
) -> None:
    assert _load() == ["eval($X)"]
    (packs / "mine" / "rules.yaml").write_text(PACK.format(pattern="exec($X)", positive="exec(x)"))
    assert _load() == ["exec($X)"]
    assert len(_entries(tmp_path)) == 1


def test_a_cache_file_others_may_write_is_ignored(packs: Path, tmp_path: Path) -> None:
    assert _load() == ["eval($X)"]
    (entry,) = _entries(tmp_path)
    key, rules = pickle.loads(entry.read_bytes())
    # Different rules under the right key: read from a file only this user can write (which
    # shows the planted entry is well formed) ...
    planted = [rules[0][0].model_copy(update={"id": "planted"})]
    entry.write_bytes(pickle.dumps((key, (tuple(planted), ()))))
    os.chmod(entry, 0o600)
    loader._builtin_rules.cache_clear()
    assert [r.id for r in loader.load_builtin_rules().rules] == ["planted"]
    # ... never from one the group or others could have written.
    os.chmod(entry, 0o664)
    loader._builtin_rules.cache_clear()
    assert [r.id for r in loader.load_builtin_rules().rules] == ["cached-rule"]


def test_a_corrupt_entry_is_a_miss(packs: Path, tmp_path: Path) -> None:
    assert _load() == ["eval($X)"]
    (entry,) = _entries(tmp_path)
    entry.write_bytes(b"not a pickle")
    assert _load() == ["eval($X)"]


def test_an_empty_cache_dir_turns_the_cache_off(
    packs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAVO_CACHE_DIR", "")
    assert _cache.cache_dir() is None
    assert _load() == ["eval($X)"]
    assert not (tmp_path / "cache").exists()


def test_two_installations_sharing_a_cache_keep_their_own_entries(
    packs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _load() == ["eval($X)"]
    other = tmp_path / "other-packs"
    (other / "mine").mkdir(parents=True)
    (other / "mine" / "rules.yaml").write_text(PACK.format(pattern="exec($X)", positive="exec(x)"))
    monkeypatch.setattr(loader, "BUILTIN_PACKS_DIR", other)
    assert _load() == ["exec($X)"]
    assert len(_entries(tmp_path)) == 2
