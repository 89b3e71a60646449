"""TorchScript archives (`torch.jit.save`): a zip like a PyTorch checkpoint (its pickles
are read by the pickle VM) plus the model's code as TorchScript source under `code/`,
compiled again by `torch.jit.load`.

TorchScript is a restricted Python, but its operators reach beyond arithmetic:
`torch.from_file` maps any file (reading it, or writing it when shared), `torch.save` and
`torch.load` write and read files, and `ops.<namespace>.<op>` calls into native operator
libraries registered outside PyTorch. A hand-made archive can also carry Python the
TorchScript compiler would never emit (`__import__`, `eval`, `__globals__`): a sign the
archive was crafted. Each code file is read as text, bounded, and searched for these.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from tavo_platform.artifacts._inspection import Session

MAX_CODE_BYTES = 8 * 1024 * 1024
DANGEROUS_CALL = "torchscript-dangerous-call"
CUSTOM_OPERATOR = "torchscript-custom-operator"
# Operator namespaces that ship with PyTorch itself.
STANDARD_NAMESPACES = frozenset(
    {
        "aten", "prim", "prims", "quantized", "_quantized", "quantized_decomposed",
        "prepacked", "mkldnn", "mkldnn_prepacked", "_caffe2", "profiler", "cuda", "cudnn",
        "onednn", "xnnpack", "sparse", "fbgemm", "inductor", "higher_order",
    }
)
_DANGEROUS = re.compile(
    r"\b(?:torch|ops\.aten)\s*\.\s*(?:from_file|save|load)\s*\("
    r"|\b(?:__import__|__builtins__|__globals__|__subclasses__|__code__)\b"
    r"|(?<![\w.])(?:eval|exec|compile|open|getattr)\s*\("
    r"|\b(?:os|subprocess|sys|builtins|socket)\s*\.\s*[A-Za-z_]\w*"
)
_OPERATOR = re.compile(r"\bops\s*\.\s*([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)")


def is_code_member(name: str) -> bool:
    path = PurePosixPath(name)
    return path.suffix == ".py" and "code" in path.parts[:-1]


def check_code(sources: list[tuple[str, bytes]], session: Session) -> None:
    dangerous: list[str] = []
    custom: list[str] = []
    for label, raw in sources:
        text = raw.decode("utf-8", errors="replace")
        for hit in sorted({" ".join(m.group(0).split()) for m in _DANGEROUS.finditer(text)}):
            dangerous.append(f"{label}: {hit.rstrip('(').strip()}")
        for namespace, operator in sorted(set(_OPERATOR.findall(text))):
            if namespace not in STANDARD_NAMESPACES:
                custom.append(f"{label}: ops.{namespace}.{operator}")
    if dangerous:
        session.found(DANGEROUS_CALL, dangerous)
    if custom:
        session.found(CUSTOM_OPERATOR, custom)
