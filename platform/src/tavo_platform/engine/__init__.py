"""The scan engine: walk a tree, parse each file once, run every matching rule, emit findings.

This module is the engine's whole public surface: import from `tavo_platform.engine`,
never from its private modules (`_scanner`, `_walker`...), which may move. Rules reach
the engine as anything satisfying `RuleSpec` (the rules package's YAML model does): the
engine never imports the rules package. A test keeps `__all__` from drifting.
"""

from tavo_platform.engine._findings import (
    FINGERPRINT_VERSION,
    SEVERITY_ORDER,
    Autofix,
    CodeContext,
    Confidence,
    Finding,
    Severity,
    Span,
    TraceStep,
)
from tavo_platform.engine._languages import (
    ARTIFACT_EXTENSIONS,
    EXAMPLE_FILENAMES,
    STRUCTURAL_LANGUAGES,
    Language,
    language_for,
)
from tavo_platform.engine._rule_spec import (
    AFTER_TEXT,
    PLACEHOLDER,
    TAINT_ENTRY_KEYS,
    ArtifactSpec,
    RegexSpec,
    RuleSpec,
    StructuralSpec,
    TaintSpec,
)
from tavo_platform.engine._scanner import (
    CompiledRules,
    FileOutcome,
    ScanResult,
    default_jobs,
    scan_bytes,
    scan_path,
)
from tavo_platform.engine._suppression import BaselineError, read_baseline, write_baseline
from tavo_platform.engine._walker import (
    DEFAULT_MAX_FILE_BYTES,
    ScanRootError,
    SkipReason,
    SkipReport,
    WalkOptions,
)
from tavo_platform.engine.dataflow.findings import taint_findings
from tavo_platform.engine.matchers.artifact import ArtifactProgram
from tavo_platform.engine.matchers.interface import Match
from tavo_platform.engine.matchers.regex import Redactor, shannon_entropy

__all__ = [
    "AFTER_TEXT",
    "ARTIFACT_EXTENSIONS",
    "DEFAULT_MAX_FILE_BYTES",
    "EXAMPLE_FILENAMES",
    "FINGERPRINT_VERSION",
    "PLACEHOLDER",
    "SEVERITY_ORDER",
    "STRUCTURAL_LANGUAGES",
    "TAINT_ENTRY_KEYS",
    "ArtifactProgram",
    "ArtifactSpec",
    "Autofix",
    "BaselineError",
    "CodeContext",
    "CompiledRules",
    "Confidence",
    "FileOutcome",
    "Finding",
    "Language",
    "Match",
    "Redactor",
    "RegexSpec",
    "RuleSpec",
    "ScanResult",
    "ScanRootError",
    "Severity",
    "SkipReason",
    "SkipReport",
    "Span",
    "StructuralSpec",
    "TaintSpec",
    "TraceStep",
    "WalkOptions",
    "default_jobs",
    "language_for",
    "read_baseline",
    "scan_bytes",
    "scan_path",
    "shannon_entropy",
    "taint_findings",
    "write_baseline",
]
