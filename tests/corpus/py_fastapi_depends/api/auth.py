from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter()


@router.get("/login/done")
async def login_done(next: str = "/"):
    if not next.startswith("/"):
        return RedirectResponse("/")
    return RedirectResponse(next)  # tavo-label: vuln open-redirect


@router.get("/login/done2")
async def login_done2(next: str = "/"):
    if next.startswith("/") and not next.startswith("//"):
        return RedirectResponse(next)  # tavo-label: safe open-redirect
    return RedirectResponse("/")


@router.get("/logout")
async def logout(back: str = "/"):
    if "//" in back or not back.startswith("/"):
        back = "/"
    return RedirectResponse(back)  # tavo-label: safe open-redirect
