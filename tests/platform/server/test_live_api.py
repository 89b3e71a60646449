"""The API over real HTTP on loopback, against a `tavo serve` process and real git repos."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import ScaledServer
from tests.support.configurations import CONFIGURATIONS, restartable
from tests.support.live import LiveServer, make_git_repo

VULNERABLE_APP = {
    "app.py": "def run(expression):\n    return eval(expression)\n",
    "util.py": "import os\n\ndef go(cmd):\n    os.system(cmd)\n    return eval(cmd)\n",
}


def wait_finished(client: httpx.Client, scan_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/scans/{scan_id}/status").json()
        if status["finished"]:
            return client.get(f"/api/v1/scans/{scan_id}").json()
        time.sleep(0.2)
    raise AssertionError(f"scan {scan_id} did not finish")


def client_for(server: LiveServer | ScaledServer, key: str, **kwargs) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}, timeout=30, **kwargs)


def test_missing_and_invalid_keys_get_the_error_envelope(live_server: LiveServer) -> None:
    anonymous = httpx.get(live_server.base_url + "/api/v1/scans")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "INVALID_API_KEY"
    wrong = httpx.get(live_server.base_url + "/api/v1/scans",
                      headers={"Authorization": "Bearer tavo_not-a-real-key"})
    assert wrong.status_code == 401
    assert wrong.json() == {
        "success": False,
        "error": {"code": "INVALID_API_KEY", "message": "the API key is not valid", "details": {}},
    }


def test_bearer_and_x_api_key_both_work_with_seed_headers(live_server: LiveServer) -> None:
    key = live_server.create_key("pro")
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        response = httpx.get(live_server.base_url + "/api/v1/scans", headers=headers)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "1000"
        assert int(response.headers["X-RateLimit-Remaining"]) < 1000
        assert int(response.headers["X-RateLimit-Reset"]) > time.time()
        assert "RateLimit-Policy" in response.headers
        assert response.json()["items"] == []


def test_exactly_the_remaining_budget_succeeds_under_500_concurrent_requests(
    live_server: LiveServer,
) -> None:
    key = live_server.create_key("free")  # 100 requests/hour

    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=live_server.base_url, headers={"X-API-Key": key},
                                     limits=limits, timeout=60) as client:
            return await asyncio.gather(*[client.get("/api/v1/scans") for _ in range(500)])

    responses = asyncio.run(burst())
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 100
    assert codes.count(429) == 400
    refused = next(r for r in responses if r.status_code == 429)
    body = refused.json()
    assert body["success"] is False
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    details = body["error"]["details"]
    assert set(details) == {"limit", "remaining", "reset", "retry_after"}
    assert details["limit"] == 100 and details["remaining"] == 0
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Retry-After"]
    assert int(refused.headers["Retry-After"]) == details["retry_after"] > 0


def test_scan_of_a_real_git_repository_end_to_end(live_server: LiveServer, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", VULNERABLE_APP)
    key = live_server.create_key("pro")
    with client_for(live_server, key) as client:
        created = client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                     "scan_type": "code"})
        assert created.status_code == 202, created.text
        assert created.json()["status"] == "queued"
        scan = wait_finished(client, created.json()["id"])
        assert scan["status"] == "completed", scan
        assert scan["summary"]["total"] >= 2
        results = client.get(f"/api/v1/scans/{scan['id']}/results", params={"limit": 1})
        assert results.status_code == 200
        page = results.json()
        assert page["total"] == scan["summary"]["total"]
        assert len(page["vulnerabilities"]) == 1
        finding = page["vulnerabilities"][0]
        expected = {"rule_id", "severity", "path", "start_line", "fingerprint", "snippet"}
        assert expected <= set(finding)
        etag = results.headers["ETag"]
        again = client.get(f"/api/v1/scans/{scan['id']}/results", params={"limit": 1},
                           headers={"If-None-Match": etag})
        assert again.status_code == 304
        listed = client.get("/api/v1/scans", params={"status": "completed", "page": 0,
                                                     "page_size": 10}).json()
        assert [item["id"] for item in listed["items"]] == [scan["id"]]


def test_another_organisations_scan_is_not_found(live_server: LiveServer, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", VULNERABLE_APP)
    mine = live_server.create_key("pro", org="mine")
    theirs = live_server.create_key("pro", org="theirs")
    with client_for(live_server, mine) as client:
        scan_id = client.post("/api/v1/scans", json={"repository_url": repo.as_uri()}).json()["id"]
    with client_for(live_server, theirs) as intruder:
        for method, path in [
            ("GET", f"/api/v1/scans/{scan_id}"),
            ("GET", f"/api/v1/scans/{scan_id}/status"),
            ("GET", f"/api/v1/scans/{scan_id}/results"),
            ("POST", f"/api/v1/scans/{scan_id}/cancel"),
            ("DELETE", f"/api/v1/scans/{scan_id}"),
        ]:
            response = intruder.request(method, path)
            assert response.status_code == 404, (method, path)
            assert response.json()["error"]["code"] == "NOT_FOUND"
        assert intruder.get("/api/v1/scans").json()["total"] == 0


def test_idempotency_key_never_duplicates_a_scan(live_server: LiveServer, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", VULNERABLE_APP)
    key = live_server.create_key("pro")
    body = {"repository_url": repo.as_uri(), "scan_type": "code"}

    async def retries() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30,
                                     headers={"X-API-Key": key, "Idempotency-Key": "k-1"}) as c:
            return await asyncio.gather(*[c.post("/api/v1/scans", json=body) for _ in range(20)])

    responses = asyncio.run(retries())
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    with client_for(live_server, key) as client:
        assert client.get("/api/v1/scans").json()["total"] == 1
        changed = client.post("/api/v1/scans", json={**body, "scan_type": "secrets"},
                              headers={"Idempotency-Key": "k-1"})
        assert changed.status_code == 409
        assert changed.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_http2_cleartext_prior_knowledge(live_server: LiveServer) -> None:
    key = live_server.create_key("pro")
    with httpx.Client(base_url=live_server.base_url, http1=False, http2=True,
                      headers={"X-API-Key": key}) as client:
        response = client.get("/api/v1/scans")
        assert response.http_version == "HTTP/2"
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "1000"


def test_compression_both_ways_and_bombs_refused(live_server: LiveServer, tmp_path: Path) -> None:
    key = live_server.create_key("pro")
    with client_for(live_server, key) as client:
        spec = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
        assert spec.headers["content-encoding"] == "gzip"
        repo = make_git_repo(tmp_path / "repo", VULNERABLE_APP)
        body = json.dumps({"repository_url": repo.as_uri(), "exclusions": ["x/**"] * 300}).encode()
        compressed = client.post("/api/v1/scans", content=gzip.compress(body), headers={
            "Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert compressed.status_code == 202, compressed.text
        bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=9)
        assert len(bomb) < 200_000
        refused = client.post("/api/v1/scans", content=bomb, headers={
            "Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # A new connection: the server may close the bomb's one, since it never read that body.
    with client_for(live_server, key) as client:
        corrupt = client.post("/api/v1/scans", content=b"\x1f\x8bnot gzip", headers={
            "Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert corrupt.status_code == 400


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'{"repository_url": 5}',
     b'{"repository_url": "https://x.invalid/r", "bogus": 1}',
     b'{"repository_url": "https://x.invalid/r", "scan_type": "nope"}', b"\xff\xfe"],
)
def test_malformed_requests_are_4xx_envelopes(live_server: LiveServer, body: bytes) -> None:
    key = live_server.create_key("pro")
    with client_for(live_server, key) as client:
        response = client.post("/api/v1/scans", content=body,
                               headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500
        assert response.json()["success"] is False


def test_ssrf_targets_are_refused_without_the_allow_list(live_server: LiveServer) -> None:
    key = live_server.create_key("pro")
    with client_for(live_server, key) as client:
        for url in ["http://127.0.0.1/repo.git", "https://10.0.0.5/x.git", "http://[::1]/x",
                    "http://169.254.169.254/latest", "ftp://example.com/x", "-uhack"]:
            response = client.post("/api/v1/scans", json={"repository_url": url})
            assert response.status_code == 422, url
            assert response.json()["error"]["code"] == "INVALID_REPOSITORY_URL"


def test_events_and_ndjson_stream_follow_a_scan(live_server: LiveServer, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", VULNERABLE_APP)
    key = live_server.create_key("pro")
    with client_for(live_server, key) as client:
        scan_id = client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                     "scan_type": "code"}).json()["id"]
        statuses = []
        with client.stream("GET", f"/api/v1/scans/{scan_id}/events") as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            for line in events.iter_lines():
                if line.startswith("data: "):
                    statuses.append(json.loads(line[6:])["status"])
        assert statuses[-1] == "completed"
        with client.stream("GET", f"/api/v1/scans/{scan_id}/results.ndjson") as stream:
            lines = [json.loads(line) for line in stream.iter_lines() if line]
        assert lines[-1]["end"] is True
        assert len(lines) - 1 == lines[-1]["total"] >= 2


def test_cancel_and_delete(live_server: LiveServer, tmp_path: Path) -> None:
    key = live_server.create_key("pro")
    with client_for(live_server, key) as client:
        created = client.post("/api/v1/scans", json={
            "repository_url": (tmp_path / "missing").as_uri()}).json()
        cancelled = client.post(f"/api/v1/scans/{created['id']}/cancel").json()
        assert cancelled["status"] in ("cancelled", "running", "failed")
        final = wait_finished(client, created["id"])
        assert final["status"] in ("cancelled", "failed")
        assert client.delete(f"/api/v1/scans/{created['id']}").status_code == 204
        assert client.get(f"/api/v1/scans/{created['id']}").status_code == 404


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_accepted_scans_survive_sigkill(
    configuration: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Scans answered 202 finish after every server process (API and, scaled, the worker)
    is SIGKILLed with scans queued and running, and everything is started again."""
    if configuration == "scaled":
        request.getfixturevalue("scale_services")
    repo = make_git_repo(tmp_path / "repo", {
        f"pkg/m{n}.py": "def f(x):\n    return eval(x)\n" * 20 for n in range(200)})
    with restartable(configuration, tmp_path, fetch_allow_file_urls="true",
                     scan_lease_seconds="2", scan_concurrency="1") as servers:
        server = servers.start()
        key = server.create_key("pro")
        with client_for(server, key) as client:
            ids = [client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                      "scan_type": "code"}).json()["id"]
                   for _ in range(4)]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if any(client.get(f"/api/v1/scans/{i}/status").json()["status"] == "running"
                       for i in ids):
                    break
                time.sleep(0.05)
        servers.kill()
        restarted = servers.start()
        with client_for(restarted, key) as client:
            finals = [wait_finished(client, i, timeout=120) for i in ids]
            assert [f["status"] for f in finals] == ["completed"] * 4
            totals = {f["summary"]["total"] for f in finals}
            assert totals == {200 * 20}
            for scan_id in ids:
                page = client.get(f"/api/v1/scans/{scan_id}/results", params={"limit": 1}).json()
                assert page["total"] == 4000
