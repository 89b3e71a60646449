"""The pickle opcode handlers, one small function each, and the table the machine
dispatches on. A handler returns True only for STOP."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeAlias

from tavo_platform.artifacts._inspection import UNRESOLVED
from tavo_platform.artifacts._pickle_values import (
    F8,
    HIGHEST_KNOWN_PROTOCOL,
    I4,
    IDENTIFIER_PATH,
    LIST,
    MAX_TEXT_VALUE,
    MISSING,
    SET,
    U2,
    U4,
    U8,
    UNKNOWN,
    UNKNOWN_ESCAPE,
    Dict,
    Global,
    Object,
    Truncated,
)

if TYPE_CHECKING:
    from tavo_platform.artifacts.pickle_vm import PickleMachine


def _op_mark(m: PickleMachine) -> None:
    m.metastack.append(m.stack)
    m.stack = []


def _op_stop(m: PickleMachine) -> bool:
    m.result = m.pop()
    return True


def _op_pop(m: PickleMachine) -> None:
    if m.stack:
        m.stack.pop()
    else:
        m.pop_mark()


def _op_pop_mark(m: PickleMachine) -> None:
    m.pop_mark()


def _op_dup(m: PickleMachine) -> None:
    m.stack.append(m.top())


def _op_float(m: PickleMachine) -> None:
    line = m.line()
    try:
        m.stack.append(float(line))
    except ValueError:
        m.stack.append(UNKNOWN)


def _op_int(m: PickleMachine) -> None:
    line = m.line()
    if line in (b"00", b"01"):
        m.stack.append(line == b"01")
        return
    try:
        m.stack.append(int(line, 0))
    except ValueError:
        m.stack.append(UNKNOWN)


def _op_binint(m: PickleMachine) -> None:
    m.stack.append(I4.unpack_from(m.data, m.take(4))[0])


def _op_binint1(m: PickleMachine) -> None:
    m.stack.append(m.data[m.take(1)])


def _op_binint2(m: PickleMachine) -> None:
    m.stack.append(U2.unpack_from(m.data, m.take(2))[0])


def _op_long(m: PickleMachine) -> None:
    line = m.line()
    try:
        m.stack.append(int(line[:-1] if line.endswith(b"L") else line, 0))
    except ValueError:  # includes Python's limit on digits, which a loader hits too
        m.stack.append(UNKNOWN)


def _long_bytes(m: PickleMachine, size: int) -> None:
    start = m.take(size)
    if size > 4096:
        m.stack.append(UNKNOWN)
    else:
        m.stack.append(int.from_bytes(m.data[start : start + size], "little", signed=True))


def _op_long1(m: PickleMachine) -> None:
    _long_bytes(m, m.data[m.take(1)])


def _op_long4(m: PickleMachine) -> None:
    _long_bytes(m, I4.unpack_from(m.data, m.take(4))[0])


def _op_none(m: PickleMachine) -> None:
    m.stack.append(None)


def _op_persid(m: PickleMachine) -> None:
    m.line()
    m.stack.append(UNKNOWN)


def _op_binpersid(m: PickleMachine) -> None:
    m.pop()
    m.stack.append(UNKNOWN)


def _op_reduce(m: PickleMachine) -> None:
    args = m.pop()
    function = m.top()
    m.stack[-1] = Object(function, args)


def _op_string(m: PickleMachine) -> None:
    start = m.position
    line = m.line()
    if len(line) >= 2 and line[0] == line[-1] and line[:1] in (b"'", b'"'):
        line = line[1:-1]
    if b"\\" in line:
        # escape_decode keeps an unknown escape (\*) as it is but warns about it, and a
        # warning turned into an error must not escape the inspector: escape those first.
        line = UNKNOWN_ESCAPE.sub(rb"\\\\\1", line)
    try:
        value: object = codecs.escape_decode(line)[0].decode("latin-1")
    except ValueError:
        value = UNKNOWN
    if isinstance(value, str):
        m.maybe_nested(start, value)
    m.stack.append(value)


def _binstring(m: PickleMachine, size: int) -> None:
    start = m.take(size)
    value = m.text(start, size, "latin-1")
    if isinstance(value, str):
        m.maybe_nested(start, value)
    m.stack.append(value)


def _op_binstring(m: PickleMachine) -> None:
    _binstring(m, I4.unpack_from(m.data, m.take(4))[0])


def _op_short_binstring(m: PickleMachine) -> None:
    _binstring(m, m.data[m.take(1)])


def _op_unicode(m: PickleMachine) -> None:
    line = m.line()
    try:
        m.stack.append(str(line, "raw-unicode-escape"))
    except UnicodeDecodeError:
        m.stack.append(UNKNOWN)


def _unicode(m: PickleMachine, start: int, end: int) -> None:
    # Hot: strings are most of a typical pickle's opcodes, so this avoids helper calls.
    if end > len(m.data):
        raise Truncated(f"string of {end - start} bytes runs past the end")
    m.position = end
    if end - start > MAX_TEXT_VALUE:
        m.stack.append(UNKNOWN)
        return
    try:
        value = m.data[start:end].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        m.stack.append(UNKNOWN)
        return
    if value[-1:] == ".":
        m.maybe_nested(start, value)
    m.stack.append(value)


def _op_binunicode(m: PickleMachine) -> None:
    start = m.take(4) + 4
    _unicode(m, start, start + U4.unpack_from(m.data, start - 4)[0])


def _op_short_binunicode(m: PickleMachine) -> None:
    start = m.position + 1
    if start > len(m.data):
        raise Truncated("missing string length")
    _unicode(m, start, start + m.data[start - 1])


def _op_binunicode8(m: PickleMachine) -> None:
    start = m.take(8) + 8
    _unicode(m, start, start + U8.unpack_from(m.data, start - 8)[0])


def _op_append(m: PickleMachine) -> None:
    m.pop()
    m.top()


def _op_appends(m: PickleMachine) -> None:
    m.pop_mark()
    m.top()


def _op_build(m: PickleMachine) -> None:
    state = m.pop()
    instance = m.top()
    if isinstance(instance, Object):
        instance.state = state
        m.after_build(instance)


def _global_names(m: PickleMachine, encoding: str) -> tuple[str, str]:
    module = m.line().decode(encoding, "backslashreplace")
    name = m.line().decode(encoding, "backslashreplace")
    return module, name


def _op_global(m: PickleMachine) -> None:
    module, name = _global_names(m, "utf-8")
    m.stack.append(m.record_import(module, name, "GLOBAL"))


def _op_inst(m: PickleMachine) -> None:
    module, name = _global_names(m, "ascii")
    imported = m.record_import(module, name, "INST")
    args = tuple(m.pop_mark())
    m.stack.append(Object(imported, args))


def _op_obj(m: PickleMachine) -> None:
    items = m.pop_mark()
    m.stack.append(Object(items[0], tuple(items[1:])) if items else UNKNOWN)


def _op_dict(m: PickleMachine) -> None:
    items = m.pop_mark()
    m.stack.append(Dict(list(zip(items[::2], items[1::2], strict=False))))


def _op_empty_dict(m: PickleMachine) -> None:
    m.stack.append(Dict([]))


def _op_setitem(m: PickleMachine) -> None:
    value = m.pop()
    key = m.pop()
    target = m.top()
    if isinstance(target, Dict):
        target.items.append((key, value))


def _op_setitems(m: PickleMachine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, Dict):
        target.items.extend(zip(items[::2], items[1::2], strict=False))


def _get(m: PickleMachine, index: int) -> None:
    value = m.memo.get(index, MISSING)
    if value is MISSING:
        m.session.problem(
            m.where, f"memo key {index} read before it is set, at byte {m.opcode_offset}"
        )
        value = UNKNOWN
    m.stack.append(value)


def _put(m: PickleMachine, index: int) -> None:
    stack = m.stack
    m.memo[index] = stack[-1] if stack else m.top()


def _decimal_index(m: PickleMachine) -> int:
    line = m.line()
    try:
        return int(line)
    except ValueError:
        return -1


def _op_get(m: PickleMachine) -> None:
    _get(m, _decimal_index(m))


def _op_binget(m: PickleMachine) -> None:
    position = m.position
    if position >= len(m.data):
        raise Truncated("missing memo key")
    m.position = position + 1
    _get(m, m.data[position])


def _op_long_binget(m: PickleMachine) -> None:
    _get(m, U4.unpack_from(m.data, m.take(4))[0])


def _op_put(m: PickleMachine) -> None:
    _put(m, _decimal_index(m))


def _op_binput(m: PickleMachine) -> None:
    position = m.position
    if position >= len(m.data):
        raise Truncated("missing memo key")
    m.position = position + 1
    _put(m, m.data[position])


def _op_long_binput(m: PickleMachine) -> None:
    _put(m, U4.unpack_from(m.data, m.take(4))[0])


def _op_memoize(m: PickleMachine) -> None:
    stack = m.stack
    m.memo[len(m.memo)] = stack[-1] if stack else m.top()


def _op_list(m: PickleMachine) -> None:
    m.pop_mark()  # before touching m.stack: popping the mark replaces it
    m.stack.append(LIST)


def _op_empty_list(m: PickleMachine) -> None:
    m.stack.append(LIST)


def _op_tuple(m: PickleMachine) -> None:
    items = tuple(m.pop_mark())
    m.stack.append(items)


def _op_empty_tuple(m: PickleMachine) -> None:
    m.stack.append(())


def _op_tuple1(m: PickleMachine) -> None:
    m.stack.append((m.pop(),))


def _op_tuple2(m: PickleMachine) -> None:
    second = m.pop()
    m.stack.append((m.pop(), second))


def _op_tuple3(m: PickleMachine) -> None:
    third = m.pop()
    second = m.pop()
    m.stack.append((m.pop(), second, third))


def _op_binfloat(m: PickleMachine) -> None:
    m.stack.append(F8.unpack_from(m.data, m.take(8))[0])


def _op_proto(m: PickleMachine) -> None:
    protocol = m.data[m.take(1)]
    if protocol > HIGHEST_KNOWN_PROTOCOL:
        m.session.problem(
            m.where, f"unsupported pickle protocol {protocol} at byte {m.opcode_offset} "
            "(a loader refuses it; inspected anyway)"
        )
    else:
        m.session.inspection.protocols.add(protocol)


def _op_newobj(m: PickleMachine) -> None:
    args = m.pop()
    cls = m.pop()
    m.stack.append(Object(cls, args))


def _op_newobj_ex(m: PickleMachine) -> None:
    m.pop()  # keyword arguments
    args = m.pop()
    cls = m.pop()
    m.stack.append(Object(cls, args))


def _extension(m: PickleMachine, code: int) -> None:
    # An index into copyreg's extension registry, which this process cannot see: an
    # import of something unknown.
    m.stack.append(m.record_import(UNRESOLVED, f"<extension {code}>".replace(" ", "_"), "EXT"))


def _op_ext1(m: PickleMachine) -> None:
    _extension(m, m.data[m.take(1)])


def _op_ext2(m: PickleMachine) -> None:
    _extension(m, U2.unpack_from(m.data, m.take(2))[0])


def _op_ext4(m: PickleMachine) -> None:
    _extension(m, I4.unpack_from(m.data, m.take(4))[0])


def _op_newtrue(m: PickleMachine) -> None:
    m.stack.append(True)


def _op_newfalse(m: PickleMachine) -> None:
    m.stack.append(False)


def _bytes(m: PickleMachine, size: int) -> None:
    m.stack.append(m.binary(m.take(size), size))


def _op_binbytes(m: PickleMachine) -> None:
    _bytes(m, U4.unpack_from(m.data, m.take(4))[0])


def _op_short_binbytes(m: PickleMachine) -> None:
    _bytes(m, m.data[m.take(1)])


def _op_binbytes8(m: PickleMachine) -> None:
    _bytes(m, U8.unpack_from(m.data, m.take(8))[0])


def _op_empty_set(m: PickleMachine) -> None:
    m.stack.append(SET)


def _op_additems(m: PickleMachine) -> None:
    m.pop_mark()
    m.top()


def _op_frozenset(m: PickleMachine) -> None:
    m.pop_mark()
    m.stack.append(SET)


def _op_stack_global(m: PickleMachine) -> None:
    if len(m.stack) < 2:  # a loader fails here, before importing anything
        m.stack.clear()
        m._underflow()
        m.stack.append(UNKNOWN)
        return
    name = _constant_name(m.pop())
    module = _constant_name(m.pop())
    if module is None or name is None:
        m.session.problem(
            m.where, f"STACK_GLOBAL at byte {m.opcode_offset} pops something that cannot be a "
            "name (a loader fails here)"
        )
        m.stack.append(UNKNOWN)
        return
    m.stack.append(m.record_import(module, name, "STACK_GLOBAL"))


def _constant_name(value: object) -> str | None:
    """The module or attribute name a STACK_GLOBAL operand gives: the string itself;
    UNRESOLVED for values only known at load time (a call's result, an imported
    attribute, an out-of-band object); None for values that are never strings, which a
    loader refuses."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | memoryview):
        # A loader refuses bytes here too; decoding them reports the more dangerous reading.
        return bytes(value).decode("latin-1")
    if isinstance(value, Object | Global) or value is UNKNOWN:
        return UNRESOLVED
    return None


