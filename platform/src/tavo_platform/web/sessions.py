"""Dashboard sessions: an API key exchanged once for a signed, expiring cookie.

The cookie never holds the key itself, only the SHA-256 digest the store already indexes
keys by, an expiry and a random nonce, signed with HMAC-SHA256. Every request re-reads the
key's record (through the authenticator's short cache), so revoking the key ends its
sessions. A state change made with the cookie must also carry `X-CSRF-Token`, an HMAC of
the cookie under a separate label: a page on another origin can neither read the cookie
nor compute the token, and SameSite=Strict keeps the cookie off cross-site requests anyway.

The signing secret comes from TAVO_SESSION_SECRET, or is made once and kept in the data
directory (0600), which every API process of a deployment shares.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE_NAME = "tavo_session"
CSRF_HEADER = "x-csrf-token"
SECRET_FILE = "session-secret"
_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Session:
    key_hash: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, secret: bytes, lifetime_seconds: float) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds

    def issue(self, key_hash: str) -> str:
        payload = {
            "h": key_hash,
            "e": int(time.time() + self.lifetime_seconds),
            "n": secrets.token_urlsafe(9),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._mac('session', body)}"

    def verify(self, token: str) -> Session | None:
        """The session a cookie stands for, or None when forged, malformed or expired."""
        body, dot, mac = token.partition(".")
        if not dot or len(token) > 512 or not hmac.compare_digest(mac, self._mac("session", body)):
            return None
        try:
            payload = json.loads(_unb64(body))
            session = Session(key_hash=str(payload["h"]), expires_at=float(payload["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires_at > time.time() else None

    def csrf_token(self, token: str) -> str:
        return self._mac("csrf", token)

    def csrf_matches(self, token: str, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(self.csrf_token(token), presented)

    def _mac(self, label: str, message: str) -> str:
        digest = hmac.new(self._secret, f"{label}:{message}".encode(), hashlib.sha256)
        return _b64(digest.digest())


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the one kept in the data directory (made on first use;
    O_EXCL so two processes starting together agree on one)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(_SECRET_BYTES))
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    # Another process may have created the file an instant ago: wait for its content.
    for _ in range(50):
        text = path.read_text(encoding="ascii").strip()
        if text:
            return bytes.fromhex(text)
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it to make a new session secret")
