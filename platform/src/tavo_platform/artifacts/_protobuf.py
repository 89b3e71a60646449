"""A protobuf wire-format reader for the few fields the ONNX check needs. The `onnx`
package would parse the whole model into memory and pulls NumPy and protobuf in; this
walks field by field over the bytes, every length checked against its enclosing message,
and counts the fields it visits so a hostile file cannot make it loop for long."""

from __future__ import annotations

from collections.abc import Iterator

from tavo_platform.artifacts._inspection import Malformed


class ProtobufReader:
    def __init__(self, data: bytes, max_items: int) -> None:
        self.data = memoryview(data)
        self.items = 0
        self.max_items = max_items

    def varint(self, position: int, end: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            if position >= end or shift > 63:
                raise Malformed("truncated varint")
            byte = self.data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result, position
            shift += 7

    def fields(self, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
        """(field number, wire type, value or start, end) of each field in [start, end)."""
        position = start
        while position < end:
            self.items += 1
            if self.items > self.max_items:
                raise Malformed("too many protobuf fields")
            key, position = self.varint(position, end)
            number, wire = key >> 3, key & 7
            if number == 0:
                raise Malformed("field number 0")
            if wire == 0:
                value, position = self.varint(position, end)
                yield number, wire, value, position
            elif wire == 1:
                position += 8
                if position > end:
                    raise Malformed("truncated fixed64")
                yield number, wire, position - 8, position
            elif wire == 5:
                position += 4
                if position > end:
                    raise Malformed("truncated fixed32")
                yield number, wire, position - 4, position
            elif wire == 2:
                length, position = self.varint(position, end)
                if position + length > end:
                    raise Malformed("length-delimited field runs past its end")
                yield number, wire, position, position + length
                position += length
            else:
                raise Malformed(f"unsupported wire type {wire}")

    def text(self, start: int, end: int) -> str:
        return bytes(self.data[start:end]).decode("utf-8", errors="replace")


