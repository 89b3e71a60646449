"""The API app in-process (Starlette's TestClient, lifespan included), for fast route tests.

Store calls run on the app's own event loop through the client's portal, so tests can
create keys and drive scans (as a worker would) with the very store the server uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from starlette.testclient import TestClient
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.server.state import AppState
from tavo_platform.settings import Settings
from tavo_platform.store.records import Scan

T = TypeVar("T")
TEST_WORKER = "tests-worker"


@dataclass
class InProcessApi:
    settings: Settings
    client: TestClient

    @property
    def state(self) -> AppState:
        state: AppState = self.client.app.state.tavo  # type: ignore[attr-defined]
        return state

    def run(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Runs `await function(*args, **kwargs)` on the app's event loop."""
        portal = self.client.portal
        assert portal is not None, "use the client inside its `with` block"

        async def call() -> T:
            return await function(*args, **kwargs)

        return portal.call(call)

    def create_key(self, org: str = "acme", tier: str = "pro", **limits: int) -> str:
        store = self.state.store
        organization = self.run(store.ensure_organization, org)
        key = generate_key()
        self.run(
            store.add_api_key,
            organization.id,
            hash_key(key),
            display_prefix(key),
            tier,
            name=f"tests {org}",
            limits=limits or None,
        )
        return key

    def finish_next_scan(
        self, *, status: str = "completed", summary: dict[str, Any] | None = None
    ) -> Scan:
        """Does what a worker does with the oldest queued scan: claim it, then close it."""
        store = self.state.store
        scan = self.run(store.claim_scan, TEST_WORKER, timedelta(minutes=5))
        assert scan is not None, "no queued scan to finish"
        finished = self.run(
            store.finish_scan,
            scan.id,
            TEST_WORKER,
            status=status,
            summary=summary,
            results=[],
            error=None if status == "completed" else "failed in tests",
        )
        assert finished
        return scan


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}
