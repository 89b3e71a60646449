"""`upload_scan(path)` with a directory: packed (honouring .gitignore) and scanned."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from tavo import SyncTavoClient, TavoClient
from tavo._packing import pack_directory

from tests.sdks.python.conftest import VULNERABLE_APP, Keys, run
from tests.support.live import LiveServer


def project(root: Path) -> Path:
    files = {
        "app.py": VULNERABLE_APP,
        "pkg/util.py": "x = 1\n",
        "pkg/.gitignore": "generated.py\n",
        "pkg/generated.py": "eval(input())\n",
        ".gitignore": "build/\n*.log\n",
        "build/out.py": "eval(input())\n",
        "debug.log": "noise\n",
        ".git/config": "[core]\n",
        "node_modules/lib/index.js": "eval(x)\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    os.symlink("/etc/passwd", root / "passwd")
    return root


def names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return sorted(member.name for member in archive.getmembers() if member.isfile())


def test_packing_honours_gitignore(tmp_path: Path) -> None:
    data = pack_directory(project(tmp_path))
    assert names(data) == [".gitignore", "app.py", "node_modules/lib/index.js",
                           "pkg/.gitignore", "pkg/util.py"]


def test_sync_and_async_upload_a_directory(
    server: LiveServer, keys: Keys, tmp_path: Path
) -> None:
    root = project(tmp_path)
    key = keys.unlimited()
    with SyncTavoClient(key, base_url=server.base_url) as client:
        scan = client.scan_management.upload_scan(root, scan_type="code")
        final = client.scan_management.wait_for_scan(scan.id, timeout=300)
        assert final.status == "completed" and (final.total_findings or 0) >= 1
        results = client.scan_management.get_scan_results(scan.id)
        assert {v.path for v in results.vulnerabilities} == {"app.py"}

    async def scenario() -> str:
        async with TavoClient(key, base_url=server.base_url) as client:
            scan = await client.scan_management.upload_scan(str(root), scan_type="code")
            return (await client.scan_management.wait_for_scan(scan.id, timeout=300)).status

    assert run(scenario()) == "completed"
