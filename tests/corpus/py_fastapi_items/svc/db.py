import asyncpg

from .models import ItemQuery


async def pool():
    return await asyncpg.create_pool("postgresql://localhost/app")


async def items_for(conn: asyncpg.Connection, q: ItemQuery):
    offset = (q.page - 1) * q.size
    sql = f"SELECT * FROM items WHERE owner = $1 ORDER BY {q.sort.value} LIMIT {q.size} OFFSET {offset}"
    return await conn.fetch(sql, q.owner)  # tavo-label: safe sql-injection


async def items_by_owner_unsafe(conn: asyncpg.Connection, owner: str):
    return await conn.fetch(f"SELECT * FROM items WHERE owner = '{owner}'")  # tavo-label: vuln sql-injection


async def count_in(conn, table: str):
    return await conn.fetchval(f"SELECT count(*) FROM {table}")  # tavo-label: vuln sql-injection
