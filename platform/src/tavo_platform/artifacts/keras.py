"""Keras models: the `.keras` zip (Keras 3: `config.json`, `metadata.json`,
`model.weights.h5`) and legacy HDF5 files (`.h5`) whose `model_config` attribute holds
the same kind of JSON configuration.

What makes loading one run code: a `Lambda` layer carries Python bytecode (marshal) or
source that runs when the model is built, and a layer or object from a module outside
Keras is imported by name (a system module such as `os` is a call into it).

HDF5 is not parsed: no light, well-kept HDF5 reader is available (h5py needs NumPy and
the HDF5 C library). The configuration is found instead as what it is on disk, a JSON
object starting `{"class_name"` or `{"module"` stored as an attribute string; the first
few such objects are decoded with every size bounded. Limit: a configuration the file
stores split across heap blocks or compressed is not found, and such a file then gets
no Keras finding (`details.model_configs` says how many were read).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from tavo_platform.artifacts._inspection import Session, describe

CONFIG_MEMBER = "config.json"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HDF5_SIGNATURE_OFFSETS = (0, 512, 1024, 2048, 4096)
HDF5_SUFFIXES = frozenset({".h5", ".keras", ".hdf5"})
MAX_CONFIG_BYTES = 32 * 1024 * 1024
MAX_CONFIG_NODES = 200_000
MAX_CONFIG_CANDIDATES = 16
KERAS_MODULE_PREFIXES = ("keras", "tf_keras", "tensorflow", "keras_nlp", "keras_hub", "keras_cv")
DANGEROUS_MODULES = frozenset(
    {
        "os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "shutil",
        "socket", "importlib", "runpy", "pty", "ctypes", "pickle", "marshal", "code",
        "codeop",
    }
)
CHECKS = ("keras-lambda-layer", "keras-dangerous-module", "keras-custom-objects")
_CONFIG_START = re.compile(rb'\{\s*"(?:class_name|module)"\s*:')


def is_hdf5(data: bytes) -> bool:
    return any(data[o : o + 8] == HDF5_SIGNATURE for o in HDF5_SIGNATURE_OFFSETS)


def is_keras_archive(names: set[str]) -> bool:
    return CONFIG_MEMBER in names and ("metadata.json" in names or "model.weights.h5" in names)


def check_config_json(text: bytes, session: Session) -> None:
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as error:
        session.problem(CONFIG_MEMBER, f"not valid JSON ({describe(error)})")
        return
    _check_configs([config], CONFIG_MEMBER, session)


def check_hdf5(data: bytes, session: Session) -> None:
    configs = list(_embedded_configs(data))
    session.inspection.details["model_configs"] = len(configs)
    _check_configs(configs, "model_config", session)


def _embedded_configs(data: bytes) -> Iterator[Any]:
    """JSON model configurations stored as HDF5 attribute strings (`model_config`)."""
    decoder = json.JSONDecoder()
    start = 0
    for _ in range(MAX_CONFIG_CANDIDATES):
        found = _CONFIG_START.search(data, start)
        if found is None:
            return
        start = found.start()
        chunk = data[start : start + MAX_CONFIG_BYTES].decode("utf-8", errors="replace")
        try:
            value, length = decoder.raw_decode(chunk)
        except (ValueError, RecursionError):
            start += 1
            continue
        if isinstance(value, dict):
            yield value
        start += max(1, len(chunk[:length].encode("utf-8", errors="replace")))


def _check_configs(configs: Iterable[Any], where: str, session: Session) -> None:
    lambdas: list[str] = []
    foreign: dict[str, str] = {}
    layers = 0
    for config in configs:
        for node in _walk(config, session):
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
    session.inspection.details["layers_seen"] = layers
    if lambdas:
        session.found(CHECKS[0], [f"Lambda layer {name}" for name in lambdas], where)
    dangerous = sorted(label for label, root in foreign.items() if root in DANGEROUS_MODULES)
    if dangerous:
        session.found(CHECKS[1], dangerous, where)
    custom = sorted(label for label, root in foreign.items() if root not in DANGEROUS_MODULES)
    if custom:
        session.found(CHECKS[2], custom, where)


def _walk(value: Any, session: Session) -> Iterator[dict[str, Any]]:
    stack = [value]
    seen = 0
    while stack:
        seen += 1
        if seen > MAX_CONFIG_NODES:
            session.incomplete(None, "model configuration too large: only partly inspected")
            return
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
