"""Model formats the scan engine's pickle inspector does not cover: Keras (HDF5 and the
`.keras` zip), ONNX and GGUF metadata. Each check reads the file as bytes, never loads
it with its framework, and bounds everything it reads, so a hostile file costs a verdict,
not the server.

What can make each of them run code or read files when loaded:
- Keras: a `Lambda` layer carries Python bytecode (marshal) or source that runs when the
  model is built; a layer or object from a module outside Keras is imported by name.
- ONNX: tensors with external data name a file to read (absolute or `..` paths read
  outside the model's directory); operators from custom domains need a native op library.
- GGUF: the chat template is Jinja, rendered by inference servers; outside a sandbox a
  template can reach Python objects and run commands.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HDF5_SIGNATURE_OFFSETS = (0, 512, 1024, 2048, 4096)
MAX_CONFIG_BYTES = 32 * 1024 * 1024
MAX_CONFIG_NODES = 200_000
MAX_CONFIG_CANDIDATES = 16
KERAS_MODULE_PREFIXES = ("keras", "tf_keras", "tensorflow", "keras_nlp", "keras_hub", "keras_cv")
DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "builtins",
        "__builtin__",
        "sys",
        "shutil",
        "socket",
        "importlib",
        "runpy",
        "pty",
        "ctypes",
        "pickle",
        "marshal",
        "code",
        "codeop",
    }
)
STANDARD_ONNX_DOMAINS = frozenset(
    {
        "",
        "ai.onnx",
        "ai.onnx.ml",
        "ai.onnx.training",
        "ai.onnx.preview.training",
        "com.microsoft",
        "com.microsoft.nchwc",
        "com.ms.internal.nhwc",
        "ai.onnx.contrib",
    }
)
MAX_ONNX_DEPTH = 6
MAX_ONNX_ITEMS = 2_000_000
GGUF_MAX_KV = 100_000
GGUF_MAX_STRING = 64 * 1024 * 1024
_GGUF_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRING, _GGUF_ARRAY = 8, 9
_TEMPLATE_ESCAPE = re.compile(
    r"__(?:class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute)__"
    r"|\b(?:popen|subprocess|system)\b|\bos\.|\b(?:eval|exec)\s*\(|\bimport\b"
    r"|\b(?:lipsum|cycler|joiner|self)\s*\.\s*__",
)


@dataclass
class FormatFinding:
    id: str
    severity: str
    title: str
    description: str
    evidence: list[str] = field(default_factory=list)
    cwe: tuple[str, ...] = ()


@dataclass
class FormatReport:
    format: str | None = None  # set when this module recognised the file
    findings: list[FormatFinding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class _Malformed(Exception):
    pass


def is_hdf5(data: bytes) -> bool:
    return any(data[o : o + 8] == HDF5_SIGNATURE for o in HDF5_SIGNATURE_OFFSETS)


def inspect_other_formats(data: bytes, path: str, engine_format: str) -> FormatReport:
    """Format-specific checks, chosen by signature (and for ONNX, which has none, by
    name or by parsing as one)."""
    report = FormatReport()
    suffix = PurePosixPath(path).suffix.lower()
    if is_hdf5(data):
        report.format = "keras-h5" if suffix in (".h5", ".keras", ".hdf5") else "hdf5"
        _check_keras_configs(_embedded_configs(data), "model_config", report)
    elif engine_format == "zip" and _is_keras_zip(data):
        report.format = "keras"
        _check_keras_zip(data, report)
    elif data[:4] == b"GGUF":
        report.format = "gguf"
        _check_gguf(data, report)
    elif engine_format in ("raw", "unknown") and (suffix in (".onnx", ".ort") or _looks_onnx(data)):
        report.format = "onnx"
        _check_onnx(data, report)
    return report


# --- Keras ---------------------------------------------------------------------------------


def _embedded_configs(data: bytes) -> Iterator[Any]:
    """JSON model configurations stored as HDF5 attribute strings (`model_config`)."""
    decoder = json.JSONDecoder()
    start = 0
    for _ in range(MAX_CONFIG_CANDIDATES):
        start = data.find(b'{"class_name"', start)
        if start < 0:
            return
        chunk = data[start : start + MAX_CONFIG_BYTES].decode("utf-8", errors="replace")
        try:
            value, length = decoder.raw_decode(chunk)
        except (ValueError, RecursionError):
            start += 1
            continue
        yield value
        start += max(1, len(chunk[:length].encode("utf-8", errors="replace")))


def _is_keras_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[:10_000])
    except Exception:
        return False
    return "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names)


def _check_keras_zip(data: bytes, report: FormatReport) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                report.problems.append("config.json is too large to inspect")
                return
            with archive.open(info) as handle:
                text = handle.read(MAX_CONFIG_BYTES + 1)
        config = json.loads(text)
    except (ValueError, RecursionError) as error:
        report.problems.append(f"config.json is not valid JSON ({type(error).__name__})")
        return
    except Exception as error:  # zipfile raises many kinds on hostile archives
        report.problems.append(f"unreadable config.json ({type(error).__name__})")
        return
    _check_keras_configs(iter([config]), "config.json", report)


def _check_keras_configs(configs: Iterator[Any], where: str, report: FormatReport) -> None:
    lambdas: list[str] = []
    foreign: dict[str, str] = {}
    layers = 0
    for config in configs:
        for node in _walk(config, report):
            class_name = node.get("class_name")
            if isinstance(class_name, str) and isinstance(node.get("config"), dict):
                layers += 1
                if class_name == "Lambda":
                    name = node["config"].get("name")
                    lambdas.append(str(name) if name else "(unnamed)")
            module = node.get("module")
            if isinstance(module, str) and module and not module.startswith(KERAS_MODULE_PREFIXES):
                label = f"{module}.{class_name}" if isinstance(class_name, str) else module
                foreign.setdefault(label, module.split(".")[0])
    report.details["layers_seen"] = layers
    if lambdas:
        report.findings.append(
            FormatFinding(
                "keras-lambda-layer",
                "HIGH",
                "Keras Lambda layer: Python code runs when the model is loaded",
                "Lambda layers store Python bytecode or source that Keras deserialises and "
                "runs when it builds the model. Keras refuses them in safe mode, but older "
                "versions and loads with safe_mode=False run them.",
                [f"{where}: Lambda layer {name}" for name in lambdas[:10]],
                ("CWE-502", "CWE-94"),
            )
        )
    dangerous = sorted(label for label, root in foreign.items() if root in DANGEROUS_MODULES)
    custom = sorted(label for label, root in foreign.items() if root not in DANGEROUS_MODULES)
    if dangerous:
        report.findings.append(
            FormatFinding(
                "keras-dangerous-module",
                "CRITICAL",
                "Keras config names a system module: loading it calls into that module",
                "The configuration asks Keras to import objects from modules that run "
                "commands, touch files or load code; a model config has no reason to.",
                [f"{where}: {label}" for label in dangerous[:10]],
                ("CWE-502", "CWE-470"),
            )
        )
    if custom:
        report.findings.append(
            FormatFinding(
                "keras-custom-objects",
                "MEDIUM",
                "Keras config imports custom objects from outside Keras",
                "Loading imports these modules and runs their code; make sure they are "
                "yours and pinned.",
                [f"{where}: {label}" for label in custom[:10]],
                ("CWE-829",),
            )
        )


def _walk(value: Any, report: FormatReport) -> Iterator[dict[str, Any]]:
    stack = [value]
    seen = 0
    while stack:
        seen += 1
        if seen > MAX_CONFIG_NODES:
            report.problems.append("model configuration too large: only partly inspected")
            return
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


# --- ONNX (protobuf, read by hand) ---------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.items = 0

    def varint(self, position: int, end: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            if position >= end or shift > 63:
                raise _Malformed("truncated varint")
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
            if self.items > MAX_ONNX_ITEMS:
                raise _Malformed("too many protobuf fields")
            key, position = self.varint(position, end)
            number, wire = key >> 3, key & 7
            if number == 0:
                raise _Malformed("field number 0")
            if wire == 0:
                value, position = self.varint(position, end)
                yield number, wire, value, position
            elif wire == 1:
                position += 8
                if position > end:
                    raise _Malformed("truncated fixed64")
                yield number, wire, position - 8, position
            elif wire == 5:
                position += 4
                if position > end:
                    raise _Malformed("truncated fixed32")
                yield number, wire, position - 4, position
            elif wire == 2:
                length, position = self.varint(position, end)
                if position + length > end:
                    raise _Malformed("length-delimited field runs past its end")
                yield number, wire, position, position + length
                position += length
            else:
                raise _Malformed(f"unsupported wire type {wire}")

    def text(self, start: int, end: int) -> str:
        return bytes(self.data[start:end]).decode("utf-8", errors="replace")


def _looks_onnx(data: bytes) -> bool:
    """A protobuf whose first field is ir_version (field 1, varint) and that holds a graph."""
    if not data.startswith(b"\x08") or len(data) < 8:
        return False
    reader = _Reader(data)
    try:
        numbers = {number for number, wire, _, _ in reader.fields(0, len(data)) if wire in (0, 2)}
    except _Malformed:
        return False
    return 7 in numbers


def _check_onnx(data: bytes, report: FormatReport) -> None:
    reader = _Reader(data)
    # Functions defined inside the model (field 25) are ONNX too: their domains are local.
    state: dict[str, Any] = {
        "domains": set(),
        "ops": 0,
        "external": [],
        "opsets": {},
        "local_domains": set(),
    }
    try:
        for number, wire, start, end in reader.fields(0, len(data)):
            if number == 1 and wire == 0:
                report.details["ir_version"] = start
            elif number == 2 and wire == 2:
                report.details["producer"] = reader.text(start, end)[:200]
            elif number == 7 and wire == 2:
                _onnx_graph(reader, start, end, state, 0)
            elif number == 8 and wire == 2:
                domain, version = "", None
                for n, w, s, e in reader.fields(start, end):
                    if n == 1 and w == 2:
                        domain = reader.text(s, e)
                    elif n == 2 and w == 0:
                        version = s
                state["opsets"][domain or "ai.onnx"] = version
            elif number == 25 and wire == 2:
                for n, w, s, e in reader.fields(start, end):
                    if n == 10 and w == 2:
                        state["local_domains"].add(reader.text(s, e))
    except _Malformed as error:
        report.problems.append(f"malformed ONNX protobuf: {error}")
    report.details.update(
        {
            "operators": state["ops"],
            "opsets": state["opsets"],
            "external_data": len(state["external"]),
        }
    )
    local = state["local_domains"]
    custom = sorted(
        d for d in state["domains"] if d not in STANDARD_ONNX_DOMAINS and d not in local
    )
    if custom:
        report.findings.append(
            FormatFinding(
                "onnx-custom-operator-domain",
                "MEDIUM",
                "ONNX model uses operators from custom domains",
                "Running it needs a custom operator library: native code loaded into the "
                "inference process. Only load libraries you built or trust.",
                [f"domain {d}" for d in custom[:10]],
                ("CWE-829",),
            )
        )
    escaping = [location for location in state["external"] if _escapes(location)]
    if escaping:
        report.findings.append(
            FormatFinding(
                "onnx-external-data-path-traversal",
                "HIGH",
                "ONNX external data points outside the model's directory",
                "Loading the model reads these files into tensors: an absolute or '..' path "
                "reads arbitrary files on the server (and can leak them through outputs).",
                [f"external data location {loc!r}" for loc in escaping[:10]],
                ("CWE-22", "CWE-73"),
            )
        )


def _escapes(location: str) -> bool:
    """Whether an external-data path leaves the model's directory."""
    posix = location.replace("\\", "/")
    return (
        posix.startswith("/")
        or ".." in PurePosixPath(posix).parts
        or bool(re.match(r"^[A-Za-z]:", location))
    )


