"""A throw-away `tavo serve` with demo data, for the dashboard's screenshots and its
load benchmark: started as a user starts it, seeded through the public API only."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tools.dashboard.chromium import REPO_ROOT

TAVO = str(Path(sys.executable).parent / "tavo")
DEMO_APP = REPO_ROOT / "demo" / "vulnerable-llm-app"


@dataclass
class DemoServer:
    base_url: str
    admin_key: str
    data_dir: Path

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url + "/api/v1",
            headers={"Authorization": f"Bearer {key or self.admin_key}"},
            timeout=120,
        )

    def create_key(self, org: str, tier: str = "enterprise") -> str:
        result = subprocess.run(
            [TAVO, "keys", "create", "--json", "--tier", tier, "--org", org,
             "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, check=True, env=_env(),
        )
        return str(json.loads(result.stdout)["key"])


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo_server() -> Iterator[DemoServer]:
    with tempfile.TemporaryDirectory(prefix="tavo-demo-") as directory:
        data_dir = Path(directory) / "data"
        port = _free_port()
        log = Path(directory) / "serve.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [TAVO, "serve", "--port", str(port), "--data-dir", str(data_dir)],
                stdout=output, stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(base_url, process, log)
            admin = next(
                line.strip() for line in log.read_text().splitlines()
                if line.strip().startswith("tavo_")
            )
            yield DemoServer(base_url, admin, data_dir)
        finally:
            process.terminate()
            process.wait(30)


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"error: tavo serve exited:\n{log.read_text()}")
        try:
            if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit("error: tavo serve did not start")


def archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def demo_files() -> dict[str, str]:
    return {
        str(path.relative_to(DEMO_APP)): path.read_text()
        for path in sorted(DEMO_APP.rglob("*"))
        if path.is_file()
    }


def many_findings(count: int) -> dict[str, str]:
    """A project with `count` findings: files of 100 shell commands built from input."""
    lines = [f"    os.system('echo ' + args[{n}])\n" for n in range(100)]
    body = "import os\n\ndef run(args):\n" + "".join(lines)
    return {f"service/handler_{index:04d}.py": body for index in range(max(1, count // 100))}


def upload_scan(
    client: httpx.Client, files: dict[str, str], project: str | None = None
) -> dict[str, Any]:
    params = {"filename": "project.tgz", **({"project": project} if project else {})}
    created = client.post(
        "/uploads/scans", params=params, content=archive(files),
        headers={"Content-Type": "application/gzip"},
    )
    created.raise_for_status()
    scan_id = created.json()["id"]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        scan = client.get(f"/scans/{scan_id}").json()
        if scan["status"] in ("completed", "failed", "cancelled"):
            return dict(scan)
        time.sleep(0.5)
    raise RuntimeError(f"scan {scan_id} did not finish")


def seed(server: DemoServer, extra_findings: int = 0) -> dict[str, Any]:
    """An organisation with scans of the demo app (and optionally a big project), and an
    AI analysis of the demo app's latest scan."""
    key = server.create_key("demo")
    with server.client(key) as client:
        scans = [upload_scan(client, demo_files(), "demo-app") for _ in range(3)]
        if extra_findings:
            scans.insert(0, upload_scan(client, many_findings(extra_findings), "big-service"))
        analysis = client.post("/ai/analyses", json={"scan_id": scans[0]["id"]}).json()
        client.get(f"/ai/analyses/{analysis['id']}", params={"wait": 60})
    return {"key": key, "scans": scans, "analysis": analysis}
