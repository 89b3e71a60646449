"""Compressed model files (joblib writes zlib, gzip, bz2, xz and lzma; old joblib its own
"ZF" framing around zlib): decompressed in small steps within the session's budget, so a
decompression bomb costs a problem, not the server's memory."""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from typing import Any

from tavo_platform.artifacts._inspection import Session, describe

# Compressed input is fed in blocks this small: a block that turns out corrupt loses its
# output, and loaders read bigger blocks (joblib: 8 KiB), so nothing they would act on
# before the damage is missed here.
DECOMPRESS_CHUNK = 4096


def _zlib(wbits: int) -> Callable[[], Any]:
    return lambda: zlib.decompressobj(wbits)


DECOMPRESSORS: dict[str, Callable[[], Any]] = {
    "zlib": _zlib(15),
    "joblib-zfile": _zlib(15),
    "gzip": _zlib(31),
    "bz2": bz2.BZ2Decompressor,
    "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ),
    "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE),
}


def decompress(kind: str, data: bytes, where: str | None, session: Session) -> bytes | None:
    """Decompresses in small steps within the budget; a stream corrupt half-way still
    yields what came before the damage, since a loader reading it would act on that."""
    if kind == "joblib-zfile":
        data = data[21:]  # "ZF" + the length in hex padded to 19 characters
    decompressor = DECOMPRESSORS[kind]()
    budget = session.bytes_left
    out: list[bytes] = []
    total = 0
    try:
        for start in range(0, len(data), DECOMPRESS_CHUNK):
            piece = decompressor.decompress(
                data[start : start + DECOMPRESS_CHUNK], budget + 1 - total
            )
            out.append(piece)
            total += len(piece)
            if total > budget or decompressor.eof:
                break
    except Exception as error:  # zlib.error, OSError, LZMAError, EOFError...
        session.problem(where, f"corrupt {kind} stream after {total} bytes: {describe(error)}")
    else:
        if total <= budget and not decompressor.eof:
            session.problem(where, f"{kind} stream ends early (truncated file)")
    if total > budget:
        trim(out, total - budget)
        session.incomplete(
            where, f"{kind} content exceeds the decompression budget; "
            f"inspected the first {budget} bytes"
        )
    payload = b"".join(out)
    session.bytes_left -= len(payload)
    return payload or None


def trim(chunks: list[bytes], excess: int) -> None:
    """Drops `excess` bytes from the end of `chunks` before they are joined (joining first
    and slicing after would copy hundreds of megabytes twice)."""
    while excess > 0 and chunks:
        last = chunks.pop()
        if len(last) > excess:
            chunks.append(last[: len(last) - excess])
        excess -= len(last)
