"""The app class whose hottest reads skip the general middleware stack and FastAPI's
dispatch: they go straight to HotPath (middleware/hotpath.py), which does for them what
the stack does (ids, metrics, authentication, rate limits, caching headers, gzip, the error
envelope). Without HotPath among the app's middleware every request takes the full stack."""

from __future__ import annotations

from typing import Any, cast

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from tavo_platform.server.middleware.hotpath import HotPath, fast_read, simple_pagination

__all__ = ["FastReadsAPI", "fast_read", "simple_pagination"]


class FastReadsAPI(FastAPI):
    _hot: HotPath | None = None
    _hot_built = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = fast_read(scope)
        if chosen is not None:
            if not self._hot_built:
                # Built on first use, as Starlette builds its stack: all middleware is added.
                self._hot = self._build_hot_path()
                self._hot_built = True
            if self._hot is not None:
                scope["app"] = self
                # What HotPath.__call__ does, the request already recognised.
                await self._hot._serve(scope, receive, send, *chosen)
                return
        await super().__call__(scope, receive, send)

    def _build_hot_path(self) -> HotPath | None:
        for cls, args, kwargs in self.user_middleware:
            if cls is cast(Any, HotPath):
                # The router behind it is a fallback: HotPath answers every request sent here.
                return cast(HotPath, cls(cast(ASGIApp, self.router), *args, **kwargs))
        return None
