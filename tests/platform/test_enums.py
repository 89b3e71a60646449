"""The closed sets live in tavo_platform/enums.py: the `Literal`s the HTTP schema spells
out agree with their enums, and no scan-status string is written as a bare literal anywhere
else in the platform package (a typo there is a status nothing ever reaches).

Allowed elsewhere: dictionary keys (a response field such as a bulk answer's "failed"
count is a name, not a status) and docstrings. The SQL migrations are outside the check on
purpose: a migration records the schema as it was on its day and must not change when the
enum does (they hold no scan-status literal today)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import tavo_platform
from tavo_platform.enums import (
    FINISHED_STATUSES,
    KeyScope,
    KeyScopeName,
    ScanStatus,
    ScanStatusName,
    ScanType,
    ScanTypeName,
)
from tavo_platform.jobs.execution import SCAN_TYPES
from tavo_platform.store.records import SCAN_STATUSES

PACKAGE = Path(tavo_platform.__file__).parent
STATUSES = frozenset(ScanStatus)
SKIPPED_PARTS = {"packs", "migrations"}  # rule packs (data), migrations (see above)


def test_literals_agree_with_their_enums() -> None:
    assert set(get_args(ScanStatusName)) == {member.value for member in ScanStatus}
    assert set(get_args(ScanTypeName)) == {member.value for member in ScanType}
    assert set(get_args(KeyScopeName)) == {member.value for member in KeyScope}
    assert tuple(SCAN_STATUSES) == tuple(ScanStatus)
    assert {s for s in ScanStatus if s.finished} == FINISHED_STATUSES
    assert set(SCAN_TYPES) == set(ScanType)  # every scan type runs some packs


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
    return found


def status_literals(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            allowed.update(id(key) for key in node.keys if key is not None)
    return [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and node.value in STATUSES
        and id(node) not in allowed
    ]


def test_no_scan_status_literal_outside_enums() -> None:
    found = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "enums.py" and not SKIPPED_PARTS & set(path.parts)
        for line in status_literals(path)
    ]
    assert not found, "use tavo_platform.enums.ScanStatus instead:\n" + "\n".join(found)


def test_the_check_finds_a_bare_status(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        'def f(scan):\n    """failed"""\n    counts = {"failed": 1}\n'
        '    return scan.status == "cancelled"\n',
        encoding="utf-8",
    )
    assert status_literals(probe, tmp_path) == ["probe.py:4: 'cancelled'"]
