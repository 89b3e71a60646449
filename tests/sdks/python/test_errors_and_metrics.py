"""SDK errors and metrics, without a server: a 422 names the fields at fault, and a call
retried on the wire is one request but several attempts."""

from __future__ import annotations

import asyncio
import json

import pytest
from tavo import RetryPolicy, TavoClient, TavoValidationError
from tavo._transport import Request, Response

VALIDATION = {
    "success": False,
    "error": {
        "code": "VALIDATION_ERROR",
        "message": "the request is not valid",
        "details": {"errors": [
            {"location": ["body", "repository_url"], "message": "Field required",
             "type": "missing"},
            {"location": ["query", "page_size"], "message": "Input should be less than or "
             "equal to 100", "type": "less_than_equal"},
        ]},
    },
}


class Scripted:
    """Answers with the given responses in turn (no network)."""

    def __init__(self, *responses: Response) -> None:
        self.responses = list(responses)
        self.sent: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        return self.responses.pop(0)

    async def aclose(self) -> None:
        pass


def test_a_422_names_the_fields() -> None:
    body = json.dumps(VALIDATION).encode()
    client = TavoClient("k", base_url="http://h", max_retries=0,
                        transport=Scripted(Response(422, {}, body)))
    with pytest.raises(TavoValidationError) as caught:
        asyncio.run(client.scan_management.list_scans())
    error = caught.value
    assert error.fields == ["body.repository_url", "query.page_size"]
    assert "body.repository_url: Field required" in str(error)
    assert "query.page_size: Input should be less than or equal to 100" in str(error)


def test_requests_and_attempts_are_counted_apart() -> None:
    ok = json.dumps({"id": "s", "status": "queued"}).encode()
    busy = json.dumps({"success": False, "error": {"code": "X", "message": "busy"}}).encode()
    transport = Scripted(Response(503, {}, busy), Response(503, {}, busy), Response(200, {}, ok))
    client = TavoClient("k", base_url="http://h", transport=transport,
                        max_retries=RetryPolicy(max_retries=3, jitter=lambda: 0.0))
    asyncio.run(client.scan_management.get_scan_status("s"))
    snapshot = client.metrics.snapshot()
    assert snapshot["requests_total"] == 1 and snapshot["requests_failed"] == 0
    assert snapshot["attempts"] == 3 and snapshot["retries"] == 2