def _op_frame(m: PickleMachine) -> None:
    size = U8.unpack_from(m.data, m.take(8))[0]
    if size > len(m.data) - m.position:
        m.session.problem(
            m.where, f"frame at byte {m.opcode_offset} claims {size} bytes past the end"
        )


def _op_bytearray8(m: PickleMachine) -> None:
    _bytes(m, U8.unpack_from(m.data, m.take(8))[0])


def _op_next_buffer(m: PickleMachine) -> None:
    m.stack.append(UNKNOWN)  # out-of-band data supplied by the loader's caller


def _op_readonly_buffer(m: PickleMachine) -> None:
    m.top()


_Handler: TypeAlias = "Callable[[PickleMachine], bool | None]"
OPCODES: list[_Handler | None] = [None] * 256


def _register(table: Iterable[tuple[bytes, _Handler]]) -> None:
    for code, handler in table:
        OPCODES[code[0]] = handler


_register(
    [
        (b"(", _op_mark), (b".", _op_stop), (b"0", _op_pop), (b"1", _op_pop_mark),
        (b"2", _op_dup), (b"F", _op_float), (b"I", _op_int), (b"J", _op_binint),
        (b"K", _op_binint1), (b"L", _op_long), (b"M", _op_binint2), (b"N", _op_none),
        (b"P", _op_persid), (b"Q", _op_binpersid), (b"R", _op_reduce), (b"S", _op_string),
        (b"T", _op_binstring), (b"U", _op_short_binstring), (b"V", _op_unicode),
        (b"X", _op_binunicode), (b"a", _op_append), (b"b", _op_build), (b"c", _op_global),
        (b"d", _op_dict), (b"}", _op_empty_dict), (b"e", _op_appends), (b"g", _op_get),
        (b"h", _op_binget), (b"i", _op_inst), (b"j", _op_long_binget), (b"l", _op_list),
        (b"]", _op_empty_list), (b"o", _op_obj), (b"p", _op_put), (b"q", _op_binput),
        (b"r", _op_long_binput), (b"s", _op_setitem), (b"t", _op_tuple),
        (b")", _op_empty_tuple), (b"u", _op_setitems), (b"G", _op_binfloat),
        # protocol 2
        (b"\x80", _op_proto), (b"\x81", _op_newobj), (b"\x82", _op_ext1),
        (b"\x83", _op_ext2), (b"\x84", _op_ext4), (b"\x85", _op_tuple1),
        (b"\x86", _op_tuple2), (b"\x87", _op_tuple3), (b"\x88", _op_newtrue),
        (b"\x89", _op_newfalse), (b"\x8a", _op_long1), (b"\x8b", _op_long4),
        # protocol 3
        (b"B", _op_binbytes), (b"C", _op_short_binbytes),
        # protocol 4
        (b"\x8c", _op_short_binunicode), (b"\x8d", _op_binunicode8),
        (b"\x8e", _op_binbytes8), (b"\x8f", _op_empty_set), (b"\x90", _op_additems),
        (b"\x91", _op_frozenset), (b"\x92", _op_newobj_ex), (b"\x93", _op_stack_global),
        (b"\x94", _op_memoize), (b"\x95", _op_frame),
        # protocol 5
        (b"\x96", _op_bytearray8), (b"\x97", _op_next_buffer), (b"\x98", _op_readonly_buffer),
    ]
)


def looks_like_text_pickle(head: bytes) -> bool:
    """Protocol 0/1 pickles have no header; accept the shapes pickle.dumps starts with:
    an import line, or a container opcode followed by another opcode."""
    if head[:1] == b"c":
        line_end = head.find(b"\n", 1)
        return line_end > 1 and bool(IDENTIFIER_PATH.match(head[1:line_end].decode("latin-1")))
    return len(head) >= 2 and head[:1] in (b"(", b"]", b"}", b")") and (
        OPCODES[head[1]] is not None
    )
