"""The hot-path layer (server/middleware/hotpath.py) and the direct SQLite reads
(store/sql.py) answer exactly what FastAPI's routes and SQLAlchemy Core answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tavo_platform.server import app as app_module
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.server.fast_reads import simple_pagination
from tavo_platform.server.metrics import REGISTRY
from tavo_platform.server.middleware import HotPath
from tavo_platform.settings import Settings
from tavo_platform.store._database import json_loads
from tavo_platform.store.records import FindingFilter, Page, Scan
from tavo_platform.store.sql import SqlStore

from tests.support import inprocess
from tests.support.inprocess import InProcessApi, auth, running_api

WORKER = "tests-fast-reads"
# Headers that legitimately differ between two requests (time, ids, the budget left).
VARYING = {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit", "date"}


def finding(number: int, severity: str, rule: str, path: str) -> dict[str, Any]:
    return {
        "id": f"f{number}",
        "rule_id": rule,
        "title": "a finding",
        "message": f"finding number {number}",
        "severity": severity,
        "confidence": "HIGH",
        "category": "code",
        "path": path,
        "start_line": number,
        "fingerprint": f"{number:064x}",
        "score": 0.1 * number,  # floats survive the fast JSON decoding exactly
        "text": "ünïcode \u2028 and \\ escapes",
    }


FINDINGS = [
    finding(1, "HIGH", "python-eval", "src/app.py"),
    finding(2, "LOW", "python-exec", "src/a_b%c.py"),
    finding(3, "CRITICAL", "python-eval", "tests/test_app.py"),
    finding(4, "HIGH", "secrets-aws", "src/app.py"),
    finding(5, "MEDIUM", "python-eval", "src/a_bxc.py"),
]


def finished_scan(api: InProcessApi, key: str) -> str:
    created = api.client.post(
        "/api/v1/scans",
        json={"repository_url": "https://127.0.0.1/acme/app.git"},
        headers=auth(key),
    )
    assert created.status_code == 202, created.text
    store = api.state.store
    claimed = api.run(store.claim_scan, WORKER, timedelta(minutes=5))
    assert claimed is not None and claimed.id == created.json()["id"]
    assert api.run(
        store.finish_scan,
        claimed.id,
        WORKER,
        status="completed",
        summary={"total": len(FINDINGS), "by_severity": {"HIGH": 2}},
        results=FINDINGS,
    )
    return claimed.id


@pytest.fixture
def without_fast_reads(
    api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InProcessApi]:
    """A second app on the same database, whose every request goes through FastAPI."""

    def create_app_without_fast_reads(settings: Settings) -> Any:
        app = app_module.create_app(settings)
        app.user_middleware = [m for m in app.user_middleware if m.cls is not HotPath]
        return app

    monkeypatch.setattr(inprocess, "create_app", create_app_without_fast_reads)
    with running_api(api_settings) as running:
        yield running


@pytest.fixture
def served_directly(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the direct route answered itself."""
    served: list[str] = []
    original = HotPath._serve

    async def spy(self: HotPath, scope: Any, *args: Any) -> None:
        served.append(scope["path"])
        await original(self, scope, *args)

    monkeypatch.setattr(HotPath, "_serve", spy)
    return served


def comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    json_body = response.headers.get("content-type", "").startswith("application/json")
    body = response.json() if json_body else response.content
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, body, headers


