"""The seed's Python snippets, as the runnable programs in examples/: each one runs against a
live server and exits 0, and each snippet still appears in its example as the guide wrote
it (apart from where the key and the repository URLs come from)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "examples"
# The seed guide this project was created from, kept beside the tests so a checkout anywhere
# can run them; where the shared original sits beside the repository, the two must agree.
SEED = Path(__file__).resolve().parent / "seed" / "performance-guide.md"
SHARED_SEED = REPO_ROOT.parent / "shared" / "seed" / "performance-guide.md"
EXAMPLE_TIMEOUT = 420

# Where the examples differ from the guide: the key and the placeholder repositories.
SUBSTITUTIONS = [
    ('"your-key"', "API_KEY"),
    ('"https://github.com/org/repo1"', "REPO1"),
    ('"https://github.com/org/repo2"', "REPO2"),
    ('"https://github.com/org/repo"', "REPO"),
]
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def seed_snippets() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def normalised_lines(code: str) -> list[str]:
    lines = []
    for line in code.splitlines():
        line = line.strip()
        if not line:
            continue
        for before, after in SUBSTITUTIONS:
            line = line.replace(before, after)
        imported = re.fullmatch(r"from (\S+) import (.+)", line)
        if imported:  # the order of imported names is the linter's business
            names = sorted(name.strip() for name in imported.group(2).split(","))
            line = f"from {imported.group(1)} import {', '.join(names)}"
        lines.append(line)
    return lines


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(line == candidate for candidate in remaining) for line in needle)


def test_every_seed_snippet_is_an_example() -> None:
    assert SEED.is_file(), f"the seed guide is missing: {SEED}"
    if SHARED_SEED.is_file():
        assert SEED.read_bytes() == SHARED_SEED.read_bytes(), "the seed guide has changed"
    examples = {
        name: normalised_lines((EXAMPLES / f"{name}.py").read_text()) for name in EXAMPLE_NAMES
    }
    snippets = seed_snippets()
    assert len(snippets) == 16
    missing = []
    for snippet in snippets:
        lines = normalised_lines(snippet)
        if not any(is_subsequence(lines, example) for example in examples.values()):
            missing.append(lines[0])
    assert not missing, f"seed snippets no example reproduces: {missing}"


@pytest.fixture(scope="module")
def example_env(
    server: LiveServer, keys: Keys, repository_urls: list[str]
) -> dict[str, str]:
    # Two keys of one organisation (the load-balancing example spreads over them).
    org = "examples"
    api_keys = [keys.unlimited(org=org), keys.unlimited(org=org)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
    env.update(
        TAVO_BASE_URL=server.base_url,
        TAVO_API_KEY=",".join(api_keys),
        TAVO_REPOSITORY_URLS=",".join(repository_urls),
    )
    return env


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_runs(name: str, example_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        env=example_env,
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip().endswith(f"{name}.py: ok")


def test_every_example_names_its_tier() -> None:
    """The examples README says which tier each example needs."""
    readme = (EXAMPLES / "README.md").read_text()
    for name in EXAMPLE_NAMES:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}.py`")),
                   None)
        assert row is not None, name
        assert re.search(r"\| (free|pro|enterprise)[^|]*\|$", row), row


def test_examples_readme_links_stay_in_the_repository() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for target in re.findall(r"`((?:[\w.-]+/)+[\w.-]+\.\w+)`", readme):
        assert (REPO_ROOT / target).exists() or (EXAMPLES / target).exists(), target
    assert "shared/" not in readme


def test_a_spent_budget_names_the_tier(
    server: LiveServer, keys: Keys, repository_urls: list[str]
) -> None:
    key = keys.create("free", scans_per_hour=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
    env.update(TAVO_BASE_URL=server.base_url, TAVO_API_KEY=key,
               TAVO_REPOSITORY_URLS=",".join(repository_urls))
    result = subprocess.run([sys.executable, str(EXAMPLES / "batch_scan_operations.py")],
                            env=env, capture_output=True, text=True, timeout=EXAMPLE_TIMEOUT,
                            cwd=REPO_ROOT)
    assert result.returncode == 1
    assert "free tier" in result.stderr and "pro-tier key" in result.stderr, result.stderr
