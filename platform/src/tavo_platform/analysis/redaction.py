"""Secrets are masked before anything leaves the server for an LLM provider.

Findings are already redacted by the scanner for the credential formats its secret rules
know. Text sent out gets two more passes, because a false alarm here costs nothing and a
miss leaks a credential to a third party: the same secret rules again (findings from old
scans or custom rules may carry raw text), then anything that looks like a credential
without a known format: a value assigned to a secret-like name, a URL's password, a
bearer token, and long random-looking tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tavo_platform.engine import Redactor, shannon_entropy
from tavo_platform.rules.catalog import builtin_redaction_rules

MASK = "[REDACTED]"
_SECRET_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<name>[\w.-]*(?:passw(?:or)?d|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|
        private[_-]?key|credential|auth[_-]?key|client[_-]?secret|session[_-]?key)[\w.-]*)
    (?P<between>["']?\s*(?::|=|:=|=>)\s*[rbuf]?)
    (?P<quote>["'`])(?P<value>[^"'`\n]{4,})(?P=quote)
    """
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<value>[^@\s/]+)(?=@)")
_BEARER = re.compile(r"(?P<head>\b[Bb]earer\s+)(?P<value>[A-Za-z0-9._~+/=-]{12,})")
_TOKEN = re.compile(r"(?<![\w/.-])[A-Za-z0-9_+/=-]{24,}(?![\w/.-])")
_TOKEN_MIN_ENTROPY = 3.6


@lru_cache(maxsize=1)
def _scanner_redactor() -> Redactor:
    return Redactor(builtin_redaction_rules())


def redact_outbound(text: str) -> str:
    text = _scanner_redactor().redact(text)
    text = _SECRET_ASSIGNMENT.sub(
        lambda m: m.group("name") + m.group("between") + m.group("quote") + MASK + m.group("quote"),
        text,
    )
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    text = _BEARER.sub(lambda m: m.group("head") + MASK, text)
    return _TOKEN.sub(_mask_random_token, text)


def _mask_random_token(found: re.Match[str]) -> str:
    token = found.group(0)
    # Identifiers and words are long but not random; keys and tokens are both.
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    if has_digit and has_letter and shannon_entropy(token) >= _TOKEN_MIN_ENTROPY:
        return MASK
    return token
