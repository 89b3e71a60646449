"""Unpacking uploaded code (.tar.gz / .tgz / .tar / .tar.bz2 / .tar.xz / .zip) safely.

Every entry counts against the entry limit, whatever its kind: files, directories (also
those only implied by a file's path), symbolic and hard links. Links are never created,
devices and FIFOs are refused, and so are absolute paths, `..` components, names over 255
bytes, paths deeper than the depth limit, and one name used as both a file and a directory.
`inspect` applies all of this to the archive without writing a byte, so a request can be
refused before it is charged; `unpack` applies it again while writing, since an archive's
declarations can lie. Decompression itself is capped: a stream that inflates past what the
limits could ever need is refused without being inflated further.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Literal, cast

from tavo_platform.fetch import FetchError

_COPY_CHUNK = 1024 * 1024
# Room for headers (and long-name records) per entry when capping a decompressed tar stream.
_HEADER_ALLOWANCE = 4096

Kind = Literal["file", "dir", "symlink", "hardlink", "special"]


class UnsafeArchive(FetchError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    # Every entry: files, directories (explicit or implied), symbolic and hard links.
    max_entries: int
    max_unpacked_bytes: int
    max_depth: int = 64
    max_name_bytes: int = 255


@dataclass(frozen=True)
class Manifest:
    files: int
    directories: int
    links: int
    bytes: int


@dataclass(frozen=True)
class Unpacked:
    files: int
    bytes: int
    skipped_links: int


@dataclass
class _Entry:
    name: str
    kind: Kind
    size: int
    open: object = None  # a callable returning a readable binary stream (files only)


def inspect(data: bytes, limits: ArchiveLimits) -> Manifest:
    """Checks the whole archive against `limits` without writing anything."""
    plan = _Plan(limits)
    for entry in _entries(data, limits):
        if plan.add(entry) is not None and entry.kind == "file":
            plan.count_bytes(_drain(entry))
    return plan.manifest()


def unpack(data: bytes, destination: Path, limits: ArchiveLimits) -> Unpacked:
    destination.mkdir(parents=True, exist_ok=False)
    try:
        plan = _Plan(limits)
        for entry in _entries(data, limits):
            relative = plan.add(entry)
            if relative is None:
                continue
            if entry.kind == "dir":
                (destination / relative).mkdir(parents=True, exist_ok=True)
            elif entry.kind == "file":
                _write(entry, destination / relative, plan)
        manifest = plan.manifest()
        return Unpacked(manifest.files, manifest.bytes, manifest.links)
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise


class _Plan:
    """What the archive would create so far; refuses the entry that breaks a rule."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self._limits = limits
        self._dirs: set[PurePosixPath] = set()
        self._files: set[PurePosixPath] = set()
        self._links = 0
        self._declared = 0  # what the headers say
        self._bytes = 0  # what was actually read

    def add(self, entry: _Entry) -> PurePosixPath | None:
        """The entry's safe relative path, or None for the archive's root (`./`)."""
        if entry.kind == "special":
            raise UnsafeArchive(f"archive entry {entry.name!r} is not a regular file")
        relative = _safe_relative(entry.name, self._limits)
        if relative is None:
            if entry.kind == "dir":
                return None
            raise UnsafeArchive(f"archive entry {entry.name!r} has no name")
        for parent in reversed(relative.parents[:-1] if relative.parents else ()):
            self._directory(parent, entry.name)
        if entry.kind == "dir":
            self._directory(relative, entry.name)
        elif entry.kind == "file":
            if relative in self._dirs:
                raise _conflict(entry.name)
            if relative in self._files:
                raise UnsafeArchive(f"archive entry {entry.name!r} appears twice")
            self._files.add(relative)
            self._declared += entry.size
            if self._declared > self._limits.max_unpacked_bytes:
                raise _too_big(self._limits)
        else:
            self._links += 1
        self._check_entries()
        return relative

    def count_bytes(self, read: int) -> None:
        self._bytes += read
        if self._bytes > self._limits.max_unpacked_bytes:
            raise _too_big(self._limits)

    def manifest(self) -> Manifest:
        return Manifest(len(self._files), len(self._dirs), self._links, self._bytes)

    def _directory(self, path: PurePosixPath, name: str) -> None:
        if path in self._files:
            raise _conflict(name)
        self._dirs.add(path)

    def _check_entries(self) -> None:
        if len(self._files) + len(self._dirs) + self._links > self._limits.max_entries:
            raise UnsafeArchive(
                f"the archive holds more than {self._limits.max_entries} entries "
                "(files, directories and links all count)"
            )


def _conflict(name: str) -> UnsafeArchive:
    return UnsafeArchive(f"archive entry {name!r} names both a file and a directory")


