"""Diffs between scans, diff-aware (pull-request) scans, commit SHAs and SARIF over the API,
through the SDK against a real server."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from tavo import SyncTavoClient, TavoAPIError, TavoNotFoundError, TavoValidationError
from tavo.types import ScanDiff

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer, make_git_repo

SCHEMA = Path(__file__).parents[2] / "platform" / "formats" / "data" / "sarif-schema-2.1.0.json"
BASE_APP = '''import subprocess


def run(user_command):
    subprocess.call("ls " + user_command, shell=True)
'''
FEATURE_APP = BASE_APP + '''

def evaluate(expression):
    return eval(expression)
'''
GIT = ["git", "-c", "user.email=tests@tavo.invalid", "-c", "user.name=tests"]


def git(root: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """`main` with a shell injection; `feature` adds an eval."""
    root = make_git_repo(tmp_path / f"pr-{uuid.uuid4().hex[:6]}", {"app.py": BASE_APP})
    git(root, "checkout", "-q", "-b", "feature")
    (root / "app.py").write_text(FEATURE_APP, encoding="utf-8")
    git(root, "commit", "-q", "-am", "feature")
    git(root, "checkout", "-q", "main")
    return root


def completed(client: SyncTavoClient, scan_id: str) -> None:
    final = client.scan_management.wait_for_scan(scan_id, timeout=300)
    assert final.status == "completed", final


def test_diff_diff_aware_scan_commit_and_sarif(
    server: LiveServer, keys: Keys, repository: Path
) -> None:
    url = repository.as_uri()
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        base = client.scan_management.create_scan(repository_url=url, scan_type="code")
        head = client.scan_management.create_scan(
            repository_url=url, scan_type="code", ref="feature"
        )
        completed(client, base.id)
        completed(client, head.id)
        head_scan = client.scan_management.get_scan(head.id)
        assert head_scan.ref == "feature" and head_scan.branch == "feature"
        assert head_scan.commit_sha == git(repository, "rev-parse", "feature")
        assert client.scan_management.get_scan(base.id).commit_sha == git(
            repository, "rev-parse", "main"
        )

        changes = client.scan_management.get_scan_diff(head.id, base.id)
        assert isinstance(changes, ScanDiff)
        assert [f.rule_id for f in changes.new] and all(
            "eval" in f.snippet for f in changes.new
        )
        assert changes.fixed == [] and changes.counts["unchanged"] >= 1
        backwards = client.scan_management.get_scan_diff(base.id, head.id)
        assert [f.fingerprint for f in backwards.fixed] == [f.fingerprint for f in changes.new]

        # A pull request's scan: only what the feature branch introduces.
        pull = client.scan_management.create_scan(
            repository_url=url, scan_type="code", ref="feature", base_ref="main"
        )
        completed(client, pull.id)
        pulled = client.scan_management.get_scan(pull.id)
        assert pulled.base_ref == "main" and pulled.summary is not None
        results = client.scan_management.get_scan_results(pull.id)
        assert sorted(v.fingerprint for v in results.vulnerabilities) == sorted(
            f.fingerprint for f in changes.new
        )
        assert pulled.summary.total == len(changes.new)
        assert pulled["summary"]["diff"] == {
            "base_ref": "main",
            "base_commit": git(repository, "rev-parse", "main"),
            "new": len(changes.new),
            "fixed": 0,
            "unchanged": changes.counts["unchanged"],
        }
        # A diff-aware scan does not move the tracked findings' lifecycle.
        tracked = client.findings.list_findings(repository=url, limit=100)
        assert {f.first_seen_scan_id for f in tracked.items} <= {base.id, head.id}

        log = client.scan_management.get_scan_sarif(head.id)
        validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
        assert [e.message for e in validator.iter_errors(log)] == []
        run = log["runs"][0]
        assert len(run["results"]) == head_scan.summary.total if head_scan.summary else False
        assert all(r["partialFingerprints"]["tavo/v1"] for r in run["results"])
        assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in run["results"]} == {"app.py"}
        assert run["versionControlProvenance"][0]["revisionId"] == head_scan.commit_sha
        rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
        assert {r["ruleId"] for r in run["results"]} == rule_ids


def test_bad_comparisons_and_refs_are_refused(
    server: LiveServer, keys: Keys, repository: Path, tmp_path: Path
) -> None:
    other = make_git_repo(tmp_path / "other", {"app.py": BASE_APP})
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        mine = client.scan_management.create_scan(repository_url=repository.as_uri(),
                                                  scan_type="code")
        theirs = client.scan_management.create_scan(repository_url=other.as_uri(),
                                                     scan_type="code")
        completed(client, mine.id)
        completed(client, theirs.id)
        with pytest.raises(TavoAPIError) as mismatch:
            client.scan_management.get_scan_diff(mine.id, theirs.id)
        assert mismatch.value.status_code == 422 and mismatch.value.code == "DIFF_SCOPE_MISMATCH"
        with pytest.raises(TavoNotFoundError):
            client.scan_management.get_scan_diff(mine.id, "scan_" + "0" * 32)
        for bad in ("--upload-pack=touch", "a..b", "feature branch"):
            with pytest.raises(TavoValidationError):
                client.scan_management.create_scan(repository_url=repository.as_uri(),
                                                   base_ref=bad)
        with pytest.raises(TavoValidationError):
            client.scan_management.create_scan(repository_url=repository.as_uri(),
                                               ref="feature", branch="main")
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as stranger:
        with pytest.raises(TavoNotFoundError):
            stranger.scan_management.get_scan_diff(mine.id, mine.id)
        with pytest.raises(TavoNotFoundError):
            stranger.scan_management.get_scan_sarif(mine.id)