def test_direct_answers_equal_fastapi_answers(
    api: InProcessApi, without_fast_reads: InProcessApi, served_directly: list[str]
) -> None:
    key = api.create_key(org="acme")
    other = api.create_key(org="globex")
    scan_id = finished_scan(api, key)
    missing = "scan_" + "0" * 32
    etag = api.client.get(f"/api/v1/scans/{scan_id}/results", headers=auth(key)).headers["etag"]
    served_directly.clear()
    requests: list[tuple[str, dict[str, str]]] = [
        (f"/api/v1/scans/{scan_id}", auth(key)),
        (f"/api/v1/scans/{scan_id}?ignored=1", auth(key)),
        (f"/api/v1/scans/{scan_id}/status", auth(key)),
        (f"/api/v1/scans/{scan_id}/results", auth(key)),
        (f"/api/v1/scans/{scan_id}/results?limit=2&offset=1", auth(key)),
        (f"/api/v1/scans/{scan_id}/results?page=1&page_size=2", auth(key)),
        (f"/api/v1/scans/{scan_id}/results?offset=99", auth(key)),
        (f"/api/v1/scans/{scan_id}/results?limit=501", auth(key)),  # the 422 of window()
        (f"/api/v1/scans/{scan_id}/results?page=0&limit=5", auth(key)),  # both styles: 422
        (f"/api/v1/scans/{scan_id}/results", {**auth(key), "If-None-Match": etag}),
        (f"/api/v1/scans/{scan_id}/results", {**auth(key), "Accept-Encoding": "gzip"}),
        (f"/api/v1/scans/{scan_id}", {"Authorization": f"Bearer {key}"}),
        (f"/api/v1/scans/{scan_id}", {}),
        (f"/api/v1/scans/{scan_id}", auth("tavo_not-a-key")),
        (f"/api/v1/scans/{scan_id}", auth(other)),
        (f"/api/v1/scans/{missing}/results", auth(key)),
        (f"/api/v1/scans/{missing}/status", auth(key)),
    ]
    # Twice: the second time, the answers about the finished scan are the ones kept
    # (middleware/hotpath.py), and must still be FastAPI's, another organisation's 404 too.
    for _ in range(2):
        for path, headers in requests:
            direct = api.client.get(path, headers=headers)
            through_fastapi = without_fast_reads.client.get(path, headers=headers)
            assert comparable(direct) == comparable(through_fastapi), path
            assert direct.content == through_fastapi.content, path
    assert len(served_directly) == 2 * len(requests)

    # Anything else goes on to FastAPI, and still works.
    served_directly.clear()
    for path in (
        f"/api/v1/scans/{scan_id}/results?severity=HIGH",
        f"/api/v1/scans/{scan_id}/results?limit=-1",
        f"/api/v1/scans/{scan_id}/results?limit=2&limit=3",
        f"/api/v1/scans/{scan_id}/results.ndjson",
        "/api/v1/scans/not-a-scan-id",
        "/api/v1/scans",
    ):
        direct = api.client.get(path, headers=auth(key))
        through_fastapi = without_fast_reads.client.get(path, headers=auth(key))
        assert comparable(direct) == comparable(through_fastapi), path
    assert served_directly == []


def test_direct_answers_are_counted_and_labelled_like_routed_ones(
    api: InProcessApi, served_directly: list[str]
) -> None:
    key = api.create_key(org="acme", requests_per_hour=3)
    scan_id = finished_scan(api, key)  # the POST counts: 2 requests left

    def count(status: str) -> float:
        labels = {"method": "GET", "route": "/api/v1/scans/{scan_id}", "status": status}
        return REGISTRY.get_sample_value("tavo_http_requests_total", labels) or 0.0

    before = count("200"), count("429")
    responses = [
        api.client.get(f"/api/v1/scans/{scan_id}", headers=auth(key)) for _ in range(3)
    ]
    assert [response.status_code for response in responses] == [200, 200, 429]
    assert len(served_directly) == 3
    # Each rate-limit header once, on the kept 200s and on the 429 (which has its own).
    for response in responses:
        for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "ratelimit-policy",
                     "ratelimit"):
            assert len(response.headers.get_list(name)) == 1, (response.status_code, name)
    assert responses[1].headers["x-ratelimit-remaining"] == "0"
    assert len(responses[2].headers.get_list("retry-after")) == 1
    assert (count("200") - before[0], count("429") - before[1]) == (2, 1)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", {}),
        (b"limit=50", {"limit": 50}),
        (b"page=0&page_size=10", {"page": 0, "page_size": 10}),
        (b"offset=0&limit=1", {"offset": 0, "limit": 1}),
        (b"limit=0", None),  # below the route's minimum: FastAPI reports it
        (b"page_size=0", None),
        (b"limit=050", None),  # not a plain number
        (b"limit=+5", None),
        (b"limit=5.0", None),
        (b"limit=", None),
        (b"limit=9999999999", None),  # long enough to overflow an offset
        (b"limit=1&limit=2", None),
        (b"severity=HIGH", None),
        (b"limit=5&extra=1", None),
    ],
)
def test_only_plain_pagination_is_served_directly(
    query: bytes, expected: dict[str, int] | None
) -> None:
    assert simple_pagination(query) == expected


