"""The custom rule files aggregate: an organisation's uploaded rule files, one per name."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import delete, insert, select

from tavo_platform.store._database import SqlAggregate, new_id, now
from tavo_platform.store.records import CustomRuleFile
from tavo_platform.store.schema import custom_rule_files


class RuleFileStore(Protocol):
    async def save_rule_file(
        self, org_id: str, name: str, content: str, rule_ids: list[str]
    ) -> CustomRuleFile: ...
    async def list_rule_files(self, org_id: str) -> list[CustomRuleFile]: ...
    async def delete_rule_file(self, org_id: str, file_id: str) -> bool: ...


class SqlRuleFileStore(SqlAggregate):
    async def save_rule_file(
        self, org_id: str, name: str, content: str, rule_ids: list[str]
    ) -> CustomRuleFile:
        """Saves the file, replacing the organisation's file of the same name."""
        values: dict[str, Any] = {
            "id": new_id("rules"),
            "org_id": org_id,
            "name": name,
            "content": content,
            "rule_ids": rule_ids,
            "created_at": now(),
        }
        async with self._db.write() as connection:
            await connection.execute(
                delete(custom_rule_files).where(
                    custom_rule_files.c.org_id == org_id, custom_rule_files.c.name == name
                )
            )
            await connection.execute(insert(custom_rule_files).values(**values))
        return CustomRuleFile(**values)

    async def list_rule_files(self, org_id: str) -> list[CustomRuleFile]:
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    select(custom_rule_files)
                    .where(custom_rule_files.c.org_id == org_id)
                    .order_by(custom_rule_files.c.name)
                )
            ).all()
        return [CustomRuleFile(**row._mapping) for row in rows]

    async def delete_rule_file(self, org_id: str, file_id: str) -> bool:
        async with self._db.write() as connection:
            result = await connection.execute(
                delete(custom_rule_files).where(
                    custom_rule_files.c.org_id == org_id, custom_rule_files.c.id == file_id
                )
            )
        return result.rowcount == 1
