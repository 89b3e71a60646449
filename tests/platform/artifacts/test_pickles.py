"""Model artefact inspection: pickles read opcode by opcode (never loaded), their containers,
hostile input, the artifact matcher and the built-in model-artifacts pack end to end.

Malicious pickles here are produced by pickle.dumps of objects whose __reduce__ names a
dangerous callable (dumping records the name, it runs nothing) or assembled by hand.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import random
import struct
import subprocess
import time
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path, PurePosixPath

import pytest
from tavo_platform.artifacts import (
    ARTIFACT_INCOMPLETE_NOTE,
    ARTIFACT_MALFORMED_NOTE,
    TORCH_LEGACY_MAGIC,
    UNRESOLVED,
    InspectionLimits,
    inspect_artifact,
    looks_like_artifact,
    sniff_format,
)
from tavo_platform.engine import ArtifactProgram, CompiledRules, Language, scan_bytes
from tavo_platform.rules.loader import BUILTIN_PACKS_DIR, load_rule_text, load_rules

PACK_DIR = BUILTIN_PACKS_DIR / "model-artifacts"
PACK = load_rules(PACK_DIR, pack="model-artifacts")


# --- building pickles -------------------------------------------------------------------


class Payload:
    """Pickles as a call of `target(*args)`; nothing is called when dumping."""

    def __init__(self, target: object, *args: object) -> None:
        self.target = target
        self.args = args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.target, self.args)


def evil(protocol: int = 2) -> bytes:
    return pickle.dumps(Payload(os.system, "echo hi"), protocol=protocol)


def global_op(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def short_str(text: str) -> bytes:  # SHORT_BINUNICODE
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def long_str(text: str) -> bytes:  # BINUNICODE
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def torch_state_dict() -> bytes:
    """What torch.save({"weight": <4 floats>}) writes to data.pkl, protocol 2."""
    return (
        b"\x80\x02" + global_op("collections", "OrderedDict") + b"q\x00)Rq\x01("
        + long_str("weight") + b"q\x02" + global_op("torch._utils", "_rebuild_tensor_v2")
        + b"q\x03((" + long_str("storage") + b"q\x04" + global_op("torch", "FloatStorage")
        + b"q\x05" + long_str("0") + b"q\x06" + long_str("cpu") + b"q\x07K\x04tq\x08Q"
        + b"K\x00K\x04\x85q\tK\x01\x85q\n\x89h\x00)Rq\x0btq\x0cRq\ru."
    )


def torch_zip(data_pkl: bytes, prefix: str = "archive") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{prefix}/data.pkl", data_pkl)
        archive.writestr(f"{prefix}/byteorder", "little")
        archive.writestr(f"{prefix}/data/0", struct.pack("<4f", 1, 2, 3, 4))
        archive.writestr(f"{prefix}/version", "3\n")
    return buffer.getvalue()


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def imported(data: bytes, path: str = "model.pkl", **kwargs: object) -> set[str]:
    return {i.qualified for i in inspect_artifact(data, path, **kwargs).imports}  # type: ignore[arg-type]


# joblib.dump({"w": float64[5], "o": object array [1, "x", None], "u": <U2 (2,2),
# "s": structured, "sub": subarray dtype, "t": datetime64[s], "F": Fortran-order (2,3),
# "tail": "end"}) with joblib 1.6 / numpy 2: array bytes sit between the opcodes, and the
# object array is a whole pickle of its own, inline.
JOBLIB_ARRAYS = base64.b64decode(
    "gASV2AAAAAAAAAB9lCiMAXeUjBNqb2JsaWIubnVtcHlfcGlja2xllIwRTnVtcHlBcnJheVdyYXBwZXKUk5QpgZR9lCiM"
    "CHN1YmNsYXNzlIwFbnVtcHmUjAduZGFycmF5lJOUjAVzaGFwZZRLBYWUjAVvcmRlcpSMAUOUjAVkdHlwZZRoCIwFZHR5"
    "cGWUk5SMAmY4lImIh5RSlChLA4wBPJROTk5K/////0r/////SwB0lGKMCmFsbG93X21tYXCUiIwbbnVtcHlfYXJyYXlf"
    "YWxpZ25tZW50X2J5dGVzlEsQdWIM////////////////AAAAAAAAAAAAAAAAAADwPwAAAAAAAABAAAAAAAAACEAAAAAA"
    "AAAQQJVLAAAAAAAAAIwBb5RoBCmBlH2UKGgHaApoC0sDhZRoDWgOaA9oEYwCTziUiYiHlFKUKEsDjAF8lE5OTkr/////"
    "Sv////9LP3SUYmgXiWgYSxB1YoAFlZEAAAAAAAAAjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3RydWN0"
    "lJOUjAVudW1weZSMB25kYXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLA4WUaAOMBWR0eXBllJOUjAJPOJSJiIeUUpQoSwOM"
    "AXyUTk5OSv////9K/////0s/dJRiiV2UKEsBjAF4lE5ldJRiLpVFAAAAAAAAAIwBdZRoBCmBlH2UKGgHaApoC0sCSwKG"
    "lGgNaA5oD2gRjAJVMpSJiIeUUpQoSwNoFU5OTksISwRLCHSUYmgXiGgYSxB1Ygn///////////8AAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAJWjAAAAAAAAAIwBc5RoBCmBlH2UKGgHaApoC0sBhZRoDWgOaA9oEYwCVjaUiYiHlFKU"
    "KEsDaCBOjAFhlIwBYpSGlH2UKGgxaBGMAmY0lImIh5RSlChLA2gVTk5OSv////9K/////0sAdJRiSwCGlGgyaBGMAmky"
    "lImIh5RSlChLA2gVTk5OSv////9K/////0sAdJRiSwSGlHVLBksBSxB0lGJoF4hoGEsQdWID////AACAPwIAlS0AAAAA"
    "AAAAjANzdWKUaAQpgZR9lChoB2gKaAtLAksCSwKHlGgNaA5oD2gUaBeIaBhLEHViA////wAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACVWQAAAAAAAACMAXSUaAQpgZR9lCho"
    "B2gKaAtLAYWUaA1oDmgPaBGMAk04lImIh5RSlChLBGgVTk5OSv////9K/////0sATihDAXOUSwFLAUsBdJSGlHSUYmgX"
    "iGgYSxB1Yg3/////////////////AOELXgAAAACVKQAAAAAAAACMAUaUaAQpgZR9lChoB2gKaAtLAksDhpRoDWhPaA9o"
    "FGgXiGgYSxB1YgX//////wAAAAAAAPA/AAAAAAAA8D8AAAAAAADwPwAAAAAAAPA/AAAAAAAA8D8AAAAAAADwP5UPAAAA"
    "AAAAAIwEdGFpbJSMA2VuZJR1Lg=="
)
JOBLIB_IMPORTS = {
    "joblib.numpy_pickle.NumpyArrayWrapper", "numpy.ndarray", "numpy.dtype",
    "numpy._core.multiarray._reconstruct",
}


def joblib_wrapper(typestr: str, shape: tuple[int, ...], flags: int = 0) -> bytes:
    """The opcodes joblib writes for a NumpyArrayWrapper, up to and including its BUILD."""
    dims = b"".join(b"K" + bytes([n]) for n in shape)
    return (
        short_str("joblib.numpy_pickle") + short_str("NumpyArrayWrapper") + b"\x93)\x81}("
        + short_str("subclass") + short_str("numpy") + short_str("ndarray") + b"\x93"
        + short_str("shape") + b"(" + dims + b"t"
        + short_str("order") + short_str("C")
        + short_str("dtype") + short_str("numpy") + short_str("dtype") + b"\x93"
        + short_str(typestr) + b"\x89\x88\x87R"
        + b"(K\x03" + short_str("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK"
        + bytes([flags]) + b"tb"
        + short_str("numpy_array_alignment_bytes") + b"K\x10ub"
    )


# --- pickle streams ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_every_protocol_reports_the_import(protocol: int) -> None:
    inspection = inspect_artifact(evil(protocol), "model.pkl")
    assert [i.qualified for i in inspection.imports] == ["posix.system"]
    assert inspection.problems == []
    assert inspection.complete
    assert inspection.format == "pickle"
    if protocol >= 2:
        assert inspection.protocols == {protocol}


def test_global_inst_and_python2_names() -> None:
    inst = b"(S'echo hi'\nios\nsystem\n."
    assert imported(inst) == {"os.system"}
    assert inspect_artifact(inst).imports[0].opcode == "INST"
    # __builtin__ is what Python 2 wrote; the unpickler maps it to builtins.
    assert imported(global_op("__builtin__", "eval") + b"(S'1'\ntR.") == {"builtins.eval"}
    assert imported(global_op("commands", "getoutput") + b"(S'id'\ntR.") == {
        "subprocess.getoutput"
    }


def test_stack_global_reads_the_real_stack_not_the_last_strings() -> None:
    # "os" and "system" are pushed, then a decoy string is pushed and popped: STACK_GLOBAL
    # takes the top two stack items, which are still "os" and "system".
    decoy = b"\x80\x04" + short_str("os") + short_str("system") + short_str("x") + b"0\x93)R."
    assert imported(decoy) == {"os.system"}
    # The decoy the other way round: "safe" strings pushed last but inside a finished tuple.
    hidden = (
        b"\x80\x04" + short_str("os") + short_str("system") + b"(" + short_str("collections")
        + short_str("OrderedDict") + b"t0\x93)R."
    )
    assert imported(hidden) == {"os.system"}


def test_stack_global_strings_from_the_memo() -> None:
    memoize = (
        b"\x80\x04" + short_str("builtins") + b"\x94" + short_str("exec") + b"\x94"
        + b"0" + b"0" + b"h\x00h\x01\x93" + short_str("print(1)") + b"\x85R."
    )
    assert imported(memoize) == {"builtins.exec"}
    long_memo = (
        b"\x80\x04" + short_str("subprocess") + b"r\x00\x01\x00\x00" + short_str("Popen")
        + b"p7\n" + b"00" + b"j\x00\x01\x00\x00g7\n\x93)R."
    )
    assert imported(long_memo) == {"subprocess.Popen"}


def test_computed_names_are_unresolved() -> None:
    # STACK_GLOBAL(str("os"), "system"): the module is a call's result, unknown statically.
    computed = (
        b"\x80\x04" + short_str("builtins") + short_str("str") + b"\x93" + short_str("os")
        + b"\x85R" + short_str("system") + b"\x93" + short_str("id") + b"\x85R."
    )
    inspection = inspect_artifact(computed)
    names = [(i.module, i.name) for i in inspection.imports]
    assert names == [("builtins", "str"), (UNRESOLVED, "system")]
    assert not inspection.imports[1].resolved
    extension = inspect_artifact(b"\x80\x02\x82\x07)R.")
    assert [i.module for i in extension.imports] == [UNRESOLVED]


def test_nested_pickle_handed_to_a_loader_is_inspected() -> None:
    inner = evil(2)
    for protocol in (2, 4):  # protocol 2 passes bytes as _codecs.encode(str, "latin1")
        outer = pickle.dumps(Payload(pickle.loads, inner), protocol=protocol)
        inspection = inspect_artifact(outer)
        assert "posix.system" in {i.qualified for i in inspection.imports}
        nested = [i for i in inspection.imports if i.qualified == "posix.system"]
        assert nested[0].member is not None and "#pickle@" in nested[0].member
    # Bytes alone are data: without a loader they are not parsed as pickles.
    assert imported(pickle.dumps({"blob": inner}, protocol=4)) == set()


def test_strings_that_name_dangerous_callables_are_data() -> None:
    data = pickle.dumps({"cmd": "os.system", "code": "cos\nsystem\n."}, protocol=4)
    assert imported(data) == set()


def test_concatenated_pickles_are_all_inspected() -> None:
    assert imported(pickle.dumps({"a": 1}) + evil(4)) == {"posix.system"}
    assert imported(pickle.dumps(1, protocol=0) + b"\n\n" + evil(0)) == {"posix.system"}


def test_trailing_garbage_is_a_problem_not_an_import() -> None:
    inspection = inspect_artifact(pickle.dumps([1, 2]) + b"\xff\xfe garbage")
    assert inspection.imports == []
    assert any("not a pickle" in p for p in inspection.problems)


# --- containers -------------------------------------------------------------------------


def test_torch_zip_archives() -> None:
    benign = inspect_artifact(torch_zip(torch_state_dict()), "model.pt")
    assert benign.format == "torch-zip"
    assert {i.qualified for i in benign.imports} == {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage",
    }
    assert benign.members == ["archive/data.pkl"]
    assert benign.problems == [] and benign.complete
    malicious = inspect_artifact(torch_zip(evil(2), prefix="resnet"), "pytorch_model.bin")
    assert [(i.qualified, i.member) for i in malicious.imports] == [
        ("posix.system", "resnet/data.pkl")
    ]


def test_any_pickle_member_and_nested_archives() -> None:
    archive = zip_of(
        {
            "readme.txt": b"cos\nsystem\n.",  # not a pickle member: ignored
            "extra/hook.pkl": evil(4),
            "inner.zip": zip_of({"deep/model.pt": torch_zip(evil(0))}),
        },
        zipfile.ZIP_DEFLATED,
    )
    inspection = inspect_artifact(archive, "bundle.pt")
    members = sorted(i.member or "" for i in inspection.imports)
    assert members == ["extra/hook.pkl", "inner.zip/deep/model.pt/archive/data.pkl"]


def test_legacy_torch_stops_before_raw_tensor_bytes() -> None:
    header = b"".join(
        pickle.dumps(value, protocol=2)
        for value in (TORCH_LEGACY_MAGIC, 1001, {"protocol_version": 1001})
    )
    keys = pickle.dumps(["0"], protocol=2)
    # Raw storage bytes follow: here ones that look like a pickle importing os.system.
    raw = struct.pack("<q", 4) + b"\x80\x02cos\nsystem\n(S'x'\ntR." * 4
    inspection = inspect_artifact(header + torch_state_dict() + keys + raw, "old.pt")
    assert inspection.format == "torch-legacy"
    assert "os.system" not in {i.qualified for i in inspection.imports}
    assert inspection.problems == []
    assert inspection.pickle_streams == 5


def test_joblib_arrays_between_opcodes_are_stepped_over() -> None:
    inspection = inspect_artifact(JOBLIB_ARRAYS, "model.joblib")
    assert inspection.problems == [] and inspection.complete
    assert {i.qualified for i in inspection.imports} == JOBLIB_IMPORTS
    # 1 outer stream + the object array's inline pickle
    assert inspection.pickle_streams == 2


def test_joblib_array_bytes_are_not_read_as_opcodes_and_imports_after_them_are() -> None:
    fake_opcodes = b"cos\nsystem\n(S'x'\ntR." + b"\x00" * 8  # 28 bytes = 7 float32
    stream = (
        b"\x80\x04" + joblib_wrapper("f4", (7,)) + b"\x00" + fake_opcodes  # padding byte 0
        + global_op("subprocess", "Popen") + b")R."
    )
    names = imported(stream, "model.joblib")
    assert "os.system" not in names
    assert "subprocess.Popen" in names


def test_joblib_object_arrays_hide_nothing() -> None:
    stream = b"\x80\x04" + joblib_wrapper("O8", (1,), flags=63) + evil(5) + b"."
    inspection = inspect_artifact(stream, "model.joblib")
    assert "posix.system" in {i.qualified for i in inspection.imports}
    assert inspection.problems == []


@pytest.mark.parametrize(
    ("compress", "kind"),
    [
        (zlib.compress, "zlib"),
        (gzip.compress, "gzip"),
        (bz2.compress, "bz2"),
        (lambda d: lzma.compress(d, format=lzma.FORMAT_XZ), "xz"),
        (lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE), "lzma"),
        (lambda d: b"ZF" + hex(len(d)).encode().ljust(19) + zlib.compress(d), "joblib-zfile"),
    ],
)
def test_compressed_joblib_files(compress: object, kind: str) -> None:
    plain = inspect_artifact(compress(JOBLIB_ARRAYS), "model.joblib")  # type: ignore[operator]
    assert plain.format == f"{kind}+pickle"
    assert {i.qualified for i in plain.imports} == JOBLIB_IMPORTS
    assert plain.problems == []
    assert imported(compress(evil(4)), "model.joblib") == {"posix.system"}  # type: ignore[operator]


def test_damaged_compression_keeps_what_came_before() -> None:
    noise = random.Random(3).randbytes(64 * 1024)  # incompressible: the damage lands far away
    payload = evil(4)[:-1] + b"\x8e" + struct.pack("<Q", len(noise)) + noise + b"0."
    compressed = zlib.compress(payload, 1)
    truncated = inspect_artifact(compressed[: len(compressed) // 2], "model.joblib")
    assert {i.qualified for i in truncated.imports} == {"posix.system"}
    assert any("ends early" in p for p in truncated.problems)
    corrupt = bytearray(compressed)
    corrupt[len(corrupt) // 2 :] = os.urandom(len(corrupt) - len(corrupt) // 2)
    damaged = inspect_artifact(bytes(corrupt), "model.joblib")
    assert {i.qualified for i in damaged.imports} == {"posix.system"}
    assert damaged.problems


def test_npy_object_arrays_and_npz() -> None:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header = header.ljust(118) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + evil(2)
    assert imported(npy, "array.npy") == {"posix.system"}
    assert imported(zip_of({"arr_0.npy": npy}), "arrays.pkl") == {"posix.system"}
    floats = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }".ljust(118) + b"\n"
    plain = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(floats)) + floats + b"\x80" * 24
    assert inspect_artifact(plain, "a.npy").problems == []


def test_formats_without_code() -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    safetensors = struct.pack("<Q", len(header)) + header + b"\x00\x00\x80?"
    result = inspect_artifact(safetensors, "model.bin")
    assert (result.format, result.imports, result.problems) == ("safetensors", [], [])
    bad_header = struct.pack("<Q", 20) + b"{not json at all...}" + b"\x00" * 8
    assert inspect_artifact(bad_header, "model.bin").problems
    gguf = b"GGUF" + struct.pack("<I", 3) + b"\x00" * 64
    assert inspect_artifact(gguf, "model.bin").format == "gguf"
    raw = random.Random(7).randbytes(4096)
    raw_result = inspect_artifact(b"\x01" + raw, "pytorch_model.bin")
    assert (raw_result.format, raw_result.imports, raw_result.problems) == ("raw", [], [])


def test_sniffing() -> None:
    assert sniff_format(evil(2)) == "pickle"
    assert sniff_format(pickle.dumps({}, protocol=0)) == "pickle"
    assert sniff_format(torch_zip(evil(2))) == "zip"
    assert sniff_format(zlib.compress(b"x")) == "zlib"
    assert sniff_format(b"\x80\x09garbage") is None  # no such protocol
    assert sniff_format(b"hello world") is None
    assert looks_like_artifact(b"\x80\x09garbage", "model.pkl")  # named a pickle: inspect
    # Unnamed and unrecognised: only the attempt as a pickle can tell, and it finds nothing.
    garbage = inspect_artifact(b"\x80\x09garbage", "model.bin")
    assert (garbage.format, garbage.imports, garbage.problems) == ("raw", [], [])
    assert not looks_like_artifact(b"\x01\x02\x03" * 100, "model.bin")
    # A headerless protocol 0 pickle in a `.bin` is still found.
    sneaky = b"S'x'\n0" + global_op("os", "system") + b"(S'id'\ntR."
    assert looks_like_artifact(sneaky, "pytorch_model.bin")
    assert imported(sneaky, "pytorch_model.bin") == {"os.system"}


# --- hostile input ----------------------------------------------------------------------


def test_every_truncation_gives_a_verdict() -> None:
    for data in (evil(0), evil(2), evil(5), torch_zip(evil(2)), JOBLIB_ARRAYS):
        for end in range(len(data)):
            inspection = inspect_artifact(data[:end], "model.pt")
            assert inspection.imports or inspection.problems or inspection.format == "raw"


def test_garbage_gives_a_verdict() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        blob = rng.randbytes(rng.randrange(1, 600))
        for prefix in (b"", b"\x80\x04", b"PK\x03\x04", b"x\x9c", b"(", b"c"):
            inspection = inspect_artifact(prefix + blob, "model.pkl")
            assert inspection.problems or inspection.format in ("raw", "safetensors")
    # Mutations of a valid pickle: flipped bytes anywhere.
    base = bytearray(JOBLIB_ARRAYS)
    for _ in range(300):
        mutated = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        inspect_artifact(bytes(mutated), "model.joblib")


def test_invalid_protocol_byte_is_a_problem_and_still_inspected() -> None:
    data = b"\x80\x09" + evil(2)[2:]
    inspection = inspect_artifact(data, "model.pkl")
    assert any("unsupported pickle protocol 9" in p for p in inspection.problems)
    assert {i.qualified for i in inspection.imports} == {"posix.system"}


def test_structural_damage_is_reported() -> None:
    underflow = inspect_artifact(b"\x80\x02R.")
    assert any("underflow" in p for p in underflow.problems)
    missing_memo = inspect_artifact(b"\x80\x02h\x05.")
    assert any("memo key 5" in p for p in missing_memo.problems)
    frame = inspect_artifact(b"\x80\x04\x95" + struct.pack("<Q", 1 << 40) + b"N.")
    assert any("frame" in p for p in frame.problems)
    huge_string = inspect_artifact(b"\x80\x04\x8d" + struct.pack("<Q", 1 << 62) + b"ab")
    assert any("truncated" in p for p in huge_string.problems)
    not_importable = inspect_artifact(b"cos system\nx\n.", "model.pkl")
    assert not_importable.imports == []
    assert any("cannot be imported" in p for p in not_importable.problems)
    assert inspect_artifact(b"", "model.pkl").problems


def test_a_million_opcodes() -> None:
    data = b"\x80\x04(" + b"\x8c\x01a\x94" * 500_000 + b"l" + evil(4)[2:]
    started = time.perf_counter()
    inspection = inspect_artifact(data, "model.pkl")
    assert time.perf_counter() - started < 30
    assert inspection.complete and inspection.problems == []
    assert inspection.opcodes > 1_000_000
    assert {i.qualified for i in inspection.imports} == {"posix.system"}


def test_opcode_limit() -> None:
    data = b"\x80\x04]" + b"N" * 10_000 + b"."
    inspection = inspect_artifact(data, "model.pkl", limits=InspectionLimits(max_opcodes=500))
    assert not inspection.complete
    assert any("more than 500 opcodes" in p for p in inspection.problems)
    assert inspection.opcodes == 500


def test_zip_bomb_member_is_read_within_the_budget() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("archive/data.pkl", "w", force_zip64=True) as member,
    ):
        member.write(evil(2)[:-1])
        for _ in range(64):
            member.write(b"N" * (1 << 20))  # 64 MiB of NONE opcodes
        member.write(b".")
    bomb = buffer.getvalue()
    assert len(bomb) < 1 << 20
    limits = InspectionLimits(max_decompressed_bytes=4 << 20)
    started = time.perf_counter()
    inspection = inspect_artifact(bomb, "model.pt", limits=limits)
    assert time.perf_counter() - started < 30
    assert not inspection.complete
    assert {i.qualified for i in inspection.imports} == {"posix.system"}
    assert any("decompression budget" in p for p in inspection.problems)


def test_member_that_lies_about_its_size() -> None:
    archive = bytearray(torch_zip(evil(2)))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.find(signature)
        archive[at + offset : at + offset + 4] = struct.pack("<I", 0xFFFFFFF0)
    inspection = inspect_artifact(bytes(archive), "model.pt")
    assert {i.qualified for i in inspection.imports} == {"posix.system"}


def test_encrypted_member_is_not_inspected() -> None:
    archive = bytearray(torch_zip(evil(2)))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = archive.find(signature)
        archive[at + offset] |= 0x01  # the "encrypted" flag
    inspection = inspect_artifact(bytes(archive), "model.pt")
    assert not inspection.complete
    assert inspection.imports == []


def test_deeply_nested_archives_stop_at_the_depth_limit() -> None:
    data = torch_zip(evil(2))
    for level in range(12):
        data = zip_of({f"level{level}.zip": data})
    inspection = inspect_artifact(data, "model.pt")
    assert not inspection.complete
    assert any("nested more than" in p for p in inspection.problems)


def test_archive_declaring_too_many_entries() -> None:
    data = zip_of({f"m{n}.pkl": b"N." for n in range(30)})
    inspection = inspect_artifact(data, "x.pt", limits=InspectionLimits(max_zip_members=10))
    assert not inspection.complete
    assert inspection.members == []


def test_deeply_nested_containers_in_a_pickle() -> None:
    data = b"\x80\x04" + b"(" * 200_000 + b"]" * 200_000 + b"."
    assert inspect_artifact(data).complete


def test_inspection_to_dict() -> None:
    described = inspect_artifact(torch_zip(evil(2)), "model.pt").to_dict()
    assert described["format"] == "torch-zip"
    assert described["imports"][0]["qualified"] == "posix.system"
    assert described["imports"][0]["member"] == "archive/data.pkl"
    assert described["complete"] is True
    json.dumps(described)


# --- the matcher and the built-in pack --------------------------------------------------


def pack_findings(data: bytes, path: str = "model.pkl") -> dict[str, str]:
    compiled = CompiledRules(PACK.rules, redaction_rules=[])
    outcome = scan_bytes(data, path, Language.ARTIFACT, compiled)
    return {finding.rule_id: finding.snippet for finding in outcome.findings}


def test_pack_loads_and_every_rule_is_an_artifact_rule() -> None:
    assert PACK.errors == []
    assert {rule.id for rule in PACK.rules} == {
        "model-pickle-code-execution", "model-pickle-system-access",
        "model-pickle-import-machinery", "model-pickle-obfuscated-import",
        "model-pickle-unlisted-import",
        "keras-lambda-layer", "keras-dangerous-module", "keras-custom-objects",
        "onnx-custom-operator-domain", "onnx-external-data-path-traversal",
        "gguf-chat-template-code", "torchscript-dangerous-call", "torchscript-custom-operator",
    }
    assert all(rule.cwe and rule.owasp_llm in ("LLM03", "LLM04") for rule in PACK.rules)


def test_pack_verdicts() -> None:
    assert pack_findings(torch_zip(torch_state_dict()), "model.pt") == {}
    assert pack_findings(JOBLIB_ARRAYS, "model.joblib") == {}
    assert set(pack_findings(evil(2))) == {"model-pickle-code-execution"}
    socket = global_op("socket", "create_connection") + b"((S'h'\nI1\nttR."
    assert set(pack_findings(socket)) == {"model-pickle-system-access"}
    importlib = global_op("importlib", "import_module") + b"(S'm'\ntR."
    assert set(pack_findings(importlib)) == {"model-pickle-import-machinery"}
    dotted = b"\x80\x04" + short_str("torch.serialization") + short_str("os.system") + b"\x93."
    assert set(pack_findings(dotted)) == {"model-pickle-code-execution"}
    custom = b"\x80\x04" + short_str("sklearn.svm") + short_str("SVC") + b"\x93)R."
    assert set(pack_findings(custom)) == {"model-pickle-unlisted-import"}


def test_one_finding_per_rule_listing_every_import() -> None:
    data = pickle.dumps(
        [Payload(os.system, "a"), Payload(subprocess.Popen, "b"), Payload(os.system, "c")],
        protocol=4,
    )
    findings = pack_findings(data)
    assert set(findings) == {"model-pickle-code-execution"}
    snippet = findings["model-pickle-code-execution"]
    assert "posix.system" in snippet and "subprocess.Popen" in snippet
    assert snippet.count("posix.system") == 1


def test_precedence_applies_within_a_pack_only() -> None:
    custom = load_rule_text(
        """
