"""SDK contract tests: the SDK against a real `tavo serve` over loopback.

One server for all SDK tests (per pytest-xdist worker; starting one costs seconds); every
test gets API keys of an organisation of its own, made through the admin API, so tests
never see each other's data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.faults import FaultProxy
from tests.support.live import LiveServer, make_git_repo, server_env

T = TypeVar("T")

VULNERABLE_APP = '''import os
import subprocess


def run(user_command):
    # A command built from input, run through a shell.
    subprocess.call("ls " + user_command, shell=True)


def evaluate(expression):
    return eval(expression)
'''

# Rules with the ids the seed's compression example names (rule1..rule3), uploaded as the
# organisation's own custom rules.
SEED_RULES = """rules:
""" + "".join(
    f"""  - id: rule{n}
    title: Example rule {n}
    message: Marks lines that say TODO-{n}.
    severity: LOW
    confidence: HIGH
    category: example
    fix: Resolve the TODO.
    languages: [generic]
    regex:
      pattern: 'TODO-{n}\\b'
    examples:
      positive:
        - "x = 1  # TODO-{n}"
      negative:
        - "x = 1"
"""
    for n in (1, 2, 3)
)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs one async test body (each test has an event loop of its own)."""
    return asyncio.run(coroutine)


class Keys:
    """Makes API keys through the admin API of a live server."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    def create(self, tier: str = "pro", org: str | None = None, **limits: int) -> str:
        body: dict[str, Any] = {"tier": tier, "org": org or f"org-{uuid.uuid4().hex[:12]}"}
        if limits:
            body["limits"] = limits
        response = httpx.post(
            f"{self.server.base_url}/api/v1/admin/keys",
            json=body,
            headers={"Authorization": f"Bearer {self.server.admin_key}"},
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["key"])

    def unlimited(self, org: str | None = None) -> str:
        """A key whose limits no test reaches."""
        return self.create(
            "pro", org, requests_per_hour=10**8, requests_per_day=10**9, scans_per_hour=10**6
        )


@pytest.fixture(scope="session")
def repository_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small git repository with findings, as a file:// URL the test server may fetch."""
    root = tmp_path_factory.mktemp("sdk-repo") / "app"
    make_git_repo(root, {"app.py": VULNERABLE_APP, "README.md": "# demo\n"})
    return root.as_uri()


@pytest.fixture(scope="session")
def repository_urls(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two more repositories (for examples that scan several)."""
    urls = []
    for name in ("repo1", "repo2"):
        root = tmp_path_factory.mktemp(f"sdk-{name}") / name
        make_git_repo(root, {"main.py": VULNERABLE_APP})
        urls.append(root.as_uri())
    return urls


def start_server(directory: Path) -> LiveServer:
    return LiveServer(directory, server_env(fetch_allow_file_urls="true")).start()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("sdk-server"))
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="session")
def keys(server: LiveServer) -> Keys:
    return Keys(server)


@pytest.fixture
def api_key(keys: Keys) -> str:
    return keys.unlimited()


@pytest.fixture(scope="module")
def proxy(server: LiveServer) -> Iterator[FaultProxy]:
    """The fault-injecting proxy in front of the server."""
    fault_proxy = FaultProxy(upstream_port=server.port).start()
    try:
        yield fault_proxy
    finally:
        fault_proxy.stop()


@pytest.fixture
def faults(proxy: FaultProxy) -> Iterator[FaultProxy]:
    proxy.clear()
    yield proxy
    proxy.clear()
