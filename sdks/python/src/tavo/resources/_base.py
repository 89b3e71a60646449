"""What every resource shares: its client, and reading arguments given as a dict, as
keywords, or both (keywords win)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tavo._base_client import AsyncAPIClient, SyncAPIClient, parse
from tavo._config import NotGiven

__all__ = ["AsyncResource", "SyncResource", "merged", "parse"]

class AsyncResource:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client


class SyncResource:
    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client


def merged(given: Mapping[str, Any] | None, **named: Any) -> dict[str, Any]:
    """The dict argument updated with the keyword arguments that were passed; unset
    values (NOT_GIVEN, None) are dropped."""
    values = dict(given or {})
    for name, value in named.items():
        if not isinstance(value, NotGiven):
            values[name] = value
    return {name: value for name, value in values.items() if value is not None}
