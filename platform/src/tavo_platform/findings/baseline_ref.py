"""`tavo scan --baseline-ref REF`: the fingerprints of the findings the same scan reports on
the code as it is at REF, so that only what the working tree introduces is reported (as a
pull request's CI check does). REF's tree is exported with `git archive` into a temporary
directory (the repository and its work tree are not touched) and scanned with the same
rules and options, from the same place within the repository, so paths and fingerprints
line up."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path

from tavo_platform.engine import WalkOptions, scan_path
from tavo_platform.rules.model import Rule


class BaselineRefError(Exception):
    pass


def _git(directory: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BaselineRefError(f"cannot run git: {error.strerror}") from None
    if done.returncode != 0:
        raise BaselineRefError(done.stderr.strip().splitlines()[-1] if done.stderr.strip()
                               else f"git {' '.join(args)} failed")
    return done.stdout.strip()


def _export(top: Path, ref: str, destination: Path) -> None:
    if ref.startswith("-"):
        raise BaselineRefError(f"invalid ref {ref!r}")
    commit = _git(top, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
    with subprocess.Popen(
        ["git", "-C", str(top), "archive", "--format=tar", commit],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        assert process.stdout is not None
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            archive.extractall(destination, filter="data")
    if process.returncode != 0:
        raise BaselineRefError(f"git archive of {ref} failed")


def fingerprints_at_ref(
    path: Path, ref: str, rules: list[Rule], options: WalkOptions, jobs: int | None
) -> frozenset[str]:
    target = path.resolve()
    directory = target if target.is_dir() else target.parent
    top = Path(_git(directory, "rev-parse", "--show-toplevel"))
    inside = directory.relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="tavo-baseline-") as temporary:
        exported = Path(temporary)
        _export(top, ref, exported)
        counterpart = exported / inside
        if not target.is_dir():
            counterpart = counterpart / target.name
        if not counterpart.exists():
            return frozenset()  # nothing there at REF: everything is new
        result = scan_path(counterpart, rules, options, jobs=jobs)
    return frozenset(finding.fingerprint for finding in result.findings)
