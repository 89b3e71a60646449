import asyncio
import json
import pickle
import tarfile
import zipfile

import aiohttp
import jinja2
import numpy as np
import pandas as pd
from aiohttp import web

routes = web.RouteTableDef()
env = jinja2.Environment(autoescape=False)  # tavo-label: vuln xss
safe_env = jinja2.Environment(autoescape=True)


@routes.get("/hello")
async def hello(request: web.Request):
    name = request.query.get("name", "")
    return web.Response(text=f"<h1>{name}</h1>", content_type="text/html")  # tavo-label: vuln xss


@routes.get("/hello-json")
async def hello_json(request: web.Request):
    name = request.query.get("name", "")
    return web.json_response({"name": name})  # tavo-label: safe xss


@routes.get("/tpl")
async def tpl(request: web.Request):
    source = request.query["t"]
    return web.Response(text=env.from_string(source).render(), content_type="text/html")  # tavo-label: vuln code-injection


@routes.get("/tpl-safe")
async def tpl_safe(request: web.Request):
    page = safe_env.from_string("<p>{{ q }}</p>").render(q=request.query["q"])  # tavo-label: safe xss
    return web.Response(text=page, content_type="text/html")


@routes.post("/proxy")
async def proxy(request: web.Request):
    data = await request.json()
    async with aiohttp.ClientSession() as session:
        async with session.get(data["url"]) as resp:  # tavo-label: vuln ssrf
            return web.Response(text=await resp.text())


@routes.post("/restore")
async def restore(request: web.Request):
    body = await request.read()
    state = pickle.loads(body)  # tavo-label: vuln deserialization
    return web.json_response({"keys": list(state)})


@routes.post("/array")
async def array(request: web.Request):
    reader = await request.multipart()
    part = await reader.next()
    raw = await part.read()
    arr = np.load(raw, allow_pickle=True)  # tavo-label: vuln deserialization
    return web.json_response({"shape": list(arr.shape)})


@routes.post("/frame")
async def frame(request: web.Request):
    path = request.query["path"]
    df = pd.read_pickle(path)  # tavo-label: vuln deserialization
    return web.json_response({"rows": len(df)})


@routes.post("/unpack")
async def unpack(request: web.Request):
    post = await request.post()
    upload = post["archive"]
    with tarfile.open(fileobj=upload.file) as tar:
        tar.extractall("/srv/unpacked")  # tavo-label: vuln path-traversal
    with zipfile.ZipFile(upload.file) as zf:
        zf.extractall("/srv/unzipped")  # tavo-label: safe path-traversal
    return web.Response(text="ok")


@routes.get("/files/{name}")
async def files(request: web.Request):
    name = request.match_info["name"]
    return web.FileResponse(f"/srv/static/{name}")  # tavo-label: vuln path-traversal


@routes.get("/run")
async def run(request: web.Request):
    host = request.query["host"]
    proc = await asyncio.create_subprocess_shell("dig " + host, stdout=asyncio.subprocess.PIPE)  # tavo-label: vuln command-injection
    out, _ = await proc.communicate()
    return web.Response(text=out.decode())


@routes.get("/go")
async def go(request: web.Request):
    raise web.HTTPFound(request.query.get("to", "/"))  # tavo-label: vuln open-redirect


app = web.Application()
app.add_routes(routes)
