"""Export formats are plugins: modules named after the format."""

import importlib
import sqlite3

import torch
from flask import request, abort
from django.http import HttpResponse
from django.utils.html import escape

KNOWN = {"csv": "portal_exporters.csv", "xlsx": "portal_exporters.xlsx"}


def exporter_for(fmt):
    return importlib.import_module("portal_exporters." + fmt)  # tavo-label: vuln code-injection


def export():
    return exporter_for(request.args["fmt"]).run()


def export_known():
    module = KNOWN.get(request.args["fmt"])
    if module is None:
        abort(404)
    return importlib.import_module(module).run()  # tavo-label: safe code-injection


def restore_weights():
    state = torch.load(request.files["weights"], weights_only=True)  # tavo-label: safe deserialization
    return {"layers": len(state)}


def restore_checkpoint():
    state = torch.load(request.files["checkpoint"])  # tavo-label: vuln deserialization
    return {"layers": len(state)}


def top_titles():
    order = request.args.get("order", "title")
    rows = sqlite3.connect("portal.db").execute("SELECT title FROM pages ORDER BY " + order).fetchall()  # tavo-label: vuln sql-injection
    return HttpResponse("<ol>%s</ol>" % "".join("<li>%s</li>" % escape(r[0]) for r in rows))  # tavo-label: safe xss
