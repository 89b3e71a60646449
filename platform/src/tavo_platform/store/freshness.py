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

- on SQLite, by `PRAGMA data_version` of the reading connection, which changes whenever
  another connection commits (exact: it is read on every check, a few microseconds);
- on PostgreSQL, by notifications: triggers on scans, findings and tracked findings (the
  rows a scan's answer is made of; migration 0014) send the changed scan or triage scope on
  the channel `tavo_reads` when their transaction commits, and a connection of this process
  listens (_postgres_reads.Notifications). A change reaches the cache when PostgreSQL has
  delivered its notification, within a fraction of a millisecond of the commit; while the
  listening connection is down, nothing is served without a stamp read.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tavo_platform.store._database import Database, DirectSqliteReads


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
    """Nothing changed while no transaction of this process ended and the reading
    connection's data_version (other connections' commits) is the same."""

    def __init__(self, database: Database, direct: DirectSqliteReads) -> None:
        self._database = database
        self._direct = direct

    def mark(self) -> Hashable | None:
        version = self._direct.data_version()
        return None if version is None else (self._database.writes, version)

    def unchanged(self, mark: Hashable, keys: Sequence[str]) -> bool:
        return mark == self.mark()
