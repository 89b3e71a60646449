import subprocess
from functools import partial

from flask import Blueprint, request

bp = Blueprint("ops", __name__)
sh = partial(subprocess.run, shell=True, capture_output=True, text=True)


def run(cmd, shell=True):
    return subprocess.run(cmd, shell=shell, capture_output=True, text=True)  # tavo-label: vuln command-injection


def run_argv(argv, shell=False):
    return subprocess.run(argv, shell=shell, capture_output=True, text=True)  # tavo-label: safe command-injection


@bp.get("/ops/ping")
def ping():
    return run("ping -c 1 " + request.args["host"]).stdout


@bp.get("/ops/trace")
def trace():
    return run_argv(["traceroute", request.args["host"]]).stdout


@bp.get("/ops/dig")
def dig():
    return sh("dig " + request.args["name"]).stdout  # tavo-label: vuln command-injection
