"""The API app in-process, for fast route tests: its lifespan runs on an anyio portal's
event loop and requests go through httpx's ASGITransport (no sockets, no server process).

Store calls run on that same loop, so tests can create keys and drive scans (as a worker
would) with the very store the server uses. An exception no error handler turned into a
response propagates into the test instead of becoming a 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from tavo_platform.server.app import create_app
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.server.state import AppState
from tavo_platform.settings import Settings
from tavo_platform.store.records import Scan

T = TypeVar("T")
TEST_WORKER = "tests-worker"
BASE_URL = "http://testserver"


class ApiClient:
    """A synchronous face on an httpx.AsyncClient bound to the app (httpx.Client's API)."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self.app = app
        self._portal = portal
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        return self._portal.call(send)

    def concurrently(self, *requests: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
        """Sends (method, url, kwargs) requests at the same time; answers in request order."""

        async def send_all() -> list[httpx.Response]:
            return list(
                await asyncio.gather(
                    *(self._client.request(method, url, **kw) for method, url, kw in requests)
                )
            )

        return self._portal.call(send_all)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self._client.aclose)


@dataclass
class InProcessApi:
    settings: Settings
    client: ApiClient
    portal: BlockingPortal

    @property
    def state(self) -> AppState:
        state: AppState = self.client.app.state.tavo
        return state

    def run(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Runs `await function(*args, **kwargs)` on the app's event loop."""

        async def call() -> T:
            return await function(*args, **kwargs)

        return self.portal.call(call)

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


@contextmanager
def running_api(settings: Settings) -> Iterator[InProcessApi]:
    """Runs the app's lifespan (store, limiter, job runner) around the block."""
    app = create_app(settings)
    with start_blocking_portal() as portal:
        lifespan: AbstractAsyncContextManager[Any] = app.router.lifespan_context(app)
        portal.call(lifespan.__aenter__)
        client = ApiClient(app, portal)
        try:
            yield InProcessApi(settings, client, portal)
        finally:
            client.close()
            portal.call(lifespan.__aexit__, None, None, None)


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}
