"""GET /usage through the SDK against a real server: requests by day for the key, what is
left of each rate-limit window, and (admin keys only) the organisation's usage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tavo import SyncTavoClient, TavoAPIError, TavoValidationError
from tavo.types import Usage

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer


def test_usage_of_a_key_and_of_its_organisation(
    server: LiveServer, keys: Keys, repository_url: str
) -> None:
    key = keys.create("pro")
    today = datetime.now(UTC).date().isoformat()
    with SyncTavoClient(key, base_url=server.base_url, cache=False) as client:
        for _ in range(5):
            client.scan_management.list_scans(limit=1)
        client.scan_management.create_scan(repository_url=repository_url)
        usage = client.usage.get_usage(days=7)
        assert isinstance(usage, Usage) and len(usage.key.by_day) == 7
        assert usage.key.by_day[-1] == {"day": today, "requests": 7}  # with this one
        windows = {w.name: w for w in usage.key.windows}
        assert windows["hour"].limit == 1000 and windows["hour"].remaining == 1000 - 7
        assert windows["day"].remaining == 10_000 - 7
        assert windows["scans-hour"].limit == 50 and windows["scans-hour"].remaining == 49
        with pytest.raises(TavoAPIError) as refused:
            client.usage.get_usage(organization=True)
        assert refused.value.status_code == 403
        with pytest.raises(TavoValidationError):
            client.usage.get_usage(days=0)
    with SyncTavoClient(server.admin_key, base_url=server.base_url, cache=False) as admin:
        organisation = admin.usage.get_usage(days=2, organization=True).organization
        assert organisation is not None and len(organisation["by_day"]) == 2
        assert organisation["by_day"][-1]["requests"] >= 1
        assert any(entry["requests"] >= 1 for entry in organisation["by_key"])
