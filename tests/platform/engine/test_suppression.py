"""Inline `tavo: ignore` comments and baselines, end to end through `tavo scan`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.support.rulefiles import ONLY_TEST_RULES, write_rules

MakeTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def scan_json(run_cli: Callable[..., Result], tmp_path: Path) -> Callable[..., dict[str, Any]]:
    rules = write_rules(tmp_path / "rules")

    def scan(path: Path, *extra: str, exit_code: int | None = None) -> dict[str, Any]:
        result = run_cli("scan", path, "--rules", rules, *ONLY_TEST_RULES, "-f", "json", *extra)
        assert "Traceback" not in result.output
        if exit_code is not None:
            assert result.exit_code == exit_code, result.output
        report: dict[str, Any] = json.loads(result.stdout)
        report["exit_code"] = result.exit_code
        return report

    return scan


def lines_found(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(f["path"], f["start_line"], f["rule_id"]) for f in report["findings"]]


# --- inline suppression -----------------------------------------------------------------


def test_python_ignore_on_the_line_or_the_comment_line_above(
    make_tree: MakeTree, scan_json: Callable[..., dict[str, Any]]
) -> None:
    source = "\n".join(
        [
            "eval(a)  # tavo: ignore[t-eval]",  # 1: same line
            "# tavo: ignore[t-eval]",  # 2: alone on its line...
            "eval(b)",  # 3: ...so it covers this line
            "eval(c)",  # 4: not covered
            "eval(d)  # tavo: ignore",  # 5: no ids: every rule
            "eval(e)  # tavo: ignore[t-token]",  # 6: another rule's id: reported
            "eval(f)  # tavo: ignore[t-other, t-ev*]",  # 7: a list, with a glob
            "eval(g)  # noqa: S307  # tavo: ignore[t-eval]",  # 8: after another tool's marker
            "x = 1  # tavo: ignore[t-eval]",  # 9: a trailing comment covers only its line...
            "eval(h)",  # 10: ...not the next one
            "",
        ]
    )
    report = scan_json(make_tree({"app.py": source}))
    assert lines_found(report) == [
        ("app.py", 4, "t-eval"),
        ("app.py", 6, "t-eval"),
        ("app.py", 10, "t-eval"),
    ]
    assert report["summary"]["suppressed_inline"] == 5


@pytest.mark.parametrize("name", ["app.js", "app.ts", "app.tsx"])
def test_javascript_and_typescript_ignore_comments(
    make_tree: MakeTree, scan_json: Callable[..., dict[str, Any]], name: str
) -> None:
    source = "\n".join(
        [
            "eval(a); // tavo: ignore[t-eval]",
            "// tavo: ignore[t-eval]",
            "eval(b);",
            "eval(c);",
            "eval(d); /* tavo: ignore */",
            "eval(e); // tavo: ignore[t-token]",
            "",
        ]
    )
    report = scan_json(make_tree({name: source}))
    assert lines_found(report) == [(name, 4, "t-eval"), (name, 6, "t-eval")]
    assert report["summary"]["suppressed_inline"] == 3


def test_the_marker_inside_a_string_literal_does_not_suppress(
    make_tree: MakeTree, scan_json: Callable[..., dict[str, Any]]
) -> None:
    report = scan_json(
        make_tree(
            {
                "app.py": "\n".join(
                    [
                        'eval("# tavo: ignore[t-eval]")',
                        "eval('# tavo: ignore')",
                        'doc = """',
                        "# tavo: ignore",  # inside a triple-quoted string, not a comment
                        '"""',
                        "eval(x)",
                        "",
                    ]
                ),
                "app.js": "eval('// tavo: ignore[t-eval]');\nconst s = `\n// tavo: ignore\n`;\n"
                "eval(y);\n",
                "config.yaml": "key: 'TOKEN_ABCD1234 # tavo: ignore'\n",
            }
        )
    )
    assert lines_found(report) == [
        ("app.js", 1, "t-eval"),
        ("app.js", 5, "t-eval"),
        ("app.py", 1, "t-eval"),
        ("app.py", 2, "t-eval"),
        ("app.py", 6, "t-eval"),
        ("config.yaml", 1, "t-token"),
    ]
    assert report["summary"]["suppressed_inline"] == 0


