"""Model artefact inspection: what a model file would import when loaded, without loading it.

Pickle is a small stack machine; the only way it reaches code is by importing a callable
(GLOBAL, INST, STACK_GLOBAL, EXT*) and then calling it (REDUCE, INST, OBJ, NEWOBJ, BUILD).
`_PickleMachine` runs the opcodes symbolically: it keeps the stack, the marks and the memo
as a real unpickler would, but every value is inert data, so the module and attribute
strings an import pops are known even when they come from the memo or were pushed long
before. Nothing is ever imported, called or unpickled.

Around the pickle machine sit the containers model files use: PyTorch zip archives
(`archive/data.pkl`), legacy PyTorch files (several pickles in a row, then raw tensor
bytes), joblib files (arrays written raw between the opcodes, whole files compressed with
zlib/gzip/bz2/xz/lzma), NumPy `.npy` files holding object arrays, and nested pickles
handed to `pickle.loads` inside a pickle. safetensors and GGUF files are recognised and
sanity-checked: they cannot carry code.

Every input gets a verdict: the imports found, plus `problems` describing anything
malformed or not inspected. `complete` is False when a limit (size, opcodes, nesting)
or an unsupported encoding kept part of the file from being inspected; a malformed
stream alone does not clear it, because a real loader stops at the same byte.
"""

from __future__ import annotations

import _compat_pickle
import bz2
import codecs
import fnmatch
import io
import json
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

# Stands for a module or attribute name that is not a constant string in the stream (built
# at load time, or popped off something that is not a string): an obfuscated import.
UNRESOLVED = "<unresolved>"

# Files whose name says "pickle": inspected as one even without a recognised header.
PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".pt", ".pth", ".joblib", ".ckpt"})
# Archive members worth opening: pickles, model files, NumPy arrays, nested archives.
_MEMBER_SUFFIXES = PICKLE_SUFFIXES | {".bin", ".npy", ".npz", ".zip"}

# PyTorch's legacy (pre-1.6) files start with a pickle of this number.
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
# ...followed by the protocol version, system info, the object and the storage keys;
# raw tensor bytes come after those five pickles.
_TORCH_LEGACY_PICKLES = 5
HIGHEST_KNOWN_PROTOCOL = 5

# Text longer than this is kept as an opaque value: no module name is this long, and it
# spares decoding hundreds of megabytes.
_MAX_TEXT_VALUE = 1 << 20
_MAX_NESTED_CANDIDATES = 64
_OPCODE_BATCH = 4096
# Compressed input is fed in blocks this small: a block that turns out corrupt loses its
# output, and loaders read bigger blocks (joblib: 8 KiB), so nothing they would act on
# before the damage is missed here.
_DECOMPRESS_CHUNK = 4096
_SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024
_NPY_MAX_HEADER = 1 << 20

# Imports that hand bytes to another deserialiser: their byte-string arguments may be
# pickles themselves, and are inspected as such.
_NESTED_LOADERS = (
    "pickle.*", "_pickle.*", "dill.*", "cloudpickle.*", "joblib.load", "joblib.*.load",
    "torch.load", "torch.serialization.load", "torch.storage._load_from_bytes",
    "numpy.load", "numpy.lib.npyio.load", "pandas.read_pickle", "shelve.*",
)


@dataclass(frozen=True, slots=True)
class InspectionLimits:
    max_opcodes: int = 5_000_000  # across every pickle stream of one file
    max_decompressed_bytes: int = 256 * 1024 * 1024  # across members and compressed streams
    max_zip_members: int = 10_000
    max_depth: int = 4  # archives in archives, compressed streams, pickles in pickles
    max_problems: int = 50


DEFAULT_LIMITS = InspectionLimits()


@dataclass(frozen=True, slots=True)
class PickleImport:
    module: str
    name: str
    offset: int  # byte offset of the importing opcode within its pickle stream
    member: str | None = None  # where the stream is: archive member, nested pickle...
    opcode: str = "GLOBAL"

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def resolved(self) -> bool:
        return UNRESOLVED not in (self.module, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "name": self.name,
            "qualified": self.qualified,
            "opcode": self.opcode,
            "offset": self.offset,
            "member": self.member,
        }


@dataclass
class ArtifactInspection:
    # The outermost format: pickle, torch-zip, zip, torch-legacy, zlib, gzip, bz2, xz,
    # lzma, joblib-zfile, lz4, numpy, safetensors, gguf, raw (nothing executable), unknown.
    format: str = "unknown"
    imports: list[PickleImport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    complete: bool = True
    pickle_streams: int = 0
    opcodes: int = 0
    protocols: set[int] = field(default_factory=set)
    members: list[str] = field(default_factory=list)  # archive members that were inspected

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "complete": self.complete,
            "imports": [imported.to_dict() for imported in self.imports],
            "problems": list(self.problems),
            "pickle_streams": self.pickle_streams,
            "opcodes": self.opcodes,
            "protocols": sorted(self.protocols),
            "members": list(self.members),
        }


def inspect_artifact(
    data: bytes, path: str = "", *, limits: InspectionLimits = DEFAULT_LIMITS
) -> ArtifactInspection:
    """Inspects a model file's bytes. Never raises on bad input: every oddity becomes a
    problem in the result."""
    session = _Session(ArtifactInspection(), limits)
    suffix = PurePosixPath(path).suffix.lower()
    try:
        session.inspection.format = _inspect_blob(bytes(data), None, suffix, session, depth=0)
    except RecursionError:
        session.incomplete(None, "nested too deeply to inspect")
    except MemoryError:
        session.incomplete(None, "ran out of memory while inspecting")
    except Exception as error:  # a bug here must cost a verdict, never the caller
        session.incomplete(None, f"inspection failed: {_describe(error)}")
    session.inspection.opcodes = limits.max_opcodes - session.opcodes_left
    return session.inspection


