"""Server test fixtures. `live_server`: a real server over loopback, in both configurations.
`api`/`api_client`/`org_key`/`other_org_key`: the app in-process (see inprocess.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade

from tests.support import services
from tests.support.cluster import ScaledServer
from tests.support.configurations import CONFIGURATIONS, serving
from tests.support.inprocess import ApiClient, InProcessApi, running_api
from tests.support.live import LiveServer


@pytest.fixture(scope="module", params=CONFIGURATIONS)
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer | ScaledServer]:
    """A real server over loopback, shared by a module's tests (each test's keys live in an
    organisation of their own), in each configuration: "embedded" (one `tavo serve`) and
    "scaled" (PostgreSQL + Redis + a Celery worker; see configurations.py)."""
    configuration: str = request.param
    if configuration == "scaled":
        request.getfixturevalue("scale_services")
    directory = tmp_path_factory.mktemp(f"live-{configuration}")
    with serving(configuration, directory, fetch_allow_file_urls="true",
                 scan_lease_seconds="3") as server:
        yield server




# --- in-process API (no server process, no job runner): `api`, `api_client`, keys --------


@pytest.fixture(scope="session")
def postgres_template(scale_services: None) -> Iterator[str]:
    """A migrated PostgreSQL database that each scaled in-process test clones."""
    url = services.migrated_template()
    yield url
    services.drop_database(url)


@pytest.fixture(params=CONFIGURATIONS)
def api_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for the in-process API: no scan runners (scans stay queued unless a test
    finishes them) and loopback repository URLs allowed (tests use https://127.0.0.1/...).
    In both configurations: "embedded" (SQLite, in-memory limits), and "scaled" (a fresh
    PostgreSQL database, Redis rate limits, scans handed to a Celery broker queue that no
    worker reads: the tests play the worker)."""
    common: dict[str, Any] = {
        "data_dir": tmp_path / "api-data",
        "scan_concurrency": 0,
        "fetch_allow_hosts": ["127.0.0.0/8"],
    }
    common["data_dir"].mkdir(parents=True, exist_ok=True)
    if request.param == "embedded":
        settings = Settings(**common)
        upgrade(settings.resolved_database_url)
        yield settings
        return
    template = request.getfixturevalue("postgres_template")
    queue = f"tavo-test-{uuid.uuid4().hex[:10]}"
    with services.cloned_database(template) as database_url:
        yield Settings(
            **common,
            database_url=database_url,
            redis_url=services.redis_url(),
            queue_url=services.redis_url(),
            queue_name=queue,
        )
    services.delete_queue(services.redis_url(), queue)


@pytest.fixture
def api(api_settings: Settings) -> Iterator[InProcessApi]:
    with running_api(api_settings) as running:
        yield running


@pytest.fixture
def api_client(api: InProcessApi) -> ApiClient:
    return api.client


@pytest.fixture
def org_key(api: InProcessApi) -> str:
    """A pro-tier key of organisation `acme`."""
    return api.create_key(org="acme")


@pytest.fixture
def other_org_key(api: InProcessApi) -> str:
    """A pro-tier key of another organisation, `globex`."""
    return api.create_key(org="globex")
