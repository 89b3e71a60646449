"""FastAPI dependency injection: a route parameter declared `Depends(get_x)` holds what
get_x returns, and get_x's own parameters are request data where FastAPI's markers say so
(Query, Header, Cookie, Body, Form, File)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

DEPS = """\
from typing import Annotated
from fastapi import Header, Query
from pydantic import BaseModel

class Filters(BaseModel):
    owner: str

def get_filters(owner: str = Query(...)) -> Filters:
    return Filters(owner=owner)

def tenant(x_tenant: Annotated[str, Header()]) -> str:
    return x_tenant

def page_size(size: Annotated[int, Query()] = 20) -> int:
    return size

def settings_table() -> str:
    return "settings"
"""

MAIN = """\
from typing import Annotated
from fastapi import Depends, FastAPI
from .deps import Filters, get_filters, page_size, settings_table, tenant
from . import deps

app = FastAPI()

@app.get("/a")
def a(db, filters: Filters = Depends(get_filters)):
    return db.execute(f"SELECT * FROM t WHERE owner = '{filters.owner}'")

@app.get("/b")
def b(db, name: Annotated[str, Depends(deps.tenant)]):
    return db.execute(f"SELECT * FROM rows_{name}")

@app.get("/c")
def c(db, size: int = Depends(page_size), table: str = Depends(settings_table)):
    return db.execute(f"SELECT * FROM {table} LIMIT {size}")
"""


@pytest.fixture(scope="module")
def taint_rules() -> list[Rule]:
    return [rule for rule in load_builtin_rules().rules if rule.taint is not None]


def test_dependencies_pass_what_they_return(  # type: ignore[no-untyped-def]
    make_tree, taint_rules
) -> None:
    tree = make_tree({"api/__init__.py": "", "api/deps.py": DEPS, "api/main.py": MAIN})
    found = scan_path(tree, taint_rules, jobs=1).findings
    lines = sorted(
        f.span.start_line
        for f in found
        if f.rule_id == "py-taint-sql-injection" and f.path == "api/main.py"
    )
    # /c: a number and a constant the dependency returns carry no request text
    assert lines == [10, 14]
