"""ETag / Cache-Control for cacheable responses; If-None-Match answered with 304."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request
from starlette.responses import Response

from tavo_platform.server.responses import dumps


def etag_of(body: bytes) -> str:
    # SHA-256 runs in hardware on current CPUs: faster here than BLAKE2 on page-sized bodies.
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# A gzip body is a different representation from the identity one, so it gets its own
# strong ETag (the gzip middleware adds this suffix); either one revalidates the resource.
GZIP_ETAG_SUFFIX = "-gzip"


def gzip_etag(etag: str) -> str:
    return etag[:-1] + GZIP_ETAG_SUFFIX + '"'


def _matches(header: str, etag: str) -> bool:
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or etag in candidates or gzip_etag(etag) in candidates


def cached_json(request: Request, content: Any, cache_control: str) -> Response:
    body = dumps(content)
    return cached_body(request, body, etag_of(body), cache_control)


def cached_body(request: Request, body: bytes, etag: str, cache_control: str) -> Response:
    """A JSON body (whose strong ETag is `etag`) with its caching headers; 304 when the
    request's If-None-Match names it."""
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    # As request.headers.get, without building the header mapping: ASGI names are lower-case.
    if_none_match = next(
        (v.decode("latin-1") for k, v in request.scope["headers"] if k == b"if-none-match"), None
    )
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
