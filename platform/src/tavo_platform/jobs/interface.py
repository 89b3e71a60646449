"""How the API hands scans to whatever runs them."""

from __future__ import annotations

from typing import Protocol


class JobDispatcher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def notify(self, *scan_ids: str) -> None:
        """Scans were queued (and committed): start them now rather than at the next poll.
        Never blocks and never fails the request: the scans are safe in the database, and
        a dispatcher that cannot hand them over now does so later."""

    @property
    def healthy(self) -> bool: ...
