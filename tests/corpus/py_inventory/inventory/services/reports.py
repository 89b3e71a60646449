import os

REPORT_DIR = "/srv/reports"


def report_path(name):
    return os.path.join(REPORT_DIR, name)


def read_report(name):
    with open(report_path(name)) as handle:  # tavo-label: vuln path-traversal
        return handle.read()


def read_report_checked(name):
    path = os.path.realpath(report_path(name))
    if not path.startswith(REPORT_DIR + os.sep):
        raise PermissionError(name)
    with open(path) as handle:  # tavo-label: safe path-traversal
        return handle.read()


def delete_report(name):
    os.remove(report_path(os.path.basename(name)))  # tavo-label: safe path-traversal
