"""How credentials reach git: through its environment and a 0600 key file, never its
command line; the key file is gone once the clone ends, even when it fails."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from tavo_platform.fetch import FetchError
from tavo_platform.fetch.git import GitCredentials, _git_environment, _with_credentials, clone
from tavo_platform.fetch.urls import CheckedURL

KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----"


def test_token_goes_in_a_header_through_the_environment(tmp_path: Path) -> None:
    env = _with_credentials(_git_environment(), GitCredentials("https_token", "s3cr3t", "bot"),
                            tmp_path / "key")
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"] == "Authorization: Basic " + base64.b64encode(
        b"bot:s3cr3t").decode()
    assert not (tmp_path / "key").exists()
    assert "s3cr3t" not in repr(GitCredentials("https_token", "s3cr3t"))


def test_ssh_key_goes_in_a_private_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    env = _with_credentials(_git_environment(), GitCredentials("ssh_key", KEY), key_file)
    assert f"-i {key_file}" in env["GIT_SSH_COMMAND"] and "IdentitiesOnly=yes" in env[
        "GIT_SSH_COMMAND"]
    assert key_file.read_text() == KEY + "\n" and (key_file.stat().st_mode & 0o777) == 0o600


def test_the_key_file_is_removed_after_a_failed_clone(tmp_path: Path) -> None:
    checked = CheckedURL("ssh://127.0.0.1:1/none.git", "ssh", "127.0.0.1", 1, ("127.0.0.1",))
    with pytest.raises(FetchError):
        asyncio.run(clone(checked, tmp_path / "src", branch=None, timeout=30,
                          max_bytes=10**6, credentials=GitCredentials("ssh_key", KEY)))
    assert list(tmp_path.iterdir()) == []
