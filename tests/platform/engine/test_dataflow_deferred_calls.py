"""Calls a project function receives later: functools.partial (called through the name it
is bound to, with more arguments), a thread pool's submit, FastAPI's background tasks,
asyncio.to_thread and run_in_executor run the function with the arguments given."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

HEAD = """\
import asyncio
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from fastapi import BackgroundTasks, FastAPI
from flask import request

app = FastAPI()
pool = ThreadPoolExecutor()

def run(cmd):
    os.system(cmd)

def run_in(directory, cmd):
    os.system(f"cd {directory} && {cmd}")

"""


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    return [r for r in load_builtin_rules().rules if r.id == "py-taint-command-injection"]


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        ("def f():\n    job = partial(run, request.args['cmd'])\n    job()\n", True),
        (
            "def f():\n    job = functools.partial(run_in, '/srv')\n"
            "    job(request.args['c'])\n",
            True,
        ),
        ("def f():\n    pool.submit(run, request.args['cmd'])\n", True),
        (
            "@app.post('/jobs')\nasync def f(cmd: str, tasks: BackgroundTasks):\n"
            "    tasks.add_task(run, cmd)\n",
            True,
        ),
        ("async def f():\n    await asyncio.to_thread(run, request.args['cmd'])\n", True),
        (
            "async def f():\n    loop = asyncio.get_running_loop()\n"
            "    await loop.run_in_executor(None, run, request.args['cmd'])\n",
            True,
        ),
        ("def f():\n    run.delay(request.args['cmd'])\n", True),
        (
            "import threading\ndef f():\n"
            "    threading.Thread(target=run, args=(request.args['cmd'],)).start()\n",
            True,
        ),
        (
            "import threading\ndef f():\n"
            "    threading.Thread(target=run, args=('ls',)).start()\n",
            False,
        ),
        # constants bound or submitted; request data given to another function
        ("def f():\n    pool.submit(run, 'uptime')\n    partial(run_in, '/srv')('ls')\n", False),
        ("def f():\n    pool.submit(print, request.args['cmd'])\n", False),
    ],
)
def test_functions_called_later_get_their_arguments(  # type: ignore[no-untyped-def]
    make_tree, rules: list[Rule], body: str, reported: bool
) -> None:
    tree = make_tree({"app.py": HEAD + body})
    assert bool(scan_path(tree, rules, jobs=1).findings) is reported