def sniff_format(head: bytes) -> str | None:
    """The model format announced by a file's first bytes, or None when unrecognised."""
    # First: its 8-byte length prefix can start with any byte, 0x80 included.
    if _looks_like_safetensors(head):
        return "safetensors"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= HIGHEST_KNOWN_PROTOCOL:
        return "pickle"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:3] == b"]\x00\x00":  # the "lzma alone" header joblib writes
        return "lzma"
    if head[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    if head[:4] == b"ZF0x":  # joblib < 0.10: "ZF", the length in hex, then zlib
        return "joblib-zfile"
    if head[:6] == b"\x93NUMPY":
        return "numpy"
    if head[:4] == b"GGUF":
        return "gguf"
    if _looks_like_text_pickle(head):
        return "pickle"
    return None


def looks_like_artifact(head: bytes, path: str) -> bool:
    """Whether a file classed as a model artefact by its name should be inspected as one,
    judged by its first bytes: a recognised header; any content for a name that says
    pickle (`.pkl`, `.pt`...: headerless protocol 0 pickles look like text); and for other
    names (`.bin`), first bytes that read as the start of a pickle. Raw tensors in a `.bin`
    fail that at once and are left to be skipped as binary."""
    if sniff_format(head) is not None:
        return True
    if not head:
        return False
    if PurePosixPath(path).suffix.lower() in PICKLE_SUFFIXES:
        return True
    # A `.bin` may be a headerless pickle, or raw tensors: try the head as a pickle.
    return _OPCODES[head[0]] is not None and _pickle_start(head)


# --- containers -------------------------------------------------------------------------


class _Session:
    """Budgets and the growing result, shared by everything inspected within one file."""

    def __init__(self, inspection: ArtifactInspection, limits: InspectionLimits) -> None:
        self.inspection = inspection
        self.limits = limits
        self.opcodes_left = limits.max_opcodes
        self.bytes_left = limits.max_decompressed_bytes

    def problem(self, where: str | None, message: str) -> None:
        problems = self.inspection.problems
        if len(problems) < self.limits.max_problems:
            problems.append(f"{where}: {message}" if where else message)
        elif len(problems) == self.limits.max_problems:
            problems.append("further problems omitted")

    def incomplete(self, where: str | None, message: str) -> None:
        self.inspection.complete = False
        self.problem(where, message)


def _inspect_blob(
    data: bytes, where: str | None, suffix: str, session: _Session, depth: int
) -> str:
    """Inspects one file or archive member by its format; returns the format's name."""
    kind = sniff_format(data[:64])
    if kind is None:
        if suffix in PICKLE_SUFFIXES:
            kind = "pickle"  # the name says pickle: inspect it, and report why it is not one
        elif data and _OPCODES[data[0]] is not None:
            return _inspect_unlabelled(data, where, session, depth)
        else:
            return "raw"  # raw tensors and the like: nothing a loader would execute
    if depth > session.limits.max_depth and kind not in ("safetensors", "gguf"):
        session.incomplete(where, f"{kind} nested more than {session.limits.max_depth} deep")
        return kind
    if kind == "pickle":
        return _inspect_pickles(data, where, session, depth)
    if kind == "zip":
        return _inspect_zip(data, where, session, depth)
    if kind in _DECOMPRESSORS:
        payload = _decompress(kind, data, where, session)
        if payload is None:
            return kind
        inner = _inspect_blob(payload, where, ".pkl", session, depth + 1)
        return f"{kind}+{inner}"
    if kind == "numpy":
        _inspect_npy(data, where, session, depth)
    elif kind == "safetensors":
        _check_safetensors(data, where, session)
    elif kind == "gguf":
        _check_gguf(data, where, session)
    elif kind == "lz4":
        session.incomplete(where, "lz4-compressed content is not supported; not inspected")
    return kind


def _inspect_unlabelled(data: bytes, where: str | None, session: _Session, depth: int) -> str:
    """A file with neither a header nor a pickle's name (a `.bin`): a pickle if inspecting
    it as one finds an import; otherwise raw data, and the attempt leaves no trace."""
    inspection = session.inspection
    before = (len(inspection.imports), len(inspection.problems), inspection.complete,
              inspection.pickle_streams, set(inspection.protocols))
    _inspect_pickles(data, where, session, depth)
    if len(inspection.imports) > before[0]:
        return "pickle"
    del inspection.problems[before[1] :]
    inspection.complete, inspection.pickle_streams, inspection.protocols = before[2:]
    return "raw"


def _pickle_start(head: bytes) -> bool:
    """Whether a headerless file's first bytes read as a pickle: one that imports
    something, finishes, or does not break before the bytes run out."""
    session = _Session(ArtifactInspection(), DEFAULT_LIMITS)
    machine = _PickleMachine(head, memoryview(head), 0, None, session, 0)
    if machine.run() or session.inspection.imports:
        return True
    return any("truncated" in problem for problem in session.inspection.problems)


def _inspect_zip(data: bytes, where: str | None, session: _Session, depth: int) -> str:
    declared = _zip_declared_entries(data)
    if declared is not None and declared > session.limits.max_zip_members:
        session.incomplete(
            where, f"zip archive declares {declared} entries (limit "
            f"{session.limits.max_zip_members}); not inspected"
        )
        return "zip"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # zipfile raises many types on hostile input
        session.problem(where, f"not a readable zip archive: {_describe(error)}")
        return "zip"
    kind = "zip"
    with archive:
        try:
            entries = archive.infolist()
        except Exception as error:
            session.problem(where, f"unreadable zip directory: {_describe(error)}")
            return kind
        if len(entries) > session.limits.max_zip_members:
            session.incomplete(where, f"more than {session.limits.max_zip_members} entries")
            entries = entries[: session.limits.max_zip_members]
        for entry in entries:
            name = entry.filename
            member_suffix = PurePosixPath(name).suffix.lower()
            if entry.is_dir() or member_suffix not in _MEMBER_SUFFIXES:
                continue
            if name.endswith("data.pkl"):
                kind = "torch-zip"
            label = f"{where}/{name}" if where else name
            payload = _read_member(archive, entry, label, session)
            if payload is None:
                continue
            session.inspection.members.append(label)
            _inspect_blob(payload, label, member_suffix, session, depth + 1)
    return kind


def _read_member(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, label: str, session: _Session
) -> bytes | None:
    """Reads a member within the decompression budget, whatever size its header claims;
    keeps what was read when the member turns out corrupt, as a loader would have too."""
    budget = session.bytes_left
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
            session.incomplete(label, f"unreadable archive member: {_describe(error)}")
            return None
        session.problem(label, f"archive member corrupt after {total} bytes: {_describe(error)}")
    if total > budget:
        _trim(chunks, total - budget)
        session.incomplete(
            label, f"larger than the decompression budget; inspected the first {budget} bytes"
        )
    payload = b"".join(chunks)
    session.bytes_left -= len(payload)
    return payload


def _trim(chunks: list[bytes], excess: int) -> None:
    """Drops `excess` bytes from the end of `chunks` before they are joined (joining first
    and slicing after would copy hundreds of megabytes twice)."""
    while excess > 0 and chunks:
        last = chunks.pop()
        if len(last) > excess:
            chunks.append(last[: len(last) - excess])
        excess -= len(last)


def _zip_declared_entries(data: bytes) -> int | None:
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


def _zlib(wbits: int) -> Callable[[], Any]:
    return lambda: zlib.decompressobj(wbits)


_DECOMPRESSORS: dict[str, Callable[[], Any]] = {
    "zlib": _zlib(15),
    "joblib-zfile": _zlib(15),
    "gzip": _zlib(31),
    "bz2": bz2.BZ2Decompressor,
    "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ),
    "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE),
}


def _decompress(kind: str, data: bytes, where: str | None, session: _Session) -> bytes | None:
    """Decompresses in small steps within the budget; a stream corrupt half-way still
    yields what came before the damage, since a loader reading it would act on that."""
    if kind == "joblib-zfile":
        data = data[21:]  # "ZF" + the length in hex padded to 19 characters
    decompressor = _DECOMPRESSORS[kind]()
    budget = session.bytes_left
    out: list[bytes] = []
    total = 0
    try:
        for start in range(0, len(data), _DECOMPRESS_CHUNK):
            piece = decompressor.decompress(
                data[start : start + _DECOMPRESS_CHUNK], budget + 1 - total
            )
            out.append(piece)
            total += len(piece)
            if total > budget or decompressor.eof:
                break
    except Exception as error:  # zlib.error, OSError, LZMAError, EOFError...
        session.problem(where, f"corrupt {kind} stream after {total} bytes: {_describe(error)}")
    else:
        if total <= budget and not decompressor.eof:
            session.problem(where, f"{kind} stream ends early (truncated file)")
    if total > budget:
        _trim(out, total - budget)
        session.incomplete(
            where, f"{kind} content exceeds the decompression budget; "
            f"inspected the first {budget} bytes"
        )
    payload = b"".join(out)
    session.bytes_left -= len(payload)
    return payload or None


def _inspect_npy(data: bytes, where: str | None, session: _Session, depth: int) -> None:
    """A `.npy` file is a header then raw data, except object arrays: a pickle follows."""
    major = data[6] if len(data) > 6 else 0
    width = 2 if major == 1 else 4
    start = 8 + width
    if major not in (1, 2, 3) or len(data) < start:
        session.problem(where, "unsupported or truncated .npy header")
        return
    (length,) = struct.unpack_from("<H" if width == 2 else "<I", data, 8)
    if length > _NPY_MAX_HEADER or start + length > len(data):
        session.problem(where, ".npy header length out of bounds")
        return
    header = data[start : start + length].decode("latin-1")
    if re.search(r"""['"][|<>=]?O\d*['"]""", header):
        _inspect_pickles(data[start + length :], where, session, depth + 1)


def _looks_like_safetensors(head: bytes) -> bool:
    if len(head) < 10 or head[8:9] != b"{":
        return False
    length: int = struct.unpack_from("<Q", head)[0]
    return 2 <= length <= _SAFETENSORS_MAX_HEADER


def _check_safetensors(data: bytes, where: str | None, session: _Session) -> None:
    (length,) = struct.unpack_from("<Q", data)
    if 8 + length > len(data):
        session.problem(where, "safetensors header runs past the end of the file")
        return
    try:
        header = json.loads(data[8 : 8 + length])
    except (ValueError, RecursionError) as error:
        session.problem(where, f"safetensors header is not valid JSON: {_describe(error)}")
        return
    if not isinstance(header, dict):
        session.problem(where, "safetensors header is not a JSON object")


def _check_gguf(data: bytes, where: str | None, session: _Session) -> None:
    version = struct.unpack_from("<I", data, 4)[0] if len(data) >= 8 else None
    if version not in (1, 2, 3):
        session.problem(where, f"unsupported GGUF version {version}")


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())[:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# --- pickle streams ---------------------------------------------------------------------


def _inspect_pickles(data: bytes, where: str | None, session: _Session, depth: int) -> str:
    """Inspects the pickles in `data` one after another: files may hold several (legacy
    PyTorch, repeated pickle.dump). Returns "pickle" or "torch-legacy"."""
    kind = "pickle"
    if not data:
        session.problem(where, "empty: no pickle to inspect")
        return kind
    view = memoryview(data)
    position = 0
    count = 0
    while position < len(data):
        if count:
            if kind == "torch-legacy" and count >= _TORCH_LEGACY_PICKLES:
                break  # the rest is raw tensor data
            position = _PADDING.match(data, position).end()  # type: ignore[union-attr]
            if position >= len(data):
                break
            if _OPCODES[data[position]] is None:
                session.problem(
                    where, f"{len(data) - position} bytes after the last pickle (byte "
                    f"{position}) are not a pickle"
                )
                break
        machine = _PickleMachine(data, view, position, where, session, depth)
        session.inspection.pickle_streams += 1
        finished = machine.run()
        position = machine.position
        count += 1
        if not finished:
            break
        if count == 1 and _is_int(machine.result) and machine.result == TORCH_LEGACY_MAGIC:
            kind = "torch-legacy"
    return kind


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Global:
    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name


class _Object:
    """What calling or instantiating something would produce: kept with its factory,
    arguments and state, so joblib's array wrappers can be recognised."""

    __slots__ = ("args", "factory", "state")

    def __init__(self, factory: object, args: object) -> None:
        self.factory = factory
        self.args = args
        self.state: object = None

    def kind(self) -> _Global | None:
        """The class being instantiated, seen through copyreg's helpers."""
        factory = self.factory
        if (
            isinstance(factory, _Global)
            and factory.name in ("_reconstructor", "__newobj__", "__newobj_ex__")
            and isinstance(self.args, tuple)
            and self.args
        ):
            factory = self.args[0]
        return factory if isinstance(factory, _Global) else None


class _Dict:
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[object, object]]) -> None:
        self.items = items

    def get(self, key: str) -> object:
        for item_key, value in self.items:
            if item_key == key:
                return value
        return None


