import os
import pickle
import subprocess
from base64 import b64decode

import requests
from flask import Flask, abort, redirect, render_template_string, request, send_file
from markupsafe import Markup, escape

from . import catalog
from .files import export_path, read_upload
from .shell import archive_orders, thumbnail

app = Flask(__name__)
UPLOADS = "/srv/uploads"
ALLOWED_SORTS = {"name", "price", "created"}
PARTNER_HOSTS = ("https://partner.example.com/",)


@app.route("/search")
def search():
    term = request.args.get("q", "")
    sort = request.args.get("sort", "name")
    if sort not in ALLOWED_SORTS:
        abort(400)
    rows = catalog.search(term, sort)
    return {"items": rows}


@app.route("/product/<int:product_id>")
def product(product_id):
    return {"item": catalog.by_id(product_id)}


@app.route("/category")
def category():
    name = request.args["name"]
    return {"items": catalog.in_category(name)}


@app.route("/greet")
def greet():
    name = request.args.get("name", "guest")
    return f"<h1>Welcome back, {name}!</h1>"  # tavo-label: vuln xss


@app.route("/greet-safe")
def greet_safe():
    name = escape(request.args.get("name", "guest"))
    return f"<h1>Welcome back, {name}!</h1>"  # tavo-label: safe xss


@app.route("/banner")
def banner():
    text = request.args.get("text", "")
    return render_template_string("<div class='banner'>" + text + "</div>")  # tavo-label: vuln xss


@app.route("/note")
def note():
    body = request.form.get("body", "")
    return {"html": str(Markup(body))}  # tavo-label: vuln xss


@app.route("/download")
def download():
    name = request.args["file"]
    return send_file(os.path.join(UPLOADS, name))  # tavo-label: vuln path-traversal


@app.route("/download-safe")
def download_safe():
    path = os.path.realpath(os.path.join(UPLOADS, request.args["file"]))
    if not path.startswith(UPLOADS + os.sep):
        abort(403)
    return send_file(path)  # tavo-label: safe path-traversal


@app.route("/upload/<name>")
def upload(name):
    return read_upload(request.args.get("dir", "inbox"), name)


@app.route("/export")
def export():
    return {"path": export_path(request.args["report"])}


@app.route("/preview")
def preview():
    url = request.args["url"]
    page = requests.get(url, timeout=5)  # tavo-label: vuln ssrf
    return page.text


@app.route("/partner")
def partner():
    url = request.args["url"]
    if not url.startswith(PARTNER_HOSTS):
        abort(400)
    return requests.get(url, timeout=5).text  # tavo-label: safe ssrf


@app.route("/lookup")
def lookup():
    sku = request.args["sku"]
    resp = requests.get("https://api.example.com/stock", params={"sku": sku}, timeout=5)  # tavo-label: safe ssrf
    return resp.json()


@app.route("/login/done")
def login_done():
    target = request.args.get("next", "/")
    return redirect(target)  # tavo-label: vuln open-redirect


@app.route("/logout")
def logout():
    return redirect("/")  # tavo-label: safe open-redirect


@app.route("/cart/restore", methods=["POST"])
def restore_cart():
    blob = b64decode(request.form["cart"])
    cart = pickle.loads(blob)  # tavo-label: vuln deserialization
    return {"items": cart}


def snapshot(cart):
    return pickle.loads(pickle.dumps(cart))  # tavo-label: safe deserialization


@app.route("/thumb")
def thumb():
    return thumbnail(request.args["image"])


@app.route("/archive")
def archive():
    return archive_orders(request.args.get("month", "2024-01"))


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    out = subprocess.run(f"ping -c 1 {host}", shell=True, capture_output=True)  # tavo-label: vuln command-injection
    subprocess.run(["ping", "-c", "1", host], capture_output=True)  # tavo-label: safe command-injection
    return out.stdout


@app.route("/calc")
def calc():
    expr = request.args.get("expr", "0")
    return str(eval(expr))  # tavo-label: vuln code-injection


def _where_clause(field, value):
    return f"{field} = '{value}'"


@app.route("/orders")
def orders():
    clause = _where_clause("customer", request.args["customer"])
    return {"rows": catalog.orders_where(clause)}


@app.route("/orders/mine")
def my_orders():
    return {"rows": catalog.orders_for(request.args["customer"])}


@app.route("/orders/export")
def export_orders():
    fmt = request.args.get("format", "csv")
    tool = {"csv": "csvkit", "json": "jq"}.get(fmt, "csvkit")
    subprocess.run(f"{tool} /data/orders > /tmp/export", shell=True)  # tavo-label: safe command-injection
    return send_file("/tmp/export")
