"""Query parameter types shared by several routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

SEVERITY_NAMES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# A severity filter, in any letter case (the CLI takes lower case, the API shows upper).
SeverityParam = Annotated[
    Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"], BeforeValidator(_upper)
]