class _Opaque:
    """A value the inspector does not model: persistent ids, buffers, very long text, and
    lists and sets (nothing about an import or a joblib array depends on their items, and
    not allocating them keeps a hostile stream of millions of `]` opcodes cheap)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


UNKNOWN = _Opaque("unknown")
_MISSING = _Opaque("missing")
LIST = _Opaque("list")
SET = _Opaque("set")


class _Truncated(Exception):
    pass


class _Unsupported(Exception):
    """Part of the stream cannot be inspected (e.g. an undecodable joblib array)."""


class _OutOfOpcodes(Exception):
    pass


_I4 = struct.Struct("<i")
_U2 = struct.Struct("<H")
_U4 = struct.Struct("<I")
_U8 = struct.Struct("<Q")
_F8 = struct.Struct(">d")
_IDENTIFIER_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_NUMPY_TYPESTR = re.compile(r"[<>|=]?[a-zA-Z](\d+)")
_PADDING = re.compile(rb"[\x00 \t\r\n]*")
# A backslash followed by what Python's escape decoding does not know; `\\\\` pairs are
# consumed first so the second backslash of a pair is never taken for an escape.
_UNKNOWN_ESCAPE = re.compile(rb"\\\\|\\([^\\'\"abfnrtv\n0-7x])")


class _PickleMachine:
    """Runs one pickle stream symbolically, recording each import."""

    def __init__(
        self,
        data: bytes,
        view: memoryview,
        start: int,
        where: str | None,
        session: _Session,
        depth: int,
    ) -> None:
        self.data = data
        self.view = view
        self.position = start
        self.where = where
        self.session = session
        self.depth = depth
        self.stack: list[object] = []
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.result: object = None
        self.opcode_offset = start
        self.stack_underflowed = False
        self.nested_candidates: list[tuple[int, bytes | memoryview]] = []
        self.loads_nested = False

    # The unpickler's primitives, made total: a loader would fail where these fall back to
    # UNKNOWN, but inspecting on over-approximates, and a bug in this model must never be
    # a way to hide a later import.

    def pop(self) -> object:
        if self.stack:
            return self.stack.pop()
        self._underflow()
        return UNKNOWN

    def top(self) -> object:
        if self.stack:
            return self.stack[-1]
        self._underflow()
        self.stack.append(UNKNOWN)
        return UNKNOWN

    def pop_mark(self) -> list[object]:
        items = self.stack
        if self.metastack:
            self.stack = self.metastack.pop()
        else:
            self._underflow()
            self.stack = []
        return items

    def _underflow(self) -> None:
        if not self.stack_underflowed:
            self.stack_underflowed = True
            self.session.problem(
                self.where, f"stack underflow at byte {self.opcode_offset} (a loader fails here)"
            )

    def take(self, size: int) -> int:
        start = self.position
        end = start + size
        if size < 0 or end > len(self.data):
            raise _Truncated(f"argument of {size} bytes runs past the end")
        self.position = end
        return start

    def line(self) -> bytes:
        end = self.data.find(b"\n", self.position)
        if end < 0:
            raise _Truncated("missing end of line")
        text = self.data[self.position : end]
        self.position = end + 1
        return text

    def text(self, start: int, size: int, encoding: str) -> object:
        if size > _MAX_TEXT_VALUE:
            return UNKNOWN
        try:
            return str(self.view[start : start + size], encoding, "surrogatepass")
        except UnicodeDecodeError:
            return UNKNOWN

    def binary(self, start: int, size: int) -> memoryview:
        value = self.view[start : start + size]
        self.maybe_nested(start, value)
        return value

    def maybe_nested(self, start: int, value: bytes | memoryview | str) -> None:
        """Remembers values that could be a whole pickle, in case this stream turns out to
        import a deserialiser."""
        if len(value) < 2 or len(self.nested_candidates) >= _MAX_NESTED_CANDIDATES:
            return
        if isinstance(value, str):
            if value[-1] != "." or value[0] not in "\x80(]}c":
                return
            try:
                value = value.encode("latin-1")
            except UnicodeEncodeError:
                return
        if value[-1] == 0x2E and value[0] in b"\x80(]}c":
            self.nested_candidates.append((start, value))  # copied only if inspected

    # --- imports --------------------------------------------------------------------------

    def record_import(self, module: str, name: str, opcode: str) -> _Global | _Opaque:
        """Records an import; names a real import could never resolve (not dotted
        identifiers) are problems rather than imports."""
        if module != UNRESOLVED and name != UNRESOLVED:
            module, name = _python3_names(module, name)
        for part in (module, name):
            # Names in angle brackets are the inspector's own (UNRESOLVED, extensions).
            if not part.startswith("<") and not _IDENTIFIER_PATH.match(part):
                self.session.problem(
                    self.where, f"{opcode} at byte {self.opcode_offset} names "
                    f"{module!r}.{name!r}, which cannot be imported (a loader fails here)"
                )
                return UNKNOWN
        imported = PickleImport(module, name, self.opcode_offset, self.where, opcode)
        self.session.inspection.imports.append(imported)
        if any(fnmatch.fnmatchcase(imported.qualified, glob) for glob in _NESTED_LOADERS):
            self.loads_nested = True
        return _Global(module, name)

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> bool:
        """Runs to STOP; False when the stream ended otherwise (recorded as a problem)."""
        data = self.data
        size = len(data)
        session = self.session
        handlers = _OPCODES
        # The opcode budget is shared with nested streams (which run inside a handler), so
        # it is settled in batches rather than per opcode, which would cost a quarter of
        # the loop; a batch is the most the budget can be overrun by.
        batch = 0
        threshold = min(_OPCODE_BATCH, session.opcodes_left + 1)
        try:
            while True:
                position = self.position
                if position >= size:
                    raise _Truncated("ends before its STOP opcode")
                batch += 1
                if batch >= threshold:
                    session.opcodes_left -= batch
                    batch = 0
                    if session.opcodes_left < 0:
                        raise _OutOfOpcodes
                    threshold = min(_OPCODE_BATCH, session.opcodes_left + 1)
                self.opcode_offset = position
                handler = handlers[data[position]]
                self.position = position + 1
                if handler is None:
                    self.session.problem(
                        self.where, f"invalid opcode 0x{data[self.opcode_offset]:02x} at byte "
                        f"{self.opcode_offset} (not a pickle, or corrupt)"
                    )
                    return False
                if handler(self):
                    return True
        except _Truncated as error:
            self.session.problem(
                self.where, f"truncated pickle at byte {self.opcode_offset}: {error}"
            )
            return False
        except _OutOfOpcodes:
            self.session.incomplete(
                self.where, f"more than {self.session.limits.max_opcodes} opcodes; "
                f"inspected up to byte {self.opcode_offset}"
            )
            return False
        except _Unsupported as error:
            self.session.incomplete(self.where, f"{error}; the rest of the stream was not "
                                    "inspected")
            return False
        finally:
            session.opcodes_left = max(0, session.opcodes_left - batch)
            self._inspect_nested()

    def _inspect_nested(self) -> None:
        if not self.loads_nested:
            return
        for start, payload in self.nested_candidates:
            label = f"{self.where or ''}#pickle@{start}"
            if self.depth + 1 > self.session.limits.max_depth:
                self.session.incomplete(label, "nested pickle too deep; not inspected")
                return
            _inspect_pickles(bytes(payload), label, self.session, self.depth + 1)

    # --- joblib ---------------------------------------------------------------------------

    def after_build(self, instance: object) -> None:
        """joblib writes an array's bytes straight after its wrapper's BUILD opcode (and its
        loader reads them from there), so they are stepped over here."""
        if not isinstance(instance, _Object):
            return
        kind = instance.kind()
        if kind is None or kind.name != "NumpyArrayWrapper":
            return
        if not kind.module.endswith("numpy_pickle"):
            return
        self._skip_joblib_array(instance.state)
        self.stack[-1] = UNKNOWN

    def _skip_joblib_array(self, state: object) -> None:
        if not isinstance(state, _Dict):
            raise _Unsupported("joblib array wrapper without a readable state")
        shape = state.get("shape")
        dtype = state.get("dtype")
        alignment = state.get("numpy_array_alignment_bytes")
        if not isinstance(shape, tuple) or not all(
            _is_int(n) and n >= 0 for n in shape
        ):
            raise _Unsupported("joblib array of unreadable shape")
        typestr, itemsize, has_objects = _numpy_dtype(dtype)
        if has_objects:
            # Object arrays are a complete pickle of their own, written inline.
            if self.depth + 1 > self.session.limits.max_depth:
                raise _Unsupported("joblib object arrays nested too deep")
            nested = _PickleMachine(
                self.data, self.view, self.position, self.where, self.session, self.depth + 1
            )
            self.session.inspection.pickle_streams += 1
            finished = nested.run()
            self.position = nested.position
            if not finished:
                raise _Truncated("joblib object array is not a complete pickle")
            return
        if itemsize is None:
            raise _Unsupported(f"joblib array of unsupported dtype {typestr!r}")
        if _is_int(alignment):
            padding = self.data[self.take(1)]
            self.take(padding)
        count = 1
        for n in shape:
            count *= n
        self.take(count * itemsize)


def _numpy_dtype(dtype: object) -> tuple[str, int | None, bool]:
    """(type string, item size or None, holds objects) of a pickled numpy.dtype."""
    if not isinstance(dtype, _Object) or not isinstance(dtype.args, tuple) or not dtype.args:
        return "?", None, False
    typestr = dtype.args[0]
    if not isinstance(typestr, str):
        return "?", None, False
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    flags = state[7] if len(state) > 7 and _is_int(state[7]) else 0
    has_objects = typestr.lstrip("<>|=").startswith("O") or bool(flags & 1)
    elsize = state[5] if len(state) > 5 and _is_int(state[5]) else -1
    if elsize > 0:
        return typestr, elsize, has_objects
    fixed = _NUMPY_TYPESTR.fullmatch(typestr)
    return typestr, int(fixed.group(1)) if fixed else None, has_objects


def _python3_names(module: str, name: str) -> tuple[str, str]:
    """Python 2 names, as the unpickler maps them (for protocols below 3; applied always
    here, which only ever reports the more dangerous reading)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


