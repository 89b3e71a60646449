"""What kind of file a finding is in, judged by its path: production code, tests, examples,
documentation, tooling or vendored code. A finding in a test fixture is rarely the one to fix
first; the same finding in a request handler usually is."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from pathlib import PurePosixPath


class FileKind(StrEnum):
    PRODUCTION = "production"
    TEST = "test"
    EXAMPLE = "example"
    DOCS = "docs"
    TOOLING = "tooling"  # build scripts, migrations, benchmarks: run by developers
    VENDORED = "vendored"  # third-party code copied into the tree


_TEST_DIRECTORIES = frozenset(
    {
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "spec",
        "specs",
        "testing",
        "testdata",
        "test_data",
        "fixtures",
        "__fixtures__",
        "e2e",
        "cypress",
        "mocks",
    }
)
_EXAMPLE_DIRECTORIES = frozenset(
    {
        "example",
        "examples",
        "sample",
        "samples",
        "demo",
        "demos",
        "tutorial",
        "tutorials",
        "playground",
        "cookbook",
        "notebooks",
        "quickstart",
    }
)
_DOCS_DIRECTORIES = frozenset({"doc", "docs", "documentation", "site", "mkdocs", "sphinx"})
_TOOLING_DIRECTORIES = frozenset(
    {
        "scripts",
        "script",
        "tools",
        "tooling",
        "bin",
        "migrations",
        "bench",
        "benchmarks",
        "benchmark",
        ".github",
        "ci",
        "devtools",
        "hack",
    }
)
_VENDORED_DIRECTORIES = frozenset(
    {
        "node_modules",
        "vendor",
        "vendored",
        "third_party",
        "third-party",
        "thirdparty",
        "site-packages",
        ".venv",
        "venv",
        "bower_components",
        "external",
    }
)
_TEST_FILE = re.compile(
    r"(?:^test_.*\.py$|_test\.py$|^conftest\.py$|\.(?:test|spec)\.[cm]?[jt]sx?$|_spec\.rb$"
    r"|^tests?\.py$)",
    re.IGNORECASE,
)
_DOCS_FILE = re.compile(r"\.(?:md|mdx|rst|adoc|txt)$", re.IGNORECASE)
_EXAMPLE_FILE = re.compile(r"(?:^|[_.-])(?:example|sample|demo)s?(?:[_.-]|$)", re.IGNORECASE)


@lru_cache(maxsize=65536)
def file_kind(path: str) -> FileKind:
    """The kind of file at `path` (relative, '/'-separated). Vendored wins over test (a
    library's own tests under node_modules are still not yours), then test, docs, example,
    tooling."""
    parts = PurePosixPath(path).parts
    directories = {part.lower() for part in parts[:-1]}
    name = parts[-1] if parts else ""
    if directories & _VENDORED_DIRECTORIES:
        return FileKind.VENDORED
    if directories & _TEST_DIRECTORIES or _TEST_FILE.search(name):
        return FileKind.TEST
    if directories & _DOCS_DIRECTORIES or _DOCS_FILE.search(name):
        return FileKind.DOCS
    if directories & _EXAMPLE_DIRECTORIES or _EXAMPLE_FILE.search(name):
        return FileKind.EXAMPLE
    if directories & _TOOLING_DIRECTORIES:
        return FileKind.TOOLING
    return FileKind.PRODUCTION
