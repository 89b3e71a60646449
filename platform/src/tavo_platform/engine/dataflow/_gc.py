"""The cyclic garbage collector paused while the IR is built and solved.

Lowering and solving allocate many small objects that live on (the IR, taint values,
traces) and form no reference cycles, which reference counting alone frees. With the
collector running, each collection walks every live object of the scan so far: measured
on bench/dataflow_scale.py at 10x, 12% of the lowering time and 30% of the solver's went to
collections that found nothing to free. Paused, never disabled for good: the previous state
comes back when the block ends, and a collector already paused (by the caller, or a
concurrent scan on another thread) is left as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
