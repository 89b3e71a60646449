"""A module's own variables read in other modules: `TOKEN = os.environ["TOKEN"]` in
settings.py, imported by name or through the module, carries its taint to the importer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules

MakeTree = Callable[[dict[str, str | bytes]], Path]

SETTINGS = """\
import os
BILLING_TOKEN = os.environ["BILLING_TOKEN"]
MODEL = os.environ.get("MODEL_NAME", "gpt-4o")
"""

ASK = """\
from openai import OpenAI
from app.settings import BILLING_TOKEN, MODEL
from app import settings
client = OpenAI()

def by_name(question):
    return client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": f"Call billing with token {BILLING_TOKEN}."},
        {"role": "user", "content": question},
    ])

def through_module(question):
    return client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "Token: " + settings.BILLING_TOKEN},
        {"role": "user", "content": question},
    ])

def model_only(question):
    return client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": f"You run on {MODEL}."},
        {"role": "user", "content": question},
    ])
"""


def test_imported_module_variables_carry_their_taint(make_tree) -> None:  # type: ignore[no-untyped-def]
    rules = [r for r in load_builtin_rules().rules if r.id == "py-taint-llm02-secret-in-prompt"]
    tree = make_tree({"app/__init__.py": "", "app/settings.py": SETTINGS, "app/ask.py": ASK})
    found = scan_path(tree, rules, jobs=1).findings
    lines = sorted((f.path, f.span.start_line) for f in found)
    assert lines == [("app/ask.py", 8), ("app/ask.py", 14)]