def test_ignore_comments_in_files_without_a_grammar(
    make_tree: MakeTree, scan_json: Callable[..., dict[str, Any]]
) -> None:
    report = scan_json(
        make_tree(
            {
                ".env": "A=TOKEN_AAAA1111 # tavo: ignore[t-token]\n# tavo: ignore\n"
                "B=TOKEN_BBBB2222\nC=TOKEN_CCCC3333\n",
                "config.yaml": "note: it's fine  # tavo: ignore[t-token] TOKEN_DDDD4444\n"
                "url: http://x/TOKEN_FFFF6666 # tavo: ignore[t-token]\nother: TOKEN_EEEE5555\n",
            }
        )
    )
    assert lines_found(report) == [(".env", 4, "t-token"), ("config.yaml", 3, "t-token")]
    assert report["summary"]["suppressed_inline"] == 4


# --- baselines --------------------------------------------------------------------------


def test_baseline_round_trip_survives_unrelated_edits_and_reformatting(
    make_tree: MakeTree, scan_json: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    root = make_tree(
        {
            "app.py": "def run(expr, env):\n    return eval(expr, env)\n",
            "web.ts": "eval(input);\n",
        }
    )
    baseline = tmp_path / "baseline.json"
    first = scan_json(root, "--write-baseline", baseline, exit_code=1)
    assert len(first["findings"]) == 2
    assert {e["rule_id"] for e in json.loads(baseline.read_text())["findings"]} == {"t-eval"}

    clean = scan_json(root, "--baseline", baseline, exit_code=0)
    assert clean["findings"] == []
    assert clean["summary"]["suppressed_by_baseline"] == 2

    # Lines added above, the call re-wrapped by a formatter (with a trailing comma): the
    # findings move, their fingerprints do not.
    (root / "app.py").write_text(
        "import os\n\n\n# a comment\ndef run(expr, env):\n"
        "    return eval(\n        expr,\n        env,\n    )\n"
    )
    (root / "web.ts").write_text("// header\n\nconst x = 1;\neval( input );\n")
    moved = scan_json(root, "--baseline", baseline, exit_code=0)
    assert moved["findings"] == []
    assert moved["summary"]["suppressed_by_baseline"] == 2

    # A genuinely new finding is reported.
    with (root / "app.py").open("a") as handle:
        handle.write("eval(user_input)\n")
    new = scan_json(root, "--baseline", baseline, exit_code=1)
    assert lines_found(new) == [("app.py", 10, "t-eval")]


def test_identical_findings_in_one_file_have_distinct_fingerprints(
    make_tree: MakeTree, scan_json: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    root = make_tree({"app.py": "eval(x)\neval(x)\n"})
    baseline = tmp_path / "baseline.json"
    report = scan_json(root, "--write-baseline", baseline)
    fingerprints = [f["fingerprint"] for f in report["findings"]]
    assert len(fingerprints) == 2 and len(set(fingerprints)) == 2
    # A third copy is new, the first two are known.
    (root / "app.py").write_text("eval(x)\neval(x)\neval(x)\n")
    again = scan_json(root, "--baseline", baseline, exit_code=1)
    assert len(again["findings"]) == 1
    assert again["summary"]["suppressed_by_baseline"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read baseline"),
        ("not json", "not a JSON baseline file"),
        (b"\xff\xfe\x00", "not a JSON baseline file"),
        ('{"version": 99, "findings": []}', "not a tavo baseline"),
        ("[1, 2]", "not a tavo baseline"),
        ('{"version": 1, "findings": [{"rule_id": "x"}]}', "must be a list of objects"),
        ('{"version": 1, "findings": "all"}', "must be a list of objects"),
    ],
)
def test_bad_baseline_file_is_a_usage_error(
    run_cli: Callable[..., Result],
    make_tree: MakeTree,
    tmp_path: Path,
    content: str | bytes | None,
    message: str,
) -> None:
    root = make_tree({"app.py": "eval(x)\n"})
    baseline = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        baseline.write_bytes(content)
    elif content is not None:
        baseline.write_text(content)
    rules = write_rules(tmp_path / "rules")
    result = run_cli("scan", root, "--rules", rules, *ONLY_TEST_RULES, "--baseline", baseline)
    assert result.exit_code == 2
    assert message in result.stderr and str(baseline) in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""  # nothing scanned with a baseline that could not be read


def test_baseline_that_cannot_be_written_is_a_usage_error(
    run_cli: Callable[..., Result], make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({"app.py": "eval(x)\n"})
    rules = write_rules(tmp_path / "rules")
    target = tmp_path / "no-such-dir" / "baseline.json"
    result = run_cli("scan", root, "--rules", rules, *ONLY_TEST_RULES, "--write-baseline", target)
    assert result.exit_code == 2
    assert "cannot write baseline" in result.stderr
    assert "Traceback" not in result.output
