"""Private repositories through the SDK against a real server: an HTTPS token stored
encrypted, used for the clone only, never in an answer, an error or the server's log."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tavo import SyncTavoClient, TavoValidationError

from tests.sdks.python.conftest import Keys
from tests.support.git_http import PrivateGitServer
from tests.support.live import LiveServer, make_git_repo, server_env

TOKEN = "ghp_privateTokenValue1234567890abcdef"
APP = "def f(x):\n    return eval(x)\n"


@pytest.fixture
def private_repo(tmp_path: Path) -> Iterator[tuple[PrivateGitServer, str]]:
    work = make_git_repo(tmp_path / "work", {"app.py": APP})
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(served / "private.git")],
                   check=True)
    server = PrivateGitServer(served, "x-access-token", TOKEN).start()
    try:
        yield server, server.url("private.git")
    finally:
        server.stop()


def test_https_token_credentials(private_repo: tuple[PrivateGitServer, str],
                                 tmp_path: Path) -> None:
    git_server, url = private_repo
    live = LiveServer(tmp_path / "data", server_env(fetch_allow_hosts='["127.0.0.1"]')).start()
    try:
        with SyncTavoClient(Keys(live).unlimited(), base_url=live.base_url) as client:
            denied = client.scan_management.create_scan(repository_url=url, scan_type="code")
            failed = client.scan_management.wait_for_scan(denied.id, timeout=300)
            assert failed.status == "failed" and git_server.refused >= 1

            repository = client.repositories.update_repository(
                url, credentials={"kind": "https_token", "token": TOKEN}
            )
            assert repository.credentials == {"kind": "https_token",
                                              "username": "x-access-token"}
            scan = client.scan_management.create_scan(repository_url=url, scan_type="code")
            done = client.scan_management.wait_for_scan(scan.id, timeout=300)
            assert done.status == "completed" and (done.total_findings or 0) >= 1

            client.repositories.update_repository(
                url, credentials={"kind": "https_token", "token": "wrong-token"}
            )
            wrong = client.scan_management.create_scan(repository_url=url, scan_type="code")
            wrong_done = client.scan_management.wait_for_scan(wrong.id, timeout=300)
            assert wrong_done.status == "failed"

            for bad in ({"kind": "ssh_key"}, {"kind": "ftp", "token": "x"},
                        {"kind": "https_token"}, {"kind": "ssh_key", "private_key": "nope"},
                        {"kind": "https_token", "token": "t", "username": "a:b"}):
                with pytest.raises(TavoValidationError):
                    client.repositories.update_repository(url, credentials=bad)
            assert client.repositories.get_repository(url).credentials is not None

            answers = json.dumps([client.repositories.get_repository(url).to_dict(),
                                  failed.to_dict(), wrong_done.to_dict(),
                                  client.repositories.list_repositories().to_dict()])
            assert TOKEN not in answers and "wrong-token" not in answers
            cleared = client.repositories.update_repository(url, credentials=None)
            assert cleared.credentials is None
    finally:
        live.stop()
    assert TOKEN not in "".join(live.output)
    database = (tmp_path / "data" / "tavo.db").read_bytes()
    for wal in (tmp_path / "data").glob("tavo.db-wal"):
        database += wal.read_bytes()
    assert TOKEN.encode() not in database
