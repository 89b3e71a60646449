from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from inventory import db
from inventory.services import imports, labels, reports

router = APIRouter()


@router.get("/items")
def items(supplier: str):
    return db.items_by_supplier(supplier)


@router.get("/items/{sku}")
def item(sku: str):
    return db.item_by_sku(sku)


@router.post("/stock/{sku}")
def stock(sku: str, delta: int):
    db.adjust_stock(sku, delta)
    return {"ok": True}


@router.get("/notes")
def notes(term: str):
    return db.queries.search_notes(term)


@router.get("/report")
def report(column: str):
    return db.raw_report(column)


@router.post("/labels/{sku}")
def label(sku: str, copies: int = 1):
    return {"code": labels.print_label(sku, copies)}


@router.post("/labels-safe/{sku}")
def label_safe(sku: str, copies: int = 1):
    return {"code": labels.print_label_safe(sku, copies)}


@router.delete("/cache/{folder}")
def purge(folder: str):
    labels.purge_cache(folder)
    return {"ok": True}


@router.post("/feeds")
def feed(url: str):
    return imports.parse_rows(imports.fetch_feed(url))


@router.post("/feeds/{name}")
def known_feed(name: str):
    return imports.parse_rows(imports.fetch_known_feed(name))


@router.post("/mapping")
async def mapping(request: Request):
    return imports.load_mapping(await request.body())


@router.post("/snapshot")
async def snapshot(request: Request):
    return imports.load_snapshot(await request.body())


@router.get("/reports/{name}")
def get_report(name: str):
    return {"body": reports.read_report(name)}


@router.get("/reports-checked/{name}")
def get_report_checked(name: str):
    return {"body": reports.read_report_checked(name)}


@router.delete("/reports/{name}")
def remove_report(name: str):
    reports.delete_report(name)
    return {"ok": True}


@router.get("/welcome", response_class=HTMLResponse)
def welcome(name: str):
    return HTMLResponse(f"<h1>Welcome {name}</h1>")  # tavo-label: vuln xss


@router.get("/continue")
def go_on(next_url: str):
    return RedirectResponse(next_url)  # tavo-label: vuln open-redirect


@router.get("/home")
def home():
    return RedirectResponse("/app")  # tavo-label: safe open-redirect
