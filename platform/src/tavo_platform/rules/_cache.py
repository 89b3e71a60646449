"""The built-in packs, parsed and validated once per installation instead of once per run.

Reading every shipped pack (YAML parsing and model validation of some 300 rules) is most
of what `tavo scan` does before it looks at a single file. The packs only change with the
installation, so the validated rules are kept in a cache file named by a digest of
everything they are built from: Tavo's version, the interpreter and pydantic versions, the
packs' directory and the exact bytes of every pack file. Any change is a new digest, so a
stale cache is never read; a cache that cannot be read, written or trusted is ignored and
the packs are loaded as before.

The cache holds pickled rule objects, as trusted as the byte-code files beside Tavo's own
modules: it is only read from a directory owned by the user running Tavo and writable by
no one else (like Python's own caches, anyone who can write there can run code as that
user anyway). TAVO_CACHE_DIR chooses the directory; an empty value turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

CACHE_FORMAT = 1
_Loaded = TypeVar("_Loaded")


def cache_dir() -> Path | None:
    """Where the cache lives: $TAVO_CACHE_DIR, else $XDG_CACHE_HOME/tavo, else ~/.cache/tavo;
    None when TAVO_CACHE_DIR is set but empty (no cache)."""
    chosen = os.environ.get("TAVO_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tavo"


def digest(files: Sequence[tuple[str, Path]], *parts: str) -> str | None:
    """A digest of `parts` and of each (label, file)'s name and bytes; None if one of the
    files cannot be read (the loader then reports it, uncached)."""
    from pydantic import VERSION as pydantic_version

    from tavo_platform import __version__

    hasher = hashlib.sha256()
    for part in (str(CACHE_FORMAT), __version__, sys.version, pydantic_version, *parts):
        hasher.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for label, file in files:
        try:
            data = file.read_bytes()
        except OSError:
            return None
        hasher.update(f"{label}\0{file}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
        hasher.update(data)
    return hasher.hexdigest()


def cached(name: str, key: str | None, load: Callable[[], _Loaded]) -> _Loaded:
    """`load()`'s result, read from the cache entry `name`-`key` when it is there (and
    written there when it is not)."""
    directory = cache_dir()
    if key is None or directory is None:
        return load()
    path = directory / f"{name}-{key[:32]}.pickle"
    found = _read(path, key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    result = load()
    _write(directory, path, key, result)
    return result


def _trusted(path: Path) -> bool:
    """Owned by this user and writable by no one else, as is the directory holding it."""
    return _owned(path.parent) and _owned(path)


def _owned(item: Path) -> bool:
    if not hasattr(os, "getuid"):
        return True  # no POSIX ownership to check (Windows): the user's profile directory
    info = os.lstat(item)
    return (
        not stat.S_ISLNK(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _read(path: Path, key: str) -> Any:
    try:
        if not _trusted(path):
            return None
        with open(path, "rb") as handle:
            stored_key, value = pickle.load(handle)
    except Exception:  # missing, truncated, from another version: simply not a hit
        return None
    return value if stored_key == key else None


def _write(directory: Path, path: Path, key: str, value: Any) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _owned(directory):
            return
        handle, scratch = tempfile.mkstemp(dir=directory, prefix=".rules-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((key, value), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(scratch, path)  # readers see the old file or the whole new one
        except BaseException:
            os.unlink(scratch)
            raise
        for stale in directory.glob(f"{path.name.rsplit('-', 1)[0]}-*.pickle"):
            if stale != path:  # left by an earlier installation or pack edit
                stale.unlink(missing_ok=True)
    except Exception:  # a read-only home, a full disk: run uncached
        return
