from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/badge", response_class=HTMLResponse)
async def badge(label: str):
    return f"<span class='badge'>{label}</span>"  # tavo-label: vuln xss


@app.get("/badge.json")
async def badge_json(label: str):
    return f"<span class='badge'>{label}</span>"  # tavo-label: safe xss