# --- opcode handlers: each returns True only for STOP -----------------------------------


def _op_mark(m: _PickleMachine) -> None:
    m.metastack.append(m.stack)
    m.stack = []


def _op_stop(m: _PickleMachine) -> bool:
    m.result = m.pop()
    return True


def _op_pop(m: _PickleMachine) -> None:
    if m.stack:
        m.stack.pop()
    else:
        m.pop_mark()


def _op_pop_mark(m: _PickleMachine) -> None:
    m.pop_mark()


def _op_dup(m: _PickleMachine) -> None:
    m.stack.append(m.top())


def _op_float(m: _PickleMachine) -> None:
    line = m.line()
    try:
        m.stack.append(float(line))
    except ValueError:
        m.stack.append(UNKNOWN)


def _op_int(m: _PickleMachine) -> None:
    line = m.line()
    if line in (b"00", b"01"):
        m.stack.append(line == b"01")
        return
    try:
        m.stack.append(int(line, 0))
    except ValueError:
        m.stack.append(UNKNOWN)


def _op_binint(m: _PickleMachine) -> None:
    m.stack.append(_I4.unpack_from(m.data, m.take(4))[0])


def _op_binint1(m: _PickleMachine) -> None:
    m.stack.append(m.data[m.take(1)])


def _op_binint2(m: _PickleMachine) -> None:
    m.stack.append(_U2.unpack_from(m.data, m.take(2))[0])


