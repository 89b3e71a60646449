import os

REPORTS = "/srv/reports"


def save_report(name, body):
    path = os.path.join(REPORTS, name + ".md")
    with open(path, "w") as handle:  # tavo-label: vuln excessive-agency
        handle.write(body)
    return path
