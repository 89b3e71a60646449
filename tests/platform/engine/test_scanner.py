"""Scanning files: languages, determinism, parallelism, and files that are odd or hostile."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.engine import SkipReason, WalkOptions
from tavo_platform.engine import _scanner as scanner
from tavo_platform.engine._scanner import (
    INVALID_UTF8_NOTE,
    PARALLEL_MIN_BYTES,
    PARALLEL_MIN_FILES,
    ScanResult,
    scan_path,
)
from tavo_platform.rules.loader import load_rules

from tests.support.rulefiles import ONLY_TEST_RULES, write_rules

MakeTree = Callable[[dict[str, str | bytes]], Path]
TAVO = Path(sys.executable).parent / "tavo"


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    return write_rules(tmp_path / "rules")


@pytest.fixture
def scan(rules_file: Path) -> Callable[..., ScanResult]:
    rules = load_rules(rules_file)
    assert not rules.errors

    def run(root: Path, jobs: int = 1, **options: Any) -> ScanResult:
        return scan_path(root, rules.rules, WalkOptions(**options), jobs=jobs)

    return run


def found(result: ScanResult) -> list[tuple[str, int, str]]:
    return [(f.path, f.span.start_line, f.rule_id) for f in result.findings]


# --- languages --------------------------------------------------------------------------


def test_each_structural_language_gets_its_own_rules(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    calls = "danger_py(a)\ndanger_js(a)\ndanger_ts(a)\ndanger_tsx(a)\n"
    root = make_tree(
        {
            "app.py": calls,
            "app.js": calls,
            "app.mjs": calls,
            "component.jsx": "const c = () => <div onClick={() => danger_js(a)} />;\n",
            "app.ts": "const n: number = danger_ts(a) as number;\n" + calls,
            # JSX only parses with the TSX grammar; the call inside it must still be found.
            "view.tsx": "export const V = (p: {a: string}) => <b title={danger_tsx(p.a)}>x</b>;\n",
        }
    )
    assert found(scan(root)) == [
        ("app.js", 2, "t-js-danger"),
        ("app.mjs", 2, "t-js-danger"),
        ("app.py", 1, "t-py-danger"),
        ("app.ts", 1, "t-ts-danger"),
        ("app.ts", 4, "t-ts-danger"),
        ("component.jsx", 1, "t-js-danger"),
        ("view.tsx", 1, "t-tsx-danger"),
    ]


def test_regex_rules_run_on_every_text_file(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    token = "TOKEN_ABCD1234"
    root = make_tree(
        {
            "app.py": f"KEY = '{token}'\n",
            "app.ts": f"const key = '{token}';\n",
            "config.yaml": f"key: {token}\n",
            ".env": f"KEY={token}\n",
            "Dockerfile": f"ENV KEY={token}\n",
            "notes": f"key {token}\n",
            "README.md": "nothing here\n",
        }
    )
    assert sorted(f.path for f in scan(root).findings) == [
        ".env",
        "Dockerfile",
        "app.py",
        "app.ts",
        "config.yaml",
        "notes",
    ]


# --- determinism and parallelism ------------------------------------------------------


def _big_tree(make_tree: MakeTree) -> Path:
    files: dict[str, str | bytes] = {}
    filler = "# padding line to give the file some weight\n" * 200  # ~9 KB
    for index in range(PARALLEL_MIN_FILES + 16):
        files[f"pkg{index % 5}/mod_{index:03d}.py"] = (
            f"{filler}eval(data_{index})\nKEY = 'TOKEN_{index:08d}'\neval(data_{index})\n"
        )
        files[f"web{index % 3}/page_{index:03d}.ts"] = f"{filler}eval(input{index});\n"
    root = make_tree(files)
    total = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
    assert len(files) >= PARALLEL_MIN_FILES and total >= PARALLEL_MIN_BYTES
    return root


def test_one_job_and_two_jobs_give_identical_results(
    make_tree: MakeTree, scan: Callable[..., ScanResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[int] = []

    class CountingPool(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(scanner, "ProcessPoolExecutor", CountingPool)
    root = _big_tree(make_tree)

    serial = scan(root, jobs=1)
    assert pools == []
    parallel = scan(root, jobs=2)
    assert pools == [2]  # the tree really was spread over worker processes

    as_dicts = [f.to_dict() for f in serial.findings]
    assert as_dicts == [f.to_dict() for f in parallel.findings]
    assert len(as_dicts) == (PARALLEL_MIN_FILES + 16) * 4
    assert serial.files_scanned == parallel.files_scanned == (PARALLEL_MIN_FILES + 16) * 2
    # Identical calls in one file are distinct findings with distinct fingerprints.
    assert len({f.fingerprint for f in serial.findings}) == len(serial.findings)


def test_output_order_is_by_path_line_column_rule(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree(
        {
            "b.py": "x = 1\neval(TOKEN_ABCD1234)\n",
            "a/z.py": "eval(x)\n",
            "a.py": "eval(y); eval(z)\n",
        }
    )
    first = found(scan(root))
    assert first == [
        ("a.py", 1, "t-eval"),
        ("a.py", 1, "t-eval"),
        ("a/z.py", 1, "t-eval"),
        ("b.py", 2, "t-eval"),
        ("b.py", 2, "t-token"),
    ]
    assert found(scan(root)) == first


# --- odd and hostile input -------------------------------------------------------------


def test_invalid_utf8_is_scanned_and_noted(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree(
        {
            "latin1.py": "name = 'caf\xe9'\neval(x)\n".encode("latin-1"),
            "ok.py": "eval(y)\n",
        }
    )
    result = scan(root)
    assert found(result) == [("latin1.py", 2, "t-eval"), ("ok.py", 1, "t-eval")]
    assert result.notes == {INVALID_UTF8_NOTE: 1}
    assert result.files_scanned == 2


@pytest.mark.parametrize(
    ("name", "source", "line"),
    [
        ("broken.py", "def f(:\n    return ((\nclass\neval(after_error)\n", 4),
        ("broken.js", "function f( {\n  return [1, 2;\n}}}\neval(afterError);\n", 4),
        ("broken.ts", "let x: = ;\ninterface {\neval(afterError);\n", 3),
        ("broken.tsx", "function f(: string) { <b>x</b> }\neval(afterError);\n", 2),
    ],
)
def test_what_parses_after_a_syntax_error_is_still_scanned(
    make_tree: MakeTree, scan: Callable[..., ScanResult], name: str, source: str, line: int
) -> None:
    result = scan(make_tree({name: source}))
    assert (name, line, "t-eval") in found(result)
    assert result.skipped.total == 0


def test_deeply_nested_code_is_scanned_without_crashing(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    depth = 50_000
    root = make_tree(
        {
            "deep.py": "x = " + "[" * depth + "]" * depth + "\neval(after)\n",
            "deep.js": "x = " + "(\n" * depth + "1" + ")\n" * depth + ";\neval(after);\n",
            "deep.ts": "const y = " + "[\n" * depth + "]\n" * depth + ";\neval(after);\n",
        }
    )
    result = scan(root)
    assert found(result) == [
        ("deep.js", 2 * depth + 2, "t-eval"),
        ("deep.py", 2, "t-eval"),
        ("deep.ts", 2 * depth + 2, "t-eval"),
    ]


def test_huge_minified_bundle_is_skipped_fast_without_reading_it_whole(
    tmp_path: Path, rules_file: Path
) -> None:
    """A 50 MB single-line bundle, with the size limit raised so that only the minified
    check stands between it and the parser. Each scan runs as its own process, so that
    its peak memory can be compared with a scan that never opens the bundle."""
    root = tmp_path / "bundle"
    root.mkdir()
    chunk = b"var a=function(b){return eval(b)+1};" * 1000
    with open(root / "vendor.js", "wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            handle.write(chunk)
    (root / "app.js").write_text("eval(x);\n")
    assert (root / "vendor.js").stat().st_size > 50 * 1024 * 1024

    def run(*extra: str) -> tuple[dict[str, Any], int]:
        """The JSON report and the peak resident memory (KiB) of one `tavo scan`."""
        command = [str(TAVO), "scan", str(root), "--rules", str(rules_file), *ONLY_TEST_RULES]
        report = tmp_path / "report.json"
        with open(tmp_path / "stderr.txt", "w") as errors:
            process = subprocess.Popen(
                [*command, "-f", "json", "-o", str(report), *extra], stderr=errors
            )
            watchdog = threading.Timer(300, process.kill)
            watchdog.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        assert process.returncode == 1, (tmp_path / "stderr.txt").read_text()
        return json.loads(report.read_text()), usage.ru_maxrss

    untouched, untouched_peak = run()  # the bundle is over the default size limit
    assert untouched["summary"]["skipped_by_reason"] == {SkipReason.TOO_LARGE: 1}

    sniffed, sniffed_peak = run("--max-file-size", str(200 * 1024 * 1024))
    assert sniffed["summary"]["skipped_by_reason"] == {SkipReason.MINIFIED: 1}
    assert [f["path"] for f in sniffed["findings"]] == ["app.js"]
    assert sniffed["summary"]["duration_seconds"] < 5
    # Reading the bundle alone would add 50 MiB; sniffing its first line adds next to nothing.
    assert sniffed_peak - untouched_peak < 25 * 1024, (untouched_peak, sniffed_peak)


def test_a_file_the_engine_cannot_handle_costs_only_that_file(
    make_tree: MakeTree, scan: Callable[..., ScanResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scan_bytes = scanner.scan_bytes

    def failing_on_one(data: bytes, path: str, *args: Any) -> Any:
        if path == "poison.py":
            raise RuntimeError("parser crashed")
        return real_scan_bytes(data, path, *args)

    monkeypatch.setattr(scanner, "scan_bytes", failing_on_one)
    result = scan(make_tree({"poison.py": "eval(x)\n", "fine.py": "eval(y)\n"}))
    assert found(result) == [("fine.py", 1, "t-eval")]
    assert result.skipped.counts == {SkipReason.PARSE_FAILED: 1}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_skipped_and_counted(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree({"secret.py": "eval(x)\n", "fine.py": "eval(y)\n"})
    (root / "secret.py").chmod(0)
    result = scan(root)
    assert found(result) == [("fine.py", 1, "t-eval")]
    assert result.skipped.counts == {SkipReason.UNREADABLE: 1}


def test_file_that_fails_to_open_is_skipped_and_counted(
    make_tree: MakeTree, scan: Callable[..., ScanResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same case for a root user: the walker saw the file, but opening it fails (its
    permissions changed, it was deleted...) when a worker comes to read it."""
    root = make_tree({"secret.py": "eval(x)\n", "fine.py": "eval(y)\n"})

    def deny_secret(path: str, *args: Any, **kwargs: Any) -> Any:
        if os.path.basename(path) == "secret.py":
            raise PermissionError(13, "Permission denied", path)
        return open(path, *args, **kwargs)

    monkeypatch.setattr(scanner, "open", deny_secret, raising=False)
    result = scan(root)
    assert found(result) == [("fine.py", 1, "t-eval")]
    assert result.skipped.counts == {SkipReason.UNREADABLE: 1}