def _op_long(m: _PickleMachine) -> None:
    line = m.line()
    try:
        m.stack.append(int(line[:-1] if line.endswith(b"L") else line, 0))
    except ValueError:  # includes Python's limit on digits, which a loader hits too
        m.stack.append(UNKNOWN)


def _long_bytes(m: _PickleMachine, size: int) -> None:
    start = m.take(size)
    if size > 4096:
        m.stack.append(UNKNOWN)
    else:
        m.stack.append(int.from_bytes(m.data[start : start + size], "little", signed=True))


def _op_long1(m: _PickleMachine) -> None:
    _long_bytes(m, m.data[m.take(1)])


def _op_long4(m: _PickleMachine) -> None:
    _long_bytes(m, _I4.unpack_from(m.data, m.take(4))[0])


def _op_none(m: _PickleMachine) -> None:
    m.stack.append(None)


def _op_persid(m: _PickleMachine) -> None:
    m.line()
    m.stack.append(UNKNOWN)


def _op_binpersid(m: _PickleMachine) -> None:
    m.pop()
    m.stack.append(UNKNOWN)


def _op_reduce(m: _PickleMachine) -> None:
    args = m.pop()
    function = m.top()
    m.stack[-1] = _Object(function, args)


def _op_string(m: _PickleMachine) -> None:
    start = m.position
    line = m.line()
    if len(line) >= 2 and line[0] == line[-1] and line[:1] in (b"'", b'"'):
        line = line[1:-1]
    if b"\\" in line:
        # escape_decode keeps an unknown escape (\*) as it is but warns about it, and a
        # warning turned into an error must not escape the inspector: escape those first.
        line = _UNKNOWN_ESCAPE.sub(rb"\\\\\1", line)
    try:
        value: object = codecs.escape_decode(line)[0].decode("latin-1")
    except ValueError:
        value = UNKNOWN
    if isinstance(value, str):
        m.maybe_nested(start, value)
    m.stack.append(value)


