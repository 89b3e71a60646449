"""Model artefact inspection: finds what a pickle stream would import, without unpickling.

Pickle is a small stack machine; the only way it reaches code is by importing a callable
(GLOBAL / STACK_GLOBAL / INST) and calling it (REDUCE, BUILD, OBJ, NEWOBJ). Walking the
opcodes with `pickletools.genops` tells us every import a load would perform. PyTorch
checkpoints are zip archives holding `*.pkl` members; joblib files may be zlib-compressed.
"""

from __future__ import annotations

import io
import pickletools
import zipfile
import zlib
from dataclasses import dataclass, field

MAX_PICKLE_OPCODES = 5_000_000
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# How far back STACK_GLOBAL looks for the module and name strings it pops.
_STRING_OPCODES = frozenset(
    {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING",
     "SHORT_BINSTRING"}
)
_MEMO_PUT = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"})
_MEMO_GET = frozenset({"GET", "BINGET", "LONG_BINGET"})


@dataclass(frozen=True, slots=True)
class PickleImport:
    module: str
    name: str
    offset: int  # byte offset of the opcode within its pickle stream
    member: str | None = None  # the archive member holding the stream, if any


@dataclass
class ArtifactInspection:
    imports: list[PickleImport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    format: str = "unknown"


def inspect_artifact(data: bytes, path: str = "") -> ArtifactInspection:
    inspection = ArtifactInspection()
    if data[:2] == b"PK":
        inspection.format = "zip"
        _inspect_zip(data, inspection)
    elif data[:1] == b"x":
        inspection.format = "zlib-pickle"
        try:
            decompressor = zlib.decompressobj()
            unpacked = decompressor.decompress(data, MAX_DECOMPRESSED_BYTES)
        except zlib.error as error:
            inspection.problems.append(f"not a valid zlib stream: {error}")
            return inspection
        if decompressor.unconsumed_tail:
            inspection.problems.append("decompressed size over the limit; inspected a prefix")
        _inspect_pickle(unpacked, None, inspection)
    else:
        inspection.format = "pickle"
        _inspect_pickle(data, None, inspection)
    return inspection


def _inspect_zip(data: bytes, inspection: ArtifactInspection) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        inspection.problems.append(f"not a valid zip archive: {error}")
        return
    with archive:
        members = archive.infolist()[:MAX_ZIP_MEMBERS]
        for member in members:
            if not member.filename.endswith((".pkl", ".pickle")) and not member.filename.endswith(
                "/data"
            ):
                continue
            if member.file_size > MAX_DECOMPRESSED_BYTES:
                inspection.problems.append(f"{member.filename}: too large to inspect")
                continue
            try:
                payload = archive.read(member)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
                inspection.problems.append(f"{member.filename}: unreadable: {error}")
                continue
            _inspect_pickle(payload, member.filename, inspection)


def _inspect_pickle(data: bytes, member: str | None, inspection: ArtifactInspection) -> None:
    """Several pickles may be concatenated (torch legacy format); inspect each in turn."""
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        start = stream.tell()
        if not _inspect_one_pickle(stream, member, inspection):
            break
        if stream.tell() == start:
            break


def _inspect_one_pickle(
    stream: io.BytesIO, member: str | None, inspection: ArtifactInspection
) -> bool:
    recent_strings: list[str] = []
    memo: dict[int, str] = {}
    count = 0
    try:
        for opcode, argument, position in pickletools.genops(stream):
            count += 1
            if count > MAX_PICKLE_OPCODES:
                inspection.problems.append("too many opcodes; inspected a prefix")
                return False
            name = opcode.name
            if name in _STRING_OPCODES and isinstance(argument, str | bytes):
                text = argument.decode("latin-1") if isinstance(argument, bytes) else argument
                recent_strings.append(text)
            elif name in _MEMO_PUT and recent_strings:
                key = len(memo) if name == "MEMOIZE" else int(argument)  # type: ignore[arg-type]
                memo[key] = recent_strings[-1]
            elif name in _MEMO_GET and int(argument) in memo:  # type: ignore[arg-type]
                recent_strings.append(memo[int(argument)])  # type: ignore[arg-type]
            elif name in ("GLOBAL", "INST") and isinstance(argument, str):
                module, _, attribute = argument.partition(" ")
                inspection.imports.append(PickleImport(module, attribute, position or 0, member))
            elif name == "STACK_GLOBAL":
                if len(recent_strings) >= 2:
                    module, attribute = recent_strings[-2], recent_strings[-1]
                else:
                    module, attribute = "?", "?"
                inspection.imports.append(PickleImport(module, attribute, position or 0, member))
            if name == "STOP":
                return True
    except (ValueError, EOFError, UnicodeDecodeError, OverflowError) as error:
        inspection.problems.append(f"malformed pickle stream: {error}")
        return False
    return False
