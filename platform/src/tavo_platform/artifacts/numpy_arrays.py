"""NumPy `.npy` files (and the members of `.npz` zips): a header, then raw data, except for
object arrays, whose data is a pickle (what `numpy.load(allow_pickle=True)` unpickles)."""

from __future__ import annotations

import re
import struct

from tavo_platform.artifacts._inspection import Session
from tavo_platform.artifacts.pickle_vm import inspect_pickles

NPY_MAGIC = b"\x93NUMPY"
NPY_MAX_HEADER = 1 << 20
_OBJECT_DTYPE = re.compile(r"""['"][|<>=]?O\d*['"]""")


def inspect_npy(data: bytes, where: str | None, session: Session, depth: int) -> None:
    major = data[6] if len(data) > 6 else 0
    width = 2 if major == 1 else 4
    start = 8 + width
    if major not in (1, 2, 3) or len(data) < start:
        session.problem(where, "unsupported or truncated .npy header")
        return
    (length,) = struct.unpack_from("<H" if width == 2 else "<I", data, 8)
    if length > NPY_MAX_HEADER or start + length > len(data):
        session.problem(where, ".npy header length out of bounds")
        return
    header = data[start : start + length].decode("latin-1")
    if _OBJECT_DTYPE.search(header):
        inspect_pickles(data[start + length :], where, session, depth + 1)
