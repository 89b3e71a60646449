"""Repository URL policy (SSRF): every way of writing a loopback, private or metadata
address is refused, and the URL git is handed connects to the address that was checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tavo_platform.fetch import FetchError
from tavo_platform.fetch.git import clone_source
from tavo_platform.fetch.urls import check_repository_url
from tavo_platform.settings import Settings


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::127.0.0.1]",  # IPv4-compatible (deprecated form)
        "[::a9fe:a9fe]",  # IPv4-compatible 169.254.169.254
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
        "[64:ff9b:1::a9fe:a9fe]",  # local-use NAT64 prefix
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[2002:0a00:0001::1]",  # 6to4 of 10.0.0.1
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
        "192.0.0.1",
        "192.0.0.9",
        "192.0.0.170",
        "0.0.0.0",
        "100.64.0.1",
        "198.18.0.1",
    ],
)
def test_non_public_addresses_are_refused(host: str) -> None:
    for url in (f"https://{host}/repo.git", f"ssh://git@{host}/repo.git"):
        with pytest.raises(FetchError, match="non-public"):
            check_repository_url(url)


@pytest.mark.parametrize("host", ["[64:ff9b::808:808]", "[2002:808:808::1]", "8.8.8.8"])
def test_embedded_public_addresses_pass(host: str) -> None:
    assert check_repository_url(f"https://{host}/repo.git").addresses


def test_ssh_urls_are_pinned_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """git and ssh would resolve the name again: the URL they get names the address."""
    import socket

    def fake(host: str, port: int, **_: object) -> list[tuple]:  # type: ignore[type-arg]
        assert host == "git.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    scp = check_repository_url("git@git.example.com:team/repo.git")
    assert clone_source(scp) == "git@93.184.216.34:team/repo.git"
    bare = check_repository_url("git.example.com:repo.git")
    assert clone_source(bare) == "93.184.216.34:repo.git"
    ssh = check_repository_url("ssh://git@git.example.com:2222/team/repo.git")
    assert clone_source(ssh) == "ssh://git@93.184.216.34:2222/team/repo.git"
    v6 = check_repository_url("ssh://git@[2606:2800:220:1::1]/r.git")
    assert clone_source(v6) == "ssh://git@[2606:2800:220:1::1]:22/r.git"
    git = check_repository_url("git://git.example.com/r.git")
    assert clone_source(git) == "git://93.184.216.34:9418/r.git"
    https = check_repository_url("https://git.example.com/r.git")
    assert clone_source(https) == "https://git.example.com/r.git"  # pinned by curloptResolve


def test_file_urls_only_under_the_roots_an_admin_named(tmp_path: Path) -> None:
    allowed = tmp_path / "repos"
    (allowed / "app").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    os.symlink(tmp_path / "secret", allowed / "link")
    with pytest.raises(FetchError, match="not allowed"):
        check_repository_url((allowed / "app").as_uri())
    checked = check_repository_url((allowed / "app").as_uri(), file_roots=[allowed])
    assert checked.local_path == str(allowed / "app")
    for outside in (tmp_path / "secret", allowed / "link", allowed / ".." / "secret"):
        with pytest.raises(FetchError, match="outside the allowed"):
            check_repository_url(f"file://{outside}", file_roots=[allowed])


def test_settings_name_the_roots(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).file_url_roots == ()
    roots = Settings(data_dir=tmp_path, fetch_file_roots=[tmp_path]).file_url_roots
    assert roots == (tmp_path.resolve(),)
