"""Which format a blob is, and the one entry point that inspects a model file.

A file is recognised by its first bytes where its format has a signature, by its name
otherwise (ONNX has none; a protocol 0 pickle looks like text); archive members and
decompressed streams come back through the same dispatch, one level deeper each time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from tavo_platform.artifacts import gguf, keras, numpy_arrays, onnx, safetensors
from tavo_platform.artifacts._compressed import DECOMPRESSORS, decompress
from tavo_platform.artifacts._inspection import (
    DEFAULT_LIMITS,
    ArtifactInspection,
    InspectionLimits,
    Session,
    describe,
)
from tavo_platform.artifacts._pickle_opcodes import OPCODES, looks_like_text_pickle
from tavo_platform.artifacts._pickle_values import HIGHEST_KNOWN_PROTOCOL
from tavo_platform.artifacts._zip import ZIP_MAGICS, inspect_zip
from tavo_platform.artifacts.pickle_vm import PICKLE_SUFFIXES, inspect_pickles, pickle_start

# Files whose name alone says "model file": inspected whatever their first bytes hold.
NAMED_SUFFIXES = (
    PICKLE_SUFFIXES
    | onnx.ONNX_SUFFIXES
    | keras.HDF5_SUFFIXES
    | {".gguf", ".safetensors", ".npy", ".npz"}
)
# Formats read from a header at the front: no nesting limit applies, nothing is unpacked.
_HEADER_FORMATS = frozenset({"safetensors", "gguf", "hdf5", "onnx"})


# Formats whose metadata is a header at the front: a scan reads only this much of them, so
# multi-gigabyte weights are inspected without being read.
HEADER_SUFFIXES = frozenset({".gguf", ".safetensors"})
HEADER_READ_BYTES = 128 * 1024 * 1024


def inspect_artifact(
    data: bytes,
    path: str = "",
    *,
    limits: InspectionLimits = DEFAULT_LIMITS,
    file_size: int | None = None,
) -> ArtifactInspection:
    """Inspects a model file's bytes. Never raises on bad input: every oddity becomes a
    problem in the result. `file_size` is the whole file's size when `data` holds only its
    first bytes (HEADER_READ_BYTES of a header format)."""
    session = Session(ArtifactInspection(), limits, inspect_blob, file_size)
    suffix = PurePosixPath(path).suffix.lower()
    try:
        session.inspection.format = inspect_blob(bytes(data), None, suffix, session, depth=0)
    except RecursionError:
        session.incomplete(None, "nested too deeply to inspect")
    except MemoryError:
        session.incomplete(None, "ran out of memory while inspecting")
    except TimeoutError:
        raise  # the file's time budget ran out: the scan skips the file
    except Exception as error:  # a bug here must cost a verdict, never the caller
        session.incomplete(None, f"inspection failed: {describe(error)}")
    session.inspection.opcodes = limits.max_opcodes - session.opcodes_left
    return session.inspection


def sniff_format(head: bytes) -> str | None:
    """The model format announced by a file's first bytes, or None when unrecognised."""
    # First: its 8-byte length prefix can start with any byte, 0x80 included.
    if safetensors.looks_like_safetensors(head):
        return "safetensors"
    if head[:4] in ZIP_MAGICS:
        return "zip"
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= HIGHEST_KNOWN_PROTOCOL:
        return "pickle"
    for name, matches in _SIGNATURES:
        if matches(head):
            return name
    if looks_like_text_pickle(head):
        return "pickle"
    return None


