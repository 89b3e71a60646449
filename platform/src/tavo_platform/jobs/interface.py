"""How the API hands scans to whatever runs them."""

from __future__ import annotations

from typing import Protocol


class JobDispatcher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def notify(self) -> None:
        """A scan was queued: wake an idle runner now rather than at its next poll."""

    @property
    def healthy(self) -> bool: ...
