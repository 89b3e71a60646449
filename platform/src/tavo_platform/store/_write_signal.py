"""A change signal shared by the processes of one SQLite installation: eight bytes in a file
beside the database (`<database>-tavo-writes`), mapped into memory by each process that
opens the database through the store.

Every write transaction of the store ends by storing eight random bytes there (after its
commit): a value never stored before, so a reader that noted the value before reading rows
knows, by finding the same value later, that no write of the store committed after that
read began (an earlier value can never come back, even when two writers race, as a count
could). Reading the value is a memory read, where `PRAGMA data_version` takes a few
syscalls on every request (freshness.py).

Writers that do not go through the store (the sqlite3 shell, a migration run while the
server serves) do not touch the file: SqliteFreshness also reads data_version, at most
every FOREIGN_CHECK_SECONDS, for them.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from sqlalchemy.engine import make_url

_SIZE = 8


class WriteSignal:
    def __init__(self, path: Path) -> None:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(descriptor).st_size < _SIZE:
                os.pwrite(descriptor, os.urandom(_SIZE), 0)
            self._map = mmap.mmap(descriptor, _SIZE, mmap.MAP_SHARED)
        finally:
            os.close(descriptor)

    def value(self) -> bytes:
        return self._map[:_SIZE]

    def bump(self) -> None:
        """After a committed write: a new value (random, so never one seen before)."""
        self._map[:_SIZE] = os.urandom(_SIZE)

    def close(self) -> None:
        self._map.close()


def signal_for(url: str) -> WriteSignal | None:
    """The signal of the SQLite database file `url` names; None for an in-memory database
    or where the file beside it cannot be made (then data_version is read every time)."""
    parsed = make_url(url)
    database = parsed.database
    if (
        not database
        or database == ":memory:"
        or database.startswith("file:")
        or parsed.query.get("mode") == "memory"
    ):
        return None
    try:
        return WriteSignal(Path(f"{database}-tavo-writes"))
    except (OSError, ValueError):
        return None
