"""Managing repositories beyond registering them: updates, deletion with everything that
hangs off them, their open findings, and the lookup inbound hooks need (by URL, across
organisations: a hook names a repository, not an organisation)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, select, update

from tavo_platform.store._database import SqlAggregate
from tavo_platform.store.records import Repository
from tavo_platform.store.schema import (
    repositories,
    scans,
    schedules,
    tracked_findings,
)

OPEN_STATUSES = ("open", "reopened")


class RepositoryAdminStore(Protocol):
    async def update_repository(
        self, org_id: str, repository_id: str, changes: dict[str, Any]
    ) -> Repository | None: ...
    async def delete_repository(self, org_id: str, repository_id: str) -> list[Any]:
        """Deletes the repository, its scans (with their findings and analyses), its
        tracked findings and schedules; returns the deleted scans' upload paths."""
        ...
    async def open_findings(
        self, org_id: str, repository_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Per repository, its open (open or reopened) tracked findings by severity."""
        ...
    async def hooked_repositories(self, urls: Sequence[str]) -> list[Repository]:
        """Repositories of any organisation with one of these URLs and a hook secret."""
        ...
    async def reencrypt_repository_secrets(self, rotate: Callable[[str], str]) -> int: ...


class SqlRepositoryAdminStore(SqlAggregate):
    async def update_repository(
        self, org_id: str, repository_id: str, changes: dict[str, Any]
    ) -> Repository | None:
        mine = and_(repositories.c.id == repository_id, repositories.c.org_id == org_id)
        async with self._db.write() as connection:
            if changes:
                await connection.execute(update(repositories).where(mine).values(**changes))
            row = (await connection.execute(select(repositories).where(mine))).first()
        return Repository(**row._mapping) if row else None

    async def delete_repository(self, org_id: str, repository_id: str) -> list[Any]:
        mine = and_(repositories.c.id == repository_id, repositories.c.org_id == org_id)
        of_it = and_(scans.c.repository_id == repository_id, scans.c.org_id == org_id)
        async with self._db.write() as connection:
            uploads = [
                row.upload_path
                for row in await connection.execute(select(scans.c.upload_path).where(of_it))
            ]
            await connection.execute(
                delete(tracked_findings).where(
                    tracked_findings.c.repository_id == repository_id,
                    tracked_findings.c.org_id == org_id,
                )
            )
            await connection.execute(
                delete(schedules).where(schedules.c.repository_id == repository_id)
            )
            # Findings and analyses go with their scans (ON DELETE CASCADE).
            await connection.execute(delete(scans).where(of_it))
            await connection.execute(delete(repositories).where(mine))
        return uploads

    async def open_findings(
        self, org_id: str, repository_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        if not repository_ids:
            return {}
        t = tracked_findings.c
        query = (
            select(t.repository_id, t.severity, func.count().label("n"))
            .where(t.org_id == org_id, t.repository_id.in_(list(repository_ids)),
                   t.status.in_(OPEN_STATUSES))
            .group_by(t.repository_id, t.severity)
        )
        found: dict[str, dict[str, int]] = {}
        async with self._db.read() as connection:
            for row in await connection.execute(query):
                found.setdefault(row.repository_id, {})[row.severity] = int(row.n)
        return found

    async def hooked_repositories(self, urls: Sequence[str]) -> list[Repository]:
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    select(repositories).where(
                        repositories.c.url.in_(list(urls)),
                        repositories.c.hook_secret.is_not(None),
                    )
                )
            ).all()
        return [Repository(**row._mapping) for row in rows]

    async def reencrypt_repository_secrets(self, rotate: Callable[[str], str]) -> int:
        """Hook secrets and credentials re-encrypted (key rotation); returns how many."""
        count = 0
        async with self._db.write() as connection:
            rows = (
                await connection.execute(
                    select(repositories.c.id, repositories.c.hook_secret,
                           repositories.c.credential_secret)
                )
            ).all()
            for row in rows:
                changes = {
                    column: rotate(value)
                    for column, value in (("hook_secret", row.hook_secret),
                                          ("credential_secret", row.credential_secret))
                    if value
                }
                if changes:
                    count += len(changes)
                    await connection.execute(
                        update(repositories).where(repositories.c.id == row.id).values(**changes)
                    )
        return count
