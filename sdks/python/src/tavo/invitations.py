"""Accepting an invitation to an organisation: no API key is needed (the invitation's token
is the credential); the answer holds the new user and their first key, shown once.

    from tavo import accept_invitation

    accepted = accept_invitation(token, "a long passphrase", base_url="https://tavo.example")
    key = accepted.key.key   # keep it: the server stores only its hash
"""

from __future__ import annotations

import ssl

from tavo._client import SyncTavoClient, TavoClient
from tavo.types.users import AcceptedInvitation

__all__ = ["accept_invitation", "accept_invitation_async"]

# The route takes no key; the client wants one to send, and the server ignores it there.
_NO_KEY = "invitation"


def accept_invitation(
    token: str,
    password: str,
    *,
    name: str | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
    verify: ssl.SSLContext | bool = True,
) -> AcceptedInvitation:
    """Sets the invited user's password and returns them with their first key. Not retried:
    an invitation is spent by the first acceptance the server sees."""
    with SyncTavoClient(_NO_KEY, base_url=base_url, timeout=timeout, max_retries=0,
                        cache=False, verify=verify) as client:
        return client.users.accept_invitation(token, password, name=name)


async def accept_invitation_async(
    token: str,
    password: str,
    *,
    name: str | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
    verify: ssl.SSLContext | bool = True,
) -> AcceptedInvitation:
    """`accept_invitation` for asyncio."""
    async with TavoClient(_NO_KEY, base_url=base_url, timeout=timeout, max_retries=0,
                          cache=False, verify=verify) as client:
        return await client.users.accept_invitation(token, password, name=name)
