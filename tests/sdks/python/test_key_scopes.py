"""Scoped keys (read-only, scans-only) and key rotation with an overlap window, against a
real server through the SDK."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from tavo import SyncTavoClient, TavoAPIError, TavoAuthError

from tests.support.live import LiveServer


def create(server: LiveServer, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{server.base_url}/api/v1/admin/keys",
                          json={"tier": "pro", "org": f"scoped-{uuid.uuid4().hex[:8]}", **body},
                          headers={"Authorization": f"Bearer {server.admin_key}"})
    response.raise_for_status()
    return dict(response.json())


def test_scoped_keys(server: LiveServer, repository_url: str) -> None:
    read_only = create(server, scope="read-only")
    assert read_only["scope"] == "read-only"
    with SyncTavoClient(read_only["key"], base_url=server.base_url) as client:
        assert client.scan_management.list_scans().total == 0
        assert client.findings.list_findings().total == 0
        with pytest.raises(TavoAPIError) as refused:
            client.scan_management.create_scan(repository_url=repository_url)
        assert refused.value.status_code == 403 and refused.value.code == "KEY_SCOPE"
        with pytest.raises(TavoAPIError):
            client.webhooks.create_webhook("https://93.184.216.34/h", ["scan.failed"])
        assert client.scan_management.list_scans().total == 0
    scans_only = create(server, scope="scans-only")
    with SyncTavoClient(scans_only["key"], base_url=server.base_url) as client:
        scan = client.scan_management.create_scan(repository_url=repository_url)
        assert client.scan_management.get_scan(scan.id).id == scan.id
        for call in (client.findings.list_findings, client.webhooks.list_webhooks,
                     client.repositories.list_repositories):
            with pytest.raises(TavoAPIError) as refused:
                call()
            assert refused.value.code == "KEY_SCOPE"
    bad = httpx.post(f"{server.base_url}/api/v1/admin/keys", json={"scope": "everything"},
                     headers={"Authorization": f"Bearer {server.admin_key}"})
    assert bad.status_code == 422


def test_rotation_keeps_the_old_key_for_the_overlap(server: LiveServer) -> None:
    old = create(server, scope="read-only")
    rotate = f"{server.base_url}/api/v1/admin/keys/{old['id']}/rotate"
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    rotated = httpx.post(rotate, json={"overlap_seconds": 3}, headers=admin)
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert new["scope"] == "read-only" and new["org_id"] == old["org_id"]
    assert new["replaces"]["id"] == old["id"] and new["replaces"]["expires_at"]
    for key in (old["key"], new["key"]):
        with SyncTavoClient(key, base_url=server.base_url) as client:
            client.scan_management.list_scans()
    time.sleep(6)  # the overlap, plus the authentication cache
    with (SyncTavoClient(old["key"], base_url=server.base_url, max_retries=0) as client,
          pytest.raises(TavoAuthError)):
        client.scan_management.list_scans()
    with SyncTavoClient(new["key"], base_url=server.base_url) as client:
        client.scan_management.list_scans()
    assert httpx.post(f"{server.base_url}/api/v1/admin/keys/key_missing/rotate", json={},
                      headers=admin).status_code == 404
    assert httpx.post(rotate, json={"overlap_seconds": -1}, headers=admin).status_code == 422
