"""Whether rows read a moment ago may be served again without asking the database.

The read cache (read_cache.py) confirms a cached finished scan by reading its stamp: one
statement per request, a round trip on PostgreSQL. A `Freshness` lets it skip that read
when nothing that could change the answer has been written since the stamp was last read:

- `mark()`, taken before a read, stands for "everything written up to now"; None when this
  database cannot tell (then every request reads the stamp, as before);
- `unchanged(mark, keys)`: nothing written since `mark` touched what `keys` name.

Writes through this process's Database count at once (`Database.write` bumps `writes` after
each transaction), so a process always sees its own writes on the next request. Writes by
other processes count:

- on SQLite, by the installation's write signal (_write_signal.py: eight bytes in a file
  beside the database, mapped into memory, which every store's write transaction changes
  after its commit; exact, and a memory read per check), and for writers outside the store
  by `PRAGMA data_version` of the reading connection (which changes whenever another
  connection commits), read at most every FOREIGN_CHECK_SECONDS: it takes a few syscalls,
  a tenth of a hot GET. Without a signal file (an in-memory database) data_version is read
  on every check;
- on PostgreSQL, by notifications: triggers on scans, findings and tracked findings (the
  rows a scan's answer is made of; migration 0014) send the changed scan or triage scope on
  the channel `tavo_reads` when their transaction commits, and a connection of this process
  listens (_postgres_reads.Notifications). A change reaches the cache when PostgreSQL has
  delivered its notification, within a fraction of a millisecond of the commit (and the
  listening socket, polled at most every half millisecond, shows it waiting); while the
  listening connection is down, nothing is served without a stamp read.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tavo_platform.store._database import Database, DirectSqliteReads
    from tavo_platform.store._write_signal import WriteSignal

# How stale a cached scan may be served after a write from outside the store (SQLite).
FOREIGN_CHECK_SECONDS = 1.0


class Freshness(Protocol):
    def mark(self) -> Hashable | None: ...

    def unchanged(self, mark: Hashable, keys: Sequence[str]) -> bool: ...


def scan_keys(scan_id: str, org_id: str, scope: str | None) -> tuple[str, ...]:
    """What a scan's answer depends on, as the notifications name it (migration 0014):
    its row, its findings, and the triage in its scope."""
    if scope is None:
        return (f"s:{scan_id}", f"f:{scan_id}")
    return (f"s:{scan_id}", f"f:{scan_id}", f"t:{org_id}:{scope}")


class SqliteFreshness:
    """Nothing changed while no transaction of this process ended, the write signal holds
    the same value (no store's commit since) and the data_version last read (other
    connections' commits, read every FOREIGN_CHECK_SECONDS) is the same."""

    def __init__(
        self, database: Database, direct: DirectSqliteReads, signal: WriteSignal | None = None
    ) -> None:
        self._database = database
        self._direct = direct
        self._signal = signal
        self._version: tuple[int, int] | None = None
        self._next_version_check = 0.0

    def mark(self) -> Hashable | None:
        if self._signal is None:
            version = self._direct.data_version()
            return None if version is None else (self._database.writes, version)
        moment = time.monotonic()
        if moment >= self._next_version_check or self._version is None:
            self._version = self._direct.data_version()
            if self._version is None:
                return None
            self._next_version_check = moment + FOREIGN_CHECK_SECONDS
        return (self._database.writes, self._signal.value(), self._version)

    def unchanged(self, mark: Hashable, keys: Sequence[str]) -> bool:
        return mark == self.mark()
