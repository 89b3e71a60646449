"""What an inspection produces, and the budgets every format module draws on.

Every input gets a verdict: the imports its pickles would perform, the format checks that
fired (`findings`, named by check id), plus `problems` describing anything malformed or
not inspected. `complete` is False when a limit (size, opcodes, nesting) or an unsupported
encoding kept part of the file from being inspected; a malformed stream alone does not
clear it, because a real loader stops at the same byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Stands for a module or attribute name that is not a constant string in the stream (built
# at load time, or popped off something that is not a string): an obfuscated import.
UNRESOLVED = "<unresolved>"


@dataclass(frozen=True, slots=True)
class InspectionLimits:
    max_opcodes: int = 5_000_000  # across every pickle stream of one file
    max_decompressed_bytes: int = 256 * 1024 * 1024  # across members and compressed streams
    max_zip_members: int = 10_000
    max_depth: int = 4  # archives in archives, compressed streams, pickles in pickles
    max_problems: int = 50


DEFAULT_LIMITS = InspectionLimits()


@dataclass(frozen=True, slots=True)
class PickleImport:
    module: str
    name: str
    offset: int  # byte offset of the importing opcode within its pickle stream
    member: str | None = None  # where the stream is: archive member, nested pickle...
    opcode: str = "GLOBAL"

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def resolved(self) -> bool:
        return UNRESOLVED not in (self.module, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "name": self.name,
            "qualified": self.qualified,
            "opcode": self.opcode,
            "offset": self.offset,
            "member": self.member,
        }


@dataclass(frozen=True, slots=True)
class ArtifactFinding:
    """A format check that fired (a Keras Lambda layer, an ONNX path leaving the model's
    directory...). What it means and how severe it is lives in the model-artifacts rule
    whose `artifact.checks` names `check`."""

    check: str
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "evidence": list(self.evidence)}


@dataclass
class ArtifactInspection:
    # The outermost format: pickle, torch-zip, torchscript, zip, torch-legacy, zlib, gzip,
    # bz2, xz, lzma, joblib-zfile, lz4, numpy, safetensors, gguf, keras, keras-h5, hdf5,
    # onnx, raw (nothing executable), unknown.
    format: str = "unknown"
    imports: list[PickleImport] = field(default_factory=list)
    findings: list[ArtifactFinding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    complete: bool = True
    pickle_streams: int = 0
    opcodes: int = 0
    protocols: set[int] = field(default_factory=set)
    members: list[str] = field(default_factory=list)  # archive members that were inspected
    details: dict[str, Any] = field(default_factory=dict)  # format facts (layers, opsets...)

    def evidence_for(self, check: str) -> list[str]:
        return [item for found in self.findings if found.check == check for item in found.evidence]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "complete": self.complete,
            "imports": [imported.to_dict() for imported in self.imports],
            "findings": [found.to_dict() for found in self.findings],
            "problems": list(self.problems),
            "pickle_streams": self.pickle_streams,
            "opcodes": self.opcodes,
            "protocols": sorted(self.protocols),
            "members": list(self.members),
            "details": dict(self.details),
        }


# Inspects one blob (a file, an archive member, a decompressed stream) by its format and
# returns the format's name: (data, where, suffix, session, depth) -> format.
Dispatch = Callable[[bytes, "str | None", str, "Session", int], str]


class Session:
    """Budgets and the growing result, shared by everything inspected within one file."""

    def __init__(
        self,
        inspection: ArtifactInspection,
        limits: InspectionLimits,
        dispatch: Dispatch,
        file_size: int | None = None,
    ) -> None:
        self.inspection = inspection
        # The whole file's size when only its first bytes were read (header formats).
        self.file_size = file_size
        self.limits = limits
        self.opcodes_left = limits.max_opcodes
        self.bytes_left = limits.max_decompressed_bytes
        self.dispatch = dispatch

    def problem(self, where: str | None, message: str) -> None:
        problems = self.inspection.problems
        if len(problems) < self.limits.max_problems:
            problems.append(f"{where}: {message}" if where else message)
        elif len(problems) == self.limits.max_problems:
            problems.append("further problems omitted")

    def incomplete(self, where: str | None, message: str) -> None:
        self.inspection.complete = False
        self.problem(where, message)

    def past_prefix(self, data: bytes) -> bool:
        """Whether `data` is only the first part of the file being inspected."""
        return self.file_size is not None and self.file_size > len(data)

    def found(self, check: str, evidence: list[str], where: str | None = None) -> None:
        prefix = f"{where}: " if where else ""
        shown = tuple(f"{prefix}{item}" for item in evidence[:MAX_EVIDENCE])
        self.inspection.findings.append(ArtifactFinding(check, shown))


MAX_EVIDENCE = 10


def describe(error: BaseException) -> str:
    text = " ".join(str(error).split())[:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Malformed(Exception):
    """A format module's structure is broken; the message says where."""


# Read as "N file(s) <note>" in the scan summary.
ARTIFACT_INCOMPLETE_NOTE = "model file only partly inspected (over a limit, or unsupported)"
ARTIFACT_MALFORMED_NOTE = "malformed model file (inspected up to the damage)"


def artifact_note(inspection: ArtifactInspection) -> str | None:
    """The scan-summary note for a file whose inspection had problems (counted per note)."""
    if not inspection.complete:
        return ARTIFACT_INCOMPLETE_NOTE
    if inspection.problems:
        return ARTIFACT_MALFORMED_NOTE
    return None
