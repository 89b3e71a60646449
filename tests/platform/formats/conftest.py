"""A realistic scan for the output-format tests, with its own rules so the built-in packs'
contents do not matter: a structural rule with an autofix, a redacted secret, a model-file
artifact, plain regex rules at low severities, and a tree with unicode paths, spaces, a
finding at column 1, one at the very end of a file, and skipped files."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

# Every id starts with `fmt-`, so `--only 'fmt-*'` selects exactly these rules. Friendly
# names derive from the ids, so none has a one-letter part (SARIF wants Pascal-case names).
ONLY_FORMAT_RULES = ("--only", "fmt-*")

# Split so that no file in the repository holds the whole token.
SECRET = "fmtsecret_" + "Qw3rTy7uIo9pAs2dFg5hJk8l"

# Protocol-2 pickle calling os.system("id"): GLOBAL 'os system', a one-tuple, REDUCE.
MALICIOUS_PICKLE = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."

RULES_YAML = textwrap.dedent(
    """\
    rules:
      - id: fmt-eval-call
        title: eval of a dynamic value
        message: eval() runs its argument as Python code.
        severity: HIGH
        confidence: MEDIUM
        category: code-injection
        cwe: [CWE-95]
        owasp_llm: LLM05
        references: [https://docs.python.org/3/library/functions.html#eval]
        fix: Parse data with ast.literal_eval instead.
        autofix: ast.literal_eval($ARG)
        languages: [python]
        structural:
          rule:
            pattern: eval($ARG)
        examples:
          positive: ["eval(value)"]
          negative: ["ast.literal_eval(value)"]
      - id: fmt-secret-token
        title: Format-test secret token
        message: A format-test secret token is written in the file.
        severity: CRITICAL
        confidence: HIGH
        category: hardcoded-secret
        cwe: [CWE-798]
        owasp_llm: LLM02
        fix: Revoke the token and read it from the environment.
        languages: [generic]
        regex:
          pattern: '(?P<secret>fmtsecret_[A-Za-z0-9]{24})'
          group: secret
          redact: true
        examples:
          positive: ['token = "fmtsecret_Zx8cVb6nMq1wEr4tYu7iOp0a"']
          negative: ['token = os.environ["TOKEN"]']
      - id: fmt-pickle-system
        title: Model file runs a shell command
        message: >-
          The pickle stream imports os.system, which runs a shell command when the file is
          loaded.
        severity: CRITICAL
        confidence: HIGH
        category: unsafe-deserialization
        cwe: [CWE-502]
        owasp_llm: LLM03
        fix: Do not load the file; ask for safetensors weights instead.
        languages: [artifact]
        artifact:
          imports: [os.system, posix.system, nt.system]
        examples:
          positive:
            - base64: gAJjb3MKc3lzdGVtCnEAWAIAAABpZHEBhXECUnEDLg==
              filename: model.pkl
          negative:
            - base64: gAJdcQBLAWEu
              filename: model.pkl
      - id: fmt-debug-marker
        title: Debug marker left in
        message: A DEBUG_MARKER comment was left in the file.
        severity: LOW
        confidence: LOW
        category: hygiene
        fix: Remove the marker.
        languages: [generic]
        regex:
          pattern: DEBUG_MARKER
        examples:
          positive: ['# DEBUG_MARKER']
          negative: ['# nothing here']
      - id: fmt-many-weaknesses
        title: Many weaknesses at once
        message: One construct that maps to many CWE entries.
        severity: MEDIUM
        confidence: HIGH
        category: taxonomy
        cwe: [CWE-20, CWE-74, CWE-77, CWE-78, CWE-88, CWE-94, CWE-116, CWE-117, CWE-1336]
        owasp_llm: LLM01
        fix: Validate the input.
        languages: [generic]
        regex:
          pattern: MANY_WEAKNESSES
        examples:
          positive: ['MANY_WEAKNESSES']
          negative: ['few weaknesses']
      - id: fmt-info-note
        title: Informational note
        message: An INFO_NOTE marker was found.
        severity: INFO
        confidence: HIGH
        category: hygiene
        fix: Nothing to fix.
        languages: [generic]
        regex:
          pattern: INFO_NOTE
        examples:
          positive: ['INFO_NOTE']
          negative: ['nothing']
    """
)

REALISTIC_FILES: dict[str, str | bytes] = {
    # A finding at line 1, column 1, with an autofix.
    "src/dir with space/ä b.py": "eval(user_input)\nprint('done')\n",
    # A finding that ends at the very end of a file without a trailing newline.
    "src/end_of_file.py": "import os\n\n\ndef run(code):\n    return eval(code)",
    # A redacted secret, a LOW and an INFO finding, under a non-ASCII directory.
    "naïve/ünïcode/config 1.env": f'API_TOKEN="{SECRET}"\n# DEBUG_MARKER\nINFO_NOTE\n',
    # Characters that must be percent-encoded in a URI.
    "odd/weird #1 [x] 100%.txt": "MANY_WEAKNESSES here\n",
    "models/classifier.pkl": MALICIOUS_PICKLE,
    # Skipped: binary, and a minified bundle.
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "static/app.js": "var a=1;" * 5000 + "\n",
    # Scanned, no findings.
    "src/clean.py": "def add(a, b):\n    return a + b\n",
}


@pytest.fixture
def format_rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules" / "format-rules.yaml"
    path.parent.mkdir()
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


@pytest.fixture
def realistic_tree(make_tree: Callable[[dict[str, str | bytes]], Path]) -> Path:
    return make_tree(REALISTIC_FILES)


Scan = Callable[..., str]


@pytest.fixture
def scan(run_cli: Callable[..., Result], format_rules: Path, tmp_path: Path) -> Scan:
    """Runs `tavo scan TARGET --format FMT` with the format-test rules (plus any extra
    arguments) and returns the report written with --output."""
    counter = iter(range(1_000_000))

    def run(target: Path, fmt: str, *extra: str, builtin_only: bool = False) -> str:
        output = tmp_path / "reports" / f"report-{next(counter)}.{fmt}"
        output.parent.mkdir(exist_ok=True)
        selection = () if builtin_only else ("--rules", str(format_rules), *ONLY_FORMAT_RULES)
        result = run_cli(
            "scan", target, "--format", fmt, "--output", output, "--fail-on", "never",
            "--no-progress", *selection, *extra,
        )
        assert result.exit_code == 0, result.output
        return output.read_text(encoding="utf-8")

    return run


def load(report: str) -> Any:
    return json.loads(report)
