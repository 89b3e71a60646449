"""Builders for model files of every format the artifacts package reads: small, made in
memory by the tests (never loaded, and no binary fixtures committed)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

HDF5 = b"\x89HDF\r\n\x1a\n"


def zip_of(files: dict[str, bytes | str], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def keras_zip(layers: list[dict[str, Any]]) -> bytes:
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": layers}}
    return zip_of(
        {
            "config.json": json.dumps(config),
            "metadata.json": json.dumps({"keras_version": "3.3.3"}),
            "model.weights.h5": HDF5 + b"\0" * 64,
        }
    )


def layer(class_name: str, module: str = "keras.layers", **config: Any) -> dict[str, Any]:
    return {"module": module, "class_name": class_name, "config": {"name": "l", **config}}


LAMBDA = layer("Lambda", function={"class_name": "__lambda__", "config": {"code": "4wEAAAA="}})
DENSE = layer("Dense", units=4)


def h5_with_config(config: dict[str, Any], user_block: int = 0) -> bytes:
    """An HDF5 file as far as the inspector reads it: the signature (after an optional
    user block), binary structure, and the JSON `model_config` attribute string."""
    return (
        b"\0" * user_block + HDF5 + bytes(range(40)) + json.dumps(config).encode()
        + b"\0" * 32 + json.dumps({"optimizer": "adam"}).encode()
    )


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def onnx_model(location: str = "weights.bin", domain: str = "", subgraph_depth: int = 0) -> bytes:
    external = field(1, b"location") + field(2, location.encode())
    tensor = field(8, b"weights") + field(13, external) + varint(14 << 3) + varint(1)
    node = field(1, b"x") + field(2, b"y") + field(4, b"Op") + field(7, domain.encode())
    graph = field(1, node) + field(2, b"g") + field(5, tensor)
    for _ in range(subgraph_depth):  # an If node whose then_branch is the graph so far
        attribute = field(1, b"then_branch") + field(6, graph)
        graph = field(1, field(4, b"If") + field(5, attribute))
    opset = field(1, b"") + varint(2 << 3) + varint(17)
    return varint(1 << 3) + varint(8) + field(7, graph) + field(8, opset)


def gguf(entries: dict[str, str], version: int = 3) -> bytes:
    size = "<I" if version == 1 else "<Q"

    def text(value: str) -> bytes:
        raw = value.encode()
        return struct.pack(size, len(raw)) + raw

    body = b"".join(
        text(key) + struct.pack("<I", 8) + text(value) for key, value in entries.items()
    )
    counts = struct.pack(f"<{size[1]}{size[1]}", 0, len(entries))
    return b"GGUF" + struct.pack("<I", version) + counts + body


def safetensors(header: dict[str, Any], data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def torchscript(code: str) -> bytes:
    return zip_of(
        {
            "model/data.pkl": b"\x80\x02}q\x00.",
            "model/constants.pkl": b"\x80\x02).",
            "model/code/__torch__/model.py": code,
            "model/version": "3\n",
        }
    )


def forward(body: str) -> str:
    return (
        "class Model(Module):\n  __parameters__ = []\n"
        "  def forward(self: __torch__.Model, x: Tensor) -> Tensor:\n"
        f"    {body}\n    return x\n"
    )
