"""Finds the files to scan: honours .gitignore and excludes, never leaves the root."""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from tavo_platform.engine.languages import ARTIFACT_EXTENSIONS, Language, language_for

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
DEFAULT_MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "venv",
        "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".eggs", "site-packages", ".next", ".nuxt", ".parcel-cache", ".yarn", ".terraform",
    }
)
DEFAULT_EXCLUDED_FILES = pathspec.PathSpec.from_lines(
    "gitwildmatch",
    [
        "*.min.js", "*.min.mjs", "*.min.css", "*-min.js", "*.bundle.js", "*.chunk.js",
        "*.map", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
        "uv.lock", "Cargo.lock", "composer.lock", "*.pyc",
    ],
)
# A JS/TS file with lines this long is generated or minified, whatever its name.
MINIFIED_LINE_LENGTH = 2000


class SkipReason:
    TOO_LARGE = "too large"
    BINARY = "binary"
    MINIFIED = "minified or generated"
    SYMLINK_OUTSIDE = "symlink pointing outside the scanned root"
    SYMLINK_DIR = "symlinked directory (not followed)"
    BROKEN_SYMLINK = "broken symlink"
    UNREADABLE = "unreadable"
    NOT_REGULAR = "not a regular file"
    PARSE_FAILED = "could not be parsed"


@dataclass(frozen=True, slots=True)
class FileTask:
    path: str  # relative to the root, '/'-separated
    absolute: str
    language: Language
    size: int


@dataclass
class SkipReport:
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, path: str) -> None:
        self.counts[reason] += 1
        self.examples.setdefault(reason, [])
        if len(self.examples[reason]) < 5:
            self.examples[reason].append(path)

    def merge(self, other: SkipReport) -> None:
        for reason, count in other.counts.items():
            self.counts[reason] += count
            for path in other.examples.get(reason, []):
                if len(self.examples.setdefault(reason, [])) < 5:
                    self.examples[reason].append(path)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class WalkOptions:
    excludes: Sequence[str] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES
    use_gitignore: bool = True
    default_excludes: bool = True


class ScanRootError(Exception):
    """The path given to scan cannot be scanned at all."""


def walk(root: Path, options: WalkOptions, skipped: SkipReport) -> list[FileTask]:
    """Returns the files under `root` to scan, sorted by path; records every skip."""
    if not root.exists() and not root.is_symlink():
        raise ScanRootError(f"{root}: no such file or directory")
    real_root = Path(os.path.realpath(root))
    if real_root.is_file():
        task = _task_for(real_root, real_root.name, real_root.parent, options, skipped)
        return [task] if task else []
    if not real_root.is_dir():
        raise ScanRootError(f"{root}: not a file or directory")
    if not os.access(real_root, os.R_OK | os.X_OK):
        raise ScanRootError(f"{root}: permission denied")
    excludes = pathspec.PathSpec.from_lines("gitwildmatch", options.excludes)
    tasks = [
        task
        for relative in _candidate_paths(real_root, options, excludes, skipped)
        if (task := _task_for(real_root / relative, relative, real_root, options, skipped))
    ]
    return sorted(tasks, key=lambda t: t.path)


def _candidate_paths(
    root: Path, options: WalkOptions, excludes: pathspec.PathSpec, skipped: SkipReport
) -> Iterator[str]:
    ignore_specs: dict[str, pathspec.PathSpec] = {}

    def on_error(error: OSError) -> None:
        skipped.add(SkipReason.UNREADABLE, _relative(root, Path(error.filename or root)))

    for directory, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        rel_dir = _relative(root, Path(directory))
        if options.use_gitignore:
            spec = _load_gitignore(Path(directory) / ".gitignore")
            if spec is not None:
                ignore_specs[rel_dir] = spec
        kept_dirs = []
        for name in sorted(dirnames):
            rel = _join(rel_dir, name)
            full = Path(directory) / name
            if options.default_excludes and (name in DEFAULT_EXCLUDED_DIRS or _is_virtualenv(full)):
                continue
            if _ignored(rel + "/", excludes, ignore_specs):
                continue
            if full.is_symlink():
                skipped.add(SkipReason.SYMLINK_DIR, rel)
                continue
            kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            rel = _join(rel_dir, name)
            if options.default_excludes and DEFAULT_EXCLUDED_FILES.match_file(rel):
                continue
            if _ignored(rel, excludes, ignore_specs):
                continue
            yield rel


def _task_for(
    full: Path, rel: str, root: Path, options: WalkOptions, skipped: SkipReport
) -> FileTask | None:
    if full.is_symlink():
        target = os.path.realpath(full)
        if not os.path.exists(target):
            skipped.add(SkipReason.BROKEN_SYMLINK, rel)
            return None
        if os.path.commonpath([target, str(root)]) != str(root):
            skipped.add(SkipReason.SYMLINK_OUTSIDE, rel)
            return None
    try:
        info = os.stat(full)
    except OSError:
        skipped.add(SkipReason.UNREADABLE, rel)
        return None
    if not stat.S_ISREG(info.st_mode):
        skipped.add(SkipReason.NOT_REGULAR, rel)
        return None
    language = language_for(Path(rel))
    limit = options.max_artifact_bytes if language is Language.ARTIFACT else options.max_file_bytes
    if info.st_size > limit:
        skipped.add(SkipReason.TOO_LARGE, rel)
        return None
    if not os.access(full, os.R_OK):
        skipped.add(SkipReason.UNREADABLE, rel)
        return None
    return FileTask(rel, str(full), language, info.st_size)


def _ignored(
    rel: str, excludes: pathspec.PathSpec, ignore_specs: dict[str, pathspec.PathSpec]
) -> bool:
    if excludes.match_file(rel):
        return True
    for base, spec in ignore_specs.items():
        if base == "":
            if spec.match_file(rel):
                return True
        elif rel.startswith(base + "/") and spec.match_file(rel[len(base) + 1 :]):
            return True
    return False


def _load_gitignore(path: Path) -> pathspec.PathSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
    except OSError:
        return None


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def _relative(root: Path, path: Path) -> str:
    rel = os.path.relpath(path, root)
    return "" if rel == "." else rel.replace(os.sep, "/")


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def looks_binary(head: bytes) -> bool:
    return b"\0" in head[:8192]


def looks_minified(text: str) -> bool:
    return any(len(line) > MINIFIED_LINE_LENGTH for line in text.splitlines())


__all__ = [
    "ARTIFACT_EXTENSIONS",
    "FileTask",
    "ScanRootError",
    "SkipReason",
    "SkipReport",
    "WalkOptions",
    "looks_binary",
    "looks_minified",
    "walk",
]
