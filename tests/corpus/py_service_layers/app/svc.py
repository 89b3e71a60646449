import os
import shutil
import sqlite3
import subprocess
import textwrap
import urllib.request
from pathlib import Path

import requests
from werkzeug.utils import secure_filename

UPLOADS = Path("/srv/uploads")


class Exporter:
    def __init__(self, fmt, dest):
        self.fmt = fmt
        self.dest = dest

    def command(self):
        return f"export --format {self.fmt} --out {self.dest}"

    def run(self):
        return subprocess.run(self.command(), shell=True)  # tavo-label: vuln command-injection


class Repo:
    def __init__(self):
        self.db = sqlite3.connect("app.db")

    def _where(self, **conds):
        return " AND ".join("%s = '%s'" % (k, v) for k, v in conds.items())

    def find(self, **conds):
        return self.db.execute("SELECT * FROM t WHERE " + self._where(**conds)).fetchall()  # tavo-label: vuln sql-injection

    def find_named(self, name):
        query = "SELECT * FROM t WHERE name = '%(name)s'" % {"name": name}
        return self.db.execute(query).fetchall()  # tavo-label: vuln sql-injection

    def find_safe(self, name):
        query = textwrap.dedent("""
            SELECT * FROM t
            WHERE name = ?
        """)
        return self.db.execute(query, (name,)).fetchall()  # tavo-label: safe sql-injection


def save_upload(storage):
    name = secure_filename(storage.filename)
    storage.save(str(UPLOADS / name))  # tavo-label: safe path-traversal


def save_upload_raw(storage):
    storage.save(os.path.join(UPLOADS, storage.filename))  # tavo-label: vuln path-traversal


def copy_report(name):
    shutil.copy(UPLOADS.joinpath(name), "/srv/public/")  # tavo-label: vuln path-traversal


def fetch_legacy(url):
    return urllib.request.urlopen(url).read()  # tavo-label: vuln ssrf


def fetch_api(path):
    session = requests.Session()
    return session.get("https://api.internal.example" + path, timeout=3).json()  # tavo-label: vuln ssrf
