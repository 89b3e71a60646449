"""`tavo remote` end to end against a real server: login (key kept 0600), scans of an
uploaded working tree (.gitignore honoured) and of a repository followed to the end and
printed as `tavo scan` prints (formats, exit codes), findings across scans, triage."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from tavo_platform.cli import app
from typer.testing import CliRunner

from tests.support.live import LiveServer, make_git_repo, server_env

APP = "def f(x):\n    return eval(x)\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("remote-server"),
                      server_env(fetch_allow_file_urls="true")).start()
    try:
        yield live
    finally:
        live.stop()


def new_key(server: LiveServer) -> str:
    response = httpx.post(f"{server.base_url}/api/v1/admin/keys",
                          json={"tier": "pro", "org": f"remote-{id(object())}"},
                          headers={"Authorization": f"Bearer {server.admin_key}"})
    response.raise_for_status()
    return str(response.json()["key"])


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TAVO_API_KEY", raising=False)
    monkeypatch.delenv("TAVO_BASE_URL", raising=False)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["remote", *map(str, args)])

    return run


def test_remote_login_scan_findings_triage(
    server: LiveServer, remote: Callable[..., Result], tmp_path: Path
) -> None:
    refused = remote("login", "--url", server.base_url, "--api-key", "tavo_wrong")
    assert refused.exit_code == 2 and "INVALID_API_KEY" in refused.output
    assert remote("findings").exit_code == 2  # not logged in
    key = new_key(server)
    logged = remote("login", "--url", server.base_url, "--api-key", key)
    assert logged.exit_code == 0, logged.output
    config = tmp_path / "config" / "tavo" / "remote.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["api_key"] == key

    tree = tmp_path / "tree"
    make_git_repo(tree, {"app.py": APP, ".gitignore": "vendor/\n"})
    (tree / "vendor").mkdir()
    (tree / "vendor" / "lib.py").write_text(APP)  # ignored: never uploaded
    scanned = remote("scan", tree, "--format", "json", "--project", "cli-demo",
                     "--scan-type", "code")
    assert scanned.exit_code == 1, scanned.output
    document = json.loads(scanned.stdout)
    paths = {f["path"] for f in document["findings"]}
    assert paths == {"app.py"}
    assert remote("scan", tree, "--fail-on", "never", "--scan-type", "code").exit_code == 0
    sarif = remote("scan", "--repo", tree.as_uri(), "--format", "sarif", "--scan-type", "code")
    assert sarif.exit_code == 1 and json.loads(sarif.stdout)["version"] == "2.1.0"

    listed = remote("findings", "--json")
    assert listed.exit_code == 0
    items = json.loads(listed.stdout)["items"]
    assert items and {i["status"] for i in items} == {"open"}
    triaged = remote("triage", items[0]["id"], "false_positive", "-m", "test data")
    assert triaged.exit_code == 0 and "false_positive" in triaged.output
    bad = remote("triage", items[0]["id"], "fixed")
    assert bad.exit_code == 2 and "VALIDATION_ERROR" in bad.output
    assert remote("scan", tmp_path / "missing").exit_code == 2
