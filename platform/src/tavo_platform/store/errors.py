"""The storage layer's errors (the server maps them to its error envelope)."""

from __future__ import annotations


class StoreError(Exception):
    """Base error of the storage layer."""


class StoreUnavailable(StoreError):
    """The database cannot be reached right now; the request may be retried."""
