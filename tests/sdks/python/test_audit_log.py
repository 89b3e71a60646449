"""The audit log through the SDK against a real server: security-relevant actions are
recorded with who did them and what changed (never a secret), admin keys read them, other
keys and organisations do not."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from tavo import SyncTavoClient, TavoAPIError
from tavo.types import AuditLog

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer, make_git_repo

SECRET = "hook-secret-value-" + "z" * 10


def admin_key(server: LiveServer, org: str) -> str:
    response = httpx.post(f"{server.base_url}/api/v1/admin/keys",
                          json={"tier": "pro", "org": org, "admin": True},
                          headers={"Authorization": f"Bearer {server.admin_key}"})
    response.raise_for_status()
    return str(response.json()["key"])


def test_actions_are_recorded_and_readable_by_admins(
    server: LiveServer, keys: Keys, tmp_path: Path
) -> None:
    org = f"audit-{uuid.uuid4().hex[:8]}"
    admin = admin_key(server, org)
    member = keys.unlimited(org=org)
    url = make_git_repo(tmp_path / "audited", {"app.py": "x = eval(input())\n"}).as_uri()
    with SyncTavoClient(member, base_url=server.base_url) as client:
        scan = client.scan_management.create_scan(repository_url=url, scan_type="code")
        client.scan_management.wait_for_scan(scan.id, timeout=300)
        hook = client.webhooks.create_webhook("https://93.184.216.34/hook", ["scan.failed"])
        client.webhooks.update_webhook(hook.id, rotate_secret=True)
        client.webhooks.delete_webhook(hook.id)
        client.repositories.update_repository(url, hook_secret=SECRET)
        finding = client.findings.list_findings().items[0]
        client.findings.triage_finding(finding.id, "false_positive", comment="fixture")
        client.scan_management.delete_scan(scan.id)
        with pytest.raises(TavoAPIError) as refused:
            client.audit_log.list_audit_log()
        assert refused.value.status_code == 403
    with SyncTavoClient(admin, base_url=server.base_url) as reader:
        log = reader.audit_log.list_audit_log(limit=100)
        assert isinstance(log, AuditLog)
        actions = [entry.action for entry in log.items]
        assert actions == ["scan.deleted", "finding.triaged", "repository.updated",
                           "webhook.deleted", "webhook.updated", "webhook.created"]
        assert {entry.actor for entry in log.items} == {log.items[0].actor}
        assert log.items[0].actor.startswith("key_")
        rotated = log.items[4]
        assert rotated.details["secret_rotated"] is True
        assert log.items[2].details["hook_secret"] == "set"
        assert SECRET not in json.dumps(log.to_dict())
        webhooks = reader.audit_log.list_audit_log(action="webhook.")
        assert webhooks.total == 3
        assert reader.audit_log.list_audit_log(target_id=finding.id).items[0].details[
            "comment"] == "fixture"
    with SyncTavoClient(admin_key(server, f"other-{uuid.uuid4().hex[:6]}"),
                        base_url=server.base_url) as stranger:
        assert stranger.audit_log.list_audit_log().total == 0