async def core_and_direct(store: SqlStore, call: Any) -> tuple[Any, Any]:
    """The call's answer through the direct reads (SQLite's or PostgreSQL's) and through
    SQLAlchemy Core, each from the database (the read cache emptied first)."""
    database = store.database
    database.read_cache.clear()
    direct = await call()
    saved = database.direct, database.postgres
    database.direct, database.postgres = None, None
    database.read_cache.clear()
    try:
        core = await call()
    finally:
        database.direct, database.postgres = saved
    return core, direct


def test_direct_reads_equal_sqlalchemy_core(api: InProcessApi) -> None:
    store = api.state.store
    assert isinstance(store, SqlStore)
    if store.database.direct is None and store.database.postgres is None:
        pytest.skip("no direct reads on this database")
    key = api.create_key(org="acme")
    scan_id = finished_scan(api, key)
    org_id = next(k.org_id for k in api.run(store.list_api_keys) if k.name == "tests acme")

    def compare(call: Any) -> Any:
        core, direct = api.run(core_and_direct, store, call)
        assert core == direct
        return direct

    found: Scan = compare(lambda: store.get_scan(org_id, scan_id))
    assert found.created_at.tzinfo is not None and found.summary == {
        "total": 5,
        "by_severity": {"HIGH": 2},
    }
    assert found.repository_id is not None
    assert compare(lambda: store.triaged_in_scan(org_id, found.repository_id, scan_id)) == []
    assert compare(lambda: store.get_scan(org_id, "scan_" + "0" * 32)) is None
    assert compare(lambda: store.get_scan("org_other", scan_id)) is None
    filters = [
        FindingFilter(),
        FindingFilter(severity=["HIGH"]),
        FindingFilter(severity=["HIGH", "LOW", "HIGH"]),
        FindingFilter(rule_id=["python-eval"]),
        FindingFilter(severity=["HIGH"], rule_id=["python-eval", "secrets-aws"]),
        FindingFilter(path_prefix="src/"),
        FindingFilter(path_prefix="src/a_b%"),  # LIKE wildcards are literal
        FindingFilter(path_prefix="src/a_b", severity=["MEDIUM"]),
        FindingFilter(rule_id=["nothing-like-it"]),
    ]
    for flt in filters:
        for offset, limit in ((0, 50), (1, 2), (10, 5)):

            def page(flt: FindingFilter = flt, offset: int = offset, limit: int = limit) -> Any:
                return store.scan_results(org_id, scan_id, flt, offset=offset, limit=limit)

            compare(page)
    everything: Page = compare(
        lambda: store.scan_results(org_id, scan_id, FindingFilter(), offset=0, limit=50)
    )
    assert everything.items == FINDINGS and everything.total == 5
    literal: Page = compare(
        lambda: store.scan_results(
            org_id, scan_id, FindingFilter(path_prefix="src/a_b%"), offset=0, limit=50
        )
    )
    assert [f["id"] for f in literal.items] == ["f2"]


@pytest.mark.parametrize(
    "document",
    [
        '{"a": 1, "b": [0.1, 1e-300, -0.0, 12345678901234567]}',
        "[123456789012345678901234567890, -98765432109876543210]",  # beyond 64 bits
        '{"n": NaN, "i": Infinity}',  # what json.dumps may write
        '"\\ud800 lone surrogate escape"',
        '{"snippet": "x = 12345678901234567890123", "é": "日本"}',
        '{"a": 1, "a": 2}',
    ],
)
def test_fast_json_decoding_equals_the_standard_library(document: str) -> None:
    import json

    fast, standard = json_loads(document), json.loads(document)
    assert repr(fast) == repr(standard)


