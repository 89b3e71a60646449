import os

from werkzeug.utils import secure_filename

BASE = "/srv/uploads"
REPORTS = "/srv/reports"


def read_upload(folder, name):
    path = os.path.join(BASE, folder, name)
    with open(path, "rb") as handle:  # tavo-label: vuln path-traversal
        return handle.read()


def export_path(report):
    safe = secure_filename(report)
    with open(os.path.join(REPORTS, safe), "w") as handle:  # tavo-label: safe path-traversal
        handle.write("report")
    return safe