def _too_big(limits: ArchiveLimits) -> UnsafeArchive:
    return UnsafeArchive(f"the archive unpacks to more than {limits.max_unpacked_bytes} bytes")


def _safe_relative(name: str, limits: ArchiveLimits) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if name.startswith("/") or path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchive(f"archive entry {name!r} has an absolute path")
    if any(part == ".." for part in path.parts):
        raise UnsafeArchive(f"archive entry {name!r} escapes the archive root")
    parts = [part for part in path.parts if part not in ("", ".")]
    if not parts:
        if not name:
            raise UnsafeArchive(f"archive entry {name!r} has no name")
        return None  # `.` or `./`: the archive's root
    if len(parts) > limits.max_depth:
        raise UnsafeArchive(
            f"archive entry {_shorten(name)!r} is deeper than {limits.max_depth} directories"
        )
    for part in parts:
        if len(part.encode("utf-8", "surrogateescape")) > limits.max_name_bytes:
            raise UnsafeArchive(
                f"archive entry {_shorten(name)!r} has a name longer than "
                f"{limits.max_name_bytes} bytes"
            )
    return PurePosixPath(*parts)


def _shorten(name: str) -> str:
    return name if len(name) <= 80 else name[:60] + "…" + name[-16:]


def _entries(data: bytes, limits: ArchiveLimits) -> Iterator[_Entry]:
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        yield from _zip_entries(data, limits)
    else:
        yield from _tar_entries(data, limits)


def _tar_entries(data: bytes, limits: ArchiveLimits) -> Iterator[_Entry]:
    cap = limits.max_unpacked_bytes + (limits.max_entries + 2) * _HEADER_ALLOWANCE
    stream = _Capped(_decompressed(data), cap, limits)
    try:
        archive = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise FetchError(f"not a readable .tar.gz, .tar or .zip archive: {error}") from None
    with archive:
        try:
            for member in archive:
                yield _Entry(member.name, _tar_kind(member), member.size,
                             lambda member=member: archive.extractfile(member))
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
            raise FetchError(f"the archive is corrupt: {error}") from None


def _tar_kind(member: tarfile.TarInfo) -> Kind:
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    return "file" if member.isfile() else "special"


def _zip_entries(data: bytes, limits: ArchiveLimits) -> Iterator[_Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise FetchError(f"not a readable zip archive: {error}") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_entries:
            raise UnsafeArchive(
                f"the archive holds more than {limits.max_entries} entries "
                "(files, directories and links all count)"
            )
        for member in members:
            yield _Entry(member.filename, _zip_kind(member), member.file_size,
                         lambda member=member: archive.open(member))


def _zip_kind(member: zipfile.ZipInfo) -> Kind:
    mode = member.external_attr >> 16
    if member.is_dir():
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return "special"
    return "file"


def _decompressed(data: bytes) -> IO[bytes]:
    raw = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if data[:3] == b"BZh":
        return bz2.BZ2File(raw)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(raw)
    return raw


class _Capped(io.RawIOBase):
    """A read-only stream that refuses to go past `cap` bytes."""

    def __init__(self, inner: IO[bytes], cap: int, limits: ArchiveLimits) -> None:
        self._inner = inner
        self._left = cap
        self._limits = limits

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            chunk = self._inner.read(min(len(buffer), self._left + 1))
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
            raise FetchError(f"the archive is corrupt: {error}") from None
        if len(chunk) > self._left:
            raise _too_big(self._limits)
        self._left -= len(chunk)
        buffer[: len(chunk)] = chunk
        return len(chunk)


_MEMBER_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error,
                  lzma.LZMAError, tarfile.TarError, EOFError)


def _chunks(entry: _Entry) -> Iterator[bytes]:
    """The member's content, its decompression errors turned into FetchError."""
    try:
        source = entry.open() if callable(entry.open) else None
        if source is None:
            return
        with source:
            while chunk := source.read(_COPY_CHUNK):
                yield chunk
    except _MEMBER_ERRORS as error:
        raise FetchError(f"the archive is corrupt: {error}") from None


def _drain(entry: _Entry) -> int:
    return sum(len(chunk) for chunk in _chunks(entry))


def _write(entry: _Entry, target: Path, plan: _Plan) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, flags, 0o644)
    except OSError as error:  # the plan rules these out; a lying archive still gets a 4xx
        raise UnsafeArchive(f"archive entry {entry.name!r} cannot be written: {error}") from None
    with os.fdopen(descriptor, "wb") as output:
        for chunk in _chunks(entry):
            plan.count_bytes(len(chunk))
            output.write(chunk)
