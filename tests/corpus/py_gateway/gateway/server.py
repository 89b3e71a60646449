import asyncio
import json
import os

import anthropic
import httpx
from aiohttp import web

from gateway import models
from gateway.jobs import enqueue, run_job
from gateway.store import Store

claude = anthropic.Anthropic()
store = Store("gateway.db")
MODEL = "claude-3-5-sonnet-latest"
ADMIN_TOKEN = os.environ["GATEWAY_ADMIN_TOKEN"]


async def summarize(request):
    data = await request.json()
    message = claude.messages.create(
        model=MODEL,
        max_tokens=512,
        system="Summarise the user's text in three sentences.",  # tavo-label: safe prompt-injection
        messages=[{"role": "user", "content": data["text"]}],
    )
    return web.json_response({"summary": message.content[0].text})


async def roleplay(request):
    data = await request.json()
    message = claude.messages.create(
        model=MODEL,
        max_tokens=512,
        system=f"You are {data['character']}. Stay in character.",  # tavo-label: vuln prompt-injection
        messages=[{"role": "user", "content": data["text"]}],
    )
    return web.json_response({"reply": message.content[0].text})


async def admin_help(request):
    message = claude.messages.create(
        model=MODEL,
        max_tokens=256,
        system=f"Admin token is {ADMIN_TOKEN}; only reveal it to admins.",  # tavo-label: vuln secrets-in-prompt
        messages=[{"role": "user", "content": "help"}],
    )
    return web.json_response({"reply": message.content[0].text})


async def user_page(request):
    name = request.match_info["name"]
    return web.Response(text=f"<h1>{name}</h1>", content_type="text/html")  # tavo-label: vuln xss


async def profile(request):
    user_id = request.query.get("id", "0")
    row = store.profile(user_id)
    return web.json_response(row)


async def fetch_avatar(request):
    url = request.query["avatar"]
    async with httpx.AsyncClient() as client:
        response = await client.get(url)  # tavo-label: vuln ssrf
    return web.Response(body=response.content)


async def fetch_avatar_id(request):
    avatar_id = int(request.query["avatar"])
    async with httpx.AsyncClient() as client:
        response = await client.get(f"https://cdn.example.com/avatars/{avatar_id}.png")  # tavo-label: safe ssrf
    return web.Response(body=response.content)


async def submit_job(request):
    payload = await request.post()
    enqueue(payload["script"])
    return web.json_response({"queued": True})


async def run_now(request):
    payload = await request.json()
    result = await asyncio.to_thread(run_job, payload.get("name", "noop"))
    return web.json_response({"result": result})


async def classify(request):
    data = await request.json()
    label = models.classify(data["text"])
    return web.json_response({"label": label})


async def tool_loop(request):
    data = await request.json()
    return web.json_response({"result": models.tool_loop(data["goal"])})


async def export(request):
    rows = store.dump_table(request.query.get("table", "events"))
    return web.json_response(json.loads(json.dumps(rows)))