def _zlib_header(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0


def _prefix(magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(magic)


_SIGNATURES: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("zlib", _zlib_header),
    ("gzip", _prefix(b"\x1f\x8b")),
    ("bz2", lambda head: head[:3] == b"BZh" and head[3:4].isdigit()),
    ("xz", _prefix(b"\xfd7zXZ\x00")),
    ("lzma", _prefix(b"]\x00\x00")),  # the "lzma alone" header joblib writes
    ("lz4", _prefix(b"\x04\x22\x4d\x18")),
    ("joblib-zfile", _prefix(b"ZF0x")),  # joblib < 0.10: "ZF", the length in hex, then zlib
    ("numpy", _prefix(numpy_arrays.NPY_MAGIC)),
    ("gguf", _prefix(gguf.GGUF_MAGIC)),
    ("hdf5", _prefix(keras.HDF5_SIGNATURE)),
)


def looks_like_artifact(head: bytes, path: str) -> bool:
    """Whether a file classed as a model artefact by its name should be inspected as one,
    judged by its first bytes: a recognised header; any content for a name that says
    model file (`.pkl`, `.onnx`...: headerless protocol 0 pickles look like text, ONNX has
    no signature); and for other names (`.bin`), first bytes that read as the start of a
    pickle. Raw tensors in a `.bin` fail that at once and are left to be skipped as binary."""
    if sniff_format(head) is not None:
        return True
    if not head:
        return False
    if PurePosixPath(path).suffix.lower() in NAMED_SUFFIXES:
        return True
    # A `.bin` may be a headerless pickle, or raw tensors: try the head as a pickle.
    return OPCODES[head[0]] is not None and pickle_start(head)


def inspect_blob(data: bytes, where: str | None, suffix: str, session: Session, depth: int) -> str:
    """Inspects one file or archive member by its format; returns the format's name."""
    kind = sniff_format(data[:64]) or _by_name_or_shape(data, suffix)
    if kind is None:
        if data and OPCODES[data[0]] is not None:
            return _inspect_unlabelled(data, where, session, depth)
        return "raw"  # raw tensors and the like: nothing a loader would execute
    if depth > session.limits.max_depth and kind not in _HEADER_FORMATS:
        session.incomplete(where, f"{kind} nested more than {session.limits.max_depth} deep")
        return kind
    if kind == "pickle":
        return inspect_pickles(data, where, session, depth)
    if kind == "zip":
        return inspect_zip(data, where, session, depth)
    if kind in DECOMPRESSORS:
        payload = decompress(kind, data, where, session)
        if payload is None:
            return kind
        return f"{kind}+{inspect_blob(payload, where, '.pkl', session, depth + 1)}"
    return _inspect_flat(kind, data, where, suffix, session, depth)


def _by_name_or_shape(data: bytes, suffix: str) -> str | None:
    """The format of a blob without a signature at its start."""
    if suffix in onnx.ONNX_SUFFIXES:
        return "onnx"
    if keras.is_hdf5(data):  # the signature may follow a user block of 512 bytes or more
        return "hdf5"
    if suffix in PICKLE_SUFFIXES:
        return "pickle"  # the name says pickle: inspect it, and report why it is not one
    if suffix == ".safetensors" and len(data) >= 8:
        return "safetensors"
    if data[:1] == b"\x08" and onnx.looks_like_onnx(data):
        return "onnx"
    return None


def _inspect_flat(
    kind: str, data: bytes, where: str | None, suffix: str, session: Session, depth: int
) -> str:
    if kind == "numpy":
        numpy_arrays.inspect_npy(data, where, session, depth)
    elif kind == "safetensors":
        safetensors.check_safetensors(data, where, session)
    elif kind == "gguf":
        gguf.check_gguf(data, where, session)
    elif kind == "onnx":
        onnx.check_onnx(data, where, session)
    elif kind == "hdf5":
        keras.check_hdf5(data, session)
        return "keras-h5" if suffix in keras.HDF5_SUFFIXES else "hdf5"
    elif kind == "lz4":
        session.incomplete(where, "lz4-compressed content is not supported; not inspected")
    return kind


def _inspect_unlabelled(data: bytes, where: str | None, session: Session, depth: int) -> str:
    """A file with neither a header nor a model file's name (a `.bin`): a pickle if
    inspecting it as one finds an import; otherwise raw data, and the attempt leaves no
    trace."""
    inspection = session.inspection
    before = (len(inspection.imports), len(inspection.problems), inspection.complete,
              inspection.pickle_streams, set(inspection.protocols))
    inspect_pickles(data, where, session, depth)
    if len(inspection.imports) > before[0]:
        return "pickle"
    del inspection.problems[before[1] :]
    inspection.complete, inspection.pickle_streams, inspection.protocols = before[2:]
    return "raw"
