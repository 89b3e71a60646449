"""Unpacking uploads: every entry kind counts against the limits, and ordinary or odd
archives get a clear refusal (UnsafeArchive/FetchError), never an OSError."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from tavo_platform.fetch import FetchError
from tavo_platform.fetch.archive import ArchiveLimits, UnsafeArchive, inspect, unpack

LIMITS = ArchiveLimits(max_entries=100, max_unpacked_bytes=1024 * 1024)


def tar_of(*members: tuple[str, bytes | str | None]) -> bytes:
    """(name, content) for a file, (name, None) for a directory, (name, "->target") for a
    symlink, (name, "=>target") for a hard link, (name, "fifo") for a FIFO."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif isinstance(content, str) and content.startswith("->"):
                info.type, info.linkname = tarfile.SYMTYPE, content[2:]
                archive.addfile(info)
            elif isinstance(content, str) and content.startswith("=>"):
                info.type, info.linkname = tarfile.LNKTYPE, content[2:]
                archive.addfile(info)
            elif content in ("fifo", "chr"):
                info.type = tarfile.FIFOTYPE if content == "fifo" else tarfile.CHRTYPE
                archive.addfile(info)
            else:
                assert isinstance(content, bytes)
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def zip_of(*members: tuple[str, bytes | None], mode: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            if content is None:
                archive.writestr(zipfile.ZipInfo(name if name.endswith("/") else name + "/"), b"")
                continue
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_dot_slash_members_unpack(tmp_path: Path) -> None:
    """`tar czf app.tgz -C app .` makes a `./` member and `./x` names."""
    data = tar_of(("./", None), ("./app", None), ("./app/main.py", b"print(1)\n"))
    assert inspect(data, LIMITS).files == 1
    unpacked = unpack(data, tmp_path / "out", LIMITS)
    assert unpacked.files == 1
    assert (tmp_path / "out" / "app" / "main.py").read_bytes() == b"print(1)\n"


def test_dot_slash_zip(tmp_path: Path) -> None:
    unpacked = unpack(zip_of(("./", None), ("./a.py", b"x")), tmp_path / "out", LIMITS)
    assert unpacked.files == 1


@pytest.mark.parametrize(
    "members",
    [
        [(f"d{n}", None) for n in range(101)],
        [(f"l{n}", "->/etc/passwd") for n in range(101)],
        [("a.py", b"x")] + [(f"h{n}", "=>a.py") for n in range(100)],
        [(f"{n}/" * 3 + "f.py", b"x") for n in range(30)],  # 90 implied dirs + 30 files
    ],
    ids=["directories", "symlinks", "hard-links", "implied-directories"],
)
def test_every_entry_kind_counts(tmp_path: Path, members: list) -> None:  # type: ignore[type-arg]
    data = tar_of(*members)
    with pytest.raises(UnsafeArchive, match="more than 100 entries"):
        inspect(data, LIMITS)
    with pytest.raises(UnsafeArchive, match="more than 100 entries"):
        unpack(data, tmp_path / "out", LIMITS)
    assert not (tmp_path / "out").exists()


def test_zip_directories_count(tmp_path: Path) -> None:
    data = zip_of(*[(f"d{n}/", None) for n in range(101)])
    with pytest.raises(UnsafeArchive, match="more than 100 entries"):
        inspect(data, LIMITS)


@pytest.mark.parametrize("kind", ["fifo", "chr"])
def test_devices_and_fifos_are_refused(kind: str) -> None:
    with pytest.raises(UnsafeArchive, match="not a regular file"):
        inspect(tar_of(("ok.py", b"x"), ("dev", kind)), LIMITS)


def test_zip_fifo_is_refused() -> None:
    with pytest.raises(UnsafeArchive, match="not a regular file"):
        inspect(zip_of(("pipe", b""), mode=stat.S_IFIFO | 0o644), LIMITS)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("x" * 256 + ".py", b"x")], "longer than 255 bytes"),
        ([("é" * 128, b"x")], "longer than 255 bytes"),
        ([("a/" * 1000 + "f.py", b"x")], "deeper than"),
        ([("a", b"x"), ("a/b.py", b"y")], "both a file and a directory"),
        ([("a/b.py", b"y"), ("a", b"x")], "both a file and a directory"),
        ([("a", None), ("a", b"x")], "both a file and a directory"),
        ([("a.py", b"x"), ("a.py", b"y")], "appears twice"),
        ([("", b"x")], "no name"),
    ],
    ids=["long-name", "long-utf8-name", "deep", "file-then-dir", "dir-then-file",
         "explicit-dir-then-file", "duplicate", "empty-name"],
)
def test_odd_names_get_a_clear_refusal(tmp_path: Path, members: list, message: str) -> None:  # type: ignore[type-arg]
    data = tar_of(*members)
    with pytest.raises(FetchError, match=message):
        inspect(data, LIMITS)
    with pytest.raises(FetchError, match=message):
        unpack(data, tmp_path / "out", LIMITS)


def test_zip_file_and_directory_with_one_name() -> None:
    with pytest.raises(UnsafeArchive, match="both a file and a directory"):
        inspect(zip_of(("a", b"x"), ("a/b.py", b"y")), LIMITS)


def test_gzip_bomb_of_headers_is_capped() -> None:
    """Decompression stops once the stream passes what the limits could ever need."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("big.bin")
        info.size = 50 * 1024 * 1024
        archive.addfile(info, io.BytesIO(b"\0" * info.size))
    with pytest.raises(UnsafeArchive, match="unpacks to more than"):
        inspect(buffer.getvalue(), LIMITS)


def test_limits_are_kept_on_a_normal_archive(tmp_path: Path) -> None:
    data = tar_of(("src", None), ("src/a.py", b"a"), ("src/b.py", b"bb"), ("link", "->src/a.py"))
    manifest = inspect(data, LIMITS)
    assert (manifest.files, manifest.directories, manifest.links, manifest.bytes) == (2, 1, 1, 3)
    unpacked = unpack(data, tmp_path / "out", LIMITS)
    assert (unpacked.files, unpacked.bytes, unpacked.skipped_links) == (2, 3, 1)
