"""Unpacking uploaded code (.tar.gz / .tgz / .tar / .zip) safely.

Refused outright: absolute paths, `..` components, links, devices, more files or more
unpacked bytes than allowed (checked against the archive's own declarations before a byte
is written, and again while writing, since declarations can lie).
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast

from tavo_platform.fetch import FetchError

_COPY_CHUNK = 1024 * 1024


class UnsafeArchive(FetchError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    max_files: int
    max_unpacked_bytes: int


@dataclass(frozen=True)
class Unpacked:
    files: int
    bytes: int
    skipped_links: int


def unpack(data: bytes, destination: Path, limits: ArchiveLimits) -> Unpacked:
    destination.mkdir(parents=True, exist_ok=False)
    try:
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            return _unpack_zip(data, destination, limits)
        return _unpack_tar(data, destination, limits)
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or name.startswith("/") or ":" in path.parts[0]:
        raise UnsafeArchive(f"archive entry {name!r} has an absolute path")
    if any(part == ".." for part in path.parts):
        raise UnsafeArchive(f"archive entry {name!r} escapes the archive root")
    parts = [part for part in path.parts if part not in ("", ".")]
    if not parts:
        raise UnsafeArchive(f"archive entry {name!r} has no name")
    return PurePosixPath(*parts)


def _unpack_tar(data: bytes, destination: Path, limits: ArchiveLimits) -> Unpacked:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, OSError) as error:
        raise FetchError(f"not a readable .tar.gz, .tar or .zip archive: {error}") from None
    files = written = links = declared = 0
    with archive:
        try:
            for member in archive:
                relative = _safe_relative(member.name)
                if member.issym() or member.islnk():
                    links += 1
                    continue
                if member.isdir():
                    (destination / relative).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isfile():
                    raise UnsafeArchive(f"archive entry {member.name!r} is not a regular file")
                files += 1
                declared += member.size
                _check(files, declared, limits)
                source = archive.extractfile(member)
                if source is None:
                    continue
                written += _write(source, destination / relative, limits, written)
        except (tarfile.TarError, EOFError, zlib_error()) as error:
            raise FetchError(f"the archive is corrupt: {error}") from None
    return Unpacked(files, written, links)


def _unpack_zip(data: bytes, destination: Path, limits: ArchiveLimits) -> Unpacked:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise FetchError(f"not a readable zip archive: {error}") from None
    files = written = links = declared = 0
    with archive:
        members = archive.infolist()
        for member in members:
            _safe_relative(member.filename)
        for member in members:
            relative = _safe_relative(member.filename)
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                links += 1
                continue
            if member.is_dir():
                (destination / relative).mkdir(parents=True, exist_ok=True)
                continue
            files += 1
            declared += member.file_size
            _check(files, declared, limits)
            try:
                with archive.open(member) as source:
                    written += _write(source, destination / relative, limits, written)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib_error()) as error:
                raise FetchError(f"the archive is corrupt: {error}") from None
    return Unpacked(files, written, links)


def _check(files: int, declared: int, limits: ArchiveLimits) -> None:
    if files > limits.max_files:
        raise UnsafeArchive(f"the archive holds more than {limits.max_files} files")
    if declared > limits.max_unpacked_bytes:
        raise UnsafeArchive(f"the archive unpacks to more than {limits.max_unpacked_bytes} bytes")


def _write(
    source: io.BufferedIOBase | object, target: Path, limits: ArchiveLimits, already: int
) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        raise UnsafeArchive(f"archive entry {target.name!r} appears twice")
    written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(target, flags, 0o644), "wb") as output:
        while chunk := cast(Any, source).read(_COPY_CHUNK):
            written += len(chunk)
            if already + written > limits.max_unpacked_bytes:
                raise UnsafeArchive(
                    f"the archive unpacks to more than {limits.max_unpacked_bytes} bytes"
                )
            output.write(chunk)
    return written


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error
