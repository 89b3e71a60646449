"""Bulk cancel and delete through the SDK against a real server: a result per id, in order;
unknown, foreign and repeated ids fail on their own; bad bodies change nothing."""

from __future__ import annotations

import httpx
import pytest
from tavo import SyncTavoClient, TavoNotFoundError
from tavo.types import BulkActionResult

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer

MISSING = "scan_" + "0" * 32


def test_bulk_cancel_and_delete(server: LiveServer, keys: Keys, repository_url: str) -> None:
    key, other = keys.unlimited(), keys.unlimited()
    with SyncTavoClient(other, base_url=server.base_url) as stranger:
        foreign = stranger.scan_management.create_scan(repository_url=repository_url).id
    with SyncTavoClient(key, base_url=server.base_url) as client:
        ids = [client.scan_management.create_scan(repository_url=repository_url).id
               for _ in range(4)]
        cancelled = client.scan_bulk_operations.bulk_cancel_scans([*ids, MISSING, foreign])
        assert isinstance(cancelled, BulkActionResult)
        assert [item.index for item in cancelled.results] == list(range(6))
        assert [item.success for item in cancelled.results] == [True] * 4 + [False] * 2
        assert {item.error.code for item in cancelled.results[4:] if item.error} == {"NOT_FOUND"}
        assert cancelled.succeeded == 4 and cancelled.failed == 2
        for item in cancelled.results[:4]:
            assert item.scan is not None and item.id == item.scan.id
            final = client.scan_management.wait_for_scan(item.id, timeout=300)
            # Queued ones were cancelled at once; a running one stops; a finished one stays.
            assert final.status in ("cancelled", "completed")
            if not item.cancelled:  # it had finished before the request
                assert final.status == "completed"

        deleted = client.scan_bulk_operations.bulk_delete_scans([ids[0], ids[0], *ids[1:],
                                                                 foreign])
        assert [item.success for item in deleted.results] == [True, False, True, True, True,
                                                              False]
        assert deleted.results[1].error is not None
        assert deleted.results[1].error.code == "NOT_FOUND"
        for scan_id in ids:
            with pytest.raises(TavoNotFoundError):
                client.scan_management.get_scan(scan_id)
    with SyncTavoClient(other, base_url=server.base_url) as stranger:
        assert stranger.scan_management.get_scan(foreign).id == foreign  # untouched


def test_bad_bulk_bodies(server: LiveServer, keys: Keys, repository_url: str) -> None:
    key = keys.unlimited()
    with SyncTavoClient(key, base_url=server.base_url) as client:
        scan = client.scan_management.create_scan(repository_url=repository_url)
    for action in ("cancel", "delete"):
        for body in ([], {"scan_ids": []}, {"ids": [scan.id]}, ["x"] * 501, [""], 5):
            response = httpx.post(f"{server.base_url}/api/v1/scans/bulk/{action}", json=body,
                                  headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 422, (action, body)
            assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    with SyncTavoClient(key, base_url=server.base_url) as client:
        assert client.scan_management.get_scan(scan.id).id == scan.id
