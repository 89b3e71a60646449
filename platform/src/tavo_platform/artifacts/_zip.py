"""Zip containers: PyTorch checkpoints, TorchScript archives, Keras v3 `.keras` files,
NumPy `.npz` files, and zips of any of them. Members are read within the session's
decompression budget whatever size their headers claim; a hostile directory (millions of
entries, a broken end record) is refused before zipfile builds it in memory."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import PurePosixPath

from tavo_platform.artifacts import keras, pytorch, torchscript
from tavo_platform.artifacts._compressed import trim
from tavo_platform.artifacts._inspection import Session, describe
from tavo_platform.artifacts.pickle_vm import PICKLE_SUFFIXES

# Archive members worth opening: pickles, model files, NumPy arrays, nested archives.
MEMBER_SUFFIXES = PICKLE_SUFFIXES | {".bin", ".npy", ".npz", ".zip"}
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def inspect_zip(data: bytes, where: str | None, session: Session, depth: int) -> str:
    archive = _open(data, where, session)
    if archive is None:
        return "zip"
    with archive:
        try:
            entries = archive.infolist()
        except Exception as error:
            session.problem(where, f"unreadable zip directory: {describe(error)}")
            return "zip"
        if len(entries) > session.limits.max_zip_members:
            session.incomplete(where, f"more than {session.limits.max_zip_members} entries")
            entries = entries[: session.limits.max_zip_members]
        kind = _kind(entries)
        if kind == "keras":
            _check_keras(archive, where, session)
        elif kind == "torchscript":
            _check_torchscript(archive, entries, where, session)
        for entry in entries:
            _inspect_member(archive, entry, where, session, depth)
    return kind


def _open(data: bytes, where: str | None, session: Session) -> zipfile.ZipFile | None:
    declared = _declared_entries(data)
    if declared is not None and declared > session.limits.max_zip_members:
        session.incomplete(
            where, f"zip archive declares {declared} entries (limit "
            f"{session.limits.max_zip_members}); not inspected"
        )
        return None
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # zipfile raises many types on hostile input
        session.problem(where, f"not a readable zip archive: {describe(error)}")
        return None


def _kind(entries: list[zipfile.ZipInfo]) -> str:
    names = {entry.filename for entry in entries}
    if keras.is_keras_archive(names):
        return "keras"
    if any(torchscript.is_code_member(name) for name in names):
        return "torchscript"
    if any(pytorch.is_checkpoint_pickle(name) for name in names):
        return "torch-zip"
    return "zip"


def _inspect_member(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, where: str | None, session: Session,
    depth: int,
) -> None:
    name = entry.filename
    suffix = PurePosixPath(name).suffix.lower()
    if entry.is_dir() or suffix not in MEMBER_SUFFIXES:
        return
    label = _label(where, name)
    payload = read_member(archive, entry, label, session)
    if payload is None:
        return
    session.inspection.members.append(label)
    session.dispatch(payload, label, suffix, session, depth + 1)


def _check_keras(archive: zipfile.ZipFile, where: str | None, session: Session) -> None:
    entry = archive.getinfo(keras.CONFIG_MEMBER)
    label = _label(where, keras.CONFIG_MEMBER)
    if entry.file_size > keras.MAX_CONFIG_BYTES:
        session.problem(label, "too large to inspect")
        return
    text = read_member(archive, entry, label, session, cap=keras.MAX_CONFIG_BYTES)
    if text is not None:
        keras.check_config_json(text, session)


def _check_torchscript(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], where: str | None,
    session: Session,
) -> None:
    sources: list[tuple[str, bytes]] = []
    for entry in entries:
        if torchscript.is_code_member(entry.filename):
            label = _label(where, entry.filename)
            code = read_member(archive, entry, label, session, cap=torchscript.MAX_CODE_BYTES)
            if code is not None:
                sources.append((label, code))
    torchscript.check_code(sources, session)


def _label(where: str | None, name: str) -> str:
    return f"{where}/{name}" if where else name


def read_member(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, label: str, session: Session,
    cap: int | None = None,
) -> bytes | None:
    """Reads a member within the decompression budget (and `cap`), whatever size its
    header claims; keeps what was read when the member turns out corrupt, as a loader
    would have too."""
    budget = session.bytes_left if cap is None else min(cap, session.bytes_left)
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(entry) as handle:
            while total <= budget:
                chunk = handle.read(min(1 << 20, budget + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except Exception as error:
        if not chunks:
            session.incomplete(label, f"unreadable archive member: {describe(error)}")
            return None
        session.problem(label, f"archive member corrupt after {total} bytes: {describe(error)}")
    if total > budget:
        trim(chunks, total - budget)
        limit = "the decompression budget" if budget == session.bytes_left else "its limit"
        session.incomplete(label, f"larger than {limit}; inspected the first {budget} bytes")
    payload = b"".join(chunks)
    session.bytes_left -= len(payload)
    return payload


def _declared_entries(data: bytes) -> int | None:
    """The entry count in the end-of-central-directory record, read before zipfile builds
    its in-memory directory (which would cost time and memory on a hostile archive)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, end + 10)
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if data[record : record + 4] == b"PK\x06\x06" and record + 40 <= len(data):
            (count,) = struct.unpack_from("<Q", data, record + 32)
    return int(count)
