"""The walker: which files a scan reads, and how every file it does not read is accounted for."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import ScanResult, scan_path
from tavo_platform.engine._walker import (
    MINIFIED_LINE_LENGTH,
    ScanRootError,
    SkipReason,
    SkipReport,
    WalkOptions,
    walk,
)
from tavo_platform.rules.loader import load_rules

from tests.support.rulefiles import write_rules

MakeTree = Callable[[dict[str, str | bytes]], Path]


def walked(root: Path, **options: object) -> list[str]:
    return [task.path for task in walk(root, WalkOptions(**options), SkipReport())]  # type: ignore[arg-type]


@pytest.fixture
def scan(tmp_path: Path) -> Callable[..., ScanResult]:
    rules = load_rules(write_rules(tmp_path / "rules"))
    assert not rules.errors

    def run(root: Path, **options: object) -> ScanResult:
        return scan_path(root, rules.rules, WalkOptions(**options), jobs=1)  # type: ignore[arg-type]

    return run


# --- .gitignore -------------------------------------------------------------------------


def test_root_gitignore_excludes_files_and_directories(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            ".gitignore": "*.log\nbuild/\n/only_at_root.py\n",
            "app.py": "x = 1",
            "debug.log": "TOKEN_ABCD1234",
            "build/out.py": "eval(x)",
            "only_at_root.py": "eval(x)",
            "pkg/only_at_root.py": "eval(x)",
            "pkg/deep/trace.log": "x",
        }
    )
    assert walked(root) == [".gitignore", "app.py", "pkg/only_at_root.py"]


def test_nested_gitignore_applies_only_below_its_directory(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "sub/.gitignore": "generated_*.py\n",
            "sub/generated_a.py": "x",
            "sub/inner/generated_b.py": "x",
            "sub/kept.py": "x",
            "generated_top.py": "x",
        }
    )
    assert walked(root) == ["generated_top.py", "sub/.gitignore", "sub/kept.py"]


def test_gitignore_negation_at_root_and_in_a_nested_file(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            ".gitignore": "*.py\n!keep.py\n",
            "drop.py": "x",
            "keep.py": "x",
            # As in git, the nearer .gitignore wins: it re-includes what the root ignores.
            "sub/.gitignore": "!wanted.py\n",
            "sub/wanted.py": "x",
            "sub/unwanted.py": "x",
            "sub/keep.py": "x",
        }
    )
    assert walked(root) == [
        ".gitignore",
        "keep.py",
        "sub/.gitignore",
        "sub/keep.py",
        "sub/wanted.py",
    ]


def test_a_file_in_an_ignored_directory_cannot_be_re_included(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "build/\n!build/keep.py\n", "build/keep.py": "x"})
    assert walked(root) == [".gitignore"]


def test_no_gitignore_option_scans_ignored_files(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "*.py\n", "a.py": "x"})
    assert walked(root, use_gitignore=False) == [".gitignore", "a.py"]


# --- --exclude and default excludes ---------------------------------------------------


def test_exclude_globs(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "src/app.py": "x",
            "src/app_test.py": "x",
            "tests/test_app.py": "x",
            "docs/guide/index.md": "x",
            "README.md": "x",
        }
    )
    assert walked(root, excludes=("tests/", "*_test.py", "docs/**/*.md")) == [
        "README.md",
        "src/app.py",
    ]


def test_default_excludes(make_tree: MakeTree, scan: Callable[..., ScanResult]) -> None:
    root = make_tree(
        {
            "app.py": "eval(x)",
            ".git/config": "TOKEN_ABCD1234",
            "node_modules/lib/index.js": "eval(x)",
            "web/node_modules/lib/index.js": "eval(x)",
            # A virtualenv is recognised by its pyvenv.cfg, whatever it is called.
            "my-env/pyvenv.cfg": "home = /usr/bin",
            "my-env/lib/python3.11/site-packages/pkg/mod.py": "eval(x)",
            "static/app.min.js": "eval(x)",
            "static/vendor.bundle.js": "eval(x)",
            "static/app.js.map": "TOKEN_ABCD1234",
            "package-lock.json": "TOKEN_ABCD1234",
        }
    )
    assert walked(root) == ["app.py"]
    result = scan(root)
    assert [f.path for f in result.findings] == ["app.py"]
    # Generated files are counted (directories such as node_modules are not walked at all).
    assert result.skipped.counts == {SkipReason.MINIFIED: 4}


VENDORED_TREE: dict[str, str | bytes] = {
    "app/views.py": "eval(x)",
    # copied browser libraries
    "app/static/admin/js/vendor/jquery/jquery.js": "eval(x)",
    "web/static/js/jquery-3.7.1.js": "eval(x)",
    "web/assets/lib/select2.full.js": "eval(x)",
    # every file under third_party/ and pip-style _vendor/
    "third_party/parser/lex.py": "eval(x)",
    "pkg/_vendor/six.py": "eval(x)",
    # the site's own code, even near them
    "web/static/js/jquery-widgets.js": "eval(x)",
    "web/static/js/app.js": "eval(x)",
    # a Python package named `vendor` is the application's own (suppliers, say)
    "shop/vendor/views.py": "eval(x)",
}


def test_vendored_third_party_code_is_skipped_and_counted(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree(VENDORED_TREE)
    own = [
        "app/views.py",
        "shop/vendor/views.py",
        "web/static/js/app.js",
        "web/static/js/jquery-widgets.js",
    ]
    assert walked(root) == own
    result = scan(root)
    assert sorted({f.path for f in result.findings}) == own
    assert result.skipped.counts == {SkipReason.VENDORED: 5}


def test_vendored_code_is_scanned_on_request(make_tree: MakeTree) -> None:
    root = make_tree(VENDORED_TREE)
    everything = sorted(str(path) for path in VENDORED_TREE)
    assert walked(root, include_vendored=True) == everything
    assert walked(root, default_excludes=False) == everything


def test_no_default_excludes_still_never_reads_version_control_metadata(
    make_tree: MakeTree,
) -> None:
    root = make_tree(
        {
            ".git/config": "x",
            "node_modules/lib/index.js": "x",
            "static/app.min.js": "x",
        }
    )
    assert walked(root, default_excludes=False) == [
        "node_modules/lib/index.js",
        "static/app.min.js",
    ]


def test_javascript_with_very_long_lines_is_skipped_as_minified(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    long_line = "var a=1;" * (MINIFIED_LINE_LENGTH // 8 + 10)
    root = make_tree(
        {
            "dist/app.js": f"{long_line}\neval(x);\n",
            "dist/types.ts": f"eval(x);\n{long_line}\n",
            "src/app.js": "eval(x);\n",
            # Long lines in Python are not a sign of minification.
            "data.py": f"x = '{'a' * (MINIFIED_LINE_LENGTH + 10)}'\neval(x)\n",
        }
    )
    result = scan(root)
    assert sorted(f.path for f in result.findings) == ["data.py", "src/app.js"]
    assert result.skipped.counts == {SkipReason.MINIFIED: 2}
    assert sorted(result.skipped.examples[SkipReason.MINIFIED]) == ["dist/app.js", "dist/types.ts"]


# --- symlinks ---------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files next to the scanned tree, which no symlink may lead the scan into."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "passwd").write_text("root:x:0:0:TOKEN_OUTSIDE1:/root:/bin/bash\n")
    (directory / "secret.py").write_text("eval(stolen)\n")
    return directory


def test_symlinks_never_lead_out_of_the_root(
    make_tree: MakeTree, outside: Path, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree({"app.py": "eval(mine)\n", "pkg/util.py": "x = 1\n"})
    (root / "passwd").symlink_to(outside / "passwd")
    (root / "pkg" / "stolen.py").symlink_to(outside / "secret.py")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "up").symlink_to("..", target_is_directory=True)
    (root / "pkg" / "self").symlink_to(".", target_is_directory=True)
    (root / "loop_a").symlink_to("loop_b")
    (root / "loop_b").symlink_to("loop_a")
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "alias.py").symlink_to(root / "app.py")  # inside the root: read as a file

    result = scan(root)

    assert sorted({f.path for f in result.findings}) == ["alias.py", "app.py"]
    assert all("stolen" not in f.snippet and "OUTSIDE" not in f.snippet for f in result.findings)
    assert result.skipped.counts == {
        SkipReason.SYMLINK_OUTSIDE: 2,
        SkipReason.SYMLINK_DIR: 3,
        SkipReason.SYMLINK_LOOP: 2,
        SkipReason.BROKEN_SYMLINK: 1,
    }


def test_root_given_as_a_symlink_is_scanned(
    make_tree: MakeTree, tmp_path: Path, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree({"app.py": "eval(x)\n"})
    link = tmp_path / "link-to-tree"
    link.symlink_to(root, target_is_directory=True)
    assert [f.path for f in scan(link).findings] == ["app.py"]


# --- binary, size, special files -------------------------------------------------------


def test_binary_and_oversized_files_are_skipped_and_counted(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree(
        {
            "image.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"TOKEN_ABCD1234",
            "weights.dat": b"\x01\x02\0\0" * 64 + b"TOKEN_ABCD1234",
            "nul.py": b"eval(x)\n\0\0\0",
            "big.py": "eval(x)\n" + "#" * 2000 + "\n",
            "exactly_at_limit.py": "eval(x)\n" + "#" * (1000 - 9) + "\n",
            "small.py": "eval(x)\n",
        }
    )
    result = scan(root, max_file_bytes=1000)
    assert (root / "exactly_at_limit.py").stat().st_size == 1000
    assert [f.path for f in result.findings] == ["exactly_at_limit.py", "small.py"]
    assert result.skipped.counts == {SkipReason.BINARY: 3, SkipReason.TOO_LARGE: 1}
    assert result.files_scanned == 2


def test_fifo_is_skipped_without_blocking(
    make_tree: MakeTree, scan: Callable[..., ScanResult]
) -> None:
    root = make_tree({"app.py": "eval(x)\n"})
    os.mkfifo(root / "pipe.py")
    result = scan(root)
    assert [f.path for f in result.findings] == ["app.py"]
    assert result.skipped.counts == {SkipReason.NOT_REGULAR: 1}


def test_paths_are_relative_slash_separated_and_sorted(make_tree: MakeTree) -> None:
    root = make_tree({"b/z.py": "x", "a.py": "x", "b/a/c.py": "x", "B.py": "x"})
    assert walked(root) == ["B.py", "a.py", "b/a/c.py", "b/z.py"]


def test_a_single_file_as_root(make_tree: MakeTree) -> None:
    root = make_tree({"pkg/app.py": "x"})
    assert walked(root / "pkg" / "app.py") == ["app.py"]


def test_missing_root_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScanRootError, match="no such file or directory"):
        walk(tmp_path / "nope", WalkOptions(), SkipReport())


def test_empty_directory(tmp_path: Path, scan: Callable[..., ScanResult]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = scan(empty)
    assert (result.files_scanned, result.findings, result.skipped.total) == (0, [], 0)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "outside"])
def test_a_symlinked_or_special_gitignore_is_not_read(tmp_path: Path, target: str) -> None:
    """A .gitignore that is a symlink (to /dev/zero, a FIFO, a file outside the root) or
    not a regular file is ignored, as git does, instead of hanging the walk."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    if target == "fifo":
        os.mkfifo(tmp_path / "pipe")
        os.symlink(tmp_path / "pipe", root / ".gitignore")
        os.mkfifo(root / "sub.gitignore")
    elif target == "outside":
        (tmp_path / "ignore").write_text("a.py\n")
        os.symlink(tmp_path / "ignore", root / ".gitignore")
    else:
        os.symlink(target, root / ".gitignore")
    assert walked(root) == ["a.py"]


def test_a_fifo_gitignore_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "b.py").write_text("x = 1\n")
    os.mkfifo(root / "sub" / ".gitignore")
    assert walked(root) == ["sub/b.py"]
