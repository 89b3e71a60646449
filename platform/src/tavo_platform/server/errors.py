"""One error envelope for every failure: {"success": false, "error": {code, message, details}}.

The domain errors services raise (tavo_platform/errors.py) are mapped to a status code and
this envelope here and nowhere else: `api_error(error)`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tavo_platform.errors import (
    BudgetExceeded,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
)
from tavo_platform.server.responses import JSONResponse
from tavo_platform.store.interface import StoreUnavailable

log = logging.getLogger("tavo.server")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "INVALID_API_KEY",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    411: "LENGTH_REQUIRED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_UNAVAILABLE",
}


class APIError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def not_found(noun: str) -> APIError:
    return APIError(404, "NOT_FOUND", f"{noun} not found")


# Most specific first: the first class an error is an instance of gives its status.
_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Invalid, 422),
    (Conflict, 409),
    (Forbidden, 403),
    (BudgetExceeded, 429),
)


def api_error(error: DomainError) -> APIError:
    """The HTTP form of a service's refusal (status, envelope, headers): the one mapping."""
    status = next((code for kind, code in _DOMAIN_STATUS if isinstance(error, kind)), 400)
    if isinstance(error, BudgetExceeded):
        from tavo_platform.server.ratelimit import (  # ratelimit imports this module
            Decision,
            rate_limit_details,
            rate_limit_headers,
        )

        if isinstance(error.decision, Decision):
            return APIError(
                status,
                error.code,
                error.message,
                {**rate_limit_details(error.decision), **error.details},
                headers=rate_limit_headers(error.decision),
            )
    return APIError(status, error.code, error.message, error.details)


def item_error(error: DomainError) -> dict[str, Any]:
    """A refusal as one item of a bulk answer (`results[i].error`): the envelope's error."""
    http = api_error(error)
    return {"code": http.code, "message": http.message, "details": http.details}


def envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message, "details": details or {}}}


def error_response(error: APIError) -> JSONResponse:
    return JSONResponse(
        envelope(error.code, error.message, error.details),
        status_code=error.status,
        headers=error.headers,
    )


async def _api_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, APIError)
    return error_response(error)


async def _domain_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    return error_response(api_error(error))


async def _validation_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "location": [str(part) for part in item.get("loc", ())],
            "message": item.get("msg", "invalid"),
            "type": item.get("type", "value_error"),
        }
        for item in error.errors()
    ]
    return error_response(
        APIError(422, "VALIDATION_ERROR", "the request is not valid", {"errors": problems})
    )


async def _http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "HTTP_ERROR")
    message = error.detail if isinstance(error.detail, str) else code.replace("_", " ").lower()
    headers = dict(error.headers or {})
    return error_response(APIError(error.status_code, code, message, headers=headers))


async def _store_unavailable(_request: Request, error: Exception) -> Response:
    log.warning("database unavailable: %s", error)
    return error_response(
        APIError(
            503,
            "SERVICE_UNAVAILABLE",
            "the database is unavailable; retry shortly",
            headers={"Retry-After": "1"},
        )
    )


async def _unexpected(request: Request, error: Exception) -> Response:
    # This answer is sent from outside the request-id middleware: it carries the id itself,
    # and the log line has it too, so a caller's report leads to the traceback.
    request_id = request.scope.get("state", {}).get("request_id")
    log.exception("unhandled error (request %s)", request_id, exc_info=error)
    headers = {"X-Request-ID": request_id} if request_id else None
    return error_response(
        APIError(500, "INTERNAL_ERROR", "an unexpected error occurred", headers=headers)
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected)
