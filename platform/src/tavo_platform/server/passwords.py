"""Passwords of users, as scrypt hashes (RFC 7914, from the standard library).

A stored hash reads `scrypt$<log2 N>$<r>$<p>$<salt>$<digest>` (base64url, no padding), so
the cost can be raised later without invalidating existing hashes. Hashing takes tens of
milliseconds and 16 MiB on purpose: callers on the event loop run it in a worker thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import anyio.to_thread

SCHEME = "scrypt"
LOG2_N = 14
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
DIGEST_BYTES = 32
MIN_LENGTH = 12
MAX_LENGTH = 256
_MAX_MEMORY = 64 * 1024 * 1024
# Verified when the user is unknown, so that an unknown address costs as long as a wrong
# password (the answer gives nothing away, and neither does its timing).
_DECOY = "scrypt$14$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**log2_n, r=r, p=p,
                          maxmem=_MAX_MEMORY, dklen=DIGEST_BYTES)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    return f"{SCHEME}${LOG2_N}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash (constant-time); False for no hash."""
    try:
        scheme, log2_n, r, p, salt, digest = (stored or _DECOY).split("$")
        if scheme != SCHEME or not (10 <= int(log2_n) <= 20):
            return False
        computed = _derive(password, _unb64(salt), int(log2_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest)) and stored is not None


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_async(password: str, stored: str | None) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password, stored)