def _onnx_graph(reader: _Reader, start: int, end: int, state: dict[str, Any], depth: int) -> None:
    if depth > MAX_ONNX_DEPTH:
        raise _Malformed("graphs nested too deeply")
    for number, wire, s, e in reader.fields(start, end):
        if wire != 2:
            continue
        if number == 1:
            _onnx_node(reader, s, e, state, depth)
        elif number == 5:
            _onnx_tensor(reader, s, e, state)
        elif number == 15:
            for n, w, ts, te in reader.fields(s, e):
                if n == 1 and w == 2:
                    _onnx_tensor(reader, ts, te, state)


def _onnx_node(reader: _Reader, start: int, end: int, state: dict[str, Any], depth: int) -> None:
    state["ops"] += 1
    for number, wire, s, e in reader.fields(start, end):
        if number == 7 and wire == 2:
            state["domains"].add(reader.text(s, e))
        elif number == 5 and wire == 2:  # attributes: subgraphs (If, Loop, Scan), tensors
            for n, w, ss, se in reader.fields(s, e):
                if w != 2:
                    continue
                if n in (6, 11):
                    _onnx_graph(reader, ss, se, state, depth + 1)
                elif n in (5, 10):
                    _onnx_tensor(reader, ss, se, state)


def _onnx_tensor(reader: _Reader, start: int, end: int, state: dict[str, Any]) -> None:
    for number, wire, s, e in reader.fields(start, end):
        if number == 13 and wire == 2:
            key = value = ""
            for n, w, ss, se in reader.fields(s, e):
                if n == 1 and w == 2:
                    key = reader.text(ss, se)
                elif n == 2 and w == 2:
                    value = reader.text(ss, se)
            if key == "location":
                state["external"].append(value)


