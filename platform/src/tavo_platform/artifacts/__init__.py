"""Model files, inspected without ever being loaded: the one place model-file formats are
parsed, for `tavo scan`, API scans and the AI analysis (`/ai/analyze`) alike.

One module per format: pickle_vm (raw pickles, protocols 0-5, opcode by opcode),
pytorch (zip and legacy checkpoints), torchscript, joblib_files, numpy_arrays (`.npy`,
`.npz`), keras (`.keras` zips, `.h5` configurations), onnx, gguf and safetensors, plus
the containers they come in (_zip, _compressed). Every parser is bounded: hostile input
(truncated, huge declared lengths, zip bombs, deep nesting) costs a problem in the
result, never a crash or unbounded memory.

An inspection reports what the file would import when unpickled (`imports`) and which
format checks fired (`findings`, by check id); the model-artifacts rule pack says what
each means and how severe it is.
"""

from tavo_platform.artifacts import gguf, keras, onnx, torchscript
from tavo_platform.artifacts._dispatch import (
    HEADER_READ_BYTES,
    HEADER_SUFFIXES,
    NAMED_SUFFIXES,
    inspect_artifact,
    looks_like_artifact,
    sniff_format,
)
from tavo_platform.artifacts._inspection import (
    ARTIFACT_INCOMPLETE_NOTE,
    ARTIFACT_MALFORMED_NOTE,
    DEFAULT_LIMITS,
    UNRESOLVED,
    ArtifactFinding,
    ArtifactInspection,
    InspectionLimits,
    PickleImport,
    artifact_note,
)
from tavo_platform.artifacts.pytorch import TORCH_LEGACY_MAGIC

# Every check id a format module can report: what a rule's `artifact.checks` may name.
CHECKS = frozenset(
    {
        *keras.CHECKS,
        onnx.CUSTOM_DOMAIN,
        onnx.PATH_TRAVERSAL,
        gguf.CHECK,
        torchscript.DANGEROUS_CALL,
        torchscript.CUSTOM_OPERATOR,
    }
)

__all__ = [
    "ARTIFACT_INCOMPLETE_NOTE",
    "ARTIFACT_MALFORMED_NOTE",
    "CHECKS",
    "DEFAULT_LIMITS",
    "HEADER_READ_BYTES",
    "HEADER_SUFFIXES",
    "NAMED_SUFFIXES",
    "TORCH_LEGACY_MAGIC",
    "UNRESOLVED",
    "ArtifactFinding",
    "ArtifactInspection",
    "InspectionLimits",
    "PickleImport",
    "artifact_note",
    "inspect_artifact",
    "looks_like_artifact",
    "sniff_format",
]
