"""Scanning uploaded archives, and refusing hostile ones, over real HTTP."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile

import httpx
import pytest

from tests.support.configurations import CONFIGURATIONS, serving
from tests.support.live import LiveServer

CODE = {"app/main.py": "def run(x):\n    return eval(x)\n", "README.md": "hello\n"}


def tar_gz(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture(scope="module", params=CONFIGURATIONS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A server in each configuration (scaled: the worker reads the upload from the shared
    data directory)."""
    if request.param == "scaled":
        request.getfixturevalue("scale_services")
    with serving(request.param, tmp_path_factory.mktemp(f"uploads-{request.param}"),
                 max_upload_unpacked_bytes=str(5 * 1024 * 1024),
                 max_upload_files="100") as live:
        yield live


def upload(server: LiveServer, data: bytes, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    key = server.create_key("pro")
    return httpx.post(server.base_url + "/api/v1/uploads/scans", content=data,
                      params={"scan_type": "code"}, timeout=60,
                      headers={"X-API-Key": key, "Content-Type": "application/gzip"}, **kwargs)


def finished(server: LiveServer, key: str, scan_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scan = httpx.get(f"{server.base_url}/api/v1/scans/{scan_id}",
                         headers={"X-API-Key": key}, timeout=30).json()
        if scan["status"] in ("completed", "failed", "cancelled"):
            return scan
        time.sleep(0.2)
    raise AssertionError("scan did not finish")


@pytest.mark.parametrize("pack", [tar_gz, zip_bytes])
def test_uploaded_archive_is_scanned(server: LiveServer, pack) -> None:  # type: ignore[no-untyped-def]
    key = server.create_key("pro")
    data = pack({name: content.encode() for name, content in CODE.items()})
    response = httpx.post(server.base_url + "/api/v1/uploads/scans", content=data,
                          params={"scan_type": "code"}, headers={"X-API-Key": key}, timeout=60)
    assert response.status_code == 202, response.text
    assert response.json()["upload"]["files"] == 2
    scan = finished(server, key, response.json()["id"])
    assert scan["status"] == "completed"
    assert scan["summary"]["total"] >= 1


def test_multipart_upload(server: LiveServer) -> None:
    key = server.create_key("pro")
    data = tar_gz({name: content.encode() for name, content in CODE.items()})
    response = httpx.post(server.base_url + "/api/v1/uploads/scans", headers={"X-API-Key": key},
                          files={"file": ("code.tgz", data, "application/gzip")}, timeout=60)
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (tar_gz({"../evil.py": b"x"}), "UNSAFE_ARCHIVE"),
        (tar_gz({"/etc/cron.d/evil": b"x"}), "UNSAFE_ARCHIVE"),
        (zip_bytes({"a/../../evil.py": b"x"}), "UNSAFE_ARCHIVE"),
        (tar_gz({f"f{n}.py": b"x" for n in range(101)}), "UNSAFE_ARCHIVE"),
        (tar_gz({"big.py": b"0" * (6 * 1024 * 1024)}), "UNSAFE_ARCHIVE"),
        (zip_bytes({"bomb.txt": b"\0" * (20 * 1024 * 1024)}), "UNSAFE_ARCHIVE"),
        (b"this is not an archive", "INVALID_ARCHIVE"),
        (tar_gz({"a.py": b"x"})[:40], "INVALID_ARCHIVE"),
    ],
    ids=["dotdot", "absolute", "zip-dotdot", "too-many-files", "too-big", "zip-bomb", "garbage",
         "truncated"],
)
def test_hostile_archives_are_refused(server: LiveServer, data: bytes, code: str) -> None:
    response = upload(server, data)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


def test_symlinks_in_archives_are_not_followed(server: LiveServer) -> None:
    data = tar_gz({"ok.py": b"print(1)\n"}, links={"escape": "/etc/passwd"})
    response = upload(server, data)
    assert response.status_code == 202, response.text
    assert response.json()["upload"]["skipped_links"] == 1


def dot_slash_tar() -> bytes:
    """What `tar czf app.tgz -C app .` makes: a `./` member, then `./` names."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("./", "./app"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        content = CODE["app/main.py"].encode()
        info = tarfile.TarInfo("./app/main.py")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_dot_slash_archive_is_scanned(server: LiveServer) -> None:
    response = upload(server, dot_slash_tar())
    assert response.status_code == 202, response.text
    assert response.json()["upload"]["files"] == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tar_gz({"x" * 300: b"x"}), "longer than 255 bytes"),
        (tar_gz({"a/" * 1000 + "f.py": b"x"}), "deeper than"),
        (tar_gz({"a": b"x", "a/b.py": b"y"}), "both a file and a directory"),
        (tar_gz({}, links={f"l{n}": "/etc/passwd" for n in range(101)}), "more than 100 entries"),
    ],
    ids=["long-name", "deep", "file-and-dir", "symlinks-count"],
)
def test_odd_archives_are_refused_before_the_budget(
    server: LiveServer, data: bytes, message: str
) -> None:
    """A refused archive gives a clear 422 and costs no scan: a free key (10 scans an hour)
    can still scan after more refusals than its budget."""
    key = server.create_key("free")
    headers = {"X-API-Key": key, "Content-Type": "application/gzip"}
    url = server.base_url + "/api/v1/uploads/scans"
    for _ in range(11):
        response = httpx.post(url, content=data, headers=headers, timeout=60)
        assert response.status_code == 422, response.text
        assert message in response.json()["error"]["message"]
    good = httpx.post(url, content=tar_gz({"a.py": b"x = 1\n"}), headers=headers, timeout=60)
    assert good.status_code == 202, good.text