def _binstring(m: _PickleMachine, size: int) -> None:
    start = m.take(size)
    value = m.text(start, size, "latin-1")
    if isinstance(value, str):
        m.maybe_nested(start, value)
    m.stack.append(value)


def _op_binstring(m: _PickleMachine) -> None:
    _binstring(m, _I4.unpack_from(m.data, m.take(4))[0])


def _op_short_binstring(m: _PickleMachine) -> None:
    _binstring(m, m.data[m.take(1)])


def _op_unicode(m: _PickleMachine) -> None:
    line = m.line()
    try:
        m.stack.append(str(line, "raw-unicode-escape"))
    except UnicodeDecodeError:
        m.stack.append(UNKNOWN)


def _unicode(m: _PickleMachine, start: int, end: int) -> None:
    # Hot: strings are most of a typical pickle's opcodes, so this avoids helper calls.
    if end > len(m.data):
        raise _Truncated(f"string of {end - start} bytes runs past the end")
    m.position = end
    if end - start > _MAX_TEXT_VALUE:
        m.stack.append(UNKNOWN)
        return
    try:
        value = m.data[start:end].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        m.stack.append(UNKNOWN)
        return
    if value[-1:] == ".":
        m.maybe_nested(start, value)
    m.stack.append(value)


def _op_binunicode(m: _PickleMachine) -> None:
    start = m.take(4) + 4
    _unicode(m, start, start + _U4.unpack_from(m.data, start - 4)[0])


def _op_short_binunicode(m: _PickleMachine) -> None:
    start = m.position + 1
    if start > len(m.data):
        raise _Truncated("missing string length")
    _unicode(m, start, start + m.data[start - 1])


def _op_binunicode8(m: _PickleMachine) -> None:
    start = m.take(8) + 8
    _unicode(m, start, start + _U8.unpack_from(m.data, start - 8)[0])


def _op_append(m: _PickleMachine) -> None:
    m.pop()
    m.top()


def _op_appends(m: _PickleMachine) -> None:
    m.pop_mark()
    m.top()


def _op_build(m: _PickleMachine) -> None:
    state = m.pop()
    instance = m.top()
    if isinstance(instance, _Object):
        instance.state = state
        m.after_build(instance)


def _global_names(m: _PickleMachine, encoding: str) -> tuple[str, str]:
    module = m.line().decode(encoding, "backslashreplace")
    name = m.line().decode(encoding, "backslashreplace")
    return module, name


