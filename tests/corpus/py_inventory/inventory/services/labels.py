import os
import shlex
import subprocess

PRINTER = "lp -d warehouse"


def print_label(sku, copies):
    command = f"{PRINTER} -n {copies} /labels/{sku}.pdf"
    return _run(command)


def print_label_safe(sku, copies):
    command = f"{PRINTER} -n {int(copies)} /labels/{shlex.quote(sku)}.pdf"
    return _run_checked(command)


def _run(command):
    return subprocess.run(command, shell=True, check=False).returncode  # tavo-label: vuln command-injection


def _run_checked(command):
    return subprocess.run(command, shell=True, check=True).returncode  # tavo-label: safe command-injection


def purge_cache(folder):
    os.system("rm -rf /var/cache/inventory/" + folder)  # tavo-label: vuln command-injection
