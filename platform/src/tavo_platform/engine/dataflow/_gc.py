"""The cyclic garbage collector paused while the IR is built and solved.

Lowering and solving allocate many small objects that live on (the IR, taint values,
traces) and form no reference cycles, which reference counting alone frees. With the
collector running, each collection walks every live object of the scan so far: measured
on bench/dataflow_scale.py at 10x, 12% of the lowering time and 30% of the solver's went to
collections that found nothing to free. Paused, never disabled for good: the previous state
comes back when the block ends, and a collector already paused (by the caller, or a
concurrent scan on another thread) is left as it is.

A scan on one process holds every file's IR until the project is solved, so the scanner
pauses the collector across the whole file loop and the solving (`collected_every`): with
it running between files, each collection walked the IR lowered so far (6% of the scan's
time on bench/dataflow_scale.py at 10x, 53 ms of 835). The other matchers do leave some
cyclic garbage (28,688 unreachable objects after a scan of Django with every built-in
rule), so a paused scan still collects once every COLLECT_EVERY_FILES files.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

COLLECT_EVERY_FILES = 1000


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


def collected_every(count: int) -> None:
    """Called after the `count`-th file of a scan run with the collector paused."""
    if count % COLLECT_EVERY_FILES == 0:
        gc.collect()
