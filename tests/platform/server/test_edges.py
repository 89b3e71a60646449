"""Server edge cases found by trying the API as a newcomer and as an attacker would."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.inprocess import ApiClient


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