def test_walker_skips_files_it_may_not_read(
    make_tree: MakeTree, scan: Callable[..., ScanResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree({"secret.py": "eval(x)\n", "fine.py": "eval(y)\n"})
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode: False if str(path).endswith("secret.py") else real_access(path, mode),
    )
    result = scan(root)
    assert found(result) == [("fine.py", 1, "t-eval")]
    assert result.skipped.counts == {SkipReason.UNREADABLE: 1}


# --- the cyclic garbage collector ---------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_files_are_scanned_with_the_collector_paused_and_collected_every_so_often(
    make_tree: MakeTree,
    scan: Callable[..., ScanResult],
    monkeypatch: pytest.MonkeyPatch,
    enabled: bool,
) -> None:
    """The IR kept for the solver is not walked by a collection after each file; cyclic
    garbage is still collected every COLLECT_EVERY_FILES files; the collector's state comes
    back as it was."""
    from tavo_platform.engine.dataflow import _gc

    monkeypatch.setattr(_gc, "COLLECT_EVERY_FILES", 2)
    states: list[bool] = []
    scan_task = scanner.scan_task

    def watched(task: Any, compiled: Any) -> Any:
        states.append(gc.isenabled())
        return scan_task(task, compiled)

    collections: list[int] = []
    collect = gc.collect

    def counted(*args: Any) -> int:
        collections.append(1)
        return collect(*args)

    monkeypatch.setattr(scanner, "scan_task", watched)
    monkeypatch.setattr(gc, "collect", counted)
    root = make_tree({f"m{i}.py": "danger_py(a)\n" for i in range(5)})
    (gc.enable if enabled else gc.disable)()
    try:
        result = scan(root)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert len(result.findings) == 5
    assert states == [False] * 5
    assert len(collections) == 2  # after the 2nd and the 4th file