def _op_global(m: _PickleMachine) -> None:
    module, name = _global_names(m, "utf-8")
    m.stack.append(m.record_import(module, name, "GLOBAL"))


def _op_inst(m: _PickleMachine) -> None:
    module, name = _global_names(m, "ascii")
    imported = m.record_import(module, name, "INST")
    args = tuple(m.pop_mark())
    m.stack.append(_Object(imported, args))


def _op_obj(m: _PickleMachine) -> None:
    items = m.pop_mark()
    m.stack.append(_Object(items[0], tuple(items[1:])) if items else UNKNOWN)


def _op_dict(m: _PickleMachine) -> None:
    items = m.pop_mark()
    m.stack.append(_Dict(list(zip(items[::2], items[1::2], strict=False))))


def _op_empty_dict(m: _PickleMachine) -> None:
    m.stack.append(_Dict([]))


def _op_setitem(m: _PickleMachine) -> None:
    value = m.pop()
    key = m.pop()
    target = m.top()
    if isinstance(target, _Dict):
        target.items.append((key, value))


def _op_setitems(m: _PickleMachine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, _Dict):
        target.items.extend(zip(items[::2], items[1::2], strict=False))


def _get(m: _PickleMachine, index: int) -> None:
    value = m.memo.get(index, _MISSING)
    if value is _MISSING:
        m.session.problem(
            m.where, f"memo key {index} read before it is set, at byte {m.opcode_offset}"
        )
        value = UNKNOWN
    m.stack.append(value)


def _put(m: _PickleMachine, index: int) -> None:
    stack = m.stack
    m.memo[index] = stack[-1] if stack else m.top()


def _decimal_index(m: _PickleMachine) -> int:
    line = m.line()
    try:
        return int(line)
    except ValueError:
        return -1


def _op_get(m: _PickleMachine) -> None:
    _get(m, _decimal_index(m))


def _op_binget(m: _PickleMachine) -> None:
    position = m.position
    if position >= len(m.data):
        raise _Truncated("missing memo key")
    m.position = position + 1
    _get(m, m.data[position])


def _op_long_binget(m: _PickleMachine) -> None:
    _get(m, _U4.unpack_from(m.data, m.take(4))[0])


def _op_put(m: _PickleMachine) -> None:
    _put(m, _decimal_index(m))


def _op_binput(m: _PickleMachine) -> None:
    position = m.position
    if position >= len(m.data):
        raise _Truncated("missing memo key")
    m.position = position + 1
    _put(m, m.data[position])


def _op_long_binput(m: _PickleMachine) -> None:
    _put(m, _U4.unpack_from(m.data, m.take(4))[0])


def _op_memoize(m: _PickleMachine) -> None:
    stack = m.stack
    m.memo[len(m.memo)] = stack[-1] if stack else m.top()


def _op_list(m: _PickleMachine) -> None:
    m.pop_mark()  # before touching m.stack: popping the mark replaces it
    m.stack.append(LIST)


def _op_empty_list(m: _PickleMachine) -> None:
    m.stack.append(LIST)


def _op_tuple(m: _PickleMachine) -> None:
    items = tuple(m.pop_mark())
    m.stack.append(items)


def _op_empty_tuple(m: _PickleMachine) -> None:
    m.stack.append(())


def _op_tuple1(m: _PickleMachine) -> None:
    m.stack.append((m.pop(),))


def _op_tuple2(m: _PickleMachine) -> None:
    second = m.pop()
    m.stack.append((m.pop(), second))


def _op_tuple3(m: _PickleMachine) -> None:
    third = m.pop()
    second = m.pop()
    m.stack.append((m.pop(), second, third))


def _op_binfloat(m: _PickleMachine) -> None:
    m.stack.append(_F8.unpack_from(m.data, m.take(8))[0])


def _op_proto(m: _PickleMachine) -> None:
    protocol = m.data[m.take(1)]
    if protocol > HIGHEST_KNOWN_PROTOCOL:
        m.session.problem(
            m.where, f"unsupported pickle protocol {protocol} at byte {m.opcode_offset} "
            "(a loader refuses it; inspected anyway)"
        )
    else:
        m.session.inspection.protocols.add(protocol)


def _op_newobj(m: _PickleMachine) -> None:
    args = m.pop()
    cls = m.pop()
    m.stack.append(_Object(cls, args))


def _op_newobj_ex(m: _PickleMachine) -> None:
    m.pop()  # keyword arguments
    args = m.pop()
    cls = m.pop()
    m.stack.append(_Object(cls, args))


def _extension(m: _PickleMachine, code: int) -> None:
    # An index into copyreg's extension registry, which this process cannot see: an
    # import of something unknown.
    m.stack.append(m.record_import(UNRESOLVED, f"<extension {code}>".replace(" ", "_"), "EXT"))


def _op_ext1(m: _PickleMachine) -> None:
    _extension(m, m.data[m.take(1)])


def _op_ext2(m: _PickleMachine) -> None:
    _extension(m, _U2.unpack_from(m.data, m.take(2))[0])


def _op_ext4(m: _PickleMachine) -> None:
    _extension(m, _I4.unpack_from(m.data, m.take(4))[0])


def _op_newtrue(m: _PickleMachine) -> None:
    m.stack.append(True)


def _op_newfalse(m: _PickleMachine) -> None:
    m.stack.append(False)


def _bytes(m: _PickleMachine, size: int) -> None:
    m.stack.append(m.binary(m.take(size), size))


def _op_binbytes(m: _PickleMachine) -> None:
    _bytes(m, _U4.unpack_from(m.data, m.take(4))[0])


def _op_short_binbytes(m: _PickleMachine) -> None:
    _bytes(m, m.data[m.take(1)])


def _op_binbytes8(m: _PickleMachine) -> None:
    _bytes(m, _U8.unpack_from(m.data, m.take(8))[0])