def test_an_unexpected_error_in_a_direct_read_is_the_500_envelope(
    api: InProcessApi, served_directly: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The short stack keeps the full one's last resort: an error nothing handles becomes
    the error envelope with the request id (to find the logged traceback), never the
    traceback itself. The same for a request FastAPI routes."""
    key = api.create_key(org="acme")
    scan_id = finished_scan(api, key)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the store broke in a way nobody planned for")

    monkeypatch.setattr(api.state.store, "get_scan", broken)

    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=api.client.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(path, headers={**auth(key), "X-Request-ID": "trace-me-1"})

    routed = "/api/v1/scans?status=completed"
    monkeypatch.setattr(api.state.store, "list_scans", broken)
    for path in (f"/api/v1/scans/{scan_id}", f"/api/v1/scans/{scan_id}/results", routed):
        served_directly.clear()
        response = api.portal.call(get, path)
        assert served_directly == ([] if path == routed else [path])
        assert response.status_code == 500
        assert response.json()["success"] is False
        assert response.json()["error"]["code"] == "INTERNAL_ERROR"
        assert "nobody planned" not in response.text
        assert response.headers["x-request-id"] == "trace-me-1"


def test_a_triage_shows_at_once_in_a_cached_scan_and_its_results(api: InProcessApi) -> None:
    """A finished scan and its pages come from the read cache once read; a triage of one of
    its findings changes what both show on the very next request."""
    key = api.create_key(org="acme")
    scan_id = finished_scan(api, key)
    scan_path, results_path = f"/api/v1/scans/{scan_id}", f"/api/v1/scans/{scan_id}/results"
    for _ in range(2):  # read twice: the second answer is the cached one
        summary = api.client.get(scan_path, headers=auth(key)).json()["summary"]
        assert summary["triaged"]["total"] == 0 and summary["total"] == len(FINDINGS)
        assert api.client.get(results_path, headers=auth(key)).json()["triaged"] == {}
    listed = api.client.get("/api/v1/findings", headers=auth(key)).json()["items"]
    chosen = next(f for f in listed if f["fingerprint"] == FINDINGS[0]["fingerprint"])
    triaged = api.client.request(
        "PATCH",
        f"/api/v1/findings/{chosen['id']}",
        json={"status": "false_positive", "comment": "a constant"},
        headers=auth(key),
    )
    assert triaged.status_code == 200, triaged.text
    summary = api.client.get(scan_path, headers=auth(key)).json()["summary"]
    assert summary["triaged"]["total"] == 1 and summary["total"] == len(FINDINGS) - 1
    page = api.client.get(results_path, headers=auth(key)).json()
    assert page["triaged"][FINDINGS[0]["fingerprint"]]["status"] == "false_positive"
    # Deleted, it is gone at once too.
    assert api.client.delete(scan_path, headers=auth(key)).status_code == 204
    assert api.client.get(scan_path, headers=auth(key)).status_code == 404
    assert api.client.get(results_path, headers=auth(key)).status_code == 404


def test_a_finished_scans_answer_is_made_once_while_nothing_changes(
    api: InProcessApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the store can tell that nothing changed (store/freshness.py), the hot path sends
    the answer it kept (the same bytes) without calling the route; a change makes it anew."""
    key = api.create_key(org="acme")
    scan_id = finished_scan(api, key)
    routed: list[str] = []
    original = HotPath._route

    async def spy(self: HotPath, request: Any, *args: Any) -> Any:
        routed.append(request.url.path)
        return await original(self, request, *args)

    monkeypatch.setattr(HotPath, "_route", spy)
    path = f"/api/v1/scans/{scan_id}/results"
    first = api.client.get(path, headers=auth(key))
    deadline = time.monotonic() + 5  # PostgreSQL: until its listener is up
    while True:
        routed.clear()
        kept = api.client.get(path, headers=auth(key))
        if not routed or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert routed == [] and kept.content == first.content
    for _ in range(3):
        again = api.client.get(path, headers=auth(key))
        assert again.status_code == 200 and again.content == first.content
    assert routed == []
    # A write (here: the scan deleted) is seen at once: routed, and a 404.
    assert api.client.delete(f"/api/v1/scans/{scan_id}", headers=auth(key)).status_code == 204
    assert api.client.get(path, headers=auth(key)).status_code == 404
    assert routed == [path]


def test_a_key_that_expires_while_its_caller_is_cached_is_refused_at_once(
    api: InProcessApi, served_directly: list[str]
) -> None:
    key = api.create_key(org="acme")
    scan_id = finished_scan(api, key)
    store = api.state.store
    organization = api.run(store.ensure_organization, "acme")
    expiring = generate_key()
    expires_at = datetime.now(UTC) + timedelta(seconds=1)
    api.run(store.add_api_key, organization.id, hash_key(expiring), display_prefix(expiring),
            "pro", name="expiring", expires_at=expires_at)
    assert api.client.get(f"/api/v1/scans/{scan_id}", headers=auth(expiring)).status_code == 200
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    # Within AUTH_CACHE_SECONDS of the lookup, on the hot path and on a routed request.
    for path in (f"/api/v1/scans/{scan_id}", "/api/v1/scans"):
        refused = api.client.get(path, headers=auth(expiring))
        assert refused.status_code == 401, path
        assert refused.json()["error"]["code"] == "API_KEY_EXPIRED", path
    assert served_directly.count(f"/api/v1/scans/{scan_id}") == 2
