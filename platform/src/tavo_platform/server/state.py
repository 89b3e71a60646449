"""What the running app holds: settings, store, authenticator, limiter, job dispatcher, and
the scans service over them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from fastapi import Request

from tavo_platform.jobs.interface import JobDispatcher
from tavo_platform.scans import ScanService
from tavo_platform.server.auth import Authenticator
from tavo_platform.server.bodies import BodyCache
from tavo_platform.server.ratelimit import RateLimiter
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store


@dataclass
class AppState:
    settings: Settings
    store: Store
    auth: Authenticator
    limiter: RateLimiter
    jobs: JobDispatcher

    @cached_property
    def bodies(self) -> BodyCache:
        """Finished scans' response bodies, serialised once (server/bodies.py)."""
        return BodyCache()

    @cached_property
    def scans(self) -> ScanService:
        """Creating, admitting, enqueueing and cancelling scans (tavo_platform/scans)."""
        return ScanService(self.store, self.jobs, self.settings)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.tavo
    return state
