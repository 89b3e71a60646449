import asyncio
import os
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Form, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel

from .deps import Filters, get_filters, tenant_header
from .store import TicketStore, tenant_rows, tenant_rows_safe

app = FastAPI()
store = TicketStore()
FILES = Path("/srv/uploads")


class Hook(BaseModel):
    url: str
    event: str


def get_store() -> TicketStore:
    return store


@app.get("/tickets")
def tickets(filters: Filters = Depends(get_filters), db: TicketStore = Depends(get_store)):
    return db.by_owner(filters.owner, filters.status) + db.by_owner_safe(filters.owner, filters.status)


@app.get("/rows")
async def rows(tenant: Annotated[str, Depends(tenant_header)]):
    pool = app.state.pool
    return await tenant_rows(pool, tenant) + await tenant_rows_safe(pool, tenant)


@app.post("/hooks/test")
async def test_hook(hook: Hook):
    async with httpx.AsyncClient() as client:
        resp = await client.post(hook.url, json={"event": hook.event})  # tavo-label: vuln ssrf
    return {"status": resp.status_code}


@app.get("/files/{name}")
async def get_file(name: str):
    return FileResponse(FILES / name)  # tavo-label: vuln path-traversal


@app.get("/files2/{name}")
async def get_file2(name: str):
    target = (FILES / name).resolve()
    if not target.is_relative_to(FILES):
        return HTMLResponse("no", status_code=403)
    return FileResponse(target)  # tavo-label: safe path-traversal


@app.get("/files3/{name}")
async def get_file3(name: str):
    return FileResponse(FILES / os.path.basename(name))  # tavo-label: safe path-traversal


@app.post("/upload")
async def upload(file: UploadFile):
    dest = os.path.join("/srv/uploads", file.filename)
    with open(dest, "wb") as fh:  # tavo-label: vuln path-traversal
        fh.write(await file.read())
    return {"ok": True}


@app.get("/hello", response_class=HTMLResponse)
async def hello(name: str = ""):
    return f"<html><body>Hello {name}</body></html>"  # tavo-label: vuln xss


@app.get("/hello2")
async def hello2(name: str = ""):
    return HTMLResponse(content=f"<p>{name}</p>")  # tavo-label: vuln xss


@app.get("/count")
async def count(n: int = 1):
    return HTMLResponse(f"<p>{n}</p>")  # tavo-label: safe xss


@app.post("/run")
async def run(cmd: str = Form(...)):
    proc = await asyncio.create_subprocess_shell(cmd)  # tavo-label: vuln command-injection
    return {"rc": await proc.wait()}


@app.post("/run2")
async def run2(host: str = Form(...)):
    proc = await asyncio.create_subprocess_exec("ping", "-c", "1", host)  # tavo-label: safe command-injection
    return {"rc": await proc.wait()}


@app.get("/login/callback")
async def callback(return_to: str = "/"):
    return RedirectResponse(url=return_to)  # tavo-label: vuln open-redirect


@app.get("/calc")
async def calc(expr: str):
    return {"result": eval(expr)}  # tavo-label: vuln code-injection
