"""No secret ever reaches a report: text, JSON or SARIF, whichever rule's snippet shows it.

The secrets are generated here, at run time, from a seeded random source: they look like
real credentials to the rules but were never issued by anyone, and this file holds none of
them literally (so it does not trip secret scanners itself).
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
BASE64 = ALNUM + "+/"
BASE32 = string.ascii_uppercase + "234567"
# A leak is any run of this many characters of a secret's random part in the output. The
# mask keeps at most 4 characters, and no rule text contains 10 random characters.
LEAK_WINDOW = 10


def _random(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _pem_body_lines(rng: random.Random, count: int) -> list[str]:
    return [_random(rng, BASE64, 64) for _ in range(count)]


class Secrets:
    """One fake credential per kind; `tails` are the random parts that must never show."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        openai_marker = "T3Blbk" + "FJ"  # base64 of "OpenAI", inside every OpenAI key
        self.openai = (
            "sk-proj-" + _random(rng, URLSAFE, 40) + openai_marker + _random(rng, URLSAFE, 40)
        )
        self.anthropic = "sk-ant-" + "api03-" + _random(rng, URLSAFE, 93) + "AA"
        self.huggingface = "hf" + "_" + _random(rng, string.ascii_letters, 34)
        self.google = "AI" + "za" + _random(rng, URLSAFE, 35)
        self.aws_key_id = "AK" + "IA" + _random(rng, BASE32, 16)
        self.aws_secret = _random(rng, BASE64, 40)
        self.github = "gh" + "p_" + _random(rng, ALNUM, 36)
        self.slack = "xo" + "xb-" + _random(rng, string.digits, 12) + "-" + _random(rng, ALNUM, 24)
        self.stripe = "sk" + "_live_" + _random(rng, ALNUM, 60)
        self.generic = _random(rng, ALNUM, 28) + "7q"
        self.pem_lines = _pem_body_lines(rng, 5)
        # A second GitHub token, placed where a 240-character snippet line cuts it in two.
        self.github_at_cut = "gh" + "s_" + _random(rng, ALNUM, 36)
        # And one inside the snippet of a non-secret (prompt) rule.
        self.in_prompt = "sk-ant-" + "api03-" + _random(rng, URLSAFE, 93) + "AA"
        self.pem_in_call = _pem_body_lines(rng, 4)

    def tails(self) -> dict[str, str]:
        """The part of each secret that is random (prefixes are public knowledge)."""
        return {
            "openai": self.openai[8:],
            "anthropic": self.anthropic[13:],
            "huggingface": self.huggingface[3:],
            "google": self.google[4:],
            "aws_key_id": self.aws_key_id[4:],
            "aws_secret": self.aws_secret,
            "github": self.github[4:],
            "slack": self.slack[5:],
            "stripe": self.stripe[8:],
            "generic": self.generic,
            **{f"pem_line_{i}": line for i, line in enumerate(self.pem_lines)},
            "github_at_cut": self.github_at_cut[4:],
            "in_prompt": self.in_prompt[13:],
            **{f"pem_in_call_{i}": line for i, line in enumerate(self.pem_in_call)},
        }


def _pem(kind: str, lines: list[str]) -> str:
    begin, end = f"-----BEGIN {kind}PRIVATE KEY-----", f"-----END {kind}PRIVATE KEY-----"
    return "\n".join([begin, *lines, end])


def _tree_files(s: Secrets) -> dict[str, str]:
    padding = "x" * 210  # puts the token across column 240, where snippet lines are cut
    return {
        "app/settings.py": (
            f'OPENAI_API_KEY = "{s.openai}"\n'
            f'client = anthropic.Anthropic(api_key="{s.anthropic}")\n'
            f'login(token="{s.huggingface}")\n'
            f'genai.configure(api_key="{s.google}")\n'
            f"session = boto3.Session(\n"
            f'    aws_access_key_id="{s.aws_key_id}",\n'
            f'    aws_secret_access_key="{s.aws_secret}",\n'
            f")\n"
            f'g = Github("{s.github}")\n'
            f'slack = WebClient(token="{s.slack}")\n'
            f'stripe.api_key = "{s.stripe}"\n'
            f'PAYMENTS_API_KEY = "{s.generic}"\n'
            f'banner = "{padding}" + "{s.github_at_cut}"\n'
        ),
        "deploy/server.key": _pem("RSA ", s.pem_lines) + "\n",
        "agent/prompt.py": (
            "reply = client.chat.completions.create(\n"
            '    model="gpt-4o",\n'
            f'    messages=[{{"role": "system", "content": "Call Claude with {s.in_prompt}"}}],\n'
            ")\n"
            'key = serialization.load_pem_private_key(b"""' + _pem("", s.pem_in_call) + '""",\n'
            "    password=None)\n"
            f'open_session("{s.github}")\n'
        ),
    }


