"""joblib files: pickles with NumPy arrays written raw between the opcodes.

joblib's `NumpyArrayWrapper` is pickled, then the array's bytes follow its BUILD opcode
directly (object arrays as a pickle of their own); the pickle VM steps over them here.
Whole joblib files are also often compressed (zlib, gzip, bz2, xz, lzma: see
_compressed.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tavo_platform.artifacts._pickle_values import (
    NUMPY_TYPESTR,
    UNKNOWN,
    Dict,
    Object,
    Truncated,
    Unsupported,
    is_int,
)

if TYPE_CHECKING:
    from tavo_platform.artifacts.pickle_vm import PickleMachine


def skip_wrapped_array(machine: PickleMachine, instance: Object) -> None:
    kind = instance.kind()
    if kind is None or kind.name != "NumpyArrayWrapper":
        return
    if not kind.module.endswith("numpy_pickle"):
        return
    _skip_array(machine, instance.state)
    machine.stack[-1] = UNKNOWN


def _skip_array(m: PickleMachine, state: object) -> None:
    if not isinstance(state, Dict):
        raise Unsupported("joblib array wrapper without a readable state")
    shape = state.get("shape")
    dtype = state.get("dtype")
    alignment = state.get("numpy_array_alignment_bytes")
    if not isinstance(shape, tuple) or not all(is_int(n) and n >= 0 for n in shape):
        raise Unsupported("joblib array of unreadable shape")
    typestr, itemsize, has_objects = numpy_dtype(dtype)
    if has_objects:
        # Object arrays are a complete pickle of their own, written inline.
        if m.depth + 1 > m.session.limits.max_depth:
            raise Unsupported("joblib object arrays nested too deep")
        nested = type(m)(m.data, m.view, m.position, m.where, m.session, m.depth + 1)
        m.session.inspection.pickle_streams += 1
        finished = nested.run()
        m.position = nested.position
        if not finished:
            raise Truncated("joblib object array is not a complete pickle")
        return
    if itemsize is None:
        raise Unsupported(f"joblib array of unsupported dtype {typestr!r}")
    if is_int(alignment):
        padding = m.data[m.take(1)]
        m.take(padding)
    count = 1
    for n in shape:
        count *= n
    m.take(count * itemsize)


def numpy_dtype(dtype: object) -> tuple[str, int | None, bool]:
    """(type string, item size or None, holds objects) of a pickled numpy.dtype."""
    if not isinstance(dtype, Object) or not isinstance(dtype.args, tuple) or not dtype.args:
        return "?", None, False
    typestr = dtype.args[0]
    if not isinstance(typestr, str):
        return "?", None, False
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    flags = state[7] if len(state) > 7 and is_int(state[7]) else 0
    has_objects = typestr.lstrip("<>|=").startswith("O") or bool(flags & 1)
    elsize = state[5] if len(state) > 5 and is_int(state[5]) else -1
    if elsize > 0:
        return typestr, elsize, has_objects
    fixed = NUMPY_TYPESTR.fullmatch(typestr)
    return typestr, int(fixed.group(1)) if fixed else None, has_objects
