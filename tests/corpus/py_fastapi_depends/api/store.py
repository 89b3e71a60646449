import asyncpg
import sqlite3


class TicketStore:
    def __init__(self, path="tickets.db"):
        self.conn = sqlite3.connect(path)

    def by_owner(self, owner, status):
        cur = self.conn.cursor()
        cur.execute("SELECT * FROM tickets WHERE owner = '" + owner + "' AND status = ?", (status,))  # tavo-label: vuln sql-injection
        return cur.fetchall()

    def by_owner_safe(self, owner, status):
        cur = self.conn.cursor()
        cur.execute("SELECT * FROM tickets WHERE owner = ? AND status = ?", (owner, status))  # tavo-label: safe sql-injection
        return cur.fetchall()


async def tenant_rows(pool: asyncpg.Pool, tenant: str):
    async with pool.acquire() as conn:
        return await conn.fetch(f"SELECT * FROM rows_{tenant}")  # tavo-label: vuln sql-injection


async def tenant_rows_safe(pool: asyncpg.Pool, tenant: str):
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM rows WHERE tenant = $1", tenant)  # tavo-label: safe sql-injection
