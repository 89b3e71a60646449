"""Server edge cases found by trying the API as a newcomer and as an attacker would."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from tavo_platform.server.auth import display_prefix, hash_key
from tavo_platform.server.ratelimit import Decision, WindowState, _allowed, rate_limit_headers

from tests.support.inprocess import ApiClient, InProcessApi


def test_docs_work_offline(api_client: ApiClient) -> None:
    """The docs page loads Swagger UI from the server itself, never from a CDN."""
    page = api_client.get("/api/v1/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text)
    assets = [a or b for a, b in urls]
    assert assets, page.text
    for asset in assets:
        assert asset.startswith("/api/v1/"), asset
        fetched = api_client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 100
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)


def test_severity_filters_take_any_case(api_client: ApiClient, org_key: str) -> None:
    headers = {"X-API-Key": org_key}
    upper = api_client.get("/api/v1/rules", params={"severity": "CRITICAL"}, headers=headers)
    lower = api_client.get("/api/v1/rules", params={"severity": "critical"}, headers=headers)
    mixed = api_client.get("/api/v1/rules", params={"severity": "Critical"}, headers=headers)
    assert upper.status_code == lower.status_code == mixed.status_code == 200, lower.text
    assert upper.json()["total"] == lower.json()["total"] == mixed.json()["total"] > 0
    bad = api_client.get("/api/v1/rules", params={"severity": "urgent"}, headers=headers)
    assert bad.status_code == 422


def vary_names(response: httpx.Response) -> list[str]:
    return [token.strip().lower() for value in response.headers.get_list("vary")
            for token in value.split(",") if token.strip()]


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_vary_names_each_field_once(api_client: ApiClient, org_key: str, encoding: str) -> None:
    for url in ("/api/v1/rules", "/api/v1/rules/packs", "/api/v1/scans"):
        response = api_client.get(url, headers={"X-API-Key": org_key,
                                                "Accept-Encoding": encoding})
        assert response.status_code == 200, url
        names = vary_names(response)
        assert len(names) == len(set(names)), (url, response.headers.get_list("vary"))


def test_gzip_and_identity_bodies_have_different_etags(
    api_client: ApiClient, org_key: str
) -> None:
    def get(encoding: str, etag: str | None = None) -> httpx.Response:
        headers = {"X-API-Key": org_key, "Accept-Encoding": encoding}
        if etag:
            headers["If-None-Match"] = etag
        return api_client.get("/api/v1/rules", headers=headers)

    zipped, plain = get("gzip"), get("identity")
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["etag"] != plain.headers["etag"]
    again = get("gzip", zipped.headers["etag"])
    assert again.status_code == 304 and again.headers["etag"] == zipped.headers["etag"]
    again = get("identity", plain.headers["etag"])
    assert again.status_code == 304 and again.headers["etag"] == plain.headers["etag"]


def test_metrics_need_an_admin_key(api: InProcessApi, org_key: str) -> None:
    assert api.client.get("/metrics").status_code == 401
    assert api.client.get("/metrics", headers={"X-API-Key": org_key}).status_code == 403
    organization = api.run(api.state.store.ensure_organization, "ops")
    admin_key = "tavo_" + "a" * 43
    api.run(api.state.store.add_api_key, organization.id, hash_key(admin_key),
            display_prefix(admin_key), "enterprise", name="admin", is_admin=True)
    response = api.client.get("/metrics", headers={"X-API-Key": admin_key})
    assert response.status_code == 200 and "tavo_" in response.text


def test_revoked_and_unknown_keys_get_the_same_answer(api: InProcessApi) -> None:
    key = api.create_key(org="leaver")
    record = api.run(api.state.store.api_key_by_hash, hash_key(key))
    assert record is not None
    api.run(api.state.store.revoke_api_key, record.id)
    api.state.auth.forget()
    revoked = api.client.get("/api/v1/scans", headers={"X-API-Key": key})
    unknown = api.client.get("/api/v1/scans", headers={"X-API-Key": "tavo_" + "x" * 43})
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.json()["error"] == unknown.json()["error"]


def test_bulk_status_does_not_echo_a_huge_id(api_client: ApiClient, org_key: str) -> None:
    huge = "s" * 1_000_000
    response = api_client.post("/api/v1/scans/bulk/status", json={"scan_ids": [huge]},
                               headers={"X-API-Key": org_key})
    assert response.status_code == 422
    assert len(response.content) < 2000 and huge[:100] not in response.text


def test_retry_after_never_exceeds_the_window() -> None:
    window = WindowState("hour", 10, 0, int(time.time()) + 10 * 3600, 3600)
    decision = Decision(False, window, (window,))
    assert decision.retry_after == 3600
    assert rate_limit_headers(decision)["Retry-After"] == "3600"


def test_the_binding_window_is_the_least_remaining_and_the_shorter_on_a_tie() -> None:
    hour = WindowState("hour", 10, 4, 0, 3600)
    day = WindowState("day", 100, 4, 0, 86400)
    assert _allowed([day, hour]).binding is hour
    assert _allowed([hour, WindowState("day", 100, 3, 0, 86400)]).binding.name == "day"
    twin = WindowState("twin", 10, 4, 0, 3600)
    assert _allowed([hour, twin]).binding is hour  # a full tie: the first, as min() gives
    assert _allowed([hour]).windows == (hour,)


def test_a_202_carries_the_scan_budget(api: InProcessApi) -> None:
    key = api.create_key(org="budget", scans_per_hour=5)
    response = api.client.post("/api/v1/scans", headers={"X-API-Key": key},
                               json={"repository_url": "https://127.0.0.1/org/repo.git"})
    assert response.status_code == 202, response.text
    assert response.headers["X-Scans-Limit"] == "5"
    assert response.headers["X-Scans-Remaining"] == "4"
    assert int(response.headers["X-Scans-Reset"]) > time.time()


def test_conditional_gets_are_counted_exactly(api: InProcessApi) -> None:
    """A conditional GET whose ETag does not match costs a request like any other, even
    when many arrive at once; one answered 304 costs nothing."""
    key = api.create_key(org="exact", requests_per_hour=20)
    headers = {"X-API-Key": key, "If-None-Match": '"does-not-match"'}
    answers = api.client.concurrently(*[("GET", "/api/v1/rules", {"headers": headers})] * 30)
    codes = sorted(response.status_code for response in answers)
    assert codes.count(200) == 20 and codes.count(429) == 10, codes


def test_a_304_costs_nothing(api: InProcessApi) -> None:
    key = api.create_key(org="free304", requests_per_hour=3)
    first = api.client.get("/api/v1/rules", headers={"X-API-Key": key})
    etag = first.headers["etag"]
    for _ in range(10):
        again = api.client.get("/api/v1/rules", headers={"X-API-Key": key,
                                                         "If-None-Match": etag})
        assert again.status_code == 304
        assert again.headers["X-RateLimit-Remaining"] == "2"
    assert api.client.get("/api/v1/rules", headers={"X-API-Key": key}).status_code == 200
    assert api.client.get("/api/v1/rules", headers={"X-API-Key": key}).status_code == 200
    assert api.client.get("/api/v1/rules", headers={"X-API-Key": key}).status_code == 429
