"""Server edge cases found by trying the API as a newcomer and as an attacker would."""

from __future__ import annotations

import re

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
