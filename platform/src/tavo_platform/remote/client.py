"""What `tavo remote` needs of a server: its address and key (kept in the user's config
file, mode 0600), HTTP calls with the API's error envelope turned into one message, and
the working tree packed for upload (what git tracks or would track: `.gitignore` honoured)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CONFIG_NAME = "remote.json"


class RemoteError(Exception):
    pass


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tavo" / CONFIG_NAME


@dataclass(frozen=True)
class Remote:
    url: str
    api_key: str

    def save(self) -> Path:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"url": self.url, "api_key": self.api_key}, handle)
        os.chmod(path, 0o600)  # an existing file keeps its mode otherwise
        return path

    @classmethod
    def load(cls) -> Remote:
        url, key = os.environ.get("TAVO_BASE_URL"), os.environ.get("TAVO_API_KEY")
        if url and key:
            return cls(url.rstrip("/"), key)
        try:
            document = json.loads(config_path().read_text(encoding="utf-8"))
            return cls(str(document["url"]).rstrip("/"), str(document["api_key"]))
        except (OSError, ValueError, KeyError, TypeError):
            raise RemoteError("not logged in: run `tavo remote login --url URL`") from None

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}", **kwargs.pop("headers", {})}
        try:
            response = httpx.request(method, self.url + path, headers=headers, timeout=60,
                                     **kwargs)
        except httpx.HTTPError as error:
            raise RemoteError(f"cannot reach {self.url}: {error}") from None
        if response.status_code >= 400:
            try:
                problem = response.json()["error"]
                message = f"{problem['code']}: {problem['message']}"
            except (ValueError, KeyError, TypeError):
                message = f"HTTP {response.status_code}"
            raise RemoteError(message)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RemoteError("the server answered with something that is not JSON") from None


def _tracked_files(root: Path) -> list[str] | None:
    """Files git tracks or would track (untracked but not ignored), or None outside git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"],
            capture_output=True, check=False,
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return [name for name in done.stdout.decode("utf-8", "replace").split("\0") if name]


def pack(root: Path) -> bytes:
    """The tree as a .tar.gz: inside a git work tree what git tracks or would track;
    elsewhere every file but those under `.git` and ignored by a top-level .gitignore."""
    names = _tracked_files(root)
    if names is None:
        import pathspec

        ignore = root / ".gitignore"
        spec = pathspec.GitIgnoreSpec.from_lines(
            ignore.read_text(encoding="utf-8", errors="replace").splitlines()
            if ignore.is_file() else []
        )
        names = [
            path.relative_to(root).as_posix()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not path.is_symlink() and ".git" not in path.parts
            and not spec.match_file(path.relative_to(root).as_posix())
        ]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in names:
            path = root / name
            if path.is_file() and not path.is_symlink():
                archive.add(path, arcname=name, recursive=False)
    return buffer.getvalue()
