"""Shallow, bounded git clones of checked URLs."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tavo_platform.fetch import FetchError
from tavo_platform.fetch.urls import CheckedURL

_SIZE_POLL_SECONDS = 0.5


def _git_environment() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new "
        "-o UserKnownHostsFile=/dev/null -o ConnectTimeout=15",
        "LC_ALL": "C",
    }
    return env


def _pin_options(checked: CheckedURL) -> list[str]:
    """Make git's HTTP client connect to the addresses we vetted, not a fresh DNS answer."""
    if checked.scheme not in ("http", "https") or not checked.addresses or checked.host is None:
        return []
    host = checked.host
    try:
        import ipaddress

        ipaddress.ip_address(host.strip("[]"))
        return []
    except ValueError:
        pass
    addresses = ",".join(f"[{a}]" if ":" in a else a for a in checked.addresses)
    return ["-c", f"http.curloptResolve={host}:{checked.port}:{addresses}"]


def clone_source(checked: CheckedURL) -> str:
    """What git is told to clone. ssh and git URLs name the checked address itself, so
    neither git nor ssh resolves the host again (http(s) keep the name, for TLS and virtual
    hosts, and are pinned with curloptResolve instead)."""
    if checked.scheme == "file":
        return checked.local_path or ""
    if checked.scheme not in ("ssh", "git") or not checked.addresses or checked.host is None:
        return checked.url
    address = checked.addresses[0]
    host = f"[{address}]" if ":" in address else address
    if "://" not in checked.url:  # scp-like [user@]host:path (the path stays home-relative)
        user, at, _ = checked.url.partition(":")[0].rpartition("@")
        return f"{user}{at}{host}:{checked.url.partition(':')[2]}"
    parts = urlsplit(checked.url)
    user = f"{parts.username}@" if parts.username else ""
    return f"{checked.scheme}://{user}{host}:{checked.port}{parts.path}"


@dataclass(frozen=True)
class GitCredentials:
    """How to authenticate a clone of a private repository: an HTTPS token (sent as basic
    auth) or an SSH deploy key. Handed to git through its environment and a key file of
    mode 0600, never on its command line (which other local users can read) nor in a URL
    (which error messages would repeat)."""

    kind: str  # https_token | ssh_key
    secret: str
    username: str = "x-access-token"

    def __repr__(self) -> str:  # never in logs or tracebacks
        return f"GitCredentials(kind={self.kind!r}, secret=<hidden>)"


def _with_credentials(
    env: dict[str, str], credentials: GitCredentials | None, key_file: Path
) -> dict[str, str]:
    if credentials is None:
        return env
    if credentials.kind == "https_token":
        token = base64.b64encode(f"{credentials.username}:{credentials.secret}".encode()).decode()
        return {**env, "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {token}"}
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(credentials.secret.strip() + "\n")
    return {**env, "GIT_SSH_COMMAND": env["GIT_SSH_COMMAND"]
            + f" -o IdentitiesOnly=yes -i {shlex.quote(str(key_file))}"}


async def clone(
    checked: CheckedURL,
    destination: Path,
    *,
    branch: str | None,
    timeout: float,
    max_bytes: int,
    credentials: GitCredentials | None = None,
) -> None:
    key_file = destination.parent / f".{destination.name}.key"
    try:
        await _clone(checked, destination, branch, timeout, max_bytes,
                     _with_credentials(_git_environment(), credentials, key_file))
    finally:
        key_file.unlink(missing_ok=True)


async def _clone(
    checked: CheckedURL,
    destination: Path,
    branch: str | None,
    timeout: float,
    max_bytes: int,
    env: dict[str, str],
) -> None:
    if branch is not None and (branch.startswith("-") or any(c in branch for c in " \t\n~^:?*[\\")):
        raise FetchError(f"invalid branch name {branch!r}")
    process = await asyncio.create_subprocess_exec(
        *_clone_command(checked, destination, branch),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    watcher = asyncio.create_task(_watch_size(destination, max_bytes, process))
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        _kill(process)
        await process.wait()
        shutil.rmtree(destination, ignore_errors=True)
        raise FetchError(f"git clone took longer than {timeout:.0f}s") from None
    finally:
        watcher.cancel()
    if watcher.done() and not watcher.cancelled() and watcher.result():
        shutil.rmtree(destination, ignore_errors=True)
        raise FetchError(f"repository is larger than {max_bytes} bytes")
    if process.returncode != 0:
        shutil.rmtree(destination, ignore_errors=True)
        raise FetchError(f"git clone failed: {_last_line(stderr)}")


def _clone_command(checked: CheckedURL, destination: Path, branch: str | None) -> list[str]:
    """A shallow, single-branch clone allowing only the checked URL's protocol family,
    pinned to the addresses the URL check resolved (see _pin_options)."""
    source = clone_source(checked)
    protocols = "file" if checked.scheme == "file" else "https:http:ssh:git"
    return [
        "git",
        "-c",
        "protocol.allow=never",
        *[
            part
            for proto in protocols.split(":")
            for part in ("-c", f"protocol.{proto}.allow=always")
        ],
        "-c",
        "core.symlinks=true",
        "-c",
        "http.followRedirects=false",
        *_pin_options(checked),
        "clone",
        "--depth",
        "1",
        "--single-branch",
        "--no-tags",
        "--quiet",
        *(["--branch", branch] if branch else []),
        "--",
        source or "",
        str(destination),
    ]


async def _watch_size(path: Path, max_bytes: int, process: asyncio.subprocess.Process) -> bool:
    while process.returncode is None:
        await asyncio.sleep(_SIZE_POLL_SECONDS)
        if await asyncio.to_thread(_tree_size, path) > max_bytes:
            _kill(process)
            return True
    return False


def _tree_size(path: Path) -> int:
    total = 0
    for directory, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(directory, name)).st_size
    return total


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, 9)


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    text = lines[-1] if lines else "unknown error"
    # git may echo the URL; never echo credentials embedded in it.
    import re

    return re.sub(r"://[^/@\s]+@", "://***@", text)[:300]


async def head_commit(work_tree: Path) -> str | None:
    """The commit a clone has checked out (None if git cannot tell)."""
    process = await asyncio.create_subprocess_exec(
        "git", "-C", str(work_tree), "rev-parse", "--verify", "HEAD",
        env=_git_environment(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    stdout, _ = await process.communicate()
    sha = stdout.decode("ascii", "replace").strip()
    return sha if process.returncode == 0 and len(sha) in (40, 64) else None
