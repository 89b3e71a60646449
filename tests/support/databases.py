"""Fixtures of the scale-out tests: the real services (a failure when one is down), fresh
migrated databases of both kinds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tavo_platform.store.migrate import upgrade

from tests.support import services

DATABASE_KINDS = ("sqlite", "postgresql")


@pytest.fixture(scope="module")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database of each kind per module, copied for every test that needs a
    fresh one (copying beats migrating each time)."""
    sqlite_path = tmp_path_factory.mktemp("template") / "tavo.db"
    sqlite_url = f"sqlite+aiosqlite:///{sqlite_path}"
    upgrade(sqlite_url)
    postgres_url = services.migrated_template()
    try:
        yield {"sqlite": sqlite_url, "postgresql": postgres_url}
    finally:
        services.drop_database(postgres_url)


@contextmanager
def _copy(template: str, directory: Path) -> Iterator[str]:
    if template.startswith("sqlite"):
        target = directory / "tavo.db"
        shutil.copyfile(template.split("///", 1)[1], target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    with services.cloned_database(template) as url:
        yield url


@pytest.fixture(params=DATABASE_KINDS)
def database_url(
    request: pytest.FixtureRequest, migrated_templates: dict[str, str], tmp_path: Path
) -> Iterator[str]:
    """A fresh, migrated database of each kind."""
    with _copy(migrated_templates[request.param], tmp_path) as url:
        yield url


@pytest.fixture
def postgres_url(migrated_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    with _copy(migrated_templates["postgresql"], tmp_path) as url:
        yield url
