import sqlite3
import subprocess

from flask import Flask, request

from .queries import find_note, run_report

app = Flask(__name__)
DB = "notes.db"


@app.route("/notes")
def notes():
    term = request.args.get("q", "")
    conn = sqlite3.connect(DB)
    rows = conn.execute("SELECT * FROM notes WHERE body LIKE '%" + term + "%'")  # tavo-label: vuln sql-injection
    safe_rows = conn.execute("SELECT * FROM notes WHERE body LIKE ?", ("%" + term + "%",))  # tavo-label: safe sql-injection
    return {"rows": list(rows), "safe": list(safe_rows)}


@app.route("/note/<int:note_id>")
def note(note_id):
    return find_note(request.args["owner"])


@app.route("/report")
def report():
    name = request.form["name"]
    return run_report(name)


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    out = subprocess.run(f"ping -c 1 {host}", shell=True, capture_output=True)  # tavo-label: vuln command-injection
    subprocess.run(["ping", "-c", "1", host], capture_output=True)  # tavo-label: safe command-injection
    return out.stdout
