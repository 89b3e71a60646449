"""GGUF (llama.cpp's format): a header, typed key/value metadata, tensor infos, tensors.

Tensors carry no code, but the metadata may hold a chat template
(`tokenizer.chat_template`, `tokenizer.chat_template.<name>`): Jinja that inference
servers render for every request. Rendered outside a sandbox, a template can climb from
any object it is handed (`cycler`, `joiner`, `lipsum`, `self`, a string) through
`__init__.__globals__` or `__class__.__mro__` to `os` and `__builtins__` and run
commands. The metadata is read with every length checked against the file before use.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from tavo_platform.artifacts._inspection import Malformed, Session

GGUF_MAGIC = b"GGUF"
GGUF_MAX_KV = 100_000
GGUF_MAX_STRING = 64 * 1024 * 1024
MAX_ARRAY_DEPTH = 8
CHECK = "gguf-chat-template-code"
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
TEMPLATE_ESCAPE = re.compile(
    r"__(?:class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute)__"
    r"|\b(?:popen|subprocess|system)\b|\bos\.|\b(?:eval|exec)\s*\(|\bimport\b"
    r"|\b(?:lipsum|cycler|joiner|namespace|self)\s*\.\s*__|\|\s*attr\s*\(",
)


def check_gguf(data: bytes, where: str | None, session: Session) -> None:
    try:
        metadata = _Reader(data).metadata()
    except Malformed as error:
        if session.past_prefix(data) and where is None:
            session.incomplete(where, f"GGUF metadata longer than the {len(data)} bytes read")
        else:
            session.problem(where, f"malformed GGUF header: {error}")
        return
    details = session.inspection.details
    details["metadata_keys"] = metadata.pop("__count__", 0)
    for key in ("general.architecture", "general.name"):
        if isinstance(metadata.get(key), str):
            details[key] = metadata[key][:200]
    risky = []
    for key, value in metadata.items():
        if key.startswith("tokenizer.chat_template") and isinstance(value, str):
            hits = sorted({m.group(0) for m in TEMPLATE_ESCAPE.finditer(value)})
            if hits:
                risky.append(f"{key}: {', '.join(hits[:6])}")
    if risky:
        session.found(CHECK, risky)


class _Reader:
    """Reads the metadata section, keeping only the keys worth reporting. Version 1 wrote
    32-bit lengths and counts, versions 2 and 3 64-bit ones."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.size = "<Q"

    def metadata(self) -> dict[str, Any]:
        if len(self.data) < 16:
            raise Malformed("truncated header")
        (version,) = struct.unpack_from("<I", self.data, 4)
        if version not in (1, 2, 3):
            raise Malformed(f"unsupported GGUF version {version}")
        self.size = "<I" if version == 1 else "<Q"
        self.position = 8
        self.read(self.size)  # tensor count
        count = self.read(self.size)
        if count > GGUF_MAX_KV:
            raise Malformed(f"{count} metadata entries")
        found: dict[str, Any] = {"__count__": count}
        for _ in range(count):
            key = self.string(keep=True) or ""
            kind = self.read("<I")
            wanted = key.startswith(("tokenizer.chat_template", "general."))
            if kind == _STRING and wanted:
                found[key] = self.string(keep=True)
            else:
                self.skip_value(kind)
        return found

    def read(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.position + size > len(self.data):
            raise Malformed("truncated metadata")
        (value,) = struct.unpack_from(fmt, self.data, self.position)
        self.position += size
        return value

    def advance(self, size: int, what: str) -> None:
        self.position += size
        if self.position > len(self.data):
            raise Malformed(f"{what} runs past the end")

    def string(self, keep: bool) -> str | None:
        length = self.read(self.size)
        if length > GGUF_MAX_STRING or self.position + length > len(self.data):
            raise Malformed("string length out of bounds")
        start = self.position
        self.position += length
        return self.data[start : self.position].decode("utf-8", "replace") if keep else None

    def skip_value(self, kind: int, depth: int = 0) -> None:
        if kind in _FIXED:
            self.advance(_FIXED[kind], "value")
        elif kind == _STRING:
            self.string(keep=False)
        elif kind == _ARRAY:
            self.skip_array(depth)
        else:
            raise Malformed(f"unknown value type {kind}")

    def skip_array(self, depth: int) -> None:
        if depth >= MAX_ARRAY_DEPTH:
            raise Malformed(f"arrays nested more than {MAX_ARRAY_DEPTH} deep")
        item_kind, items = self.read("<I"), self.read(self.size)
        if item_kind in _FIXED:
            self.advance(_FIXED[item_kind] * items, "array")
            return
        if item_kind not in (_STRING, _ARRAY):
            raise Malformed(f"unsupported array item type {item_kind}")
        # Every string or array item takes at least 8 bytes: a count beyond that is a lie.
        if items > (len(self.data) - self.position) // 8:
            raise Malformed("array length out of bounds")
        for _ in range(items):
            self.skip_value(item_kind, depth + 1)