rules:
  - id: t-any-import
    title: any import
    message: any import at all
    severity: LOW
    confidence: HIGH
    category: test
    fix: review it
    languages: [artifact]
    artifact: {imports: ["*"]}
    examples:
      positive: [{base64: "Y29zCnN5c3RlbQou"}]
      negative: [{base64: "Ti4="}]
""",
        "custom.yaml",
    )
    assert custom.errors == []
    program = ArtifactProgram([*PACK.rules, *custom.rules])
    inspection = inspect_artifact(evil(2), "model.pkl")
    assert {m.rule.id for m in program.match(inspection)} == {
        "model-pickle-code-execution", "t-any-import",
    }


def test_scanner_routes_model_files() -> None:
    compiled = CompiledRules(PACK.rules, redaction_rules=[])
    raw = scan_bytes(b"\x01\x02" + bytes(range(256)) * 8, "pytorch_model.bin", Language.ARTIFACT,
                     compiled)
    assert raw.skip_reason == "binary"
    broken = scan_bytes(b"\x80\x04\x95", "model.pkl", Language.ARTIFACT, compiled)
    assert broken.note == ARTIFACT_MALFORMED_NOTE and broken.skip_reason is None
    limited = scan_bytes(
        zip_of({f"m{n}.pkl": b"N." for n in range(10_001)}), "model.pt", Language.ARTIFACT,
        compiled,
    )
    assert limited.note == ARTIFACT_INCOMPLETE_NOTE
    clean = scan_bytes(torch_zip(torch_state_dict()), "model.pt", Language.ARTIFACT, compiled)
    assert (clean.findings, clean.note) == ([], None)


# --- end to end -------------------------------------------------------------------------


def test_rules_test_command_passes_for_the_pack(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "test", PACK_DIR)
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_tavo_scan_flags_the_trojaned_checkpoint_only(run_cli, make_tree) -> None:  # type: ignore[no-untyped-def]
    trojan = (
        b"\x80\x02}q\x00(" + long_str("model") + torch_state_dict()[2:-1] + long_str("hook")
        + global_op("subprocess", "check_output") + b"]" + long_str("id") + b"a\x85Ru."
    )
    root: Path = make_tree(
        {
            "models/trojan.pt": torch_zip(trojan),
            "models/clean.pt": torch_zip(torch_state_dict()),
            "models/weights.bin": b"\x01" + bytes(range(256)) * 16,
            "app.py": "print('hello')\n",
        }
    )
    result = run_cli("scan", root, "--only", "model-artifacts", "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    findings = [(f["path"], f["rule_id"], f["severity"]) for f in report["findings"]]
    assert findings == [("models/trojan.pt", "model-pickle-code-execution", "CRITICAL")]
    assert "subprocess.check_output" in report["findings"][0]["snippet"]
    assert "archive/data.pkl" in report["findings"][0]["snippet"]
    assert report["findings"][0]["owasp_llm"] == "LLM04"

    clean_only = run_cli(
        "scan", root / "models" / "clean.pt", "--only", "model-artifacts", "--format", "json"
    )
    assert clean_only.exit_code == 0, clean_only.output
    assert json.loads(clean_only.output)["findings"] == []
    assert PurePosixPath("models/clean.pt").suffix == ".pt"


def test_an_ordered_dict_pickle_is_clean() -> None:
    assert pack_findings(pickle.dumps(OrderedDict(a=[1, 2.5, "x"]), protocol=2)) == {}


def test_the_vm_knows_exactly_the_opcodes_pickletools_documents() -> None:
    """The stdlib's own opcode table (protocols 0-5) is the reference for the VM's."""
    import pickletools

    from tavo_platform.artifacts._pickle_opcodes import OPCODES

    documented = {op.code.encode("latin-1")[0] for op in pickletools.opcodes if op.proto <= 5}
    handled = {code for code, handler in enumerate(OPCODES) if handler is not None}
    assert handled == documented
