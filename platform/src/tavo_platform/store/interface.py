"""What the server and workers need from storage: the composition of the aggregates' narrow
protocols (each in its own module, beside its SQL implementation). New code should ask for
the narrowest protocol it uses (a ScanStore, an AnalysisStore...); `Store` is all of them,
as `SqlStore` (sql.py) implements them over one database."""

from __future__ import annotations

from typing import Protocol

from tavo_platform.store._dispatch import DispatchBacklog
from tavo_platform.store.analyses import AnalysisStore
from tavo_platform.store.audit import AuditStore
from tavo_platform.store.errors import StoreError, StoreUnavailable
from tavo_platform.store.findings import FindingsStore
from tavo_platform.store.keys import KeyStore
from tavo_platform.store.repositories import RepositoryStore
from tavo_platform.store.repository_admin import RepositoryAdminStore
from tavo_platform.store.rules import RuleFileStore
from tavo_platform.store.scan_results import ScanResultStore
from tavo_platform.store.scans import ScanStore
from tavo_platform.store.schedules import ScheduleStore
from tavo_platform.store.usage import UsageStore
from tavo_platform.store.users import UserStore
from tavo_platform.store.webhooks import WebhooksStore

__all__ = [
    "AnalysisStore",
    "AuditStore",
    "DispatchBacklog",
    "FindingsStore",
    "KeyStore",
    "RepositoryAdminStore",
    "RepositoryStore",
    "RuleFileStore",
    "ScanResultStore",
    "ScanStore",
    "ScheduleStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "UsageStore",
    "UserStore",
    "WebhooksStore",
]


class Store(
    KeyStore,
    ScanStore,
    ScanResultStore,
    FindingsStore,
    RepositoryStore,
    RuleFileStore,
    AnalysisStore,
    WebhooksStore,
    ScheduleStore,
    RepositoryAdminStore,
    UsageStore,
    AuditStore,
    UserStore,
    Protocol,
):
    async def close(self) -> None: ...
    async def ping(self) -> None: ...
