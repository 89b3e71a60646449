from enum import Enum

from pydantic import BaseModel, Field


class SortField(str, Enum):
    name = "name"
    price = "price"


class ItemQuery(BaseModel):
    owner: str
    page: int = 1
    size: int = Field(20, le=100)
    sort: SortField = SortField.name


class Webhook(BaseModel):
    url: str
    event: str
