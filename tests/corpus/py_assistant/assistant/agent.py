import json
import os
import sqlite3
import subprocess

from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from openai import OpenAI

from .storage import save_report

llm = ChatOpenAI(model="gpt-4o")
client = OpenAI()
WORKDIR = "/srv/agent"
ALLOWED_COMMANDS = {"uptime", "df", "free"}


@tool
def run_shell(command: str) -> str:
    """Run a shell command on the server."""
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout  # tavo-label: vuln excessive-agency


@tool
def run_allowed(command: str) -> str:
    """Run one of the allowed diagnostics."""
    if command not in ALLOWED_COMMANDS:
        return "not allowed"
    return subprocess.run([command], capture_output=True, text=True).stdout  # tavo-label: safe excessive-agency


@tool
def read_notes(filename: str) -> str:
    """Read a note from the work directory."""
    with open(os.path.join(WORKDIR, os.path.basename(filename))) as handle:  # tavo-label: safe excessive-agency
        return handle.read()


@tool
def query_orders(where: str) -> list:
    """Query the orders table."""
    db = sqlite3.connect("orders.db")
    return db.execute("SELECT * FROM orders WHERE " + where).fetchall()  # tavo-label: vuln excessive-agency


@tool
def write_report(name: str, body: str) -> str:
    """Save a report."""
    return save_report(name, body)


def run_agent(task):
    plan = llm.invoke(f"Write Python code that solves: {task}").content
    exec(plan)  # tavo-label: vuln insecure-output
    summary = llm.invoke(f"Summarise: {task}").content
    return summary


def dispatch(response):
    results = []
    for call in response.choices[0].message.tool_calls:
        args = json.loads(call.function.arguments)
        if call.function.name == "cleanup":
            os.remove(args["path"])  # tavo-label: vuln excessive-agency
        elif call.function.name == "lookup":
            results.append(lookup_customer(args["email"]))
    return results


def lookup_customer(email):
    db = sqlite3.connect("crm.db")
    return db.execute("SELECT * FROM customers WHERE email = ?", (email,)).fetchone()  # tavo-label: safe excessive-agency


def generate_sql(question):
    reply = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"SQL for: {question}"}],
    )
    sql = reply.choices[0].message.content
    return sqlite3.connect("orders.db").execute(sql).fetchall()  # tavo-label: vuln insecure-output


def classify(text):
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Classify: {text}"}],
    )
    label = reply.choices[0].message.content.strip().lower()
    if label not in ("bug", "question", "praise"):
        label = "other"
    return sqlite3.connect("tickets.db").execute("INSERT INTO labels VALUES (?)", (label,))  # tavo-label: safe insecure-output


def _shell(command):
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout  # tavo-label: vuln excessive-agency


@tool
def disk_report(path: str) -> str:
    """Report disk usage of a path."""
    return _shell("du -sh " + path)


@tool
def service_status(service: str) -> str:
    """Status of an allowed service."""
    if not service.isidentifier():
        raise ValueError(service)
    return subprocess.run(f"systemctl status {service}", shell=True, capture_output=True, text=True).stdout  # tavo-label: safe excessive-agency


def answer_with_context(question, retriever):
    docs = retriever.invoke(question)
    context = "\n".join(doc.page_content for doc in docs)
    reply = llm.invoke(f"Context:\n{context}\n\nQuestion: {question}")
    with open(os.path.join(WORKDIR, "answers", reply.content), "w") as handle:  # tavo-label: vuln insecure-output
        handle.write(question)
