"""The Store over SQL: every aggregate's SQL implementation composed over one database
(SQLite by default, PostgreSQL when configured; see _database.py). Each aggregate keeps its
own module (keys, scans, scan results, tracked findings, repositories, rules, analyses);
this class only puts them behind one object for callers that need several."""

from __future__ import annotations

from tavo_platform.store._database import Database, is_unavailable, json_loads, new_id, now
from tavo_platform.store.analyses import SqlAnalysisStore
from tavo_platform.store.audit import SqlAuditStore
from tavo_platform.store.findings_sql import FindingsSql
from tavo_platform.store.keys import SqlKeyStore
from tavo_platform.store.repositories import SqlRepositoryStore
from tavo_platform.store.repository_admin import SqlRepositoryAdminStore
from tavo_platform.store.rules import SqlRuleFileStore
from tavo_platform.store.scan_results import FINDINGS_BATCH, SqlScanResultStore
from tavo_platform.store.scans import SqlScanStore
from tavo_platform.store.schedules_sql import SqlScheduleStore
from tavo_platform.store.usage import SqlUsageStore
from tavo_platform.store.users import SqlUserStore
from tavo_platform.store.webhooks_sql import WebhooksSql

__all__ = ["FINDINGS_BATCH", "SqlStore", "is_unavailable", "json_loads", "new_id", "now"]


class SqlStore(
    SqlKeyStore,
    SqlScanStore,
    SqlScanResultStore,
    FindingsSql,
    SqlRepositoryStore,
    SqlRuleFileStore,
    SqlAnalysisStore,
    WebhooksSql,
    SqlScheduleStore,
    SqlRepositoryAdminStore,
    SqlUsageStore,
    SqlAuditStore,
    SqlUserStore,
):
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        super().__init__(Database(url, pool_size=pool_size))
        self.url = url

    @property
    def database(self) -> Database:
        return self._db

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.ping()
