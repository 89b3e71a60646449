"""Tavo SDK: the Python client for the Tavo AI-security platform.

The client itself arrives with the SDK issue; today this distribution carries the shared,
dependency-free vocabulary (severities) that the platform and the SDK agree on.
"""

from tavo._version import __version__
from tavo.types.severity import SEVERITY_ORDER, Severity

__all__ = ["SEVERITY_ORDER", "Severity", "__version__"]
