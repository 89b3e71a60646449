"""Which language a file is, and how that language writes a line comment."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath

from tavo_platform.artifacts import HEADER_SUFFIXES, NAMED_SUFFIXES


class Language(StrEnum):
    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"
    # Every text file, matched with regular expressions (secrets, configuration).
    GENERIC = "generic"
    # Serialised model files, inspected byte by byte and never loaded.
    ARTIFACT = "artifact"

    @property
    def is_structural(self) -> bool:
        return self in STRUCTURAL_LANGUAGES


STRUCTURAL_LANGUAGES = frozenset(
    {Language.PYTHON, Language.JAVASCRIPT, Language.TYPESCRIPT, Language.TSX}
)

_EXTENSIONS: dict[str, Language] = {
    ".py": Language.PYTHON,
    ".pyi": Language.PYTHON,
    ".pyw": Language.PYTHON,
    ".js": Language.JAVASCRIPT,
    ".mjs": Language.JAVASCRIPT,
    ".cjs": Language.JAVASCRIPT,
    ".jsx": Language.JAVASCRIPT,
    ".ts": Language.TYPESCRIPT,
    ".mts": Language.TYPESCRIPT,
    ".cts": Language.TYPESCRIPT,
    ".tsx": Language.TSX,
}

# Model files, as tavo_platform.artifacts names them; `.bin` is checked for a pickle or zip
# signature before it is treated as one, since many `.bin` files are raw tensors.
ARTIFACT_EXTENSIONS = NAMED_SUFFIXES | {".bin"}

EXAMPLE_FILENAMES: dict[Language, str] = {
    Language.PYTHON: "example.py",
    Language.JAVASCRIPT: "example.js",
    Language.TYPESCRIPT: "example.ts",
    Language.TSX: "example.tsx",
    Language.GENERIC: "example.txt",
    Language.ARTIFACT: "model.pkl",
}


def is_header_format(path: str) -> bool:
    """A model file whose metadata is a header at the front: only it is read, so its size
    is not limited."""
    return PurePath(path).suffix.lower() in HEADER_SUFFIXES


def language_for(path: PurePath) -> Language:
    suffix = path.suffix.lower()
    if suffix in ARTIFACT_EXTENSIONS:
        return Language.ARTIFACT
    return _EXTENSIONS.get(suffix, Language.GENERIC)


def comment_prefixes(language: Language) -> tuple[str, ...]:
    """Line-comment markers recognised for inline suppressions in a file of this language."""
    if language is Language.PYTHON:
        return ("#",)
    if language in (Language.JAVASCRIPT, Language.TYPESCRIPT, Language.TSX):
        return ("//",)
    return ("#", "//")
