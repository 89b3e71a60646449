"""Server test fixtures. `live_server`: a real `tavo serve` process over loopback.
`api`/`api_client`/`org_key`/`other_org_key`: the app in-process (see inprocess.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade

from tests.server.inprocess import ApiClient, InProcessApi, running_api
from tests.server.live import LiveServer, server_env


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path / "data",
        server_env(fetch_allow_file_urls="true", scan_lease_seconds="3"),
    ).start()
    try:
        yield server
    finally:
        server.stop()


# --- in-process API (no server process, no job runner): `api`, `api_client`, keys --------


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """Settings for the in-process API: no scan runners (scans stay queued unless a test
    finishes them) and loopback repository URLs allowed (tests use https://127.0.0.1/...)."""
    settings = Settings(
        data_dir=tmp_path / "api-data",
        scan_concurrency=0,
        fetch_allow_hosts=["127.0.0.0/8"],
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    return settings


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
