"""`@immutable`: a dataclass that mypy holds read-only, built without run-time freezing.

The IR (ir.py) and the solver's traces are made of millions of small objects. A frozen
dataclass's `__init__` sets each field through `object.__setattr__`, which measured 2.6
times the cost of plain slot stores for two fields and 5 times for eight: 6% of a scan of
bench/dataflow_scale.py at 10x went to those constructors. These classes are plain slotted
dataclasses with value equality and hashing (`eq`, `unsafe_hash`: the same `__eq__` and
`__hash__` a frozen one gets); that no code assigns to their fields is checked by mypy,
which reads them as frozen (`dataclass_transform(frozen_default=True)`).

Each file's IR is lowered in a worker process and pickled back to the one that solves the
project. A slotted object pickles by default as its class plus a dict of slot names to
values, rebuilt by setting each attribute: these classes pickle as their class and a tuple
of field values instead, rebuilt by their constructor. On the IR of a scan of Django with
every built-in rule (260,000 objects, collector paused as in a scan): 11.1 MB pickled in
0.75 s and loaded in 0.28 s before, 7.4 MB in 0.41 s and 0.14 s after.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def immutable(cls: type[T]) -> type[T]:
    made = dataclass(slots=True, unsafe_hash=True)(cls)
    made.__reduce__ = _reduce_by_fields(made)  # type: ignore[method-assign]
    return made


def _reduce_by_fields(cls: type[Any]) -> Any:
    """`__reduce__` returning (cls, (field values...)): generated for the class's own fields,
    as dataclass generates its `__init__`, so pickling calls no generic code per object."""
    values = "".join(f"self.{f.name}, " for f in fields(cls))
    namespace: dict[str, Any] = {"cls": cls}
    exec(f"def __reduce__(self):\n    return (cls, ({values}))\n", namespace)
    return namespace["__reduce__"]