# Non-secret rules whose findings show a secret in their snippet (or in their autofix).
NON_SECRET_RULES = """
rules:
  - id: test-prompt-call
    title: Chat completion call
    message: A prompt is sent to a model.
    severity: LOW
    confidence: LOW
    category: test
    fix: Nothing.
    languages: [python]
    structural:
      rule: {pattern: $C.chat.completions.create($$$)}
    examples:
      positive: ['client.chat.completions.create(model="m", messages=[])']
      negative: ['client.models.list()']
  - id: test-pem-load
    title: PEM key loaded from a literal
    message: A key is loaded from a literal.
    severity: LOW
    confidence: LOW
    category: test
    fix: Nothing.
    languages: [python]
    structural:
      rule: {pattern: serialization.load_pem_private_key($$$)}
    examples:
      positive: ['serialization.load_pem_private_key(data, password=None)']
      negative: ['serialization.load_pem_public_key(data)']
  - id: test-session-autofix
    title: Session opened positionally
    message: Name the token argument.
    severity: LOW
    confidence: LOW
    category: test
    fix: Pass token= by name.
    autofix: open_session(token=$TOKEN)
    languages: [python]
    structural:
      rule: {pattern: open_session($TOKEN)}
    examples:
      positive: ['open_session(t)']
      negative: ['open_session(token=t)']
"""

EXPECTED_SECRET_RULES = {
    "secret-openai-api-key",
    "secret-anthropic-api-key",
    "secret-huggingface-token",
    "secret-google-api-key",
    "secret-aws-access-key-id",
    "secret-aws-secret-access-key",
    "secret-github-token",
    "secret-slack-token",
    "secret-stripe-live-key",
    "secret-generic-assignment",
    "secret-private-key",
}
EXPECTED_OTHER_RULES = {"test-prompt-call", "test-pem-load", "test-session-autofix"}


@pytest.fixture
def scanned(
    run_cli: Callable[..., Result],
    make_tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
) -> tuple[Secrets, dict[str, str]]:
    secrets = Secrets(seed=20250101)
    root = make_tree(_tree_files(secrets))  # type: ignore[arg-type]
    rules = tmp_path / "non-secret-rules.yaml"
    rules.write_text(NON_SECRET_RULES, encoding="utf-8")
    reports: dict[str, str] = {}
    for fmt in ("text", "json", "sarif"):
        target = tmp_path / f"report.{fmt}"
        result = run_cli(
            "scan", root, "--rules", rules, "--only", "secrets", "--only", "test-*",
            "--format", fmt, "--output", target, "--no-progress", "--jobs", "1",
        )
        assert result.exit_code == 1, result.output  # findings at or above LOW
        reports[fmt] = target.read_text(encoding="utf-8")
        # Whatever goes to the terminal besides the report must be clean as well.
        reports[f"{fmt}-stdout"] = result.output
    return secrets, reports


def _leaks(tails: dict[str, str], report: str) -> list[str]:
    found = []
    for name, tail in tails.items():
        windows = {tail[i : i + LEAK_WINDOW] for i in range(len(tail) - LEAK_WINDOW + 1)}
        leaked = sorted(w for w in windows if w in report)
        if leaked:
            found.append(f"{name}: {leaked[0]!r}")
    return found


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "text-stdout", "json-stdout"])
def test_no_secret_appears_in_any_output(
    scanned: tuple[Secrets, dict[str, str]], fmt: str
) -> None:
    secrets, reports = scanned
    assert _leaks(secrets.tails(), reports[fmt]) == []


def test_every_secret_and_every_snippet_rule_was_reported(
    scanned: tuple[Secrets, dict[str, str]],
) -> None:
    """Guards the test above against passing vacuously: the secrets were found, and the
    non-secret findings whose snippets hold secrets were reported too (masked)."""
    _, reports = scanned
    findings = json.loads(reports["json"])["findings"]
    rule_ids = {f["rule_id"] for f in findings}
    assert rule_ids >= EXPECTED_SECRET_RULES
    assert rule_ids >= EXPECTED_OTHER_RULES
    # One secret, one finding: the generic rule leaves provider-shaped values to their rules.
    secret_spots = [
        (f["path"], f["start_line"], f["start_column"])
        for f in findings
        if f["rule_id"].startswith("secret-")
    ]
    assert len(secret_spots) == len(set(secret_spots))
    by_rule = {f["rule_id"]: f for f in findings if f["path"] == "agent/prompt.py"}
    assert "sk-a" + "********" in by_rule["test-prompt-call"]["snippet"]
    assert "-----BEGIN PRIVATE KEY-----" in by_rule["test-pem-load"]["snippet"]
    # A fix that would print the secret is withheld rather than shown.
    assert by_rule["test-session-autofix"]["autofix"] is None
    cut = [f for f in findings if f["rule_id"] == "secret-github-token" and f["start_line"] == 13]
    assert cut and "ghs_" + "********" in cut[0]["snippet"]


def test_sarif_carries_masked_snippets(scanned: tuple[Secrets, dict[str, str]]) -> None:
    _, reports = scanned
    results = json.loads(reports["sarif"])["runs"][0]["results"]
    snippets = [
        r["locations"][0]["physicalLocation"]["contextRegion"]["snippet"]["text"]
        for r in results
        if r["ruleId"].startswith("secret-")
        and "contextRegion" in r["locations"][0]["physicalLocation"]
    ]
    # Single-line secrets all carry their (masked) line; a multi-line key's snippet is cut
    # short of its region and is left out of SARIF.
    assert len(snippets) >= len(EXPECTED_SECRET_RULES) - 1
    assert all("********" in text for text in snippets)
