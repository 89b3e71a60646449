"""`@immutable`: a dataclass that mypy holds read-only, built without run-time freezing.

The IR (ir.py) and the solver's traces are made of millions of small objects. A frozen
dataclass's `__init__` sets each field through `object.__setattr__`, which measured 2.6
times the cost of plain slot stores for two fields and 5 times for eight: 6% of a scan of
bench/dataflow_scale.py at 10x went to those constructors. These classes are plain slotted
dataclasses with value equality and hashing (`eq`, `unsafe_hash`: the same `__eq__` and
`__hash__` a frozen one gets); that no code assigns to their fields is checked by mypy,
which reads them as frozen (`dataclass_transform(frozen_default=True)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def immutable(cls: type[T]) -> type[T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)
