"""Account pages of a small Flask shop."""

import hashlib
import os
import secrets
import tempfile
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
import requests
from flask import Flask, make_response, render_template_string, request
from markupsafe import escape

app = Flask(__name__)
app.config["WTF_CSRF_ENABLED"] = False  # tavo-label: vuln csrf


@app.route("/greet")
def greet():
    name = request.args.get("name", "")
    return render_template_string("<p>Hello " + request.args["name"] + "</p>")  # tavo-label: vuln code-injection


@app.route("/greet-safely")
def greet_safely():
    return render_template_string("<p>Hello {{ name }}</p>", name=request.args["name"])  # tavo-label: safe code-injection


@app.route("/search")
def search():
    return make_response(f"<h1>Results for {escape(request.args['q'])}</h1>")  # tavo-label: safe xss


@app.route("/import", methods=["POST"])
def import_catalogue():
    root = ET.fromstring(request.data)  # tavo-label: vuln xxe
    safe_root = SafeET.fromstring(request.data)  # tavo-label: safe xxe
    return str(len(root) + len(safe_root))


@app.route("/reset", methods=["POST"])
def reset():
    token = secrets.token_urlsafe(32)  # tavo-label: safe weak-crypto
    digest = hashlib.md5(token.encode()).hexdigest()  # tavo-label: vuln weak-crypto
    checksum = hashlib.sha256(request.data).hexdigest()  # tavo-label: safe weak-crypto
    return digest + checksum


@app.route("/login", methods=["POST"])
def login():
    resp = make_response("ok")
    resp.set_cookie("session_id", secrets.token_urlsafe(), httponly=False)  # tavo-label: vuln insecure-cookie
    resp.set_cookie("session_token", secrets.token_urlsafe(), secure=True, httponly=True)  # tavo-label: safe insecure-cookie
    return resp


def fetch_rates() -> dict:
    return requests.get("https://rates.example.org/latest", timeout=5, verify=False).json()  # tavo-label: vuln insecure-transport


def fetch_rates_checked() -> dict:
    return requests.get("https://rates.example.org/latest", timeout=5).json()  # tavo-label: safe insecure-transport


def export_report(rows: str) -> str:
    path = tempfile.mktemp(suffix=".csv")  # tavo-label: vuln insecure-temp-file
    fd, safe_path = tempfile.mkstemp(suffix=".csv")  # tavo-label: safe insecure-temp-file
    os.write(fd, rows.encode())
    os.chmod(safe_path, 0o600)  # tavo-label: safe file-permissions
    os.chmod(path, 0o666)  # tavo-label: vuln file-permissions
    return safe_path
