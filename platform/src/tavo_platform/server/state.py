"""What the running app holds: settings, store, authenticator, limiter, job dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from tavo_platform.jobs.interface import JobDispatcher
from tavo_platform.server.auth import Authenticator
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


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.tavo
    return state
