"""safetensors: an 8-byte header length, a JSON header naming each tensor's dtype, shape
and byte range, then the tensor bytes. It carries no code; what can go wrong is a header
that lies (a length past the end, ranges outside the data or overlapping each other, sizes
that disagree with shapes) or is huge, both ways to trip up a parser. Checked here, with
every bound from the format's own reference implementation."""

from __future__ import annotations

import json
import struct
from typing import Any

from tavo_platform.artifacts._inspection import Session, describe

MAX_HEADER = 100 * 1024 * 1024  # the reference loader refuses larger headers
# Real headers are kilobytes (a few hundred bytes a tensor); parsing one of 100 MiB would
# cost a gigabyte of Python objects, so larger ones are reported, not parsed.
MAX_PARSED_HEADER = 16 * 1024 * 1024
MAX_METADATA_BYTES = 1024 * 1024  # free-form __metadata__: strings only, kept small
MAX_TENSORS_CHECKED = 1_000_000
MAX_DIMENSIONS = 64
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}


def looks_like_safetensors(head: bytes) -> bool:
    if len(head) < 10 or head[8:9] != b"{":
        return False
    length: int = struct.unpack_from("<Q", head)[0]
    return 2 <= length <= MAX_HEADER


def check_safetensors(data: bytes, where: str | None, session: Session) -> None:
    if len(data) < 8:
        session.problem(where, "safetensors file shorter than its header length")
        return
    (length,) = struct.unpack_from("<Q", data)
    if length > MAX_HEADER:
        session.problem(where, f"safetensors header of {length} bytes (limit {MAX_HEADER})")
        return
    if 8 + length > len(data):
        if session.past_prefix(data):
            session.incomplete(where, f"safetensors header longer than the {len(data)} bytes read")
        else:
            session.problem(where, "safetensors header runs past the end of the file")
        return
    if length > MAX_PARSED_HEADER:
        session.incomplete(where, f"safetensors header of {length} bytes not parsed "
                           f"(limit {MAX_PARSED_HEADER})")
        return
    try:
        header = json.loads(data[8 : 8 + length])
    except (ValueError, RecursionError) as error:
        session.problem(where, f"safetensors header is not valid JSON: {describe(error)}")
        return
    if not isinstance(header, dict):
        session.problem(where, "safetensors header is not a JSON object")
        return
    _check_metadata(header.pop("__metadata__", {}), where, session)
    # A scan reads only the header of a large file: the data's length comes from its size.
    whole = session.file_size if where is None and session.past_prefix(data) else None
    _check_tensors(header, (whole or len(data)) - 8 - length, where, session)


def _check_metadata(metadata: object, where: str | None, session: Session) -> None:
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        session.problem(where, "safetensors __metadata__ is not a map of strings")
        return
    size = sum(len(key) + len(value) for key, value in metadata.items())
    session.inspection.details["metadata_keys"] = len(metadata)
    if size > MAX_METADATA_BYTES:
        session.problem(
            where, f"safetensors __metadata__ holds {size} characters "
            f"(more than {MAX_METADATA_BYTES}: not weights metadata)"
        )


def _check_tensors(
    header: dict[str, Any], buffer: int, where: str | None, session: Session
) -> None:
    """Each tensor's range lies in the data, matches its dtype and shape, and the ranges
    tile the data without overlapping."""
    session.inspection.details["tensors"] = len(header)
    ranges: list[tuple[int, int, str]] = []
    for name, info in list(header.items())[:MAX_TENSORS_CHECKED]:
        problem = _tensor_problem(info, buffer)
        if problem:
            session.problem(where, f"safetensors tensor {name[:100]!r}: {problem}")
        else:
            begin, end = info["data_offsets"]
            ranges.append((begin, end, name))
    ranges.sort()
    position = 0
    for begin, end, name in ranges:
        if begin < position:
            session.problem(where, f"safetensors tensor {name[:100]!r} overlaps another")
        elif begin > position:
            session.problem(where, f"safetensors data has a gap before tensor {name[:100]!r}")
        position = max(position, end)


def _tensor_problem(info: object, buffer: int) -> str | None:
    if not isinstance(info, dict):
        return "not an object"
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in DTYPE_BYTES:
        return f"unknown dtype {str(dtype)[:20]!r}"
    if not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS or not all(
        _count(n) for n in shape
    ):
        return "shape is not a list of non-negative integers"
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_count(n) for n in offsets):
        return "data_offsets is not a pair of non-negative integers"
    begin, end = offsets
    if not begin <= end <= buffer:
        return f"data_offsets {begin}..{end} outside the {buffer} data bytes"
    elements = 1
    for n in shape:
        elements *= n
    if elements * DTYPE_BYTES[dtype] != end - begin:
        return f"shape {shape[:8]} of {dtype} does not fill {end - begin} bytes"
    return None


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
