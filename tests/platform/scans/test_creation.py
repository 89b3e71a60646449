"""Every way of creating a scan goes through the scans service in one order (validate,
authorise, charge the budget, persist, enqueue): a refused request charges nothing and
writes nothing, whichever route it came by."""

from __future__ import annotations

import io
import tarfile
from datetime import timedelta

from tests.support.inprocess import InProcessApi, auth

GOOD_URL = "https://127.0.0.1/org/repo.git"


def tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def scan_count(api: InProcessApi, key: str) -> int:
    response = api.client.get("/api/v1/scans", headers=auth(key))
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def test_a_refused_single_create_charges_nothing(api: InProcessApi) -> None:
    """The known bug: a single create spent the scan budget before validating the request,
    so three refused requests used up a budget of two."""
    key = api.create_key(org="refused-single", scans_per_hour=2)
    refused = [
        {"repository_url": GOOD_URL, "rules": ["no-such-rule-anywhere"]},
        {"repository_url": "https://169.254.169.254/latest/meta-data"},
        {"repository_url": "ftp://127.0.0.1/repo.git"},
    ]
    for body in refused:
        response = api.client.post("/api/v1/scans", json=body, headers=auth(key))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] in {"UNKNOWN_RULES", "INVALID_REPOSITORY_URL"}
    assert scan_count(api, key) == 0
    remaining = []
    for _ in range(2):
        response = api.client.post("/api/v1/scans", json={"repository_url": GOOD_URL},
                                   headers=auth(key))
        assert response.status_code == 202, response.text
        remaining.append(response.headers["X-Scans-Remaining"])
    assert remaining == ["1", "0"]
    spent = api.client.post("/api/v1/scans", json={"repository_url": GOOD_URL},
                            headers=auth(key))
    assert spent.status_code == 429
    assert spent.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert spent.json()["error"]["details"]["retry_after"] > 0
    assert scan_count(api, key) == 2


def test_a_refused_upload_charges_nothing(api: InProcessApi) -> None:
    key = api.create_key(org="refused-upload", scans_per_hour=1)
    headers = {**auth(key), "Content-Type": "application/gzip"}
    archive = tarball({"app.py": "print('hello')\n"})
    unknown = api.client.post("/api/v1/uploads/scans", params={"rules": "no-such-rule"},
                              content=archive, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "UNKNOWN_RULES"
    broken = api.client.post("/api/v1/uploads/scans", content=b"not an archive at all",
                             headers=headers)
    assert broken.status_code == 422, broken.text
    assert broken.json()["error"]["code"] in {"INVALID_ARCHIVE", "UNSAFE_ARCHIVE"}
    created = api.client.post("/api/v1/uploads/scans", content=archive, headers=headers)
    assert created.status_code == 202, created.text
    assert created.headers["X-Scans-Remaining"] == "0"
    assert created.json()["upload"]["files"] == 1


def test_refused_bulk_items_charge_nothing(api: InProcessApi) -> None:
    key = api.create_key(org="refused-bulk", scans_per_hour=2)
    items = [
        {"repository_url": GOOD_URL, "rules": ["no-such-rule"]},
        {"repository_url": "ftp://127.0.0.1/repo.git"},
        {"repository_url": GOOD_URL, "scan_type": "not-a-type"},
        {"repository_url": GOOD_URL},
        {"repository_url": GOOD_URL, "branch": "main"},
        {"repository_url": GOOD_URL, "branch": "dev"},
    ]
    response = api.client.post("/api/v1/scans/bulk", json={"scans": items}, headers=auth(key))
    assert response.status_code == 200, response.text
    codes = [r["error"]["code"] if not r["success"] else "ok" for r in response.json()["results"]]
    assert codes == ["UNKNOWN_RULES", "INVALID_REPOSITORY_URL", "VALIDATION_ERROR", "ok", "ok",
                     "RATE_LIMIT_EXCEEDED"]
    assert scan_count(api, key) == 2


def test_single_create_replays_and_refuses_a_reused_key(api: InProcessApi) -> None:
    key = api.create_key(org="replay", scans_per_hour=1)
    headers = {**auth(key), "Idempotency-Key": "create-once"}
    body = {"repository_url": GOOD_URL}
    first = api.client.post("/api/v1/scans", json=body, headers=headers)
    assert first.status_code == 202, first.text
    # The retry returns the first scan, and costs no budget (the budget is spent already).
    again = api.client.post("/api/v1/scans", json=body, headers=headers)
    assert again.status_code == 202, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = api.client.post("/api/v1/scans", json={**body, "branch": "dev"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert scan_count(api, key) == 1


def test_cancel_goes_through_the_service(api: InProcessApi) -> None:
    key = api.create_key(org="cancel")
    created = api.client.post("/api/v1/scans", json={"repository_url": GOOD_URL},
                              headers=auth(key))
    scan_id = created.json()["id"]
    cancelled = api.client.post(f"/api/v1/scans/{scan_id}/cancel", headers=auth(key))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    missing = api.client.post(f"/api/v1/scans/{'x' * 65}/cancel", headers=auth(key))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_delete_refuses_a_running_scan_and_removes_a_finished_one(api: InProcessApi) -> None:
    key = api.create_key(org="delete")
    created = api.client.post("/api/v1/scans", json={"repository_url": GOOD_URL},
                              headers=auth(key))
    scan_id = created.json()["id"]
    claimed = api.run(api.state.store.claim_scan, "test-worker", timedelta(minutes=5))
    assert claimed is not None and claimed.id == scan_id
    running = api.client.delete(f"/api/v1/scans/{scan_id}", headers=auth(key))
    assert running.status_code == 409
    assert running.json()["error"]["code"] == "SCAN_RUNNING"
    bulk = api.client.post("/api/v1/scans/bulk/delete", json=[scan_id, "scan_missing"],
                           headers=auth(key))
    assert [r["error"]["code"] for r in bulk.json()["results"]] == ["SCAN_RUNNING", "NOT_FOUND"]
    api.client.post(f"/api/v1/scans/{scan_id}/cancel", headers=auth(key))
    api.run(api.state.store.finish_scan, scan_id, "test-worker", status="cancelled",
            summary=None, results=[])
    assert api.client.delete(f"/api/v1/scans/{scan_id}", headers=auth(key)).status_code == 204
    gone = api.client.delete(f"/api/v1/scans/{scan_id}", headers=auth(key))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "NOT_FOUND"
