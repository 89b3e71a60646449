"""A secret finding's fingerprint follows the secret: moving the line or reformatting the
file keeps it (a baseline still matches), rotating the credential makes a new finding, and
neither the fingerprint nor the snippet gives the secret away. Secrets are generated here
at run time from a seeded random source, so this file holds none literally."""

from __future__ import annotations

import random
import string

import pytest
from tavo_platform.engine import CompiledRules, Language
from tavo_platform.engine._scanner import scan_source
from tavo_platform.rules.loader import load_builtin_rules

SECRETS = CompiledRules([r for r in load_builtin_rules().rules if r.pack == "secrets"])
HEX = "0123456789abcdef"


def _token(rng: random.Random, kind: str) -> str:
    alnum = string.ascii_letters + string.digits
    shapes = {
        "gitlab": lambda: "glpat-" + "".join(rng.choice(alnum) for _ in range(20)),
        "npm": lambda: "npm_" + "".join(rng.choice(alnum) for _ in range(36)),
        "groq": lambda: "gsk_" + "".join(rng.choice(alnum) for _ in range(52)),
        "databricks": lambda: "dapi" + "".join(rng.choice(HEX) for _ in range(32)),
        "langsmith": lambda: "lsv2_pt_"
        + "".join(rng.choice(HEX) for _ in range(32))
        + "_"
        + "".join(rng.choice(HEX) for _ in range(10)),
    }
    while True:
        token = shapes[kind]()
        if any(c.isdigit() for c in token[8:]) and any(c.isalpha() for c in token[8:]):
            return token


def _findings(text: str) -> list[tuple[str, str, int, str]]:
    outcome = scan_source(text, "app/settings.py", Language.PYTHON, SECRETS)
    return [(f.rule_id, f.fingerprint, f.span.start_line, f.snippet) for f in outcome.findings]


@pytest.mark.parametrize("kind", ["gitlab", "npm", "groq", "databricks", "langsmith"])
def test_rotation_is_a_new_finding_and_moving_is_not(kind: str) -> None:
    rng = random.Random(f"fingerprint-{kind}")
    first, rotated = _token(rng, kind), _token(rng, kind)
    original = _findings(f'TOKEN = "{first}"\n')
    moved = _findings(f'import os\n\n\nTOKEN = "{first}"\n')
    replaced = _findings(f'TOKEN = "{rotated}"\n')

    assert len(original) == 1, original
    rule, fingerprint, line, snippet = original[0]
    assert moved[0][0] == rule and moved[0][1] == fingerprint and moved[0][2] == line + 3
    assert replaced[0][0] == rule and replaced[0][1] != fingerprint
    for value in (first, rotated):
        tail = value[-12:]
        assert tail not in fingerprint and tail not in snippet
        assert tail not in replaced[0][3]
