"""The engine's public surface: `tavo_platform.engine.__all__` is the whole of it, it does
not drift unnoticed, and nothing else in the platform reaches into the engine's private
modules."""

from __future__ import annotations

import ast
from pathlib import Path

import tavo_platform
import tavo_platform.engine as engine

PLATFORM = Path(tavo_platform.__file__).parent

# Changing the engine's public names is an API change for every package above it: update
# this list in the same commit, on purpose.
PUBLIC_NAMES = [
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


def test_public_names_do_not_drift() -> None:
    assert sorted(engine.__all__) == sorted(PUBLIC_NAMES)
    assert len(set(engine.__all__)) == len(engine.__all__)
    for name in engine.__all__:
        assert getattr(engine, name) is not None


def test_every_top_level_engine_module_is_private() -> None:
    modules = [p.stem for p in (PLATFORM / "engine").glob("*.py") if p.stem != "__init__"]
    assert modules and all(stem.startswith("_") for stem in modules), modules


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_the_platform_uses_the_engine_through_its_public_surface_only() -> None:
    reaching_in = []
    for path in PLATFORM.rglob("*.py"):
        if path.is_relative_to(PLATFORM / "engine"):
            continue
        for line, module in imported_modules(path):
            if module.startswith("tavo_platform.engine.") and (
                module.removeprefix("tavo_platform.engine.") not in engine.__all__
            ):
                reaching_in.append(f"{path.relative_to(PLATFORM)}:{line} {module}")
    assert reaching_in == []


def test_the_engine_never_imports_the_rules_package() -> None:
    rules_imports = [
        f"{path.relative_to(PLATFORM)}:{line} {module}"
        for path in (PLATFORM / "engine").rglob("*.py")
        for line, module in imported_modules(path)
        if module == "tavo_platform.rules" or module.startswith("tavo_platform.rules.")
    ]
    assert rules_imports == []
