"""Finding severities, ordered from most to least severe."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        """0 for CRITICAL up to 4 for INFO: lower is more severe."""
        return SEVERITY_ORDER.index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().upper())
        except ValueError:
            choices = ", ".join(s.value.lower() for s in cls)
            raise ValueError(f"unknown severity {value!r} (choose from {choices})") from None


SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)
