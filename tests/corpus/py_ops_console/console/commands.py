"""Console commands an operator runs from the web panel, by name."""

import os
import shutil
import subprocess

import requests

BACKUPS = "/var/backups/console"


def cmd_ping(target):
    return subprocess.run(["ping", "-c", "1", "--", target], capture_output=True, text=True).stdout  # tavo-label: safe command-injection


def cmd_lookup(target):
    return subprocess.getoutput("nslookup " + target)  # tavo-label: vuln command-injection


def cmd_health(target):
    return requests.get(target, timeout=5).status_code  # tavo-label: vuln ssrf


def cmd_disk(target):
    usage = shutil.disk_usage(BACKUPS)
    return f"{target}: {usage.free} bytes free"


COMMANDS = {
    "ping": cmd_ping,
    "lookup": cmd_lookup,
    "health": cmd_health,
}

REPORTS = {"disk": cmd_disk}


class Maintenance:
    def task_rotate(self, name):
        os.remove(os.path.join(BACKUPS, name))  # tavo-label: vuln path-traversal

    def task_count(self, name):
        return len(os.listdir(BACKUPS))
