"""The IR's classes (engine/dataflow/_immutable.py): values compared and hashed by their
fields, slotted, picklable across worker processes, as frozen dataclasses were."""

from __future__ import annotations

import pickle
from dataclasses import replace

from tavo_platform.engine.dataflow._resolve import Target
from tavo_platform.engine.dataflow._values import Trace
from tavo_platform.engine.dataflow.ir import (
    CONST,
    Arg,
    Call,
    Const,
    Eval,
    Function,
    Module,
    Param,
    Var,
)


def _call() -> Call:
    return Call("db.execute", Var("db", 3), (Arg(Var("sql", 3)), Arg(CONST, keyword="k")), 3)


def test_equal_fields_make_equal_values_with_equal_hashes() -> None:
    assert _call() == _call()
    assert hash(_call()) == hash(_call())
    assert len({_call(), _call(), replace(_call(), line=4)}) == 2
    assert Const() == CONST
    assert Trace("a.py", 1, "x", None, 1) == Trace("a.py", 1, "x", None, 1)
    assert hash(Target(0, 1, False)) == hash(Target(0, 1, False))


def test_they_are_slotted_and_survive_pickling() -> None:
    function = Function(1, "f", (Param("x"),), (), 2, 0, calls=(_call(),))
    assert not hasattr(_call(), "__dict__")
    assert not hasattr(Trace("a.py", 1, "x", None, 1), "__dict__")
    assert pickle.loads(pickle.dumps(function)) == function
    chained = Trace("a.py", 2, "y", Trace("a.py", 1, "x", None, 1), 2)
    assert pickle.loads(pickle.dumps(chained)).steps() == chained.steps()


def test_they_pickle_as_constructor_arguments() -> None:
    # Field values in order, rebuilt by the constructor: no slot-name dict per object.
    call = _call()
    assert call.__reduce__() == (
        Call,
        ("db.execute", call.receiver, call.args, 3, False, False, False, None),
    )
    assert CONST.__reduce__() == (Const, ())
    assert Target(0, 1, True).__reduce__() == (Target, (0, 1, True, False))
    assert b"receiver" not in pickle.dumps(call)
    module = Module("a.py", "a", "python", (Function(0, "<module>", (), (Eval(call),), 1, None),))
    assert pickle.loads(pickle.dumps(module)) == module
