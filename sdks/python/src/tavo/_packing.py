"""Packing a local directory for `upload_scan`: a .tar.gz of what git would track.

Honoured: every .gitignore on the way (the nearest one that decides wins, as in git), never
the .git directory itself. Symbolic links and anything that is not a regular file are left
out (the server would not follow them either); a .gitignore is read only if it is a regular
file, so one linked to /dev/zero or a FIFO cannot hang the packing.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pathspec

VCS_DIRS = frozenset({".git", ".hg", ".svn"})
_MAX_GITIGNORE_BYTES = 1024 * 1024


def pack_directory(root: str | os.PathLike[str]) -> bytes:
    """The directory as .tar.gz bytes, member names relative to it."""
    base = Path(root)
    if not base.is_dir():
        raise NotADirectoryError(f"{base} is not a directory")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for relative in _tracked_files(base):
            archive.add(base / relative, arcname=relative, recursive=False)
    return buffer.getvalue()


def _tracked_files(root: Path) -> list[str]:
    specs: dict[str, pathspec.GitIgnoreSpec] = {}
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(directory, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        spec = _gitignore(Path(directory) / ".gitignore")
        if spec is not None:
            specs[rel_dir] = spec
        dirnames[:] = sorted(
            name for name in dirnames
            if name not in VCS_DIRS
            and not os.path.islink(os.path.join(directory, name))
            and not _ignored(_join(rel_dir, name) + "/", specs)
        )
        for name in sorted(filenames):
            relative = _join(rel_dir, name)
            mode = os.lstat(os.path.join(directory, name)).st_mode
            if stat.S_ISREG(mode) and not _ignored(relative, specs):
                found.append(relative)
    return found


def _ignored(relative: str, specs: dict[str, pathspec.GitIgnoreSpec]) -> bool:
    """`relative` ends with '/' for a directory; nearer .gitignore files decide first."""
    base = relative.rstrip("/")
    while base:
        base = base.rpartition("/")[0]
        spec = specs.get(base)
        if spec is None:
            continue
        decision = spec.check_file(relative[len(base) + 1 :] if base else relative).include
        if decision is not None:
            return bool(decision)
    return False


def _gitignore(path: Path) -> pathspec.GitIgnoreSpec | None:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_GITIGNORE_BYTES:
            return None
        text = handle.read(_MAX_GITIGNORE_BYTES).decode("utf-8", "replace")
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name
