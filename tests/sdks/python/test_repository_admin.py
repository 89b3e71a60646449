"""Repository management through the SDK, and inbound GitHub hooks as GitHub sends them
(signed with the repository's hook secret), against a real server."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from tavo import SyncTavoClient, TavoNotFoundError, TavoValidationError

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer, make_git_repo

SECRET = "hook-secret-" + "x" * 20
APP = 'import subprocess\n\n\ndef run(cmd):\n    subprocess.call("ls " + cmd, shell=True)\n'
GIT = ["git", "-c", "user.email=tests@tavo.invalid", "-c", "user.name=tests"]


def repository(root: Path) -> Path:
    make_git_repo(root, {"app.py": APP})
    subprocess.run([*GIT, "checkout", "-q", "-b", "feature"], cwd=root, check=True)
    (root / "app.py").write_text(APP + "\n\ndef f(x):\n    return eval(x)\n", encoding="utf-8")
    subprocess.run([*GIT, "commit", "-q", "-am", "feature"], cwd=root, check=True)
    subprocess.run([*GIT, "checkout", "-q", "main"], cwd=root, check=True)
    return root


def deliver(server: LiveServer, event: str, payload: dict[str, Any], secret: str = SECRET,
            delivery: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{server.base_url}/api/v1/hooks/github", content=body, timeout=30,
        headers={"X-GitHub-Event": event, "X-Hub-Signature-256": signature,
                 "X-GitHub-Delivery": delivery or uuid.uuid4().hex,
                 "Content-Type": "application/json"},
    )


def test_manage_repositories_and_github_hooks(
    server: LiveServer, keys: Keys, tmp_path: Path
) -> None:
    root = repository(tmp_path / f"gh-{uuid.uuid4().hex[:6]}")
    url = root.as_uri()
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        registered = client.repositories.create_repository(url=url)
        assert registered.hooks_enabled is False
        first = client.scan_management.create_scan(repository_url=url, scan_type="code")
        client.scan_management.wait_for_scan(first.id, timeout=300)
        updated = client.repositories.update_repository(
            registered.id, name="payments", default_branch="main", hook_secret=SECRET
        )
        assert updated.name == "payments" and updated.default_branch == "main"
        assert updated.hooks_enabled and SECRET not in json.dumps(updated.to_dict())
        assert updated.open_findings["total"] >= 1
        assert client.repositories.get_repository(url).last_scan is not None

        # A push and a pull request, as GitHub delivers them.
        repo_payload = {"repository": {"clone_url": url, "html_url": url}}
        pushed = deliver(server, "push", {**repo_payload, "ref": "refs/heads/main"},
                         delivery="d-push")
        assert pushed.status_code == 202, pushed.text
        [push_scan] = pushed.json()["scans"]
        assert push_scan["ref"] == "main" and push_scan["base_ref"] is None
        again = deliver(server, "push", {**repo_payload, "ref": "refs/heads/main"},
                        delivery="d-push")
        assert [s["id"] for s in again.json()["scans"]] == [push_scan["id"]]  # a retry
        pull = {**repo_payload, "action": "opened",
                "pull_request": {"head": {"ref": "feature"}, "base": {"ref": "main"}}}
        opened = deliver(server, "pull_request", pull)
        assert opened.status_code == 202, opened.text
        [pr_scan] = opened.json()["scans"]
        assert (pr_scan["ref"], pr_scan["base_ref"]) == ("feature", "main")
        done = client.scan_management.wait_for_scan(pr_scan["id"], timeout=300)
        assert done.status == "completed"
        new = client.scan_management.get_scan_results(pr_scan["id"]).vulnerabilities
        assert new and all("eval" in v.snippet for v in new)
        client.scan_management.wait_for_scan(push_scan["id"], timeout=300)

        scans_before = client.scan_management.list_scans(limit=100).total
        assert deliver(server, "push", {**repo_payload, "ref": "refs/heads/main"},
                       secret="wrong-secret-wrong").status_code == 401
        unknown = {"repository": {"clone_url": "https://example.com/other.git"},
                   "ref": "refs/heads/main"}
        assert deliver(server, "push", unknown).status_code == 401
        assert deliver(server, "ping", repo_payload).status_code == 200
        closed = deliver(server, "pull_request", {**pull, "action": "closed"})
        assert closed.status_code == 202 and closed.json()["ignored"] is True
        bad_ref = deliver(server, "push", {**repo_payload, "ref": "refs/heads/--upload-pack"})
        assert bad_ref.status_code == 422
        unsigned = httpx.post(f"{server.base_url}/api/v1/hooks/github", json=repo_payload,
                              headers={"X-GitHub-Event": "push"})
        assert unsigned.status_code == 401
        assert unsigned.json()["error"]["code"] == "INVALID_SIGNATURE"
        assert client.scan_management.list_scans(limit=100).total == scans_before

        for bad in ({"hook_secret": "short"}, {"name": None}):
            with pytest.raises(TavoValidationError):
                client.repositories.update_repository(registered.id, **bad)
        client.schedules.create_schedule(registered.id, "0 3 * * *")

    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as stranger:
        with pytest.raises(TavoNotFoundError):
            stranger.repositories.update_repository(registered.id, name="mine")
        with pytest.raises(TavoNotFoundError):
            stranger.repositories.delete_repository(registered.id)


def test_delete_takes_scans_findings_and_schedules(
    server: LiveServer, keys: Keys, tmp_path: Path
) -> None:
    root = make_git_repo(tmp_path / "gone", {"app.py": APP})
    url = root.as_uri()
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        scan = client.scan_management.create_scan(repository_url=url, scan_type="code")
        client.scan_management.wait_for_scan(scan.id, timeout=300)
        schedule = client.schedules.create_schedule(url, "0 3 * * *")
        assert client.findings.list_findings(repository=url).total >= 1
        client.repositories.delete_repository(url)
        with pytest.raises(TavoNotFoundError):
            client.repositories.get_repository(url)
        with pytest.raises(TavoNotFoundError):
            client.scan_management.get_scan(scan.id)
        with pytest.raises(TavoNotFoundError):
            client.schedules.get_schedule(schedule.id)
        assert client.findings.list_findings().total == 0
