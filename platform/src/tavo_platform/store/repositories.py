"""The repositories aggregate: the repositories an organisation scans, one per URL. (Their
scans are read through the scans store.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from tavo_platform.store._database import SqlAggregate, new_id, now
from tavo_platform.store.records import Page, Repository
from tavo_platform.store.schema import repositories


class RepositoryStore(Protocol):
    async def upsert_repository(
        self, org_id: str, url: str, name: str, default_branch: str | None = None
    ) -> Repository: ...
    async def upsert_repositories(
        self, org_id: str, names_by_url: Mapping[str, str]
    ) -> dict[str, Repository]: ...
    async def get_repository(self, org_id: str, id_or_url: str) -> Repository | None: ...
    async def list_repositories(self, org_id: str, *, offset: int, limit: int) -> Page: ...


class SqlRepositoryStore(SqlAggregate):
    async def upsert_repository(
        self, org_id: str, url: str, name: str, default_branch: str | None = None
    ) -> Repository:
        mine = and_(repositories.c.org_id == org_id, repositories.c.url == url)
        try:
            async with self._db.write() as connection:
                row = (await connection.execute(select(repositories).where(mine))).first()
                if row is not None:
                    return Repository(**row._mapping)
                values = _new_repository(org_id, url, name, default_branch)
                await connection.execute(insert(repositories).values(**values))
                return Repository(**values)
        except IntegrityError:
            async with self._db.read() as reader:
                row = (await reader.execute(select(repositories).where(mine))).one()
            return Repository(**row._mapping)

    async def upsert_repositories(
        self, org_id: str, names_by_url: Mapping[str, str]
    ) -> dict[str, Repository]:
        """Many repositories in one transaction (a bulk request names many); a race with
        another writer falls back to one upsert each."""
        if not names_by_url:
            return {}
        urls = list(names_by_url)
        mine = and_(repositories.c.org_id == org_id, repositories.c.url.in_(urls))
        try:
            async with self._db.write() as connection:
                rows = (await connection.execute(select(repositories).where(mine))).all()
                found = {row.url: Repository(**row._mapping) for row in rows}
                missing = [
                    _new_repository(org_id, url, names_by_url[url], None)
                    for url in urls
                    if url not in found
                ]
                if missing:
                    await connection.execute(insert(repositories), missing)
                found.update((values["url"], Repository(**values)) for values in missing)
                return found
        except IntegrityError:
            return {
                url: await self.upsert_repository(org_id, url, names_by_url[url]) for url in urls
            }

    async def get_repository(self, org_id: str, id_or_url: str) -> Repository | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    select(repositories).where(
                        repositories.c.org_id == org_id,
                        or_(repositories.c.id == id_or_url, repositories.c.url == id_or_url),
                    )
                )
            ).first()
        return Repository(**row._mapping) if row else None

    async def list_repositories(self, org_id: str, *, offset: int, limit: int) -> Page:
        condition = repositories.c.org_id == org_id
        async with self._db.read() as connection:
            total = (
                await connection.execute(
                    select(func.count()).select_from(repositories).where(condition)
                )
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(repositories)
                    .where(condition)
                    .order_by(repositories.c.created_at, repositories.c.id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return Page([Repository(**row._mapping) for row in rows], int(total))


def _new_repository(
    org_id: str, url: str, name: str, default_branch: str | None
) -> dict[str, Any]:
    return {
        "id": new_id("repo"),
        "org_id": org_id,
        "url": url,
        "name": name,
        "default_branch": default_branch,
        "created_at": now(),
    }
