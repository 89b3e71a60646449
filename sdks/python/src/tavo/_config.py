"""Client settings with structure: timeouts, pool limits, and the "not given" sentinel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from tavo import _constants as C

__all__ = ["NOT_GIVEN", "Limits", "NotGiven", "Timeout"]


class NotGiven:
    """Tells an argument that was not passed apart from one passed as None."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds allowed to connect, to wait for a pooled connection, to send the request and
    between bytes of the response. None means no limit. `Timeout(5)` sets all four."""

    connect: float | None = C.DEFAULT_CONNECT_TIMEOUT
    read: float | None = C.DEFAULT_READ_TIMEOUT
    write: float | None = C.DEFAULT_WRITE_TIMEOUT
    pool: float | None = C.DEFAULT_POOL_TIMEOUT

    @classmethod
    def of(cls, value: Timeout | float | None) -> Timeout:
        """A Timeout from a Timeout, one number for every phase, or None for no limits."""
        if isinstance(value, Timeout):
            return value
        return cls(connect=value, read=value, write=value, pool=value)


@dataclass(frozen=True, slots=True)
class Limits:
    """Connection pool: at most `max_connections` open (per host: `max_connections_per_host`,
    0 for no separate bound), and idle connections closed after `keepalive_expiry` seconds."""

    max_connections: int = C.DEFAULT_MAX_CONNECTIONS
    max_connections_per_host: int = C.DEFAULT_MAX_CONNECTIONS_PER_HOST
    keepalive_expiry: float = C.DEFAULT_KEEPALIVE_EXPIRY

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if self.max_connections_per_host < 0:
            raise ValueError("max_connections_per_host must not be negative")
