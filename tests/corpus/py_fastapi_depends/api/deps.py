from typing import Annotated

from fastapi import Depends, Header, Query
from pydantic import BaseModel


class Filters(BaseModel):
    owner: str
    status: str = "open"


def get_filters(owner: str = Query(...), status: str = Query("open")) -> Filters:
    return Filters(owner=owner, status=status)


def tenant_header(x_tenant: Annotated[str, Header()]) -> str:
    return x_tenant