def _op_empty_set(m: _PickleMachine) -> None:
    m.stack.append(SET)


def _op_additems(m: _PickleMachine) -> None:
    m.pop_mark()
    m.top()


def _op_frozenset(m: _PickleMachine) -> None:
    m.pop_mark()
    m.stack.append(SET)


def _op_stack_global(m: _PickleMachine) -> None:
    if len(m.stack) < 2:  # a loader fails here, before importing anything
        m.stack.clear()
        m._underflow()
        m.stack.append(UNKNOWN)
        return
    name = _constant_name(m.pop())
    module = _constant_name(m.pop())
    if module is None or name is None:
        m.session.problem(
            m.where, f"STACK_GLOBAL at byte {m.opcode_offset} pops something that cannot be a "
            "name (a loader fails here)"
        )
        m.stack.append(UNKNOWN)
        return
    m.stack.append(m.record_import(module, name, "STACK_GLOBAL"))


def _constant_name(value: object) -> str | None:
    """The module or attribute name a STACK_GLOBAL operand gives: the string itself;
    UNRESOLVED for values only known at load time (a call's result, an imported
    attribute, an out-of-band object); None for values that are never strings, which a
    loader refuses."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | memoryview):
        # A loader refuses bytes here too; decoding them reports the more dangerous reading.
        return bytes(value).decode("latin-1")
    if isinstance(value, _Object | _Global) or value is UNKNOWN:
        return UNRESOLVED
    return None


def _op_frame(m: _PickleMachine) -> None:
    size = _U8.unpack_from(m.data, m.take(8))[0]
    if size > len(m.data) - m.position:
        m.session.problem(
            m.where, f"frame at byte {m.opcode_offset} claims {size} bytes past the end"
        )


def _op_bytearray8(m: _PickleMachine) -> None:
    _bytes(m, _U8.unpack_from(m.data, m.take(8))[0])


def _op_next_buffer(m: _PickleMachine) -> None:
    m.stack.append(UNKNOWN)  # out-of-band data supplied by the loader's caller


def _op_readonly_buffer(m: _PickleMachine) -> None:
    m.top()


_Handler = Callable[[_PickleMachine], bool | None]
_OPCODES: list[_Handler | None] = [None] * 256


def _register(table: Iterable[tuple[bytes, _Handler]]) -> None:
    for code, handler in table:
        _OPCODES[code[0]] = handler


_register(
    [
        (b"(", _op_mark), (b".", _op_stop), (b"0", _op_pop), (b"1", _op_pop_mark),
        (b"2", _op_dup), (b"F", _op_float), (b"I", _op_int), (b"J", _op_binint),
        (b"K", _op_binint1), (b"L", _op_long), (b"M", _op_binint2), (b"N", _op_none),
        (b"P", _op_persid), (b"Q", _op_binpersid), (b"R", _op_reduce), (b"S", _op_string),
        (b"T", _op_binstring), (b"U", _op_short_binstring), (b"V", _op_unicode),
        (b"X", _op_binunicode), (b"a", _op_append), (b"b", _op_build), (b"c", _op_global),
        (b"d", _op_dict), (b"}", _op_empty_dict), (b"e", _op_appends), (b"g", _op_get),
        (b"h", _op_binget), (b"i", _op_inst), (b"j", _op_long_binget), (b"l", _op_list),
        (b"]", _op_empty_list), (b"o", _op_obj), (b"p", _op_put), (b"q", _op_binput),
        (b"r", _op_long_binput), (b"s", _op_setitem), (b"t", _op_tuple),
        (b")", _op_empty_tuple), (b"u", _op_setitems), (b"G", _op_binfloat),
        # protocol 2
        (b"\x80", _op_proto), (b"\x81", _op_newobj), (b"\x82", _op_ext1),
        (b"\x83", _op_ext2), (b"\x84", _op_ext4), (b"\x85", _op_tuple1),
        (b"\x86", _op_tuple2), (b"\x87", _op_tuple3), (b"\x88", _op_newtrue),
        (b"\x89", _op_newfalse), (b"\x8a", _op_long1), (b"\x8b", _op_long4),
        # protocol 3
        (b"B", _op_binbytes), (b"C", _op_short_binbytes),
        # protocol 4
        (b"\x8c", _op_short_binunicode), (b"\x8d", _op_binunicode8),
        (b"\x8e", _op_binbytes8), (b"\x8f", _op_empty_set), (b"\x90", _op_additems),
        (b"\x91", _op_frozenset), (b"\x92", _op_newobj_ex), (b"\x93", _op_stack_global),
        (b"\x94", _op_memoize), (b"\x95", _op_frame),
        # protocol 5
        (b"\x96", _op_bytearray8), (b"\x97", _op_next_buffer), (b"\x98", _op_readonly_buffer),
    ]
)


def _looks_like_text_pickle(head: bytes) -> bool:
    """Protocol 0/1 pickles have no header; accept the shapes pickle.dumps starts with:
    an import line, or a container opcode followed by another opcode."""
    if head[:1] == b"c":
        line_end = head.find(b"\n", 1)
        return line_end > 1 and bool(_IDENTIFIER_PATH.match(head[1:line_end].decode("latin-1")))
    return len(head) >= 2 and head[:1] in (b"(", b"]", b"}", b")") and (
        _OPCODES[head[1]] is not None
    )


# Read as "N file(s) <note>" in the scan summary.
ARTIFACT_INCOMPLETE_NOTE = "model file only partly inspected (over a limit, or unsupported)"
ARTIFACT_MALFORMED_NOTE = "malformed model file (inspected up to the damage)"


def artifact_note(inspection: ArtifactInspection) -> str | None:
    """The scan-summary note for a file whose inspection had problems (counted per note)."""
    if not inspection.complete:
        return ARTIFACT_INCOMPLETE_NOTE
    if inspection.problems:
        return ARTIFACT_MALFORMED_NOTE
    return None
