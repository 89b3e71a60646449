"""A verdict on one uploaded model file (POST /api/v1/ai/analyze), never loading it.

Every format goes through the artifacts package and the model-artifacts rules, exactly as
in a scan (pickles and their containers, Keras, ONNX, GGUF, safetensors, TorchScript).
Every input, however broken, gets an answer:

    {safe, risks[], recommendations[], confidence,
     analysis: {model_type, security_score, complete, problems[], imports[], ...}}

`safe` is true only when nothing of MEDIUM severity or worse was found and the whole file
was inspected: a file the inspector could not finish is not called safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tavo_platform.artifacts import (
    DEFAULT_LIMITS,
    ArtifactInspection,
    InspectionLimits,
    inspect_artifact,
)
from tavo_platform.engine import ArtifactProgram, Match

SEVERITY_PENALTY = {"CRITICAL": 60, "HIGH": 40, "MEDIUM": 20, "LOW": 5, "INFO": 0}
UNSAFE_SEVERITIES = frozenset({"CRITICAL", "HIGH", "MEDIUM"})
CODE_FREE_FORMATS = frozenset({"safetensors", "gguf", "onnx"})
PICKLE_FORMATS = ("pickle", "torch", "joblib", "zlib", "gzip", "bz2", "xz", "lzma", "numpy")
TORCH_FORMATS = ("torch-zip", "torch-legacy", "torchscript")
MAX_EVIDENCE = 10

_RECOMMENDATIONS = {
    "pickle": "Prefer safetensors for weights: it stores tensors only and cannot run code.",
    "pickle-load": "If you must load this file, use torch.load(..., weights_only=True) or an "
    "allow-listed unpickler, in an isolated process without credentials.",
    "keras": "Load Keras models with safe_mode=True (the default) and replace Lambda layers "
    "with registered custom layers whose code lives in your repository.",
    "onnx": "Keep external data files next to the model and reject absolute or '..' "
    "locations; load custom operator libraries only from builds you trust.",
    "gguf": "Render chat templates in a sandboxed Jinja environment (e.g. "
    "jinja2.sandbox.ImmutableSandboxedEnvironment), or replace the template with a known one.",
    "torchscript": "Load TorchScript archives only from sources you trust; read the code/ "
    "files of an archive before torch.jit.load, and load operator libraries only from builds "
    "you trust.",
    "incomplete": "The file could not be inspected completely: treat it as untrusted until "
    "it is (re-export it, or raise the inspection limits).",
    "provenance": "Check where the model comes from: pin it by hash or revision and verify "
    "its signature where the publisher provides one.",
}


@lru_cache(maxsize=1)
def _artifact_program() -> ArtifactProgram:
    from tavo_platform.rules.loader import load_builtin_rules

    return ArtifactProgram([rule for rule in load_builtin_rules().rules if rule.artifact])


def analyze_model_file(
    data: bytes, filename: str, limits: InspectionLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    inspection = inspect_artifact(data, filename, limits=limits)
    risks = [_rule_risk(match, inspection) for match in _artifact_program().match(inspection)]
    problems = inspection.problems
    complete = inspection.complete
    model_type = inspection.format
    if not complete:
        risks.append(
            _risk(
                "model-incomplete-inspection",
                "MEDIUM",
                "The file could not be inspected completely",
                "Part of the file was over an inspection limit or in an unsupported "
                "encoding, so what it would run when loaded is not fully known.",
                problems[:MAX_EVIDENCE],
                ["CWE-693"],
                None,
            )
        )
    elif problems:
        risks.append(
            _risk(
                "model-malformed",
                "LOW",
                "The file is malformed",
                "Parts of the file do not follow its format; loaders will likely fail on "
                "it, and a file crafted to confuse parsers deserves suspicion.",
                problems[:MAX_EVIDENCE],
                ["CWE-20"],
                None,
            )
        )
    risks.sort(key=lambda r: (-SEVERITY_PENALTY[r["severity"]], r["id"]))
    score = max(0, 100 - sum(SEVERITY_PENALTY[r["severity"]] for r in risks))
    safe = complete and not any(r["severity"] in UNSAFE_SEVERITIES for r in risks)
    return {
        "safe": safe,
        "risks": risks,
        "recommendations": _recommendations(model_type, risks, complete),
        "confidence": _confidence(model_type, complete, problems),
        "analysis": {
            "model_type": model_type,
            "security_score": score,
            "file_name": filename,
            "size_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "complete": complete,
            "problems": problems,
            "imports": sorted({i.qualified for i in inspection.imports}),
            "pickle_streams": inspection.pickle_streams,
            "opcodes": inspection.opcodes,
            "members": inspection.members[:100],
            "details": inspection.details,
            "executes_code_on_load": any(r["severity"] in ("CRITICAL", "HIGH") for r in risks),
        },
    }


def _risk(
    risk_id: str,
    severity: str,
    title: str,
    description: str,
    evidence: list[str],
    cwe: Sequence[str],
    owasp_llm: str | None,
) -> dict[str, Any]:
    return {
        "id": risk_id,
        "severity": severity,
        "title": title,
        "description": description,
        "evidence": [e for e in evidence if e][:MAX_EVIDENCE],
        "cwe": list(cwe),
        "owasp_llm": owasp_llm,
    }


def _rule_risk(match: Match, inspection: ArtifactInspection) -> dict[str, Any]:
    rule = match.rule
    assert rule.artifact is not None
    evidence = [e for check in rule.artifact.checks for e in inspection.evidence_for(check)]
    return _risk(
        rule.id,
        rule.severity.value,
        rule.title,
        rule.message,
        evidence or [match.snippet or ""],
        rule.cwe,
        rule.owasp_llm,
    )


def _recommendations(model_type: str, risks: list[dict[str, Any]], complete: bool) -> list[str]:
    chosen = []
    ids = {r["id"] for r in risks}
    if model_type.startswith(PICKLE_FORMATS) or model_type in TORCH_FORMATS:
        chosen.append(_RECOMMENDATIONS["pickle"])
        if any(i.startswith("model-pickle") for i in ids):
            chosen.append(_RECOMMENDATIONS["pickle-load"])
    if any(i.startswith("keras") for i in ids):
        chosen.append(_RECOMMENDATIONS["keras"])
    if any(i.startswith("onnx") for i in ids):
        chosen.append(_RECOMMENDATIONS["onnx"])
    if any(i.startswith("gguf") for i in ids):
        chosen.append(_RECOMMENDATIONS["gguf"])
    if any(i.startswith("torchscript") for i in ids):
        chosen.append(_RECOMMENDATIONS["torchscript"])
    if not complete:
        chosen.append(_RECOMMENDATIONS["incomplete"])
    chosen.append(_RECOMMENDATIONS["provenance"])
    return chosen


def _confidence(model_type: str, complete: bool, problems: list[str]) -> float:
    """How sure the verdict is: a fully read file of a known format, high; a file read up
    to damage or a limit, lower; bytes of no recognised format, lowest."""
    if not complete:
        return 0.4
    if model_type in ("raw", "unknown", "zip"):
        return 0.5
    if problems:
        return 0.7
    return 0.95 if model_type not in CODE_FREE_FORMATS else 0.9
