"""The pytest plugin every test gets (`-p tests.support.plugin` in pyproject.toml): the
fixtures shared across test folders, so no test folder imports another's conftest.

Service markers: a test marked `postgres`, `redis` or `rabbitmq` needs that real service
and fails (never skips) when it does not answer. Tests that reach the services through the
fixtures below get the markers automatically, so `-m "not postgres"` selects what runs
without them.
"""

from __future__ import annotations

import pytest

from tests.support import services
from tests.support.api import (
    api,
    api_client,
    api_settings,
    live_server,
    org_key,
    other_org_key,
    postgres_template,
)
from tests.support.cli import make_tree, run_cli
from tests.support.databases import database_url, migrated_templates, postgres_url
from tests.support.services import scale_services

__all__ = [
    "api",
    "api_client",
    "api_settings",
    "database_url",
    "live_server",
    "make_tree",
    "migrated_templates",
    "org_key",
    "other_org_key",
    "postgres_template",
    "postgres_url",
    "run_cli",
    "scale_services",
]

SERVICE_MARKERS = {
    "postgres": (services.POSTGRES_URL, "PostgreSQL"),
    "redis": (services.REDIS_URL, "Redis"),
    "rabbitmq": (services.AMQP_URL, "RabbitMQ"),
}
# Fixtures that reach every service (the scaled configuration uses all three).
_ALL_SERVICES = {"scale_services", "postgres_template", "migrated_templates"}


def pytest_configure(config: pytest.Config) -> None:
    for name, (_, label) in SERVICE_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: needs the real {label} service")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _ALL_SERVICES or _scaled_parameter(item):
            for name in SERVICE_MARKERS:
                item.add_marker(name)


def _scaled_parameter(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        value in ("scaled", "postgresql") for value in callspec.params.values()
    )


@pytest.fixture(autouse=True)
def _required_services(request: pytest.FixtureRequest) -> None:
    """A marked test fails at once, naming the address, when its service is down."""
    for name, (url, label) in SERVICE_MARKERS.items():
        if request.node.get_closest_marker(name) is not None:
            services.require(url, label)