# --- GGUF ----------------------------------------------------------------------------------


def _check_gguf(data: bytes, report: FormatReport) -> None:
    try:
        metadata = _gguf_metadata(data)
    except _Malformed as error:
        report.problems.append(f"malformed GGUF header: {error}")
        return
    report.details["metadata_keys"] = metadata.pop("__count__", 0)
    for key in ("general.architecture", "general.name"):
        if isinstance(metadata.get(key), str):
            report.details[key] = metadata[key][:200]
    risky = []
    for key, value in metadata.items():
        if key.startswith("tokenizer.chat_template") and isinstance(value, str):
            hits = sorted({m.group(0) for m in _TEMPLATE_ESCAPE.finditer(value)})
            if hits:
                risky.append(f"{key}: {', '.join(hits[:6])}")
    if risky:
        report.findings.append(
            FormatFinding(
                "gguf-chat-template-code",
                "HIGH",
                "GGUF chat template reaches Python internals",
                "The chat template is Jinja that inference servers render for every request. "
                "These constructs climb from template objects to Python's internals, the "
                "route to running commands when the template is rendered outside a sandbox.",
                risky[:10],
                ("CWE-1336", "CWE-94"),
            )
        )


def _gguf_metadata(data: bytes) -> dict[str, Any]:
    if len(data) < 24:
        raise _Malformed("truncated header")
    (version,) = struct.unpack_from("<I", data, 4)
    if version not in (2, 3):
        raise _Malformed(f"unsupported GGUF version {version}")
    _tensors, count = struct.unpack_from("<QQ", data, 8)
    if count > GGUF_MAX_KV:
        raise _Malformed(f"{count} metadata entries")
    position = 24
    found: dict[str, Any] = {"__count__": count}

    def read(fmt: str) -> Any:
        nonlocal position
        size = struct.calcsize(fmt)
        if position + size > len(data):
            raise _Malformed("truncated metadata")
        (value,) = struct.unpack_from(fmt, data, position)
        position += size
        return value

    def string(keep: bool) -> str | None:
        nonlocal position
        length = read("<Q")
        if length > GGUF_MAX_STRING or position + length > len(data):
            raise _Malformed("string length out of bounds")
        text = data[position : position + length].decode("utf-8", "replace") if keep else None
        position += length
        return text

    def skip_value(kind: int) -> None:
        nonlocal position
        if kind in _GGUF_FIXED:
            position += _GGUF_FIXED[kind]
            if position > len(data):
                raise _Malformed("truncated value")
        elif kind == _GGUF_STRING:
            string(False)
        elif kind == _GGUF_ARRAY:
            item_kind, items = read("<I"), read("<Q")
            if item_kind in _GGUF_FIXED:
                position += _GGUF_FIXED[item_kind] * items
                if position > len(data):
                    raise _Malformed("array runs past the end")
            elif item_kind == _GGUF_STRING:
                if items > len(data) // 8:
                    raise _Malformed("array length out of bounds")
                for _ in range(items):
                    string(False)
            else:
                raise _Malformed(f"unsupported array item type {item_kind}")
        else:
            raise _Malformed(f"unknown value type {kind}")

    for _ in range(count):
        key = string(True) or ""
        kind = read("<I")
        wanted = key.startswith("tokenizer.chat_template") or key.startswith("general.")
        if kind == _GGUF_STRING and wanted:
            found[key] = string(True)
        else:
            skip_value(kind)
    return found
