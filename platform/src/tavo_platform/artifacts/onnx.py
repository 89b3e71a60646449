"""ONNX models: a protobuf `ModelProto`, read field by field (see _protobuf.py).

What loading one can do beyond arithmetic: tensors with external data name a file to read
(an absolute or `..` location reads outside the model's directory, and can leak the file
through the model's outputs), and operators from custom domains need a native operator
library loaded into the inference process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from tavo_platform.artifacts._inspection import Malformed, Session
from tavo_platform.artifacts._protobuf import ProtobufReader

ONNX_SUFFIXES = frozenset({".onnx", ".ort"})
MAX_ONNX_DEPTH = 6
MAX_ONNX_ITEMS = 2_000_000
STANDARD_ONNX_DOMAINS = frozenset(
    {
        "", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
        "com.microsoft", "com.microsoft.nchwc", "com.ms.internal.nhwc", "ai.onnx.contrib",
    }
)
CUSTOM_DOMAIN = "onnx-custom-operator-domain"
PATH_TRAVERSAL = "onnx-external-data-path-traversal"
# ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto field numbers.
_MODEL_IR_VERSION, _MODEL_PRODUCER, _MODEL_GRAPH, _MODEL_OPSET, _MODEL_FUNCTIONS = 1, 2, 7, 8, 25
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER = 1, 5, 15
_NODE_ATTRIBUTE, _NODE_DOMAIN = 5, 7
_ATTRIBUTE_TENSORS, _ATTRIBUTE_GRAPHS = (5, 10), (6, 11)
_TENSOR_EXTERNAL_DATA = 13
_FUNCTION_DOMAIN = 10


@dataclass
class _State:
    domains: set[str] = field(default_factory=set)
    local_domains: set[str] = field(default_factory=set)  # functions defined in the model
    operators: int = 0
    external: list[str] = field(default_factory=list)
    opsets: dict[str, int | None] = field(default_factory=dict)


def looks_like_onnx(data: bytes) -> bool:
    """A protobuf whose first field is ir_version (field 1, varint) and that holds a graph."""
    if not data.startswith(b"\x08") or len(data) < 8:
        return False
    reader = ProtobufReader(data, MAX_ONNX_ITEMS)
    try:
        numbers = {number for number, wire, _, _ in reader.fields(0, len(data)) if wire in (0, 2)}
    except Malformed:
        return False
    return _MODEL_GRAPH in numbers


def check_onnx(data: bytes, where: str | None, session: Session) -> None:
    reader = ProtobufReader(data, MAX_ONNX_ITEMS)
    state = _State()
    try:
        _model(reader, len(data), state, session)
    except Malformed as error:
        session.problem(where, f"malformed ONNX protobuf: {error}")
    session.inspection.details.update(
        {"operators": state.operators, "opsets": state.opsets, "external_data": len(state.external)}
    )
    custom = sorted(
        d for d in state.domains if d not in STANDARD_ONNX_DOMAINS and d not in state.local_domains
    )
    if custom:
        session.found(CUSTOM_DOMAIN, [f"domain {d}" for d in custom])
    escaping = [location for location in state.external if escapes_directory(location)]
    if escaping:
        session.found(PATH_TRAVERSAL, [f"external data location {loc!r}" for loc in escaping])


def escapes_directory(location: str) -> bool:
    """Whether an external-data path leaves the model's directory."""
    posix = location.replace("\\", "/")
    return (
        posix.startswith("/")
        or ".." in PurePosixPath(posix).parts
        or bool(re.match(r"^[A-Za-z]:", location))
    )


def _model(reader: ProtobufReader, end: int, state: _State, session: Session) -> None:
    details = session.inspection.details
    for number, wire, start, stop in reader.fields(0, end):
        if number == _MODEL_IR_VERSION and wire == 0:
            details["ir_version"] = start
        elif number == _MODEL_PRODUCER and wire == 2:
            details["producer"] = reader.text(start, stop)[:200]
        elif number == _MODEL_GRAPH and wire == 2:
            _graph(reader, start, stop, state, 0)
        elif number == _MODEL_OPSET and wire == 2:
            _opset(reader, start, stop, state)
        elif number == _MODEL_FUNCTIONS and wire == 2:
            for n, w, s, e in reader.fields(start, stop):
                if n == _FUNCTION_DOMAIN and w == 2:
                    state.local_domains.add(reader.text(s, e))


def _opset(reader: ProtobufReader, start: int, end: int, state: _State) -> None:
    domain, version = "", None
    for n, w, s, e in reader.fields(start, end):
        if n == 1 and w == 2:
            domain = reader.text(s, e)
        elif n == 2 and w == 0:
            version = s
    state.opsets[domain or "ai.onnx"] = version


def _graph(reader: ProtobufReader, start: int, end: int, state: _State, depth: int) -> None:
    if depth > MAX_ONNX_DEPTH:
        raise Malformed("graphs nested too deeply")
    for number, wire, s, e in reader.fields(start, end):
        if wire != 2:
            continue
        if number == _GRAPH_NODE:
            _node(reader, s, e, state, depth)
        elif number == _GRAPH_INITIALIZER:
            _tensor(reader, s, e, state)
        elif number == _GRAPH_SPARSE_INITIALIZER:
            for n, w, ts, te in reader.fields(s, e):
                if n == 1 and w == 2:
                    _tensor(reader, ts, te, state)


def _node(reader: ProtobufReader, start: int, end: int, state: _State, depth: int) -> None:
    state.operators += 1
    for number, wire, s, e in reader.fields(start, end):
        if number == _NODE_DOMAIN and wire == 2:
            state.domains.add(reader.text(s, e))
        elif number == _NODE_ATTRIBUTE and wire == 2:  # subgraphs (If, Loop, Scan), tensors
            for n, w, ss, se in reader.fields(s, e):
                if w != 2:
                    continue
                if n in _ATTRIBUTE_GRAPHS:
                    _graph(reader, ss, se, state, depth + 1)
                elif n in _ATTRIBUTE_TENSORS:
                    _tensor(reader, ss, se, state)


def _tensor(reader: ProtobufReader, start: int, end: int, state: _State) -> None:
    for number, wire, s, e in reader.fields(start, end):
        if number == _TENSOR_EXTERNAL_DATA and wire == 2:
            key = value = ""
            for n, w, ss, se in reader.fields(s, e):
                if n == 1 and w == 2:
                    key = reader.text(ss, se)
                elif n == 2 and w == 2:
                    value = reader.text(ss, se)
            if key == "location":
                state.external.append(value)
