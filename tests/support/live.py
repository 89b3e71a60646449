"""A real `tavo serve` process on a free loopback port, for tests over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
TAVO = str(Path(sys.executable).parent / "tavo")
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    admin_key: str = ""
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    # "https" when the env configures TAVO_TLS_CERTIFICATE/TAVO_TLS_KEY; `verify` is what
    # clients need to trust the server then (the CA file of a test certificate).
    scheme: str = "http"
    verify: ssl.SSLContext | bool = True

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.process = subprocess.Popen(
            [TAVO, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        os.set_blocking(self.process.stdout.fileno(), False)
        while time.monotonic() < deadline:
            self._drain()
            for line in self.output:
                if line.strip().startswith("tavo_") and not self.admin_key:
                    self.admin_key = line.strip()
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + "".join(self.output))
            try:
                health = httpx.get(self.base_url + "/health", timeout=1, verify=self.verify)
                if health.status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        try:
            chunk = self.process.stdout.read()
        except (TypeError, OSError):
            chunk = None
        if chunk:
            self.output.extend(chunk.splitlines(keepends=True))

    def kill(self) -> None:
        """SIGKILL the whole server (main process and its workers), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def _close(self) -> None:
        stdout = self.process.stdout if self.process is not None else None
        if stdout is not None and not stdout.closed:
            self._drain()
            stdout.close()

    def create_key(self, tier: str = "free", org: str | None = None, **limits: int) -> str:
        """A new key, in an organisation of its own unless `org` is given (so tests sharing
        a server do not see each other's scans)."""
        org = org or f"org-{uuid.uuid4().hex[:12]}"
        args = [TAVO, "keys", "create", "--json", "--tier", tier, "--org", org,
                "--data-dir", str(self.data_dir)]
        for name, value in limits.items():
            args += ["--limits", f"{name}={value}"]
        result = subprocess.run(args, env=self.env, capture_output=True, text=True, check=True)
        return str(json.loads(result.stdout)["key"])


def server_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
    env.update({f"TAVO_{k.upper()}": v for k, v in settings.items()})
    return env


def make_git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    git = ["git", "-c", "user.email=tests@tavo.invalid", "-c", "user.name=tests"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "initial"], cwd=path, check=True)
    return path
