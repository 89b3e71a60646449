"""The inert values a symbolically run pickle stack holds, and the machine's small shared
pieces (binary layouts, name patterns, the ways a stream stops early)."""

from __future__ import annotations

import re
import struct

HIGHEST_KNOWN_PROTOCOL = 5
# Text longer than this is kept as an opaque value: no module name is this long, and it
# spares decoding hundreds of megabytes.
MAX_TEXT_VALUE = 1 << 20


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Global:
    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name


class Object:
    """What calling or instantiating something would produce: kept with its factory,
    arguments and state, so joblib's array wrappers can be recognised."""

    __slots__ = ("args", "factory", "state")

    def __init__(self, factory: object, args: object) -> None:
        self.factory = factory
        self.args = args
        self.state: object = None

    def kind(self) -> Global | None:
        """The class being instantiated, seen through copyreg's helpers."""
        factory = self.factory
        if (
            isinstance(factory, Global)
            and factory.name in ("_reconstructor", "__newobj__", "__newobj_ex__")
            and isinstance(self.args, tuple)
            and self.args
        ):
            factory = self.args[0]
        return factory if isinstance(factory, Global) else None


class Dict:
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[object, object]]) -> None:
        self.items = items

    def get(self, key: str) -> object:
        for item_key, value in self.items:
            if item_key == key:
                return value
        return None


class Opaque:
    """A value the inspector does not model: persistent ids, buffers, very long text, and
    lists and sets (nothing about an import or a joblib array depends on their items, and
    not allocating them keeps a hostile stream of millions of `]` opcodes cheap)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


UNKNOWN = Opaque("unknown")
MISSING = Opaque("missing")
LIST = Opaque("list")
SET = Opaque("set")


class Truncated(Exception):
    pass


class Unsupported(Exception):
    """Part of the stream cannot be inspected (e.g. an undecodable joblib array)."""


class OutOfOpcodes(Exception):
    pass


I4 = struct.Struct("<i")
U2 = struct.Struct("<H")
U4 = struct.Struct("<I")
U8 = struct.Struct("<Q")
F8 = struct.Struct(">d")
IDENTIFIER_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
NUMPY_TYPESTR = re.compile(r"[<>|=]?[a-zA-Z](\d+)")
PADDING = re.compile(rb"[\x00 \t\r\n]*")
# A backslash followed by what Python's escape decoding does not know; `\\\\` pairs are
# consumed first so the second backslash of a pair is never taken for an escape.
UNKNOWN_ESCAPE = re.compile(rb"\\\\|\\([^\\'\"abfnrtv\n0-7x])")
