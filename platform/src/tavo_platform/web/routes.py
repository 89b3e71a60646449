"""The dashboard: a page shell and its static assets, plus the session endpoints.

Everything a page shows comes from `/api/v1` (the API the SDKs use): the shell loads
`app.js`, which signs in here once and then calls the API with the session cookie. The
shell and assets ship inside the package; nothing is fetched from elsewhere at run time.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tavo_platform.server.auth import hash_key
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import iso
from tavo_platform.store.users import key_role
from tavo_platform.web.sessions import COOKIE_NAME
from tavo_platform.web.signin import password_session, throttle_of

STATIC = resources.files("tavo_platform.web") / "static"
UI_PREFIX = "/ui"

# No inline script or style anywhere, no framing, no plug-ins; the API is same-origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


class SignIn(BaseModel):
    """An API key, or a user's e-mail address and password (and the organisation's name
    when the address belongs to users of several)."""

    model_config = ConfigDict(extra="forbid")
    api_key: Annotated[str | None, Field(min_length=8, max_length=256)] = None
    email: Annotated[str | None, Field(min_length=3, max_length=320)] = None
    password: Annotated[str | None, Field(min_length=1, max_length=256)] = None
    organization: Annotated[str | None, Field(min_length=1, max_length=200)] = None

    @model_validator(mode="after")
    def one_way(self) -> SignIn:
        by_password = self.email is not None and self.password is not None
        if (self.api_key is not None) == by_password or (
            not by_password and (self.email or self.password or self.organization)
        ):
            raise ValueError("sign in with either api_key, or email and password")
        return self


class AssetFiles(StaticFiles):
    """The dashboard's assets, with the same protective headers as the page."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-cache"
        return response


def assets() -> AssetFiles:
    return AssetFiles(directory=str(STATIC), check_dir=True)


@router.get("/")
async def root() -> Response:
    return RedirectResponse(f"{UI_PREFIX}/", status_code=307)


@router.get(f"{UI_PREFIX}/")
async def shell() -> Response:
    page = (STATIC / "index.html").read_bytes()
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


@router.post(f"{UI_PREFIX}/session")
async def sign_in(body: SignIn, request: Request, state: State) -> Response:
    """Exchanges an API key for a session cookie; the key is checked as any request's."""
    signer = state.auth.sessions
    if signer is None:
        raise APIError(404, "NOT_FOUND", "the dashboard is not enabled on this server")
    if body.api_key is not None:
        digest = hash_key(body.api_key)
    else:
        assert body.email is not None and body.password is not None
        session_key = await password_session(
            state, throttle_of(request.app.state), body.email, body.password,
            body.organization, signer.lifetime_seconds,
        )
        digest = session_key.key_hash
    principal = await state.auth.principal_for(digest)
    token = signer.issue(principal.key.key_hash)
    response = JSONResponse(_session_view(principal, signer.csrf_token(token)))
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(signer.lifetime_seconds),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(f"{UI_PREFIX}/session")
async def current_session(request: Request, caller: Caller, state: State) -> Response:
    """Who the cookie signs in as, and the CSRF token the page sends with state changes."""
    token = request.cookies.get(COOKIE_NAME)
    signer = state.auth.sessions
    csrf = signer.csrf_token(token) if signer and token else None
    return JSONResponse(_session_view(caller, csrf))


@router.delete(f"{UI_PREFIX}/session")
async def sign_out(caller: Caller, state: State) -> Response:
    if caller.key.kind == "session":  # a password sign-in's key ends with it
        await state.store.revoke_api_key(caller.key_id, caller.org_id)
        state.auth.forget()
    response = JSONResponse({"success": True})
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


def _session_view(principal: Any, csrf: str | None) -> dict[str, Any]:
    key = principal.key
    return {
        "csrf_token": csrf,
        "key": {
            "id": key.id,
            "prefix": key.prefix,
            "name": key.name,
            "org_id": key.org_id,
            "tier": key.tier,
            "is_admin": key.is_admin,
            "expires_at": iso(key.expires_at),
            "role": key_role(key),
            "user_id": key.user_id,
            "kind": key.kind,
        },
    }
