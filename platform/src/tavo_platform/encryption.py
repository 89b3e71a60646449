"""Encryption at rest for the secrets the server must read back (webhook signing secrets,
repository credentials): Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a
MultiFernet, so keys rotate: the first key encrypts, every listed key decrypts, and
`tavo secrets rotate` re-encrypts stored values under the first.

Keys come from the `secret_keys` setting (TAVO_SECRET_KEYS, a JSON list of Fernet keys).
Without it, a key is generated once into `<data_dir>/secret.key` (mode 0600): enough for
one host; processes on several hosts must share TAVO_SECRET_KEYS.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tavo_platform.settings import Settings

KEY_FILE = "secret.key"


class SecretError(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SecretError("a stored secret cannot be decrypted with the configured keys") \
                from None

    def rotate(self, token: str) -> str:
        """The same secret encrypted under the first key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            raise SecretError("a stored secret cannot be decrypted with the configured keys") \
                from None


def _generated_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this host made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def secret_box(settings: Settings) -> SecretBox:
    keys = list(settings.secret_keys) or [_generated_key(settings.data_dir)]
    return SecretBox(keys)
