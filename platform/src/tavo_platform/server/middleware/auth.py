"""Authentication on the hot path: the key read from the raw headers in one pass (no
header mapping built), its principal from the authenticator's cache, the key's scope, and
the request counted against its budget, exactly as the `Caller` dependency does."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from tavo_platform.server.auth import Principal, hash_key
from tavo_platform.server.deps import count_request, within_scope
from tavo_platform.server.roles import check_role
from tavo_platform.server.state import AppState


@dataclass(slots=True)
class HotHeaders:
    """What the hot path reads of a request's headers, as Starlette's Headers.get would
    give it (the first occurrence), but the request id (the last, as RequestIdMiddleware)."""

    authorization: bytes | None = None
    api_key: bytes | None = None
    if_none_match: bytes | None = None
    accept_encoding: bytes = b""
    request_id: bytes = b""

    @classmethod
    def read(cls, raw: list[tuple[bytes, bytes]]) -> HotHeaders:
        found = cls()
        accept: bytes | None = None
        for name, value in raw:
            if name == b"authorization":
                if found.authorization is None:
                    found.authorization = value
            elif name == b"x-api-key":
                if found.api_key is None:
                    found.api_key = value
            elif name == b"if-none-match":
                if found.if_none_match is None:
                    found.if_none_match = value
            elif name == b"accept-encoding":
                if accept is None:
                    accept = value
            elif name == b"x-request-id":
                found.request_id = value
        found.accept_encoding = accept or b""
        return found

    def presented_key(self) -> str | None:
        """As server.auth.presented_key: a Bearer token, else X-API-Key."""
        if self.authorization:
            scheme, _, value = self.authorization.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                return value.strip()
        if self.api_key:
            key = self.api_key.decode("latin-1").strip()
            return key or None
        return None


async def authenticate(request: Request, state: AppState, headers: HotHeaders) -> Principal:
    """The caller, counted; the same errors as the `Caller` dependency (401, 403, 429, 503)."""
    key = headers.presented_key()
    if key is None:  # a dashboard session cookie, or the 401 for no key at all
        principal = await state.auth.authenticate(request)
    else:
        digest = hash_key(key)
        principal = state.auth.known(digest) or await state.auth.principal_for(digest)
    scope = request.scope
    within_scope(principal, scope["method"], scope["path"])
    check_role(principal, request)  # the route is in the scope already (hotpath.py)
    conditional = scope["method"] in ("GET", "HEAD") and headers.if_none_match is not None
    await count_request(request, state, principal, conditional)
    return principal
