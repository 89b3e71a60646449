"""Keras, ONNX, GGUF, safetensors and TorchScript files: each format's checks, its
hostile variants, and the same verdict from `tavo scan` and `/ai/analyze` (one artefact
package, one rule pack)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tavo_platform.analysis.model_files import analyze_model_file
from tavo_platform.artifacts import CHECKS, InspectionLimits, inspect_artifact
from tavo_platform.engine import CompiledRules, Language, scan_bytes
from tavo_platform.rules.loader import BUILTIN_PACKS_DIR, load_rules

from tests.platform.artifacts.model_files import (
    DENSE,
    LAMBDA,
    forward,
    gguf,
    h5_with_config,
    keras_zip,
    layer,
    onnx_model,
    safetensors,
    torchscript,
    zip_of,
)

PACK = load_rules(BUILTIN_PACKS_DIR / "model-artifacts", pack="model-artifacts")
HOSTILE_TEMPLATE = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
BENIGN_TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"


def checks(data: bytes, name: str) -> set[str]:
    return {found.check for found in inspect_artifact(data, name).findings}


def scan_rule_ids(data: bytes, name: str) -> set[str]:
    outcome = scan_bytes(data, name, Language.ARTIFACT, CompiledRules(PACK.rules, []))
    return {finding.rule_id for finding in outcome.findings}


# One file per check, and a clean one per format: (name, bytes, the checks it must fire).
SAMPLES = {
    "lambda": ("model.keras", keras_zip([DENSE, LAMBDA]), {"keras-lambda-layer"}),
    "os layer": ("model.keras", keras_zip([layer("system", module="os")]),
                 {"keras-dangerous-module"}),
    "custom layer": ("model.keras", keras_zip([layer("Fancy", module="acme")]),
                     {"keras-custom-objects"}),
    "clean keras": ("model.keras", keras_zip([DENSE]), set()),
    "h5 lambda": ("model.h5", h5_with_config({"class_name": "Sequential", "config": {
        "layers": [{"class_name": "Lambda", "config": {"name": "l"}}]}}), {"keras-lambda-layer"}),
    "onnx domain": ("m.onnx", onnx_model(domain="com.evil.ops"), {"onnx-custom-operator-domain"}),
    "onnx escape": ("m.onnx", onnx_model(location="../../etc/passwd"),
                    {"onnx-external-data-path-traversal"}),
    "clean onnx": ("m.onnx", onnx_model(), set()),
    "gguf template": ("m.gguf", gguf({"tokenizer.chat_template": HOSTILE_TEMPLATE}),
                      {"gguf-chat-template-code"}),
    "clean gguf": ("m.gguf", gguf({"tokenizer.chat_template": BENIGN_TEMPLATE}), set()),
    "torchscript file": ("m.pt", torchscript(forward('_0 = torch.from_file("/etc/passwd")')),
                         {"torchscript-dangerous-call"}),
    "torchscript op": ("m.pt", torchscript(forward("_0 = ops.evil_ns.run(x)")),
                       {"torchscript-custom-operator"}),
    "clean torchscript": ("m.pt", torchscript(forward("_0 = torch.add(x, 1)")), set()),
    "clean safetensors": ("w.safetensors", safetensors(
        {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), set()),
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_each_check_fires_on_its_file_only(sample: str) -> None:
    name, data, expected = SAMPLES[sample]
    inspection = inspect_artifact(data, name)
    assert {found.check for found in inspection.findings} == expected
    assert inspection.problems == [] and inspection.complete


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_scan_and_analysis_agree(sample: str) -> None:
    """The same rule ids from the scan engine and from /ai/analyze: one parser, one pack."""
    name, data, expected = SAMPLES[sample]
    assert scan_rule_ids(data, name) == expected
    verdict = analyze_model_file(data, name)
    assert {risk["id"] for risk in verdict["risks"]} == expected
    assert verdict["safe"] is not expected  # every check is MEDIUM or worse


def test_every_check_has_a_rule() -> None:
    named = {check for rule in PACK.rules if rule.artifact for check in rule.artifact.checks}
    assert named == CHECKS


def test_tavo_scan_finds_the_keras_lambda_layer(run_cli, make_tree) -> None:  # type: ignore[no-untyped-def]
    """The bug of issue 11/13: /ai/analyze knew this file, `tavo scan` skipped it."""
    root: Path = make_tree(
        {
            "models/backdoor.keras": keras_zip([DENSE, LAMBDA]),
            "models/clean.keras": keras_zip([DENSE]),
            "models/legacy.h5": h5_with_config({"class_name": "Sequential", "config": {
                "layers": [{"class_name": "Lambda", "config": {"name": "l"}}]}}),
            "models/chat.gguf": gguf({"tokenizer.chat_template": HOSTILE_TEMPLATE}),
            "models/model.onnx": onnx_model(location="/etc/shadow"),
            "app.py": "print('hello')\n",
        }
    )
    result = run_cli("scan", root, "--only", "model-artifacts", "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = sorted((f["path"], f["rule_id"], f["severity"]) for f in report["findings"])
    assert found == [
        ("models/backdoor.keras", "keras-lambda-layer", "HIGH"),
        ("models/chat.gguf", "gguf-chat-template-code", "HIGH"),
        ("models/legacy.h5", "keras-lambda-layer", "HIGH"),
        ("models/model.onnx", "onnx-external-data-path-traversal", "HIGH"),
    ]
    lambda_finding = next(f for f in report["findings"] if f["path"] == "models/backdoor.keras")
    assert "config.json: Lambda layer" in lambda_finding["snippet"]
    assert lambda_finding["owasp_llm"] == "LLM03"


# --- format details -----------------------------------------------------------------------


def test_keras_3_h5_configs_and_user_blocks_are_found() -> None:
    keras3 = {"module": "keras", "class_name": "Functional", "registered_name": None,
              "config": {"layers": [LAMBDA]}}
    assert checks(h5_with_config(keras3), "model.h5") == {"keras-lambda-layer"}
    assert checks(h5_with_config(keras3, user_block=512), "model.h5") == {"keras-lambda-layer"}
    weights_only = inspect_artifact(b"\x89HDF\r\n\x1a\n" + bytes(200), "weights.h5")
    assert (weights_only.format, weights_only.findings) == ("keras-h5", [])
    assert weights_only.details["model_configs"] == 0


def test_onnx_checks_reach_into_subgraphs_and_windows_paths() -> None:
    assert checks(onnx_model(domain="x.evil", subgraph_depth=3), "m.onnx") == {
        "onnx-custom-operator-domain"
    }
    assert checks(onnx_model(location="C:\\Windows\\win.ini"), "m.onnx") == {
        "onnx-external-data-path-traversal"
    }
    deep = inspect_artifact(onnx_model(subgraph_depth=12), "m.onnx")
    assert any("nested too deeply" in problem for problem in deep.problems)
    unnamed = inspect_artifact(onnx_model(location="/etc/passwd"), "model.bin")
    assert unnamed.format == "onnx"


@pytest.mark.parametrize(
    "template",
    [
        "{{ self.__init__.__globals__.__builtins__ }}",
        "{{ joiner.__init__.__globals__.os.system('id') }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler|attr('__in' ~ 'it__') }}",
        "{{ namespace.__init__ }}",
    ],
)
def test_gguf_templates_that_escape(template: str) -> None:
    assert checks(gguf({"tokenizer.chat_template.tool_use": template}), "m.gguf") == {
        "gguf-chat-template-code"
    }


def test_gguf_version_1_and_metadata_details() -> None:
    old = inspect_artifact(gguf({"general.name": "tiny", "tokenizer.chat_template":
                                 HOSTILE_TEMPLATE}, version=1), "m.gguf")
    assert {f.check for f in old.findings} == {"gguf-chat-template-code"}
    assert old.details["general.name"] == "tiny" and old.details["metadata_keys"] == 2


@pytest.mark.parametrize(
    ("header", "data", "problem"),
    [
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 80]}}, b"\0" * 8, "outside"),
        ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 8, "does not fill"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "overlaps"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8, "overlaps"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "gap"),
        ({"w": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 1]}}, b"\0", "unknown dtype"),
        ({"w": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}}, b"\0", "shape"),
        ({"__metadata__": {"k": "v" * (2 << 20)}}, b"", "__metadata__ holds"),
        ({"__metadata__": {"k": ["not", "a", "string"]}}, b"", "map of strings"),
    ],
)
def test_safetensors_headers_that_lie(header: dict, data: bytes, problem: str) -> None:  # type: ignore[type-arg]
    inspection = inspect_artifact(safetensors(header, data), "w.safetensors")
    assert any(problem in found for found in inspection.problems), inspection.problems
    assert inspection.findings == [] and inspection.format == "safetensors"


def test_safetensors_header_size_is_bounded() -> None:
    huge = (2 << 30).to_bytes(8, "little") + b"{}"
    inspection = inspect_artifact(huge, "w.safetensors")
    assert any("header of" in problem for problem in inspection.problems)


# --- hostile files ------------------------------------------------------------------------


def test_a_bomb_in_a_keras_config_is_bounded() -> None:
    import zipfile

    bomb = zip_of({"config.json": " " * (40 * 1024 * 1024), "metadata.json": "{}"},
                  zipfile.ZIP_DEFLATED)
    inspection = inspect_artifact(bomb, "model.keras", limits=InspectionLimits())
    assert inspection.format == "keras"
    assert any("too large" in problem for problem in inspection.problems)


def test_a_keras_config_too_big_to_walk_is_incomplete() -> None:
    many = keras_zip([DENSE] * 60_000)
    inspection = inspect_artifact(many, "model.keras")
    assert inspection.complete is False


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_truncated_and_corrupted_files_get_a_verdict(sample: str) -> None:
    name, data, _ = SAMPLES[sample]
    rng = random.Random(sample)
    variants = [data[:cut] for cut in sorted({0, 1, 7, 16, len(data) // 3, len(data) - 1})]
    for _ in range(30):
        flipped = bytearray(data)
        for _ in range(4):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        variants.append(bytes(flipped))
    for variant in variants:
        inspection = inspect_artifact(variant, name)
        json.dumps(inspection.to_dict())
        verdict = analyze_model_file(variant, name)
        assert isinstance(verdict["safe"], bool)


def test_api_scans_find_model_file_checks(tmp_path: Path) -> None:
    """API scans run this job in a worker: the same artefact package and pack."""
    from tavo_platform.jobs.execution import ScanJob, run_scan_job

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "backdoor.keras").write_bytes(keras_zip([DENSE, LAMBDA]))
    (tmp_path / "models" / "model.onnx").write_bytes(onnx_model(domain="com.evil.ops"))
    job = ScanJob(str(tmp_path), "models", (), (), (), str(tmp_path / "cancel"))
    found = {(f["path"], f["rule_id"]) for f in run_scan_job(job)["findings"]}
    assert found == {
        ("models/backdoor.keras", "keras-lambda-layer"),
        ("models/model.onnx", "onnx-custom-operator-domain"),
    }


def test_header_formats_are_read_to_their_header_only(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """GGUF and safetensors weights run to gigabytes: a scan reads their header only, so no
    size limit skips them; a header longer than what was read makes the file incomplete."""
    from tavo_platform.engine import WalkOptions, _scanner, scan_path

    monkeypatch.setattr(_scanner, "HEADER_READ_BYTES", 4096)
    template = gguf({"tokenizer.chat_template": HOSTILE_TEMPLATE})
    (tmp_path / "big.gguf").write_bytes(template + b"\0" * 50_000)  # tensors after the header
    header = {"w": {"dtype": "U8", "shape": [60_000], "data_offsets": [0, 60_000]}}
    (tmp_path / "big.safetensors").write_bytes(safetensors(header, b"\0" * 60_000))
    (tmp_path / "long.gguf").write_bytes(
        gguf({"general.name": "x" * 10_000, "tokenizer.chat_template": HOSTILE_TEMPLATE})
    )
    (tmp_path / "big.pkl").write_bytes(b"\x80\x04N." + b"\0" * 50_000)
    result = scan_path(tmp_path, PACK.rules, WalkOptions(max_artifact_bytes=10_000), jobs=1)

    assert [(f.path, f.rule_id) for f in result.findings] == [
        ("big.gguf", "gguf-chat-template-code")
    ]
    assert result.skipped.counts == {"too large": 1}  # the pickle: it is read whole
    assert result.notes == {"model file only partly inspected (over a limit, or unsupported)": 1}
    assert result.files_scanned == 3


def test_gguf_nested_arrays_are_skipped_within_bounds() -> None:
    import struct

    def text(value: str) -> bytes:
        return struct.pack("<Q", len(value)) + value.encode()

    def array_of_arrays(depth: int) -> bytes:
        inner = struct.pack("<IQ", 8, 2) + text("a") + text("b")  # an array of two strings
        for _ in range(depth):
            inner = struct.pack("<IQ", 9, 1) + inner
        return inner

    def file(depth: int) -> bytes:
        entries = text("tokenizer.nested") + struct.pack("<I", 9) + array_of_arrays(depth)
        entries += text("tokenizer.chat_template") + struct.pack("<I", 8) + text(HOSTILE_TEMPLATE)
        return b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + entries

    assert checks(file(2), "m.gguf") == {"gguf-chat-template-code"}
    deep = inspect_artifact(file(40), "m.gguf")
    assert any("nested more than" in problem for problem in deep.problems)
