import subprocess
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import count_in, items_by_owner_unsafe, items_for, pool
from .models import ItemQuery, Webhook

app = FastAPI()
UPLOADS = Path("/srv/uploads")
TABLES = {"items", "users", "orders"}


def get_session() -> Session:
    ...


@app.post("/items/search")
async def search(q: ItemQuery):
    p = await pool()
    async with p.acquire() as conn:
        return await items_for(conn, q)


@app.get("/items/by-owner")
async def by_owner(owner: str):
    p = await pool()
    async with p.acquire() as conn:
        return await items_by_owner_unsafe(conn, owner)


@app.get("/stats/{table}")
async def stats(table: str):
    p = await pool()
    async with p.acquire() as conn:
        return await count_in(conn, table)


@app.get("/stats-safe/{table}")
async def stats_safe(table: str, db: Session = Depends(get_session)):
    if table not in TABLES:
        raise HTTPException(404)
    return db.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # tavo-label: safe sql-injection


@app.get("/user/{user_id}")
def user(user_id: int, db: Annotated[Session, Depends(get_session)]):
    return db.execute(text(f"SELECT * FROM users WHERE id = {user_id}")).first()  # tavo-label: safe sql-injection


@app.get("/user-by-name")
def user_by_name(name: Annotated[str, Query(max_length=50)], db: Session = Depends(get_session)):
    return db.execute(text("SELECT * FROM users WHERE name = '" + name + "'")).first()  # tavo-label: vuln sql-injection


@app.post("/hooks/test")
async def test_hook(hook: Webhook):
    async with httpx.AsyncClient() as client:
        r = await client.post(hook.url, json={"event": hook.event})  # tavo-label: vuln ssrf
    return {"status": r.status_code}


@app.get("/files/{name}")
def download(name: str):
    return (UPLOADS / name).read_bytes()  # tavo-label: vuln path-traversal


@app.get("/files-safe/{name}")
def download_safe(name: str):
    target = (UPLOADS / name).resolve()
    if not target.is_relative_to(UPLOADS):
        raise HTTPException(403)
    return target.read_bytes()  # tavo-label: safe path-traversal


@app.get("/hello", response_class=HTMLResponse)
def hello(name: str = ""):
    return f"<p>Hello {name}</p>"  # tavo-label: vuln xss


@app.get("/go")
def go(to: str):
    return RedirectResponse(to)  # tavo-label: vuln open-redirect


@app.post("/ping")
def ping(host: str):
    out = subprocess.check_output(f"ping -c 1 {host}", shell=True)  # tavo-label: vuln command-injection
    return {"out": out.decode()}


@app.post("/ping-safe")
def ping_safe(host: str):
    out = subprocess.check_output(["ping", "-c", "1", "--", host])  # tavo-label: safe command-injection
    return {"out": out.decode()}
